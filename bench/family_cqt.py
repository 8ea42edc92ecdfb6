"""Bench rows of the full-rate constant-Q family: CQT1992v2 (= CQT).

Row (``bench/presets.py``): ``cqt1992v2``, 84 bins from 32.7 Hz, 12 per octave, hop 512,
magnitudes, on the preset's float32 clips, reflect padding (nnAudio2's default, passed to librosa
explicitly). Peers: ``librosa.cqt`` (its defaults: soxr_hq resampling of the lower octaves,
``sparsity=0.01``; ``tuning=0`` so no tuning estimate is timed) and nnAudio2's ``CQT1992v2``
(one conv1d with all 84 kernels zero-padded to 16384 taps). The accuracy column is each
implementation's relative L2 distance to our torch output; ours is exact to float32 against the
float64 definition (tests/test_cqt.py).

Kernel memory (float values stored): ours packs each kernel at its own length; nnAudio2 pads
every kernel to the longest. The note of our cells gives both counts.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .presets import SETTINGS, Row
from .run import Case, Inputs, NotApplicableError, _torch_forward

FMIN = 32.7
N_BINS = 84
ROWS = ("cqt1992v2",)


def _check(row: Row) -> None:
    if row.key not in ROWS:
        raise NotApplicableError


def _common() -> dict[str, Any]:
    s = SETTINGS
    return dict(hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode)


def kernel_values() -> tuple[int, int]:
    """Stored kernel values at the row's settings: (ours, nnAudio2's) = (2 * sum n_k, 2 * 84 * 16384)."""
    from nnaudio_shared import CQT1992v2Config

    cfg = CQT1992v2Config(SETTINGS.sr, **_common())
    ours = 2 * int(cfg.kernels().sizes.sum())
    return ours, 2 * N_BINS * cfg.width


def _note() -> str:
    ours, theirs = kernel_values()
    return f"kernels {ours / 1e6:.2f} M values packed (nnAudio2 {theirs / 1e6:.2f} M, ratio {ours / theirs:.3f})"


def _torch(row: Row, inp: Inputs) -> Case:
    import torch

    import nnaudio_torch as nt

    m = nt.CQT1992v2(SETTINGS.sr, **_common(), verbose=False)
    x = torch.from_numpy(inp.x)
    case = _torch_forward(lambda: m(x))
    case.note = _note()
    return case


def _jax(row: Row, inp: Inputs) -> Case:
    import jax
    import jax.numpy as jnp

    import nnaudio_jax as nj

    m = nj.CQT1992v2(SETTINGS.sr, **_common(), verbose=False)
    x = jnp.asarray(inp.x)
    t0 = time.perf_counter()
    compiled = jax.jit(lambda m, x: m(x)).lower(m, x).compile()
    compile_s = time.perf_counter() - t0

    def run() -> Any:
        return jax.block_until_ready(compiled(m, x))

    return Case(run=run, result=lambda: np.asarray(run()), compile_s=compile_s, note=_note())


def _librosa(row: Row, inp: Inputs) -> Case:
    import librosa

    s = SETTINGS
    x = inp.x
    kw = dict(sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode, tuning=0.0)

    def fn() -> Any:
        return np.abs(librosa.cqt(x, **kw))

    case = Case(run=fn, result=lambda: np.asarray(fn()))
    case.note = "soxr_hq resampling, sparsity=0.01 (librosa's defaults), tuning=0"
    return case


def _nnaudio2(row: Row, inp: Inputs) -> Case:
    import torch
    from nnAudio2.features.cqt import CQT1992v2

    s = SETTINGS
    m = CQT1992v2(sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode, verbose=False)
    x = torch.from_numpy(inp.x)
    return _torch_forward(lambda: m(x))


_BUILDERS = {"nnaudio_torch": _torch, "nnaudio_jax": _jax, "librosa": _librosa, "nnAudio2": _nnaudio2}


def build(impl: str, row: Row, inp: Inputs) -> Case:
    """The cell ``(row, impl)`` of a full-rate constant-Q row (``torch.stft`` has none)."""
    _check(row)
    if impl not in _BUILDERS:
        raise NotApplicableError
    return _BUILDERS[impl](row, inp)


def targets(add: Any) -> None:
    """Speed targets of the family (the issue's): our CQT vs nnAudio2's CQT1992v2 and librosa.cqt on W1."""
    add("CQT1992v2 (torch) >= 5x faster than nnAudio2's", "W1", "cqt1992v2", "nnAudio2 / ours(torch)", 5.0, True)
    add("CQT1992v2 (torch) >= 3x faster than librosa.cqt", "W1", "cqt1992v2", "librosa / ours(torch)", 3.0, True)
