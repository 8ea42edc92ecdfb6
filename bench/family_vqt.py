"""Bench rows of the multirate constant-Q family: CQT2010v2 and VQT.

Rows (``bench/presets.py``): ``cqt2010v2`` (84 bins from 32.7 Hz, 12 per octave, hop 512) and
``vqt`` (the same with ``gamma=20``), magnitudes, on the preset's float32 clips. Peers:
``librosa.cqt`` / ``librosa.vqt`` (their defaults: soxr resampling, ``sparsity=0.01``; with
``tuning=0`` so no tuning estimate is timed) and nnAudio2's ``CQT2010v2`` / ``VQT``. Every
implementation pads by reflection (nnAudio2's default; passed to librosa explicitly).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .presets import SETTINGS, Row
from .run import Case, Inputs, NotApplicableError, _torch_forward

FMIN = 32.7
N_BINS = 84
GAMMA = {"cqt2010v2": 0.0, "vqt": 20.0}


def _gamma(row: Row) -> float:
    if row.key not in GAMMA:
        raise NotApplicableError
    return GAMMA[row.key]


def _common() -> dict[str, Any]:
    s = SETTINGS
    return dict(hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode)


def _torch(row: Row, inp: Inputs) -> Case:
    import torch

    import nnaudio_torch as nt

    gamma = _gamma(row)
    x = torch.from_numpy(inp.x)
    if row.key == "cqt2010v2":
        m: Any = nt.CQT2010v2(SETTINGS.sr, **_common(), verbose=False)
    else:
        m = nt.VQT(SETTINGS.sr, **_common(), gamma=gamma, verbose=False)
    case = _torch_forward(lambda: m(x))
    case.note = f"octave levels {m.config.plan().levels}"
    return case


def _jax(row: Row, inp: Inputs) -> Case:
    import jax
    import jax.numpy as jnp

    import nnaudio_jax as nj

    gamma = _gamma(row)
    x = jnp.asarray(inp.x)
    if row.key == "cqt2010v2":
        m: Any = nj.CQT2010v2(SETTINGS.sr, **_common(), verbose=False)
    else:
        m = nj.VQT(SETTINGS.sr, **_common(), gamma=gamma, verbose=False)
    t0 = time.perf_counter()
    compiled = jax.jit(lambda m, x: m(x)).lower(m, x).compile()
    compile_s = time.perf_counter() - t0

    def run() -> Any:
        return jax.block_until_ready(compiled(m, x))

    return Case(run=run, result=lambda: np.asarray(run()), compile_s=compile_s)


def _librosa(row: Row, inp: Inputs) -> Case:
    import librosa

    gamma = _gamma(row)
    s = SETTINGS
    x = inp.x
    kw = dict(sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode, tuning=0.0)
    if row.key == "cqt2010v2":

        def fn() -> Any:
            return np.abs(librosa.cqt(x, **kw))
    else:

        def fn() -> Any:
            return np.abs(librosa.vqt(x, gamma=gamma, **kw))

    case = Case(run=fn, result=lambda: np.asarray(fn()))
    case.note = "soxr_hq resampling, sparsity=0.01 (librosa's defaults), tuning=0"
    return case


def _nnaudio2(row: Row, inp: Inputs) -> Case:
    import torch
    from nnAudio2.features.cqt import CQT2010v2
    from nnAudio2.features.vqt import VQT

    gamma = _gamma(row)
    s = SETTINGS
    x = torch.from_numpy(inp.x)
    if row.key == "cqt2010v2":
        m: Any = CQT2010v2(
            sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, pad_mode=s.pad_mode, verbose=False
        )
    else:
        m = VQT(
            sr=s.sr, hop_length=s.hop_length, fmin=FMIN, n_bins=N_BINS, gamma=gamma, pad_mode=s.pad_mode, verbose=False
        )
    return _torch_forward(lambda: m(x))


_BUILDERS = {"nnaudio_torch": _torch, "nnaudio_jax": _jax, "librosa": _librosa, "nnAudio2": _nnaudio2}


def build(impl: str, row: Row, inp: Inputs) -> Case:
    """The cell ``(row, impl)`` of a multirate constant-Q row (``torch.stft`` has none)."""
    if impl not in _BUILDERS:
        raise NotApplicableError
    return _BUILDERS[impl](row, inp)


def targets(add: Any) -> None:
    """Speed targets of the family: faster than nnAudio2's multirate transforms and than librosa."""
    for preset in ("W1", "W2"):
        add("CQT2010v2 (torch) >= 2x faster than nnAudio2's", preset, "cqt2010v2", "nnAudio2 / ours(torch)", 2.0, True)
        add("VQT gamma 20 (torch) >= 2x faster than nnAudio2's", preset, "vqt", "nnAudio2 / ours(torch)", 2.0, True)
    add("CQT2010v2 (torch) faster than librosa.cqt", "W1", "cqt2010v2", "librosa / ours(torch)", 1.0, True)
    add("VQT gamma 20 (torch) faster than librosa.vqt", "W1", "vqt", "librosa / ours(torch)", 1.0, True)
