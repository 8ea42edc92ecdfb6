"""DCT-II matrix and a float64 ``power_to_db`` reference."""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["DCTNorm", "dct_matrix", "power_to_db"]

DCTNorm = Literal["ortho"] | None


def dct_matrix(*, n_mfcc: int, n_mels: int, norm: DCTNorm = "ortho") -> np.ndarray:
    """First ``n_mfcc`` rows of the DCT-II matrix on ``n_mels`` points.

    ``D @ x`` equals ``scipy.fft.dct(x, type=2, norm=norm, axis=0)[:n_mfcc]``:
    ``D[k, n] = 2 cos(pi k (2n + 1) / (2 N))``, scaled by ``sqrt(1 / (4N))`` for ``k = 0`` and
    ``sqrt(1 / (2N))`` otherwise when ``norm='ortho'``.

    Returns
    -------
    np.ndarray [shape=(n_mfcc, n_mels)], float64, read-only
    """
    k = np.arange(n_mfcc, dtype=np.float64)[:, None]
    n = np.arange(n_mels, dtype=np.float64)[None, :]
    d = 2.0 * np.cos(np.pi * k * (2.0 * n + 1.0) / (2.0 * n_mels))
    if norm == "ortho":
        d[0] *= np.sqrt(1.0 / (4.0 * n_mels))
        d[1:] *= np.sqrt(1.0 / (2.0 * n_mels))
    d.setflags(write=False)
    return d


def power_to_db(S: np.ndarray, *, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """Power to decibels, ``top_db`` applied per example (float64 reference).

    ``10 log10(max(S, amin)) - 10 log10(max(amin, |ref|))``, then clipped from below at
    ``max - top_db`` where the maximum is taken over the last two axes (one spectrogram)
    separately for every leading index. ``librosa.power_to_db`` takes one maximum over the
    whole array instead; for a single spectrogram the two agree.

    Parameters
    ----------
    S : np.ndarray [shape=(..., freq, frames)]

    Returns
    -------
    np.ndarray [shape=(..., freq, frames)], float64
    """
    S = np.asarray(S, dtype=np.float64)
    log_spec = 10.0 * np.log10(np.maximum(S, amin)) - 10.0 * np.log10(max(amin, abs(ref)))
    if top_db is not None:
        peak = log_spec.max(axis=(-2, -1), keepdims=True)
        log_spec = np.maximum(log_spec, peak - top_db)
    return log_spec
