"""Stateless Griffin-Lim (PyTorch): phase reconstruction from a magnitude STFT."""

from __future__ import annotations

import torch
from torch import Tensor

from ._stft import istft, stft

__all__ = ["griffinlim"]


def griffinlim(
    S: Tensor,
    angles: Tensor,
    window: Tensor,
    *,
    n_fft: int,
    hop_length: int,
    n_iter: int = 32,
    center: bool = True,
    pad_mode: str = "reflect",
    momentum: float = 0.99,
    length: int | None = None,
) -> Tensor:
    """Fast Griffin-Lim (Perraudin et al. 2013) exactly as ``librosa.griffinlim``.

    Each iteration inverts ``S * angles`` (:func:`istft`), re-analyses the signal
    (:func:`stft`), extrapolates ``a = rebuilt - momentum / (1 + momentum) * previous`` (no
    momentum term in the first iteration) and keeps the phase ``angles = a / (|a| + tiny)``.

    Parameters
    ----------
    S : Tensor [shape=(..., n_fft // 2 + 1, frames)], real
        Magnitude spectrogram.
    angles : Tensor [shape=(..., n_fft // 2 + 1, frames)], complex
        Initial phasors (``exp(1j * phase)``), broadcastable to ``S``.
    window : Tensor [shape=(n_fft,)]
        Analysis and synthesis window, centre-padded to ``n_fft``.
    n_fft, hop_length : int
    n_iter : int >= 0
        Number of iterations.
    center : bool
    pad_mode : {'reflect', 'constant'}
        Padding of the re-analysis STFT when ``center``.
    momentum : float >= 0
    length : int or None
        Length of the reconstructed signal; ``None``: the inverse STFT's natural length.

    Returns
    -------
    Tensor [shape=(..., time)], real
    """
    batch = S.shape[:-2]
    mag = S.reshape(-1, *S.shape[-2:])
    X = mag * torch.broadcast_to(angles, S.shape).reshape(mag.shape)
    tiny = torch.finfo(mag.dtype).tiny
    coef = momentum / (1.0 + momentum)
    tprev: Tensor | None = None
    for _ in range(n_iter):
        y = istft(X, window, n_fft=n_fft, hop_length=hop_length, center=center, length=length)
        rebuilt = stft(y, window, n_fft=n_fft, hop_length=hop_length, center=center, pad_mode=pad_mode)
        a = rebuilt if tprev is None else rebuilt - coef * tprev
        X = a * (mag / (a.abs() + tiny))  # librosa: a / (|a| + tiny) * S
        tprev = rebuilt
    y = istft(X, window, n_fft=n_fft, hop_length=hop_length, center=center, length=length)
    return y.reshape(*batch, y.shape[-1])
