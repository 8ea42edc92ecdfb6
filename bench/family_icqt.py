"""Bench row of the inverse constant-Q transform: ``icqt``.

Each implementation inverts its own forward transform of the same signal: ours the 'Complex'
output of our ``CQT1992v2`` (84 bins from 32.7 Hz, hop 512, reflect padding) with ``iCQT`` at
its default ``n_iter`` (64 CGLS iterations); nnAudio2 its ``CQT1992v2`` output with its ``iCQT``
(32 Landweber iterations, its default); librosa ``librosa.cqt`` (its defaults, constant padding)
with ``librosa.icqt``. Only the inverse is timed.

Signal: the preset's float32 batch cut to at most 2 clips x 2 s (nnAudio2's iCQT needs ~1 s per
second of audio and iteration count on this CPU; a full W1 call would take minutes), with the
preset's content replaced by sums of four sines between 110 and 330 Hz -- the issue's test
signals, inside the range that hop 512 samples without aliasing -- so that the reconstruction
SNR is meaningful (the preset's harmonics reach 2.4 kHz, far above it). Timing does not depend
on the content. Each cell's note gives its interior SNR (samples farther than half the longest
kernel from either end), computed once at build time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .presets import SETTINGS, Row
from .run import Case, Inputs, NotApplicableError, _torch_forward

FMIN = 32.7
N_BINS = 84
MAX_CLIPS = 2
MAX_SECONDS = 2.0
ROWS = ("icqt",)


def _check(row: Row) -> None:
    if row.key not in ROWS:
        raise NotApplicableError


def signal(inp: Inputs) -> np.ndarray:
    """Sums of four sines (110-330 Hz) with the shape of the preset's batch, cut to 2 x 2 s."""
    s = SETTINGS
    n_clips = min(MAX_CLIPS, inp.x.shape[0])
    n = min(int(MAX_SECONDS * s.sr), inp.length)
    rng = np.random.default_rng(0)
    t = np.arange(n) / s.sr
    x = np.zeros((n_clips, n))
    for i in range(n_clips):
        for f in rng.uniform(110.0, 330.0, 4):
            x[i] += rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * f * t + rng.uniform(0.0, 2 * np.pi))
    return x.astype(np.float32)


def _margin() -> int:
    from nnaudio_shared import cqt_frequencies, wavelet_lengths

    lengths, _ = wavelet_lengths(cqt_frequencies(N_BINS, fmin=FMIN), sr=SETTINGS.sr)
    return int(np.ceil(lengths.max() / 2))


def snr_note(x: np.ndarray, y: Callable[[], Any], what: str) -> str:
    """``'interior SNR a / b dB; what'`` per clip (``y()`` is called only when there is an interior)."""
    m = _margin()
    if x.shape[-1] <= 2 * m:
        return f"{what}; clip too short for an interior SNR"
    s = slice(m, x.shape[-1] - m)
    y = np.asarray(y(), dtype=np.float64).reshape(x.shape)
    snr = 10 * np.log10(np.sum(x[:, s].astype(np.float64) ** 2, -1) / np.sum((x[:, s] - y[:, s]) ** 2, -1))
    return f"interior SNR {' / '.join(f'{v:.1f}' for v in snr)} dB; {what}"


def _torch(row: Row, inp: Inputs) -> Case:
    import torch

    import nnaudio_torch as nt

    s = SETTINGS
    x = signal(inp)
    kw = dict(hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode)
    X = nt.CQT1992v2(s.sr, **kw, output_format="Complex", verbose=False)(torch.from_numpy(x))
    m = nt.iCQT(s.sr, **kw, verbose=False)
    n = x.shape[-1]
    case = _torch_forward(lambda: m(X, length=n))
    case.note = snr_note(x, case.result, f"CGLS, n_iter {m.n_iter}")  # type: ignore[arg-type]
    return case


def _jax(row: Row, inp: Inputs) -> Case:
    import jax
    import jax.numpy as jnp

    import nnaudio_jax as nj

    s = SETTINGS
    x = signal(inp)
    kw = dict(hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode)
    X = nj.CQT1992v2(s.sr, **kw, output_format="Complex", verbose=False)(jnp.asarray(x))
    m = nj.iCQT(s.sr, **kw, verbose=False)
    n = x.shape[-1]
    t0 = time.perf_counter()
    compiled = jax.jit(lambda m, X: m(X, length=n)).lower(m, X).compile()
    compile_s = time.perf_counter() - t0

    def run() -> Any:
        return jax.block_until_ready(compiled(m, X))

    note = snr_note(x, run, f"CGLS, n_iter {m.n_iter}")
    return Case(run=run, result=lambda: np.asarray(run()), compile_s=compile_s, note=note)


def _librosa(row: Row, inp: Inputs) -> Case:
    import librosa

    s = SETTINGS
    x = signal(inp)
    C = librosa.cqt(x, sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, tuning=0.0)
    n = x.shape[-1]

    def fn() -> Any:
        return librosa.icqt(C, sr=s.sr, hop_length=s.hop_length, fmin=FMIN, length=n)

    case = Case(run=fn, result=lambda: np.asarray(fn()))
    case.note = snr_note(x, fn, "librosa.cqt (its defaults: constant padding) -> librosa.icqt")
    return case


def _nnaudio2(row: Row, inp: Inputs) -> Case:
    import torch
    from nnAudio2.features.cqt import CQT1992v2, iCQT

    s = SETTINGS
    x = signal(inp)
    kw = dict(sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode, verbose=False)
    X = CQT1992v2(**kw, output_format="Complex")(torch.from_numpy(x))
    torch.manual_seed(0)  # its constructor estimates the step size from an unseeded random probe
    m = iCQT(**kw)
    n = x.shape[-1]
    case = _torch_forward(lambda: m(X, length=n))
    case.note = snr_note(x, case.result, f"Landweber, n_iter {m.n_iter} (its default)")  # type: ignore[arg-type]
    return case


_BUILDERS = {"nnaudio_torch": _torch, "nnaudio_jax": _jax, "librosa": _librosa, "nnAudio2": _nnaudio2}


def build(impl: str, row: Row, inp: Inputs) -> Case:
    """The cell ``(row, impl)`` of the iCQT row (``torch.stft`` has none)."""
    _check(row)
    if impl not in _BUILDERS:
        raise NotApplicableError
    return _BUILDERS[impl](row, inp)


def targets(add: Any) -> None:
    """The issue's speed target: our iCQT faster than nnAudio2's (at better SNR: see the notes)."""
    for preset in ("W1", "W2"):
        add("iCQT (torch) faster than nnAudio2's iCQT", preset, "icqt", "nnAudio2 / ours(torch)", 1.0, True)
