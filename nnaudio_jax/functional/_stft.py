"""Stateless STFT family (JAX, no Flax): framing, forward and inverse STFT, magnitude, phase, power."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array

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

_HIGHEST = jax.lax.Precision.HIGHEST


def _pad_center(x: Array, n_fft: int, pad_mode: str) -> Array:
    p = n_fft // 2
    if p == 0:
        return x
    return jnp.pad(x, ((0, 0), (p, p)), mode=pad_mode)


def frame(x: Array, *, n_fft: int, hop_length: int, center: bool = True, pad_mode: str = "reflect") -> Array:
    """Cut ``x`` into (possibly overlapping) frames.

    Built from ``ceil(n_fft / hop_length)`` shifted reshapes of the signal (no gather). Every
    intermediate is ``O(time + frames * n_fft)``, whatever ``hop_length``: a hop longer than the
    frame skips the gaps instead of padding the signal to a whole number of hops.

    Parameters
    ----------
    x : Array [shape=(batch, time)]

    Returns
    -------
    Array [shape=(batch, frames, n_fft)]
    """
    if center:
        x = _pad_center(x, n_fft, pad_mode)
    b, length = x.shape
    t = 1 + (length - n_fft) // hop_length
    if hop_length >= n_fft:  # disjoint frames: the first t - 1 hops, then the last frame
        end = (t - 1) * hop_length
        head = x[:, :end].reshape(b, t - 1, hop_length)[..., :n_fft]
        return jnp.concatenate([head, x[:, None, end : end + n_fft]], axis=1)
    m = -(-n_fft // hop_length)
    need = (t + m - 1) * hop_length
    x = jnp.pad(x, ((0, 0), (0, need - length))) if need > length else x[:, :need]
    blocks = x.reshape(b, t + m - 1, hop_length)
    frames = jnp.concatenate([blocks[:, j : j + t] for j in range(m)], axis=-1) if m > 1 else blocks
    return frames[..., :n_fft]


def stft(
    x: Array,
    window: Array,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    freq_bins: int | None = None,
) -> Array:
    """Short-time Fourier transform with the FFT (``jnp.fft.rfft`` on windowed frames).

    Parameters
    ----------
    x : Array [shape=(..., time)], real
    window : Array [shape=(n_fft,)]
        Analysis window, already centre-padded to ``n_fft``.
    n_fft, hop_length : int
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at ``t * hop_length``.
    pad_mode : {'reflect', 'constant'}
    freq_bins : int or None
        Keep the first ``freq_bins`` bins (default: all ``n_fft // 2 + 1``).

    Returns
    -------
    Array [shape=(..., freq_bins, frames)], complex
        ``X[k, t] = sum_n window[n] x[t * hop + n] exp(-2j pi k n / n_fft)``.
    """
    batch = x.shape[:-1]
    frames = frame(x.reshape(-1, x.shape[-1]), n_fft=n_fft, hop_length=hop_length, center=center, pad_mode=pad_mode)
    spec = jnp.fft.rfft(frames * window[None, None, :], n=n_fft, axis=-1)
    if freq_bins is not None and freq_bins != spec.shape[-1]:
        spec = spec[..., :freq_bins]
    spec = jnp.swapaxes(spec, -1, -2)
    return spec.reshape(*batch, *spec.shape[-2:])


def stft_matmul(
    x: Array,
    wcos: Array,
    wsin: Array,
    *,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
) -> Array:
    """Short-time Fourier transform as frames times (possibly trained) kernels.

    Parameters
    ----------
    x : Array [shape=(..., time)], real
    wcos, wsin : Array [shape=(freq_bins, n_fft)]
        Windowed cosine and sine kernels; ``real = frames @ wcos.T``, ``imag = -frames @ wsin.T``.

    Returns
    -------
    Array [shape=(..., freq_bins, frames)], complex
    """
    n_bins, n_fft = wcos.shape
    batch = x.shape[:-1]
    frames = frame(x.reshape(-1, x.shape[-1]), n_fft=n_fft, hop_length=hop_length, center=center, pad_mode=pad_mode)
    kernels = jnp.concatenate([wcos, -wsin], axis=0)
    out = jnp.matmul(frames, kernels.T, precision=_HIGHEST)
    spec = jnp.swapaxes(jax.lax.complex(out[..., :n_bins], out[..., n_bins:]), -1, -2)
    return spec.reshape(*batch, *spec.shape[-2:])


def magnitude(spec: Array) -> Array:
    """``|X|`` with a finite (zero) gradient where ``X == 0``.

    Parameters
    ----------
    spec : Array [shape=(..., freq, frames)], complex

    Returns
    -------
    Array [shape=(..., freq, frames)], real
    """
    return jnp.abs(spec)


def phase(spec: Array) -> Array:
    """``angle(X)`` in ``(-pi, pi]``, 0 with a zero gradient where ``X == 0``.

    Parameters
    ----------
    spec : Array [shape=(..., freq, frames)], complex

    Returns
    -------
    Array [shape=(..., freq, frames)], real
    """
    re, im = jnp.real(spec), jnp.imag(spec)
    nonzero = (re != 0) | (im != 0)
    return jnp.arctan2(jnp.where(nonzero, im, 0.0), jnp.where(nonzero, re, 1.0))


def spectral_power(spec: Array, power: float = 2.0) -> Array:
    """``|X| ** power`` with finite gradients everywhere, including ``X == 0``.

    Parameters
    ----------
    spec : Array [shape=(..., freq, frames)], complex
    power : float > 0
        Exponent of the magnitude (1: magnitude, 2: power).

    Returns
    -------
    Array [shape=(..., freq, frames)], real
    """
    if power == 1.0:
        return jnp.abs(spec)
    sq = jnp.square(jnp.real(spec)) + jnp.square(jnp.imag(spec))
    if power == 2.0:
        return sq
    positive = sq > 0
    return jnp.where(positive, jnp.where(positive, sq, 1.0) ** (power / 2.0), 0.0)


def overlap_add(frames: Array, *, hop_length: int) -> Array:
    """Overlap-add frames.

    Parameters
    ----------
    frames : Array [shape=(batch, frames, n_fft)]

    Returns
    -------
    Array [shape=(batch, n_fft + hop_length * (frames - 1))]
    """
    b, t, n_fft = frames.shape
    m = -(-n_fft // hop_length)
    blocks = jnp.pad(frames, ((0, 0), (0, 0), (0, m * hop_length - n_fft))).reshape(b, t, m, hop_length)
    out = jnp.pad(blocks[:, :, 0], ((0, 0), (0, m - 1), (0, 0)))
    for j in range(1, m):
        out = out + jnp.pad(blocks[:, :, j], ((0, 0), (j, m - 1 - j), (0, 0)))
    return out.reshape(b, -1)[:, : n_fft + hop_length * (t - 1)]


def _synthesise(
    frames: Array, window: Array, *, hop_length: int, center: bool, length: int | None, batch: tuple[int, ...]
) -> Array:
    n_fft = frames.shape[-1]
    y = overlap_add(frames * window[None, None, :], hop_length=hop_length)
    wss = overlap_add(jnp.broadcast_to(jnp.square(window), (1, frames.shape[1], n_fft)), hop_length=hop_length)
    nonzero = wss > jnp.finfo(y.dtype).tiny
    y = y / jnp.where(nonzero, wss, 1.0)
    start = n_fft // 2 if center else 0
    if length is None:
        stop = y.shape[-1] - start
    else:
        stop = start + length
        if stop > y.shape[-1]:
            y = jnp.pad(y, ((0, 0), (0, stop - y.shape[-1])))
    y = y[:, start:stop]
    return y.reshape(*batch, y.shape[-1])


def istft(
    spec: Array,
    window: Array,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    length: int | None = None,
) -> Array:
    """Inverse STFT with the inverse FFT and weighted overlap-add (librosa's ``istft``).

    Parameters
    ----------
    spec : Array [shape=(..., n_fft // 2 + 1, frames)], complex
    window : Array [shape=(n_fft,)]
        Synthesis window (the analysis window, centre-padded to ``n_fft``).
    length : int or None
        Output length; ``None`` trims ``n_fft // 2`` samples from both ends when ``center``.

    Returns
    -------
    Array [shape=(..., time)], real
    """
    batch = spec.shape[:-2]
    s = spec.reshape(-1, *spec.shape[-2:])
    frames = jnp.fft.irfft(jnp.swapaxes(s, -1, -2), n=n_fft, axis=-1)
    return _synthesise(frames, window, hop_length=hop_length, center=center, length=length, batch=batch)


def istft_matmul(
    spec: Array,
    kernel_cos: Array,
    kernel_sin: Array,
    window: Array,
    *,
    hop_length: int,
    center: bool = True,
    length: int | None = None,
) -> Array:
    """Inverse STFT with (possibly trained) inverse kernels; equals :func:`istft` for the defaults.

    Parameters
    ----------
    spec : Array [shape=(..., n_fft // 2 + 1, frames)], complex
    kernel_cos, kernel_sin : Array [shape=(n_fft // 2 + 1, n_fft)]
        ``frame = real @ kernel_cos + imag @ kernel_sin``.
    window : Array [shape=(n_fft,)]

    Returns
    -------
    Array [shape=(..., time)], real
    """
    batch = spec.shape[:-2]
    s = jnp.swapaxes(spec.reshape(-1, *spec.shape[-2:]), -1, -2)
    frames = jnp.matmul(jnp.real(s), kernel_cos, precision=_HIGHEST) + jnp.matmul(
        jnp.imag(s), kernel_sin, precision=_HIGHEST
    )
    return _synthesise(frames, window, hop_length=hop_length, center=center, length=length, batch=batch)
