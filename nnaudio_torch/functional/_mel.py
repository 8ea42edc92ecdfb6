"""Stateless mel family (PyTorch): mel filterbank product, power to dB, MFCC."""

from __future__ import annotations

import math

import torch
from nnaudio_shared import ParameterError
from torch import Tensor

__all__ = ["melspectrogram", "mfcc", "power_to_db"]


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for float16/bfloat16 (no intermediate of a reduction, log or power in a half type)."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def melspectrogram(power_spec: Tensor, mel_basis: Tensor) -> Tensor:
    """Apply a mel filterbank.

    Parameters
    ----------
    power_spec : Tensor [shape=(..., n_fft // 2 + 1, frames)]
    mel_basis : Tensor [shape=(n_mels, n_fft // 2 + 1)]

    Returns
    -------
    Tensor [shape=(..., n_mels, frames)]
        In ``power_spec``'s dtype; float16/bfloat16 input is summed in float32.
    """
    compute = _compute_dtype(power_spec.dtype)
    return torch.matmul(mel_basis.to(compute), power_spec.to(compute)).to(power_spec.dtype)


def power_to_db(S: Tensor, *, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> Tensor:
    """Power to decibels with ``top_db`` applied per spectrogram.

    Parameters
    ----------
    S : Tensor [shape=(..., freq, frames)]

    Returns
    -------
    Tensor [shape=(..., freq, frames)]
        ``10 log10(max(S, amin)) - 10 log10(max(amin, ref))``, clipped from below at
        ``max - top_db`` where the maximum is over the last two axes of each spectrogram. In
        ``S``'s dtype; float16/bfloat16 input is computed in float32 (``amin`` and the power of
        a loud signal are outside float16's range).
    """
    if _compute_dtype(S.dtype) != S.dtype:
        return power_to_db(S.to(torch.float32), ref=ref, amin=amin, top_db=top_db).to(S.dtype)
    log_spec = 10.0 * torch.log10(torch.clamp_min(S, amin)) - 10.0 * math.log10(max(amin, abs(ref)))
    if top_db is not None:
        peak = torch.amax(log_spec, dim=(-2, -1), keepdim=True)
        log_spec = torch.maximum(log_spec, peak - top_db)
    return log_spec


def mfcc(
    mel_spec: Tensor,
    dct: Tensor,
    *,
    ref: float = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
    dct_sums: Tensor | None = None,
    db_floor: Tensor | None = None,
) -> Tensor:
    """MFCCs from a mel power spectrogram.

    Parameters
    ----------
    mel_spec : Tensor [shape=(..., n_mels, frames)]
    dct : Tensor [shape=(n_mfcc, n_mels)]
    ref, amin, top_db
        As in :func:`power_to_db`.
    dct_sums : Tensor [shape=(n_mfcc,)] or None
        ``dct @ ones``, the DCT's response to a constant column; ``None``: the sums of ``dct``.
        For the designed DCT-II, pass the exact values (row 0 sums to ``n_mels`` times its
        constant, every other row to exactly 0), which the rounded kernel's sums are not.
    db_floor : Tensor [shape=broadcastable to (..., 1, 1)] or None
        Clip the dB values at this level instead of ``top_db`` below each spectrogram's own
        maximum (then ``top_db`` must be ``None``): the long-audio helpers pass the signal-wide
        ``peak - top_db`` to every chunk.

    Returns
    -------
    Tensor [shape=(..., n_mfcc, frames)]

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
    db = power_to_db(mel_spec.to(compute), ref=ref, amin=amin, top_db=top_db)
    if db_floor is not None:
        if top_db is not None:
            raise ParameterError("db_floor replaces top_db: pass top_db=None with db_floor")
        db = torch.maximum(db, db_floor.to(compute))
    dct = dct.to(compute)
    sums = dct.sum(-1) if dct_sums is None else dct_sums.to(compute)
    level = db.mean(dim=-2, keepdim=True)
    out = torch.matmul(dct, db - level) + sums[:, None] * level
    return out.to(mel_spec.dtype)
