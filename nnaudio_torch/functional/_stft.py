"""Stateless STFT family (PyTorch): framing, forward and inverse STFT, magnitude, phase, power."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "frame",
    "istft",
    "istft_matmul",
    "magnitude",
    "overlap_add",
    "phase",
    "spectral_power",
    "stft",
    "stft_matmul",
]


def _pad_center(x: Tensor, n_fft: int, pad_mode: str) -> Tensor:
    p = n_fft // 2
    if p == 0:
        return x
    return F.pad(x, (p, p), mode=pad_mode)


def frame(x: Tensor, *, n_fft: int, hop_length: int, center: bool = True, pad_mode: str = "reflect") -> Tensor:
    """Cut ``x`` into (possibly overlapping) frames.

    Parameters
    ----------
    x : Tensor [shape=(batch, time)]

    Returns
    -------
    Tensor [shape=(batch, frames, n_fft)]
        A strided view when no padding is needed.
    """
    if center:
        x = _pad_center(x, n_fft, pad_mode)
    return x.unfold(-1, n_fft, hop_length)


def stft(
    x: Tensor,
    window: Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    freq_bins: int | None = None,
) -> Tensor:
    """Short-time Fourier transform with the FFT (``torch.stft``).

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    window : Tensor [shape=(n_fft,)]
        Analysis window, already centre-padded to ``n_fft``.
    n_fft, hop_length : int
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at ``t * hop_length``.
    pad_mode : {'reflect', 'constant'}
    freq_bins : int or None
        Keep the first ``freq_bins`` bins (default: all ``n_fft // 2 + 1``).

    Returns
    -------
    Tensor [shape=(..., freq_bins, frames)], complex
        ``X[k, t] = sum_n window[n] x[t * hop + n] exp(-2j pi k n / n_fft)``.
    """
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    if center:
        x2 = _pad_center(x2, n_fft, pad_mode)
    spec = torch.stft(
        x2,
        n_fft,
        hop_length=hop_length,
        win_length=n_fft,
        window=window,
        center=False,
        onesided=True,
        return_complex=True,
    )
    if freq_bins is not None and freq_bins != spec.shape[-2]:
        spec = spec[:, :freq_bins]
    return spec.reshape(*batch, *spec.shape[-2:])


def stft_matmul(
    x: Tensor,
    wcos: Tensor,
    wsin: Tensor,
    *,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
) -> Tensor:
    """Short-time Fourier transform as frames times (possibly trained) kernels.

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    wcos, wsin : Tensor [shape=(freq_bins, n_fft)]
        Windowed cosine and sine kernels; ``real = frames @ wcos.T``, ``imag = -frames @ wsin.T``.

    Returns
    -------
    Tensor [shape=(..., freq_bins, frames)], complex
    """
    n_bins, n_fft = wcos.shape
    batch = x.shape[:-1]
    frames = frame(x.reshape(-1, x.shape[-1]), n_fft=n_fft, hop_length=hop_length, center=center, pad_mode=pad_mode)
    # Interleave (cos_k, -sin_k) rows so one GEMM yields (real, imag) pairs, viewed as complex.
    kernels = torch.stack((wcos, -wsin), dim=1).reshape(2 * n_bins, n_fft)
    pairs = torch.matmul(frames, kernels.T).reshape(frames.shape[0], frames.shape[1], n_bins, 2)
    spec = torch.view_as_complex(pairs).transpose(-1, -2)
    return spec.reshape(*batch, *spec.shape[-2:])


def magnitude(spec: Tensor) -> Tensor:
    """``|X|`` with a finite (zero) gradient where ``X == 0``.

    Parameters
    ----------
    spec : Tensor [shape=(..., freq, frames)], complex

    Returns
    -------
    Tensor [shape=(..., freq, frames)], real
    """
    return spec.abs()


def phase(spec: Tensor) -> Tensor:
    """``angle(X)`` in ``(-pi, pi]``, 0 with a zero gradient where ``X == 0``.

    Parameters
    ----------
    spec : Tensor [shape=(..., freq, frames)], complex

    Returns
    -------
    Tensor [shape=(..., freq, frames)], real
    """
    re, im = spec.real, spec.imag
    nonzero = (re != 0) | (im != 0)
    return torch.atan2(torch.where(nonzero, im, 0.0), torch.where(nonzero, re, 1.0))


def spectral_power(spec: Tensor, power: float = 2.0) -> Tensor:
    """``|X| ** power`` with finite gradients everywhere, including ``X == 0``.

    Parameters
    ----------
    spec : Tensor [shape=(..., freq, frames)], complex
    power : float > 0
        Exponent of the magnitude (1: magnitude, 2: power).

    Returns
    -------
    Tensor [shape=(..., freq, frames)], real
    """
    if power == 1.0:
        return spec.abs()
    sq = spec.real.square() + spec.imag.square()
    if power == 2.0:
        return sq
    positive = sq > 0
    return torch.where(positive, torch.where(positive, sq, 1.0).pow(power / 2.0), 0.0)


def overlap_add(frames: Tensor, *, hop_length: int) -> Tensor:
    """Overlap-add frames.

    Parameters
    ----------
    frames : Tensor [shape=(batch, frames, n_fft)]

    Returns
    -------
    Tensor [shape=(batch, n_fft + hop_length * (frames - 1))]
    """
    b, t, n_fft = frames.shape
    m = -(-n_fft // hop_length)
    blocks = F.pad(frames, (0, m * hop_length - n_fft)).reshape(b, t, m, hop_length)
    out = blocks[:, :, 0]
    if m > 1:
        out = F.pad(out, (0, 0, 0, m - 1))
        for j in range(1, m):
            out = out + F.pad(blocks[:, :, j], (0, 0, j, m - 1 - j))
    return out.reshape(b, -1)[:, : n_fft + hop_length * (t - 1)]


def _synthesise(
    frames: Tensor, window: Tensor, *, hop_length: int, center: bool, length: int | None, batch: tuple[int, ...]
) -> Tensor:
    n_fft = frames.shape[-1]
    y = overlap_add(frames * window, hop_length=hop_length)
    wss = overlap_add(window.square().expand(1, frames.shape[1], n_fft), hop_length=hop_length)
    tiny = torch.finfo(y.dtype).tiny
    nonzero = wss > tiny
    y = y / torch.where(nonzero, wss, 1.0)
    start = n_fft // 2 if center else 0
    if length is None:
        stop = y.shape[-1] - start
    else:
        stop = start + length
        if stop > y.shape[-1]:
            y = F.pad(y, (0, stop - y.shape[-1]))
    y = y[:, start:stop]
    return y.reshape(*batch, y.shape[-1])


def istft(
    spec: Tensor,
    window: Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    length: int | None = None,
) -> Tensor:
    """Inverse STFT with the inverse FFT and weighted overlap-add (librosa's ``istft``).

    Parameters
    ----------
    spec : Tensor [shape=(..., n_fft // 2 + 1, frames)], complex
    window : Tensor [shape=(n_fft,)]
        Synthesis window (the analysis window, centre-padded to ``n_fft``).
    length : int or None
        Output length; ``None`` trims ``n_fft // 2`` samples from both ends when ``center``.

    Returns
    -------
    Tensor [shape=(..., time)], real
    """
    batch = spec.shape[:-2]
    s = spec.reshape(-1, *spec.shape[-2:])
    frames = torch.fft.irfft(s.transpose(-1, -2), n=n_fft, dim=-1)
    return _synthesise(frames, window, hop_length=hop_length, center=center, length=length, batch=batch)


def istft_matmul(
    spec: Tensor,
    kernel_cos: Tensor,
    kernel_sin: Tensor,
    window: Tensor,
    *,
    hop_length: int,
    center: bool = True,
    length: int | None = None,
) -> Tensor:
    """Inverse STFT with (possibly trained) inverse kernels; equals :func:`istft` for the defaults.

    Parameters
    ----------
    spec : Tensor [shape=(..., n_fft // 2 + 1, frames)], complex
    kernel_cos, kernel_sin : Tensor [shape=(n_fft // 2 + 1, n_fft)]
        ``frame = real @ kernel_cos + imag @ kernel_sin``.
    window : Tensor [shape=(n_fft,)]

    Returns
    -------
    Tensor [shape=(..., time)], real
    """
    batch = spec.shape[:-2]
    s = spec.reshape(-1, *spec.shape[-2:]).transpose(-1, -2)
    frames = torch.matmul(s.real, kernel_cos) + torch.matmul(s.imag, kernel_sin)
    return _synthesise(frames, window, hop_length=hop_length, center=center, length=length, batch=batch)
