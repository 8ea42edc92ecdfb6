"""Stateless combined frequency and periodicity representation (JAX, no Flax; Su & Yang 2015)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array
from nnaudio_shared import n_frames

from ._stft import frame

__all__ = ["cfp"]

_HIGHEST = jax.lax.Precision.HIGHEST


def _even_extension(half: Array, n: int) -> Array:
    """``(..., n // 2 + 1)`` -> ``(..., n)`` with ``out[n - k] = out[k]``."""
    return jnp.concatenate([half, jnp.flip(half[..., 1 : n - n // 2], axis=-1)], axis=-1)


def _safe_pow(x: Array, g: float) -> Array:
    """``relu(x) ** g`` with a zero (not infinite) gradient at ``x <= 0``."""
    if g == 1.0:
        return jax.nn.relu(x)
    positive = x > 0
    return jnp.where(positive, jnp.where(positive, x, 1.0) ** jnp.asarray(g, x.dtype), 0.0)


def _lifted_even_extension(half: Array, n: int, g: float, cutoff: int) -> Array:
    """Su & Yang's nonlinearity on the even extension of ``half``, computed on the half.

    Equals ``lifter(_even_extension(half, n))`` where ``lifter`` rectifies, zeroes the first and
    last ``cutoff`` of the ``n`` entries and raises to ``g`` (``g == 0``: ``log(x + 1e-8)``,
    nnAudio2's epsilon). Entry ``j`` of the second half is ``half[n - j]``; it is zeroed when
    ``n - j <= cutoff``, so the two halves get different masks.
    """
    m = half.shape[-1]
    i = jnp.arange(m)
    shape = (1,) * (half.ndim - 1) + (m,)
    first = ((i >= cutoff) & (i < n - cutoff)).astype(half.dtype).reshape(shape)
    second = ((i > cutoff) & (i <= n - cutoff)).astype(half.dtype).reshape(shape)
    v = jnp.log(jax.nn.relu(half) + jnp.asarray(1e-8, half.dtype)) if g == 0.0 else _safe_pow(half, g)
    return jnp.concatenate([v * first, jnp.flip((v * second)[..., 1 : n - n // 2], axis=-1)], axis=-1)


def cfp(
    x: Array,
    window: Array,
    freq2logfreq: Array,
    quef2logfreq: Array,
    *,
    n_fft: int,
    hop_length: int,
    g: tuple[float, ...] = (0.24, 0.6, 1.0),
    tc_idx: int,
    fc_idx: int,
    trim_edges: bool = False,
) -> tuple[Array, Array, Array, Array]:
    """Compute the combined frequency and periodicity representation (Su & Yang 2015).

    ``tfr0 = |STFT| / ||window||`` (centred frames, zero padding, FFT size ``n_fft``); then
    alternately ``ceps = lifter(Re FFT(spec) / sqrt(n_fft), g[k], tc_idx)`` (odd ``k``) and
    ``spec = lifter(Re FFT(ceps) / sqrt(n_fft), g[k], fc_idx)`` (even ``k``), starting from
    ``spec = tfr0 ** g[0]``; finally the log-frequency mappings.

    Parameters
    ----------
    x : Array [shape=(..., time)], real
    window : Array [shape=(window_size,)]
        Analysis window (not padded; ``window_size <= n_fft``).
    freq2logfreq : Array [shape=(n_bins, HighFreqIdx)]
    quef2logfreq : Array [shape=(n_bins, HighQuefIdx)]
    n_fft, hop_length : int
    g : tuple of float
        Exponents of the layers (``len(g) >= 2``; ``g[0] > 0``).
    tc_idx, fc_idx : int >= 1
        Liftering cut-offs of the cepstrum and of the spectrum.
    trim_edges : bool
        Drop the first and last frames (``Combined_Frequency_Periodicity``).

    Returns
    -------
    Z, tfrL0, tfrLF, tfrLQ : Array [shape=(..., n_bins, frames)]
        ``Z = tfrLF * tfrLQ``; ``tfrL0`` maps ``tfr0``, ``tfrLF`` the last spectral layer and
        ``tfrLQ`` the last cepstral layer.
    """
    batch, length = x.shape[:-1], x.shape[-1]
    x2 = x.reshape(-1, length)
    w = window.shape[0]
    left = n_fft // 2 - (n_fft - w) // 2
    t = n_frames(length, n_fft=n_fft, hop_length=hop_length, center=True)
    need = (t - 1) * hop_length + w
    x2 = jnp.pad(x2, ((0, 0), (left, max(0, need - left - length))))[:, :need]
    frames = frame(x2, n_fft=w, hop_length=hop_length, center=False)
    if trim_edges:
        frames = frames[:, 1:-1]
    # |FFT| of the window placed anywhere in the n_fft frame: placement only changes the phase
    mag = jnp.abs(jnp.fft.rfft(frames * window[None, None, :], n=n_fft, axis=-1)) / jnp.linalg.norm(window)
    # the full-length (n_fft) sequences are even extensions of their first n_fft // 2 + 1 entries
    # up to the lifter's masks: elementwise work is done on the halves
    spec = _even_extension(_safe_pow(mag, g[0]), n_fft)
    ceps = spec
    scale = 1.0 / math.sqrt(n_fft)
    for k in range(1, len(g)):
        if k % 2 == 1:
            ceps = _lifted_even_extension(jnp.real(jnp.fft.rfft(spec, axis=-1)) * scale, n_fft, g[k], tc_idx)
        else:
            spec = _lifted_even_extension(jnp.real(jnp.fft.rfft(ceps, axis=-1)) * scale, n_fft, g[k], fc_idx)
    n_freq, n_quef = freq2logfreq.shape[-1], quef2logfreq.shape[-1]
    tfrL0 = jnp.matmul(freq2logfreq, jnp.swapaxes(mag[..., :n_freq], -1, -2), precision=_HIGHEST)
    tfrLF = jnp.matmul(freq2logfreq, jnp.swapaxes(spec[..., :n_freq], -1, -2), precision=_HIGHEST)
    tfrLQ = jnp.matmul(quef2logfreq, jnp.swapaxes(ceps[..., :n_quef], -1, -2), precision=_HIGHEST)
    Z = tfrLF * tfrLQ
    return tuple(o.reshape(*batch, *o.shape[-2:]) for o in (Z, tfrL0, tfrLF, tfrLQ))  # type: ignore[return-value]
