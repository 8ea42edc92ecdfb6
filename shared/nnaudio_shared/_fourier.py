"""Fourier analysis kernels for STFT with uniform or warped frequency axes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._windows import WindowSpec, get_window, pad_center

__all__ = ["FourierKernels", "FreqScale", "fourier_kernels", "fourier_bins", "istft_kernels"]

FreqScale = Literal["no", "linear", "log", "log2"]


def fourier_bins(
    *, n_fft: int, freq_bins: int, freq_scale: FreqScale, fmin: float, fmax: float, sr: float
) -> np.ndarray:
    """Fractional DFT bin index of each output bin (nnAudio2's definitions).

    ``'no'``: ``k``; ``'linear'``: ``fmin*n_fft/sr + k*(fmax-fmin)*n_fft/sr/freq_bins``;
    ``'log'``: ``fmin*n_fft/sr * exp(k*log(fmax/fmin)/freq_bins)``; ``'log2'``: the same with
    base 2 (identical values up to rounding). Note that, as in nnAudio2, ``fmax`` itself is
    *not* reached: the last bin sits one step below it.

    Returns
    -------
    np.ndarray [shape=(freq_bins,)], float64
    """
    k = np.arange(freq_bins, dtype=np.float64)
    if freq_scale == "no":
        return k
    start_bin = fmin * n_fft / sr
    if freq_scale == "linear":
        return k * ((fmax - fmin) * (n_fft / sr) / freq_bins) + start_bin
    if freq_scale == "log":
        return np.exp(k * (np.log(fmax / fmin) / freq_bins)) * start_bin
    return 2.0 ** (k * (np.log2(fmax / fmin) / freq_bins)) * start_bin


@dataclass(frozen=True)
class FourierKernels:
    """Windowed real Fourier kernels.

    Attributes
    ----------
    wcos, wsin : np.ndarray [shape=(freq_bins, n_fft)]
        ``window * cos(2 pi b n / n_fft)`` and ``window * sin(...)``; the STFT is
        ``real = frames @ wcos.T`` and ``imag = -frames @ wsin.T`` (nnAudio2's convention).
    window : np.ndarray [shape=(n_fft,)]
        The analysis window, centre-padded to ``n_fft``.
    bins : np.ndarray [shape=(freq_bins,)]
        Fractional DFT bin index of each row.
    freqs : np.ndarray [shape=(freq_bins,)]
        Centre frequency of each row in Hz.
    """

    wcos: np.ndarray
    wsin: np.ndarray
    window: np.ndarray
    bins: np.ndarray
    freqs: np.ndarray


def fourier_kernels(
    *,
    n_fft: int,
    win_length: int,
    freq_bins: int,
    window: WindowSpec = "hann",
    freq_scale: FreqScale = "no",
    fmin: float = 50.0,
    fmax: float = 6000.0,
    sr: float = 22050.0,
) -> FourierKernels:
    """Build the windowed Fourier kernels (vectorised; arguments are assumed validated).

    Use :class:`nnaudio_shared.STFTConfig` to validate user arguments first.
    """
    win = pad_center(get_window(window, win_length, fftbins=True), size=n_fft)
    bins = fourier_bins(n_fft=n_fft, freq_bins=freq_bins, freq_scale=freq_scale, fmin=fmin, fmax=fmax, sr=sr)
    n = np.arange(n_fft, dtype=np.float64)
    # Reduce the phase modulo n_fft exactly for integer bins before scaling by 2 pi / n_fft.
    phase = np.outer(bins, n)
    if freq_scale == "no":
        phase = np.mod(phase, n_fft)
    phase *= 2.0 * np.pi / n_fft
    out = FourierKernels(
        wcos=np.cos(phase) * win,
        wsin=np.sin(phase) * win,
        window=win,
        bins=bins,
        freqs=bins * sr / n_fft,
    )
    for a in (out.wcos, out.wsin, out.window, out.bins, out.freqs):
        a.setflags(write=False)
    return out


def istft_kernels(*, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """One-sided inverse real DFT kernels.

    ``frame = real @ kcos + imag @ ksin`` equals ``numpy.fft.irfft(real + 1j*imag, n_fft)``
    (the imaginary parts of the DC and Nyquist bins are ignored, as in ``irfft``).

    Returns
    -------
    kcos, ksin : np.ndarray [shape=(n_fft // 2 + 1, n_fft)], float64, read-only
    """
    n_bins = n_fft // 2 + 1
    k = np.arange(n_bins, dtype=np.float64)
    n = np.arange(n_fft, dtype=np.float64)
    phase = np.mod(np.outer(k, n), n_fft) * (2.0 * np.pi / n_fft)
    weight = np.full(n_bins, 2.0)
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0
    weight /= n_fft
    kcos = np.cos(phase) * weight[:, None]
    ksin = -np.sin(phase) * weight[:, None]
    kcos.setflags(write=False)
    ksin.setflags(write=False)
    return kcos, ksin
