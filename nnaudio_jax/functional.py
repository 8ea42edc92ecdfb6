"""Stateless JAX transforms (no Flax): kernels come in as arguments, configuration is static.

Signals are ``(..., time)``; spectrograms ``(..., freq, frames)``. Leading dimensions are
flattened once at the top of each function and restored at the bottom. These functions do no
value checks (the modules do) and are safe under ``jax.jit``, ``jax.vmap`` and ``jax.grad``;
pass every keyword option as a static value.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from nnaudio_shared import ParameterError

__all__ = [
    "frame",
    "istft",
    "istft_matmul",
    "magnitude",
    "melspectrogram",
    "mfcc",
    "overlap_add",
    "phase",
    "power_to_db",
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
    """``|X|`` with a finite (zero) gradient where ``X == 0``."""
    return jnp.abs(spec)


def phase(spec: Array) -> Array:
    """``angle(X)`` in ``(-pi, pi]``, 0 with a zero gradient where ``X == 0``."""
    re, im = jnp.real(spec), jnp.imag(spec)
    nonzero = (re != 0) | (im != 0)
    return jnp.arctan2(jnp.where(nonzero, im, 0.0), jnp.where(nonzero, re, 1.0))


def spectral_power(spec: Array, power: float = 2.0) -> Array:
    """``|X| ** power`` with finite gradients everywhere, including ``X == 0``."""
    if power == 1.0:
        return jnp.abs(spec)
    sq = jnp.square(jnp.real(spec)) + jnp.square(jnp.imag(spec))
    if power == 2.0:
        return sq
    positive = sq > 0
    return jnp.where(positive, jnp.where(positive, sq, 1.0) ** (power / 2.0), 0.0)


def _compute_dtype(dtype: Any) -> Any:
    """float32 for float16/bfloat16 (no intermediate of a reduction, log or power in a half type)."""
    return jnp.float32 if jnp.dtype(dtype) in (jnp.float16, jnp.bfloat16) else jnp.dtype(dtype)


def melspectrogram(power_spec: Array, mel_basis: Array) -> Array:
    """Apply a mel filterbank.

    Parameters
    ----------
    power_spec : Array [shape=(..., n_fft // 2 + 1, frames)]
    mel_basis : Array [shape=(n_mels, n_fft // 2 + 1)]

    Returns
    -------
    Array [shape=(..., n_mels, frames)]
        In ``power_spec``'s dtype; float16/bfloat16 input is summed in float32.
    """
    compute = _compute_dtype(power_spec.dtype)
    out = jnp.matmul(mel_basis.astype(compute), power_spec.astype(compute), precision=_HIGHEST)
    return out.astype(power_spec.dtype)


def power_to_db(S: Array, *, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> Array:
    """Power to decibels with ``top_db`` applied per spectrogram.

    Parameters
    ----------
    S : Array [shape=(..., freq, frames)]

    Returns
    -------
    Array [shape=(..., freq, frames)]
        ``10 log10(max(S, amin)) - 10 log10(max(amin, ref))``, clipped from below at
        ``max - top_db`` where the maximum is over the last two axes of each spectrogram. In
        ``S``'s dtype; float16/bfloat16 input is computed in float32 (``amin`` and the power of
        a loud signal are outside float16's range).
    """
    if _compute_dtype(S.dtype) != S.dtype:
        return power_to_db(S.astype(jnp.float32), ref=ref, amin=amin, top_db=top_db).astype(S.dtype)
    log_spec = 10.0 * jnp.log10(jnp.maximum(S, amin)) - 10.0 * math.log10(max(amin, abs(ref)))
    if top_db is not None:
        peak = jnp.max(log_spec, axis=(-2, -1), keepdims=True)
        log_spec = jnp.maximum(log_spec, peak - top_db)
    return log_spec


def mfcc(
    mel_spec: Array,
    dct: Array,
    *,
    ref: float = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
    dct_sums: Array | None = None,
    db_floor: Array | None = None,
) -> Array:
    """MFCCs from a mel power spectrogram.

    Parameters
    ----------
    mel_spec : Array [shape=(..., n_mels, frames)]
    dct : Array [shape=(n_mfcc, n_mels)]
    ref, amin, top_db
        As in :func:`power_to_db`.
    dct_sums : Array [shape=(n_mfcc,)] or None
        ``dct @ ones``, the DCT's response to a constant column; ``None``: the sums of ``dct``.
        For the designed DCT-II, pass the exact values (row 0 sums to ``n_mels`` times its
        constant, every other row to exactly 0), which the rounded kernel's sums are not.
    db_floor : Array [shape=broadcastable to (..., 1, 1)] or None
        Clip the dB values at this level instead of ``top_db`` below each spectrogram's own
        maximum (then ``top_db`` must be ``None``): the long-audio helpers pass the signal-wide
        ``peak - top_db`` to every chunk.

    Returns
    -------
    Array [shape=(..., n_mfcc, frames)]

    Notes
    -----
    Each column's mean dB level ``m`` is taken out before the matmul and put back exactly:
    ``dct @ (db - m) + dct_sums * m``, equal to ``dct @ db`` in exact arithmetic. In floating
    point the coefficients no longer carry the rounding of a large common level (about -100 dB at
    the floor), and a constant column (digital silence) gives the exact DCT of a constant with
    exact ``dct_sums``. float16/bfloat16 input is computed in float32 (the dB step of a loud
    signal's power would overflow in float16) and the result cast back.
    """
    compute = _compute_dtype(mel_spec.dtype)
    db = power_to_db(mel_spec.astype(compute), ref=ref, amin=amin, top_db=top_db)
    if db_floor is not None:
        if top_db is not None:
            raise ParameterError("db_floor replaces top_db: pass top_db=None with db_floor")
        db = jnp.maximum(db, db_floor.astype(compute))
    dct = dct.astype(compute)
    sums = jnp.sum(dct, axis=-1) if dct_sums is None else dct_sums.astype(compute)
    level = jnp.mean(db, axis=-2, keepdims=True)
    out = jnp.matmul(dct, db - level, precision=_HIGHEST) + sums[:, None] * level
    return out.astype(mel_spec.dtype)


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


# The full-rate constant-Q transforms live in their own module, re-exported here.
from ._functional_cqt import cqt, cqt_fourier  # noqa: E402, F401

# Griffin-Lim and CFP live in their own module (it imports stft/istft from here), re-exported here.
from ._functional_misc import cfp, griffinlim  # noqa: E402, F401
