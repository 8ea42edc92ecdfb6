"""Precision table: float16 / bfloat16 inputs and torch autocast vs float32; float64 inputs to float32 modules.

``python -m bench.precision`` prints the README table. Every half-precision entry is the relative
L2 error ``||out - ref|| / ||ref||`` of the output (in float64) against the float32 computation on
the ORIGINAL float32 signal, so it includes the rounding of the input to the half type (what a
user of half-precision audio gets). The float64 entries give a float64 signal to the default
float32 module (eagerly in torch, under ``jax.jit`` in JAX) and compare with the float64 module
(``dtype=float64`` kernels, itself checked against librosa / the definitions at float64 by the
tests) on the same signal: float32-rounded kernels would show ~1e-8 there. MFCC rows also give the
largest absolute error in dB-like units.

Settings: the bench's (22.05 kHz, n_fft 2048, hop 512, 128 mels, 20 MFCCs, 64 gammatone bands,
84 constant-Q bins from 32.7 Hz, CFP at nnAudio2's defaults, reflect padding), a
batch of 4 x 5 s clips at speech/music-like levels (``bench.presets.make_signal``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")

import numpy as np

from bench.presets import Preset, make_signal

#: (label, class name, constructor keywords, call keywords); the inverse takes the STFT output.
TRANSFORMS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("STFT magnitude", "STFT", dict(n_fft=2048, hop_length=512, output_format="Magnitude"), {}),
    (
        "STFT trainable (matmul)",
        "STFT",
        dict(n_fft=2048, hop_length=512, output_format="Magnitude", trainable=True),
        {},
    ),
    ("Mel 128", "MelSpectrogram", dict(sr=22050, n_fft=2048, hop_length=512, n_mels=128), {}),
    ("MFCC 20", "MFCC", dict(sr=22050, n_fft=2048, hop_length=512, n_mels=128, n_mfcc=20), {}),
    ("iSTFT", "iSTFT", dict(n_fft=2048, hop_length=512), {}),
    ("Gammatonegram 64", "Gammatonegram", dict(sr=22050, n_fft=2048, hop_length=512, n_bins=64), {}),
    ("CQT1992v2 84 bins", "CQT1992v2", dict(sr=22050, hop_length=512), {}),
    ("CQT2010v2 84 bins", "CQT2010v2", dict(sr=22050, hop_length=512), {}),
    ("VQT gamma 20", "VQT", dict(sr=22050, hop_length=512, gamma=20.0), {}),
    ("CFP", "CFP", dict(fs=22050), {}),
]

COLUMNS = [
    "torch float16",
    "torch bfloat16",
    "torch autocast bf16",
    "torch autocast f16",
    "JAX float16",
    "JAX bfloat16",
    "torch float64 in",
    "JAX float64 in",
]


def _errors(out: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    out, ref = out.astype(np.float64), ref.astype(np.float64)
    return float(np.linalg.norm(out - ref) / np.linalg.norm(ref)), float(np.abs(out - ref).max())


def measure(x: np.ndarray | None = None) -> dict[str, dict[str, tuple[float, float]]]:
    """``{transform label: {column: (rel_l2, abs_max)}}`` for the half-precision variants."""
    import jax
    import jax.numpy as jnp
    import ml_dtypes
    import torch

    import nnaudio_jax as nj
    import nnaudio_torch as nt

    jax.config.update("jax_enable_x64", True)  # float64 inputs (the modules stay float32 by default)
    if x is None:
        x = make_signal(Preset("precision", 4, 5.0))
    out: dict[str, dict[str, tuple[float, float]]] = {}
    stft_t = nt.STFT(n_fft=2048, hop_length=512)
    for label, cls, kw, call in TRANSFORMS:
        mt, mj = getattr(nt, cls)(**kw), getattr(nj, cls)(**kw)
        inp = x if cls != "iSTFT" else stft_t(torch.from_numpy(x)).numpy()
        with torch.no_grad():
            ref = mt(torch.from_numpy(inp), **call).numpy()

        def torch_half(dt: torch.dtype, inp: np.ndarray = inp, mt: Any = mt, call: Any = call) -> np.ndarray:
            with torch.no_grad():
                return mt(torch.from_numpy(inp).to(dt), **call).float().numpy()

        def torch_autocast(dt: torch.dtype, inp: np.ndarray = inp, mt: Any = mt, call: Any = call) -> np.ndarray:
            with torch.no_grad(), torch.autocast("cpu", dtype=dt):
                return mt(torch.from_numpy(inp), **call).float().numpy()

        def jax_half(dt: Any, inp: np.ndarray = inp, mj: Any = mj, call: Any = call) -> np.ndarray:
            f = jax.jit(lambda m, v: m(v, **call))
            return np.asarray(f(mj, jnp.asarray(inp).astype(dt)).astype(jnp.float32))

        inp64 = inp.astype(np.float64)
        with torch.no_grad():
            ref64_t = getattr(nt, cls)(**kw, dtype=torch.float64)(torch.from_numpy(inp64), **call).numpy()
        f64 = jax.jit(lambda m, v, call=call: m(v, **call))
        ref64_j = np.asarray(f64(getattr(nj, cls)(**kw, dtype=jnp.float64), jnp.asarray(inp64)))

        def torch_f64(inp64: np.ndarray = inp64, mt: Any = mt, call: Any = call) -> np.ndarray:
            with torch.no_grad():
                return mt(torch.from_numpy(inp64), **call).numpy()

        def jax_f64(inp64: np.ndarray = inp64, mj: Any = mj, f64: Any = f64) -> np.ndarray:
            return np.asarray(f64(mj, jnp.asarray(inp64)))

        runs: dict[str, Callable[[], np.ndarray]] = {
            "torch float16": lambda f=torch_half: f(torch.float16),
            "torch bfloat16": lambda f=torch_half: f(torch.bfloat16),
            "torch autocast bf16": lambda f=torch_autocast: f(torch.bfloat16),
            "torch autocast f16": lambda f=torch_autocast: f(torch.float16),
            "JAX float16": lambda f=jax_half: f(jnp.float16),
            "JAX bfloat16": lambda f=jax_half: f(ml_dtypes.bfloat16),
        }
        out[label] = {col: _errors(run(), ref) for col, run in runs.items()}
        out[label]["torch float64 in"] = _errors(torch_f64(), ref64_t)
        out[label]["JAX float64 in"] = _errors(jax_f64(), ref64_j)
    return out


def render(table: dict[str, dict[str, tuple[float, float]]]) -> str:
    lines = ["| transform | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for label, row in table.items():
        cells = []
        for col in COLUMNS:
            rel, ab = row[col]
            cell = "0 (exact)" if rel == 0 else f"{rel:.1e}"
            if label.startswith("MFCC") and rel:
                cell += f" ({ab:.2f} dB)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(render(measure()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
