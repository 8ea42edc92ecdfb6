"""Mel scale and mel filterbank (Slaney and HTK), float64."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["fft_frequencies", "hz_to_mel", "mel_filterbank", "mel_frequencies", "mel_to_hz"]

_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies: Any, *, htk: bool = False) -> np.ndarray:
    """Convert Hz to mel (Slaney's auditory-toolbox scale, or HTK's ``2595 log10(1 + f/700)``)."""
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _F_SP
    with np.errstate(divide="ignore", invalid="ignore"):
        log = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mels: Any, *, htk: bool = False) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _F_SP * m
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, log, linear)


def mel_frequencies(n_mels: int, *, fmin: float, fmax: float, htk: bool = False) -> np.ndarray:
    """``n_mels`` frequencies (Hz) uniformly spaced on the mel scale from ``fmin`` to ``fmax``."""
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def fft_frequencies(*, sr: float, n_fft: int) -> np.ndarray:
    """Centre frequency (Hz) of each of the ``n_fft // 2 + 1`` one-sided DFT bins."""
    return np.arange(n_fft // 2 + 1, dtype=np.float64) * (sr / n_fft)


def mel_filterbank(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: Any = 1,
) -> np.ndarray:
    """Triangular mel filterbank.

    Parameters
    ----------
    sr : float > 0
    n_fft : int > 0
    n_mels : int > 0
    fmin, fmax : float
        Band edges in Hz; ``fmax=None`` means ``sr / 2``.
    htk : bool
        HTK mel formula instead of Slaney's.
    norm : {1, 'slaney', None, np.inf}
        nnAudio2's meanings (librosa 0.7): ``1`` and ``'slaney'`` divide each triangle by its
        mel bandwidth (area normalisation, librosa's ``norm='slaney'``); ``None`` and ``inf``
        leave the triangles with unit peak (librosa's ``norm=None``). Note that modern
        librosa's numeric ``norm=1`` means L1 row normalisation instead; nnAudio2 compatibility
        wins here. Arguments are assumed validated (see :class:`MelSpectrogramConfig`).

    Returns
    -------
    np.ndarray [shape=(n_mels, n_fft // 2 + 1)], float64, read-only

    Warns
    -----
    UserWarning
        If some filter is empty (no DFT bin falls inside it), as librosa does.
    """
    if fmax is None:
        fmax = sr / 2.0
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)
    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == 1 or norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    if not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            f"Empty filters detected in the mel filterbank (n_mels={n_mels}, n_fft={n_fft}, sr={sr}): "
            "some mel bands receive no DFT bin; increase n_fft or reduce n_mels",
            UserWarning,
            stacklevel=2,
        )
    weights.setflags(write=False)
    return weights
