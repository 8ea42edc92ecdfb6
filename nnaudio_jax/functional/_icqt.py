"""Stateless inverse constant-Q transform (JAX, no Flax): weighted CGLS with the CQT's autodiff transpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import PolyphaseGeometry, PolyphaseLayout, polyphase_geometry

from ._cqt import cqt_pad, cqt_weights

__all__ = ["cgls", "cqt_operator", "free_samples", "icqt"]

_HIGHEST = jax.lax.Precision.HIGHEST


def _batch_dot(a: Array, b: Array) -> Array:
    """``sum(a * b)`` over every axis but the first: shape ``(batch,)``."""
    return jnp.sum((a * b).reshape(a.shape[0], -1), axis=1)


def _per_item(v: Array, like: Array) -> Array:
    """``v`` of shape ``(batch,)`` reshaped to broadcast against ``like`` ``(batch, ...)``."""
    return v.reshape(-1, *([1] * (like.ndim - 1)))


def _safe_div(num: Array, den: Array) -> Array:
    """``num / den`` where ``den > 0`` and 0 elsewhere, with finite gradients everywhere."""
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, jnp.ones_like(den)), jnp.zeros_like(num))


def cgls(
    operator: Callable[[Array], Array],
    b: Array,
    *,
    n_samples: int,
    n_iter: int,
    weights: Array | None = None,
    preconditioner: Array | None = None,
) -> Array:
    """Weighted least squares by conjugate gradients on the normal equations (CGLS).

    Minimises ``sum(weights * (operator(x) - b) ** 2)`` over real ``x`` of shape
    ``(batch, n_samples)``, starting from ``x = 0``, with exactly ``n_iter`` iterations (one
    ``operator`` and one transpose each, in a :func:`jax.lax.fori_loop`). The transpose comes
    from :func:`jax.linear_transpose`, so ``operator`` must be linear. Differentiable with
    respect to ``b`` (and ``weights``); steps whose denominator is zero (e.g. ``b = 0``) are
    skipped without NaN in values or gradients. No randomness; works under ``jax.jit``.

    Each new normal-equation residual ``s = A^T W r`` is reorthogonalised (two Gram-Schmidt
    passes, in the ``preconditioner`` inner product) against all previous ones, so the iterates
    are those of CGLS in exact arithmetic up to rounding. Without it the short recurrences lose
    orthogonality once a few Ritz values have converged (e.g. the outlying eigenvalues that the
    mirrored ends of reflect padding and the end weighting create), and from then on rounding
    differences grow about 3-4x per iteration: two float64 evaluations of the same solve (torch
    and JAX) ended up 2e-3 apart after 64 iterations on white noise. In exact arithmetic the
    correction is zero and so is its derivative, so it is excluded from autodiff (the gradient
    is that of the CGLS recurrences along the reorthogonalised iterates, and memory stays
    linear in ``n_iter``); it stores ``n_iter + 1`` residuals of shape ``(batch, n_samples)``.

    Parameters
    ----------
    operator : callable
        Linear map from ``(batch, n_samples)`` to the shape of ``b`` (real).
    b : Array [shape=(batch, ...)], real
    n_samples : int
        Static.
    n_iter : int >= 1
        Static.
    weights : Array or None
        Non-negative weights broadcastable to ``b`` (``None``: all ones).
    preconditioner : Array [shape=(n_samples,)] or None
        Positive diagonal right preconditioner ``m``: the iterates converge to the solution of
        least ``sum(x ** 2 / m)`` (``None``: all ones, the minimum-norm solution).

    Returns
    -------
    Array [shape=(batch, n_samples)]
    """
    x0 = jnp.zeros((b.shape[0], n_samples), dtype=b.dtype)
    transpose = jax.linear_transpose(operator, x0)

    def weighted(r: Array) -> Array:
        return r if weights is None else r * weights

    def precondition(s: Array) -> Array:
        return s if preconditioner is None else s * preconditioner

    def adjoint(r: Array) -> Array:
        return transpose(weighted(r))[0]  # type: ignore[no-any-return]

    def normalised(s: Array, gamma: Array) -> Array:
        # the residual in the preconditioner inner product (0 where it is 0); no gradient
        return jax.lax.stop_gradient(s * _per_item(_safe_div(jnp.ones_like(gamma), jnp.sqrt(gamma)), s))

    def reorthogonalise(s: Array, basis: Array) -> Array:
        v = jax.lax.stop_gradient(s)
        for _ in range(2):
            c = jnp.einsum("kbn,bn->kb", basis, precondition(v), precision=_HIGHEST)
            v = v - jnp.einsum("kb,kbn->bn", c, basis, precision=_HIGHEST)
        return s + jax.lax.stop_gradient(v - s)

    def step(i: Any, carry: tuple[Array, ...]) -> tuple[Array, ...]:
        x, r, p, gamma, basis = carry
        q = operator(p)
        alpha = _safe_div(gamma, _batch_dot(q, weighted(q)))
        x = x + _per_item(alpha, p) * p
        r = r - _per_item(alpha, q) * q
        s = reorthogonalise(adjoint(r), basis)
        z = precondition(s)
        gamma_new = _batch_dot(s, z)
        basis = jax.lax.dynamic_update_index_in_dim(basis, normalised(s, gamma_new), i + 1, 0)
        p = z + _per_item(_safe_div(gamma_new, gamma), p) * p
        return x, r, p, gamma_new, basis

    s = adjoint(b)
    z = precondition(s)
    gamma = _batch_dot(s, z)
    basis = jnp.zeros((n_iter + 1, b.shape[0], n_samples), dtype=b.dtype).at[0].set(normalised(s, gamma))
    x, *_ = jax.lax.fori_loop(0, n_iter, step, (x0, b, z, gamma, basis))
    return x


def _columns(layout: PolyphaseLayout) -> tuple[np.ndarray, np.ndarray]:
    """Block offset and bin of every GEMM column of ``layout`` (from its taps)."""
    block = np.empty(layout.n_cols, dtype=np.int32)
    bins = np.empty(layout.n_cols, dtype=np.int32)
    for b, lo, hi, col in layout.taps:
        block[col : col + hi - lo] = b
        bins[col : col + hi - lo] = np.arange(lo, hi)
    return block, bins


def free_samples(geo: PolyphaseGeometry, free_end: bool) -> int:
    """Return the number of samples after the signal that the frames see (unknowns when ``free_end``)."""
    return max(0, geo.right) if free_end else 0


def cqt_operator(
    kernels_real: Array,
    kernels_imag: Array,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
    free_end: bool = False,
) -> Callable[[Array], Array]:
    """Return the full-rate CQT of :func:`cqt` as a linear map for solvers.

    Returns ``op(x)`` for ``x`` of shape ``(batch, n_samples)`` giving the (real, imag) CQT
    ``(batch, n_bins, frames, 2)`` -- the same numbers as ``cqt`` -- with the shifted adds of the
    polyphase layout written as one gather along time and one matmul with the column-to-bin
    incidence matrix: a handful of operations to trace, transpose and compile (``cqt``'s one
    add per tap makes a program that takes many seconds to compile inside a solver loop).

    ``free_end`` (with ``center``): the samples after the last one that the frames see (the
    right padding) are inputs of ``op`` too, ``x`` of shape ``(batch, n_samples + free_samples(...))``,
    instead of a reflection of (or zeros after) the signal.

    Parameters
    ----------
    kernels_real, kernels_imag, layout, width, center, pad_mode, scale
        As in :func:`cqt` (``scale`` in the kernels' dtype).
    n_samples : int
        Length of the signal the operator models.
    free_end : bool
        With ``center``: the right padding is part of the input (see above).

    Returns
    -------
    callable
        ``op(x)``: ``Array [shape=(batch, n_samples (+ free samples))]`` to
        ``Array [shape=(batch, n_bins, frames, 2)]``, linear.
    """
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    right = geo.right - free_samples(geo, free_end and center)
    block, bins = _columns(layout)
    n_cols, t, n_bins = layout.n_cols, geo.n_frames, layout.n_bins
    rows = jnp.arange(t, dtype=jnp.int32)[:, None] + (geo.t0 + jnp.asarray(block))[None, :]
    flat = (rows * n_cols + jnp.arange(n_cols, dtype=jnp.int32)[None, :]).reshape(-1)
    dtype = kernels_real.dtype
    incidence = (jnp.asarray(bins)[:, None] == jnp.arange(n_bins, dtype=jnp.int32)[None, :]).astype(dtype)
    weights = cqt_weights(kernels_real, kernels_imag, layout).reshape(layout.hop, layout.n_cols, 2)
    mode = pad_mode if center else "constant"

    def op(x: Array) -> Array:
        b = x.shape[0]
        xp = cqt_pad(x, geo.left, right, mode)
        blocks = xp.reshape(b, geo.n_blocks, layout.hop)
        g = jnp.einsum("bnh,hcz->bncz", blocks, weights, precision=_HIGHEST).reshape(b, geo.n_blocks * n_cols, 2)
        taps = jnp.take(g, flat, axis=1).reshape(b, t, n_cols, 2)
        y = jnp.einsum("btcz,ck->bkzt", taps, incidence, precision=_HIGHEST)
        if scale is not None:
            y = y * scale[:, None, None]
        return jnp.swapaxes(y, 2, 3)

    return op


def icqt(
    spec: Array,
    kernels_real: Array,
    kernels_imag: Array,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    n_iter: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
    weights: Array | None = None,
    end_width: int = 0,
    end_strength: float = 0.0,
    free_end: bool = False,
) -> Array:
    """Inverse of the full-rate constant-Q transform :func:`cqt` by weighted CGLS.

    Parameters
    ----------
    spec : Array [shape=(..., n_bins, frames)], complex
        The CQT to invert.
    kernels_real, kernels_imag, layout, width, center, pad_mode, scale
        Exactly the arguments of the forward :func:`cqt` that
        produced ``spec`` (packed kernels, polyphase layout, frame width, padding, per-bin
        output factor). Static: ``layout``, ``width``, ``center``, ``pad_mode``.
    n_samples : int
        Length of the signal to reconstruct (static); its CQT must have ``frames`` frames.
    n_iter : int >= 1
        CGLS iterations (static).
    weights : Array [shape=(n_bins,)] or None
        Per-bin least-squares weights (``ICQTConfig.bin_weights``).
    end_width, end_strength : int, float
        Weighting of the signal's ends (``ICQTConfig.end_weighting``): the solution of least
        ``sum(x ** 2 / m)`` with ``m[n] = 1 + end_strength * max(0, 1 - d[n] / end_width) ** 2``,
        ``d[n]`` the distance to the nearer end (static; ``end_strength=0``: minimum norm).
    free_end : bool
        With ``center``: the samples after the signal that the frames see are solved for too
        instead of modelled as the reflection of (or zeros after) a signal of exactly
        ``n_samples`` samples (static). Use it when the true length is unknown (any length with
        ``frames`` frames is then modelled exactly); the first ``n_samples`` are returned.

    Returns
    -------
    Array [shape=(..., n_samples)], real, the dtype of ``spec``'s real part
    """
    batch = spec.shape[:-2]
    n_bins, n_frames = spec.shape[-2:]
    s2 = spec.reshape(-1, n_bins, n_frames)
    b = jnp.stack((jnp.real(s2), jnp.imag(s2)), axis=-1)
    real_dtype = b.dtype
    kr, ki = kernels_real.astype(real_dtype), kernels_imag.astype(real_dtype)
    sc = None if scale is None else scale.astype(real_dtype)

    free_end = free_end and center
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    n_total = n_samples + free_samples(geo, free_end)
    operator = cqt_operator(
        kr,
        ki,
        layout=layout,
        width=width,
        n_samples=n_samples,
        center=center,
        pad_mode=pad_mode,
        scale=sc,
        free_end=free_end,
    )
    w = None if weights is None else weights.astype(real_dtype).reshape(n_bins, 1, 1)
    m = None
    if end_strength > 0 and end_width > 0:
        n = jnp.arange(n_total, dtype=real_dtype)
        d = jnp.minimum(n, n_total - 1 - n)
        m = 1 + end_strength * jnp.clip(1 - d / end_width, 0, None) ** 2
    x = cgls(operator, b, n_samples=n_total, n_iter=n_iter, weights=w, preconditioner=m)
    return x[:, :n_samples].reshape(*batch, n_samples)
