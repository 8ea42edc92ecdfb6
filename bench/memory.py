"""Peak memory vs signal length: one call on the whole signal vs ``chunked`` processing.

``python -m bench.memory`` runs every measurement in a fresh subprocess (peak RSS is a
per-process high-water mark) and prints a markdown table of peak RSS in MiB for 10 s, 1 min,
10 min and 60 min of 22.05 kHz audio, for the mel spectrogram (n_fft 2048, hop 512, 128 mels)
in both backends. Modes:

* ``oneshot``: the whole float32 signal in memory (``materialise``: 318 MB for 60 min), one
  module call.
* ``chunked``: the signal is read chunk by chunk from a lazy source (as from a file or an
  ``np.memmap``) and each output chunk is consumed (reduced) as it arrives:
  ``iter_chunked(module, x, chunk_frames=...)``. Its peak RSS must not grow with the length.
* ``chunked-out``: the whole signal in memory and the whole output returned by ``chunked``
  (peak = input + output + one chunk's working set).

``python -m bench.memory --worker BACKEND MODE SECONDS`` is one measurement (JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")

import numpy as np

SR = 22050
LENGTHS = {"10 s": 10, "1 min": 60, "10 min": 600, "60 min": 3600}
MODES = ("oneshot", "chunked", "chunked-out")
BACKENDS = ("torch", "jax")
CHUNK_FRAMES = 1024
MEL = dict(sr=SR, n_fft=2048, hop_length=512, n_mels=128)


class LazySignal:
    """A float32 signal ``(time,)`` generated on demand for any slice (nothing is stored).

    Stands in for audio read from disk: ``x[..., a:b]`` returns those samples only.
    """

    def __init__(self, n: int) -> None:
        self.shape = (n,)
        self.dtype = np.dtype(np.float32)
        self.ndim = 1

    def __getitem__(self, key: Any) -> np.ndarray:
        sl = key[-1] if isinstance(key, tuple) else key
        start, stop, _ = sl.indices(self.shape[0])
        t = np.arange(start, stop, dtype=np.float64)
        tones = 0.3 * np.sin(2 * np.pi * 440.0 * t / SR) + 0.2 * np.sin(2 * np.pi * 1234.5 * t / SR)
        noise = (np.sin(t * 12.9898) * 43758.5453) % 1.0 - 0.5  # deterministic per sample index
        return (tones + 0.02 * noise).astype(np.float32)


def materialise(src: LazySignal, block: int = 1 << 20) -> np.ndarray:
    """The whole signal as one float32 array, generated block by block (no float64 temporaries
    of the full length, so the measured peak is the transform's, not the generator's)."""
    x = np.empty(src.shape, dtype=np.float32)
    for a in range(0, src.shape[0], block):
        x[a : a + block] = src[a : a + block]
    return x


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def worker(backend: str, mode: str, seconds: float) -> dict[str, Any]:
    """One measurement in this process: peak RSS before and after the transform."""
    if backend == "torch":
        import torch

        import nnaudio_torch as lib

        torch.set_num_threads(2)
        m = lib.MelSpectrogram(**MEL)
    else:
        import jax.numpy as jnp

        import nnaudio_jax as lib  # type: ignore[no-redef]

        m = lib.MelSpectrogram(**MEL)
    n = int(seconds * SR)
    src = LazySignal(n)
    # warm up (imports, thread pools, one compilation) on a short signal before the baseline
    for _, piece in lib.iter_chunked(m, np.asarray(src[:SR]), chunk_frames=CHUNK_FRAMES):
        float(piece.sum())
    base = _rss_mib()
    t0 = time.perf_counter()
    total, frames = 0.0, 0
    if mode == "oneshot":
        x = materialise(src)
        out = m(x) if backend == "torch" else m(jnp.asarray(x))
        total, frames = float(out.sum()), int(out.shape[-1])
    elif mode == "chunked":
        for sl, piece in lib.iter_chunked(m, src, chunk_frames=CHUNK_FRAMES):
            total += float(piece.sum())
            frames = sl.stop
    elif mode == "chunked-out":
        out = lib.chunked(m, materialise(src), chunk_frames=CHUNK_FRAMES)
        total, frames = float(out.sum()), int(out.shape[-1])
    else:
        raise ValueError(mode)
    return {
        "backend": backend,
        "mode": mode,
        "seconds": seconds,
        "frames": frames,
        "sum": total,
        "baseline_mib": base,
        "peak_mib": _rss_mib(),
        "elapsed_s": time.perf_counter() - t0,
    }


def measure(backend: str, mode: str, seconds: float, timeout: float = 900) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter and return its JSON record."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--worker", backend, mode, str(seconds)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=3, metavar=("BACKEND", "MODE", "SECONDS"))
    ap.add_argument("--lengths", default=",".join(LENGTHS), help="comma-separated keys of LENGTHS")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--backends", default=",".join(BACKENDS))
    args = ap.parse_args(argv)
    if args.worker:
        backend, mode, seconds = args.worker
        print(json.dumps(worker(backend, mode, float(seconds))))
        return 0
    lengths = [s.strip() for s in args.lengths.split(",")]
    cols = [(b, m) for b in args.backends.split(",") for m in args.modes.split(",")]
    print(
        "Peak RSS in MiB (increase over the post-import baseline in parentheses); mel spectrogram, "
        f"n_fft 2048, hop 512, 128 mels, {SR} Hz float32, chunk_frames={CHUNK_FRAMES}"
    )
    print()
    print("| length | " + " | ".join(f"{b} {m}" for b, m in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for label in lengths:
        cells = []
        for b, mode in cols:
            r = measure(b, mode, LENGTHS[label])
            cells.append(f"{r['peak_mib']:.0f} (+{r['peak_mib'] - r['baseline_mib']:.0f})")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
