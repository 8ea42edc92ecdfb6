"""Regenerate ``tests/data/state_files/``: one state file per registered class, as the library saves it.

The committed files were written by the code of commit c81cfd4 (the main branch before the
reliability round 2 and the house refactor), so ``tests/test_state_compat.py`` proves that files
saved by an earlier version still load, bit for bit, and compute what they computed. Run from a
checkout of the version whose files you want (``python tests/data/make_state_files.py``); the
versions used are written to ``versions.json`` beside the files. Do not regenerate the committed
files with newer code: that would make the compatibility test compare the new code with itself.

Each file is the torch module built from the class's registry example (float32), plus a float64
MelSpectrogram and a trainable MelSpectrogram trained for two SGD steps with a fixed seed.
``outputs.npz`` holds each module's output on :func:`signal` (fed through the registry's
``make_input``), computed by that version.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import torch
from nnaudio_shared import REGISTRY

import nnaudio_torch as nt

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "state_files")


def signal() -> np.ndarray:
    """The test signal: 0.5 s of a 440 Hz tone plus seeded noise at 8 kHz, float64."""
    t = np.arange(4000) / 8000.0
    return np.sin(2 * np.pi * 440.0 * t) + 0.1 * np.random.default_rng(0).standard_normal(t.size)


def output(name: str, module: torch.nn.Module) -> np.ndarray:
    """Output of ``module`` (class ``name``) on :func:`signal`, as float64 NumPy."""
    spec = REGISTRY[name]
    x, kwargs = spec.make_input(dict(module.config.to_dict()), signal())
    dtype = next(iter(module.state_dict().values())).dtype  # the kernel dtype is the input dtype
    with torch.no_grad():
        out = module(torch.tensor(np.asarray(x), dtype=dtype), **kwargs)
    return np.asarray(out[0] if isinstance(out, (tuple, list)) else out, dtype=np.float64)


def main() -> None:
    """Write every file, ``outputs.npz`` and ``versions.json``."""
    os.makedirs(HERE, exist_ok=True)
    outputs = {}
    for name, spec in sorted(REGISTRY.items()):
        module = getattr(nt, name)(**dict(spec.example))
        nt.save(module, os.path.join(HERE, f"{name}.safetensors"))
        outputs[name] = output(name, module)
    mel64 = nt.MelSpectrogram(sr=8000, n_fft=256, hop_length=64, n_mels=32, dtype=torch.float64)
    nt.save(mel64, os.path.join(HERE, "MelSpectrogram_float64.safetensors"))
    outputs["MelSpectrogram_float64"] = output("MelSpectrogram", mel64)
    torch.manual_seed(0)
    mel = nt.MelSpectrogram(sr=8000, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True)
    opt = torch.optim.SGD(mel.parameters(), lr=1e-2)
    x = torch.randn(2, 4000)
    for _ in range(2):
        opt.zero_grad()
        mel(x).log1p().mean().backward()
        opt.step()
    nt.save(mel, os.path.join(HERE, "MelSpectrogram_trained.safetensors"))
    outputs["MelSpectrogram_trained"] = output("MelSpectrogram", mel)
    np.savez_compressed(os.path.join(HERE, "outputs.npz"), **outputs)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    versions = {"commit": commit, "torch": torch.__version__, "numpy": np.__version__}
    with open(os.path.join(HERE, "versions.json"), "w") as f:
        json.dump(versions, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
