"""Stateless combined frequency and periodicity representation (PyTorch, Su & Yang 2015)."""

from __future__ import annotations

import math

import torch
from nnaudio_shared import n_frames
from torch import Tensor

__all__ = ["cfp"]


def _even_extension(half: Tensor, n: int) -> Tensor:
    """``(..., n // 2 + 1)`` -> ``(..., n)`` with ``out[n - k] = out[k]``."""
    return torch.cat([half, half[..., 1 : n - n // 2].flip(-1)], dim=-1)


def _safe_pow(x: Tensor, g: float) -> Tensor:
    """``relu(x) ** g`` with a zero (not infinite) gradient at ``x <= 0``."""
    if g == 1.0:
        return torch.relu(x)
    # clamp + float mask: exact zeros where x <= 0, and cheaper than two torch.where passes
    return x.clamp_min(torch.finfo(x.dtype).tiny).pow(g) * (x > 0).to(x.dtype)


def _lifted_even_extension(half: Tensor, n: int, g: float, cutoff: int) -> Tensor:
    """Su & Yang's nonlinearity on the even extension of ``half``, computed on the half.

    Equals ``lifter(_even_extension(half, n))`` where ``lifter`` rectifies, zeroes the first and
    last ``cutoff`` of the ``n`` entries and raises to ``g`` (``g == 0``: ``log(x + 1e-8)``,
    nnAudio2's epsilon). Entry ``j`` of the second half is ``half[n - j]``; it is zeroed when
    ``n - j <= cutoff``, so the two halves get different masks.
    """
    m = half.shape[-1]
    i = torch.arange(m, device=half.device)
    first = ((i >= cutoff) & (i < n - cutoff)).to(half.dtype)
    second = ((i > cutoff) & (i <= n - cutoff)).to(half.dtype)
    v = torch.log(torch.relu(half) + 1e-8) if g == 0.0 else _safe_pow(half, g)
    return torch.cat([v * first, (v * second)[..., 1 : n - n // 2].flip(-1)], dim=-1)


def cfp(
    x: Tensor,
    window: Tensor,
    freq2logfreq: Tensor,
    quef2logfreq: Tensor,
    *,
    n_fft: int,
    hop_length: int,
    g: tuple[float, ...] = (0.24, 0.6, 1.0),
    tc_idx: int,
    fc_idx: int,
    trim_edges: bool = False,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Compute the combined frequency and periodicity representation (Su & Yang 2015).

    ``tfr0 = |STFT| / ||window||`` (centred frames, zero padding, FFT size ``n_fft``); then
    alternately ``ceps = lifter(Re FFT(spec) / sqrt(n_fft), g[k], tc_idx)`` (odd ``k``) and
    ``spec = lifter(Re FFT(ceps) / sqrt(n_fft), g[k], fc_idx)`` (even ``k``), starting from
    ``spec = tfr0 ** g[0]``; finally the log-frequency mappings.

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    window : Tensor [shape=(window_size,)]
        Analysis window (not padded; ``window_size <= n_fft``).
    freq2logfreq : Tensor [shape=(n_bins, HighFreqIdx)]
    quef2logfreq : Tensor [shape=(n_bins, HighQuefIdx)]
    n_fft, hop_length : int
    g : tuple of float
        Exponents of the layers (``len(g) >= 2``; ``g[0] > 0``).
    tc_idx, fc_idx : int >= 1
        Liftering cut-offs of the cepstrum and of the spectrum.
    trim_edges : bool
        Drop the first and last frames (``Combined_Frequency_Periodicity``).

    Returns
    -------
    Z, tfrL0, tfrLF, tfrLQ : Tensor [shape=(..., n_bins, frames)]
        ``Z = tfrLF * tfrLQ``; ``tfrL0`` maps ``tfr0``, ``tfrLF`` the last spectral layer and
        ``tfrLQ`` the last cepstral layer.
    """
    batch, length = x.shape[:-1], x.shape[-1]
    x2 = x.reshape(-1, length)
    w = window.shape[0]
    left = n_fft // 2 - (n_fft - w) // 2
    t = n_frames(length, n_fft=n_fft, hop_length=hop_length, center=True)
    need = (t - 1) * hop_length + w
    x2 = torch.nn.functional.pad(x2, (left, max(0, need - left - length)))[:, :need]
    frames = x2.unfold(-1, w, hop_length)
    if trim_edges:
        frames = frames[:, 1:-1]
    # |FFT| of the window placed anywhere in the n_fft frame: placement only changes the phase
    mag = torch.fft.rfft(frames * window, n=n_fft, dim=-1).abs() / torch.linalg.vector_norm(window)
    # the full-length (n_fft) sequences are even extensions of their first n_fft // 2 + 1 entries
    # up to the lifter's masks: elementwise work is done on the halves
    spec = _even_extension(_safe_pow(mag, g[0]), n_fft)
    ceps = spec
    scale = 1.0 / math.sqrt(n_fft)
    for k in range(1, len(g)):
        if k % 2 == 1:
            ceps = _lifted_even_extension(torch.fft.rfft(spec, dim=-1).real * scale, n_fft, g[k], tc_idx)
        else:
            spec = _lifted_even_extension(torch.fft.rfft(ceps, dim=-1).real * scale, n_fft, g[k], fc_idx)
    n_freq, n_quef = freq2logfreq.shape[-1], quef2logfreq.shape[-1]
    tfrL0 = torch.matmul(freq2logfreq, mag[..., :n_freq].transpose(-1, -2))
    tfrLF = torch.matmul(freq2logfreq, spec[..., :n_freq].transpose(-1, -2))
    tfrLQ = torch.matmul(quef2logfreq, ceps[..., :n_quef].transpose(-1, -2))
    Z = tfrLF * tfrLQ
    return tuple(o.reshape(*batch, *o.shape[-2:]) for o in (Z, tfrL0, tfrLF, tfrLQ))  # type: ignore[return-value]
