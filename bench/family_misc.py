"""Bench rows of the rest of nnAudio2: Gammatonegram, Griffin-Lim and CFP.

Rows (``bench/presets.py``), on the preset's float32 clips at its sampling rate:

- ``gammatone``: 64 ERB-spaced bands (nnAudio2's defaults: ``n_fft`` 2048, hop 512, power 2,
  reflect padding). Peers: nnAudio2's ``Gammatonegram`` and the raw peer ``torch.stft`` + the
  gammatone matrix; librosa has no gammatone.
- ``griffin_lim``: 32 iterations of fast Griffin-Lim (momentum 0.99, zero initial phase, reflect
  re-analysis) on the magnitude of the preset's STFT (``n_fft`` 2048, hop 512). Peers:
  ``librosa.griffinlim(init=None)`` and nnAudio2's ``Griffin_Lim``, which fails on every
  PyTorch >= 2.0; its error is reported as the cell's error.
- ``cfp``: nnAudio2's ``CFP`` defaults (``fr`` 2, hop 320, window 2049, 80 Hz .. 1 kHz, 48 bands
  per octave) with ``fs`` = the preset's rate (FFT size ``fs / fr`` = 11025 at 22.05 kHz).
  Peer: nnAudio2's ``CFP``; librosa has none.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .presets import SETTINGS, Row
from .run import Case, Inputs, NotApplicableError, _torch_forward

ROWS = ("gammatone", "griffin_lim", "cfp")
N_BINS = 64
N_ITER = 32


def _check(row: Row) -> None:
    if row.key not in ROWS:
        raise NotApplicableError


def _stft_kw() -> dict[str, Any]:
    s = SETTINGS
    return dict(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode)


def _magnitude(inp: Inputs) -> np.ndarray:
    spec = inp.spec
    return np.ascontiguousarray(np.hypot(spec[..., 0], spec[..., 1]), dtype=np.float32)


def _torch(row: Row, inp: Inputs) -> Case:
    import torch

    import nnaudio_torch as nt

    s = SETTINGS
    if row.key == "gammatone":
        m: Any = nt.Gammatonegram(s.sr, n_bins=N_BINS, **_stft_kw(), verbose=False)
        x = torch.from_numpy(inp.x)
        return _torch_forward(lambda: m(x))
    if row.key == "griffin_lim":
        m = nt.Griffin_Lim(
            s.n_fft,
            n_iter=N_ITER,
            hop_length=s.hop_length,
            window=s.window,
            center=s.center,
            pad_mode=s.pad_mode,
            init=None,
        )
        S = torch.from_numpy(_magnitude(inp))
        length = inp.length
        return _torch_forward(lambda: m(S, length=length))
    m = nt.CFP(fs=s.sr)
    x = torch.from_numpy(inp.x)
    return _torch_forward(lambda: m(x))


def _jax(row: Row, inp: Inputs) -> Case:
    import jax
    import jax.numpy as jnp

    import nnaudio_jax as nj

    s = SETTINGS
    if row.key == "gammatone":
        m: Any = nj.Gammatonegram(s.sr, n_bins=N_BINS, **_stft_kw(), verbose=False)
        arg = jnp.asarray(inp.x)
        fn: Any = lambda m, x: m(x)  # noqa: E731
    elif row.key == "griffin_lim":
        m = nj.Griffin_Lim(
            s.n_fft,
            n_iter=N_ITER,
            hop_length=s.hop_length,
            window=s.window,
            center=s.center,
            pad_mode=s.pad_mode,
            init=None,
        )
        arg = jnp.asarray(_magnitude(inp))
        length = inp.length
        fn = lambda m, S: m(S, length=length)  # noqa: E731
    else:
        m = nj.CFP(fs=s.sr)
        arg = jnp.asarray(inp.x)
        fn = lambda m, x: m(x)  # noqa: E731
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(m, arg).compile()
    compile_s = time.perf_counter() - t0

    def run() -> Any:
        return jax.block_until_ready(compiled(m, arg))

    return Case(run=run, result=lambda: np.asarray(run()), compile_s=compile_s)


def _librosa(row: Row, inp: Inputs) -> Case:
    if row.key != "griffin_lim":
        raise NotApplicableError  # librosa has no gammatone and no CFP
    import librosa

    s = SETTINGS
    S = _magnitude(inp)
    length = inp.length

    def run() -> Any:
        return librosa.griffinlim(
            S,
            n_iter=N_ITER,
            hop_length=s.hop_length,
            n_fft=s.n_fft,
            window=s.window,
            center=s.center,
            pad_mode=s.pad_mode,
            init=None,
            length=length,
        )

    case = Case(run=run, result=lambda: np.asarray(run()))
    case.note = "init=None (zero phase), as every cell of this row"
    return case


def _nnaudio2(row: Row, inp: Inputs) -> Case:
    import torch

    s = SETTINGS
    if row.key == "gammatone":
        from nnAudio2.features.gammatone import Gammatonegram

        m: Any = Gammatonegram(s.sr, n_bins=N_BINS, **_stft_kw(), verbose=False)
        x = torch.from_numpy(inp.x)
        return _torch_forward(lambda: m(x))
    if row.key == "griffin_lim":
        from nnAudio2.features.griffin_lim import Griffin_Lim

        m = Griffin_Lim(
            s.n_fft, n_iter=N_ITER, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode
        )
        S = torch.from_numpy(_magnitude(inp))
        case = _torch_forward(lambda: m(S))
        case.note = "random initial phase (its only option)"
        return case
    from nnAudio2.features.cfp import CFP

    with np.errstate(divide="ignore"), warnings.catch_warnings():  # its kernel construction divides by zero
        warnings.simplefilter("ignore")
        m = CFP(fs=s.sr)
    x = torch.from_numpy(inp.x)

    def forward() -> Any:
        with warnings.catch_warnings():  # torch.stft(return_complex=False) is deprecated
            warnings.simplefilter("ignore")
            return m(x)

    return _torch_forward(forward)


def _torch_peer(row: Row, inp: Inputs) -> Case:
    if row.key != "gammatone":
        raise NotApplicableError
    import torch
    from nnaudio_shared import gammatone_filterbank

    s = SETTINGS
    x = torch.from_numpy(inp.x)
    win = torch.hann_window(s.n_fft, dtype=torch.float32)
    basis = torch.from_numpy(gammatone_filterbank(sr=s.sr, n_fft=s.n_fft, n_bins=N_BINS).astype(np.float32))

    def run() -> Any:
        spec = torch.stft(
            x, s.n_fft, hop_length=s.hop_length, window=win, center=s.center, pad_mode=s.pad_mode, return_complex=True
        )
        return torch.matmul(basis, spec.abs().square())

    case = _torch_forward(run)
    case.note = "torch.stft + gammatone matrix"
    return case


_BUILDERS = {
    "nnaudio_torch": _torch,
    "nnaudio_jax": _jax,
    "librosa": _librosa,
    "nnAudio2": _nnaudio2,
    "torch.stft": _torch_peer,
}


def build(impl: str, row: Row, inp: Inputs) -> Case:
    """The cell ``(row, impl)`` of a misc-family row."""
    _check(row)
    if impl not in _BUILDERS:
        raise NotApplicableError
    return _BUILDERS[impl](row, inp)
