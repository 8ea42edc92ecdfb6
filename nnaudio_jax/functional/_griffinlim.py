"""Stateless Griffin-Lim (JAX, no Flax): phase reconstruction from a magnitude STFT."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array

from ._stft import istft, stft

__all__ = ["griffinlim"]


def griffinlim(
    S: Array,
    angles: Array,
    window: Array,
    *,
    n_fft: int,
    hop_length: int,
    n_iter: int = 32,
    center: bool = True,
    pad_mode: str = "reflect",
    momentum: float = 0.99,
    length: int | None = None,
) -> Array:
    """Fast Griffin-Lim (Perraudin et al. 2013) exactly as ``librosa.griffinlim``.

    Each iteration inverts ``S * angles`` (:func:`istft`), re-analyses the signal
    (:func:`stft`), extrapolates ``a = rebuilt - momentum / (1 + momentum) * previous`` (no
    momentum term in the first iteration) and keeps the phase ``angles = a / (|a| + tiny)``.
    The iterations run in one ``jax.lax.fori_loop`` (compiled once, whatever ``n_iter``).

    Parameters
    ----------
    S : Array [shape=(..., n_fft // 2 + 1, frames)], real
        Magnitude spectrogram.
    angles : Array [shape=(..., n_fft // 2 + 1, frames)], complex
        Initial phasors (``exp(1j * phase)``), broadcastable to ``S``.
    window : Array [shape=(n_fft,)]
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
    Array [shape=(..., time)], real
    """
    batch = S.shape[:-2]
    mag = S.reshape(-1, *S.shape[-2:])
    X0 = mag.astype(angles.dtype) * jnp.broadcast_to(angles, S.shape).reshape(mag.shape)
    tiny = jnp.finfo(mag.dtype).tiny
    coef = momentum / (1.0 + momentum)

    def synth(X: Array) -> Array:
        return istft(X, window, n_fft=n_fft, hop_length=hop_length, center=center, length=length)

    def step(_: int, carry: tuple[Array, Array]) -> tuple[Array, Array]:
        X, tprev = carry
        rebuilt = stft(synth(X), window, n_fft=n_fft, hop_length=hop_length, center=center, pad_mode=pad_mode)
        a = rebuilt - (coef * tprev).astype(rebuilt.dtype)  # tprev = 0 in the first iteration: no momentum
        X = a * (mag / (jnp.abs(a) + tiny)).astype(a.dtype)  # librosa: a / (|a| + tiny) * S
        return X, rebuilt

    X, _ = jax.lax.fori_loop(0, n_iter, step, (X0, jnp.zeros_like(X0)))
    y = synth(X)
    return y.reshape(*batch, y.shape[-1])
