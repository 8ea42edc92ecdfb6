"""Stateless mel family (JAX, no Flax): mel filterbank product, power to dB, MFCC."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from nnaudio_shared import ParameterError

__all__ = ["melspectrogram", "mfcc", "power_to_db"]

_HIGHEST = jax.lax.Precision.HIGHEST


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
