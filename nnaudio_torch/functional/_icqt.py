"""Stateless inverse constant-Q transform (PyTorch): weighted CGLS with the CQT's autodiff adjoint."""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import torch
from nnaudio_shared import PolyphaseGeometry, PolyphaseLayout, polyphase_geometry
from torch import Tensor

from ._cqt import cqt_pad, cqt_weights

__all__ = ["cgls", "cqt_operator", "free_samples", "icqt"]


def _batch_dot(a: Tensor, b: Tensor) -> Tensor:
    """``sum(a * b)`` over every axis but the first: shape ``(batch,)``."""
    return (a * b).reshape(a.shape[0], -1).sum(dim=1)


def _per_item(v: Tensor, like: Tensor) -> Tensor:
    """``v`` of shape ``(batch,)`` reshaped to broadcast against ``like`` ``(batch, ...)``."""
    return v.reshape(-1, *([1] * (like.ndim - 1)))


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    """``num / den`` where ``den > 0`` and 0 elsewhere, with finite gradients everywhere."""
    ok = den > 0
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num))


def cgls(
    operator: Callable[[Tensor], Tensor],
    b: Tensor,
    *,
    n_samples: int,
    n_iter: int,
    weights: Tensor | None = None,
    preconditioner: Tensor | None = None,
) -> Tensor:
    """Weighted least squares by conjugate gradients on the normal equations (CGLS).

    Minimises ``sum(weights * (operator(x) - b) ** 2)`` over real ``x`` of shape
    ``(batch, n_samples)``, starting from ``x = 0``, with exactly ``n_iter`` iterations (one
    ``operator`` and one adjoint each). The adjoint is the transpose of ``operator`` obtained by
    autodiff (:func:`torch.func.vjp` at ``x = 0``), so ``operator`` must be linear. Every step is
    differentiable with respect to ``b`` (and ``weights``); steps whose denominator is zero
    (e.g. ``b = 0``) are skipped without NaN in values or gradients. No randomness.

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
    b : Tensor [shape=(batch, ...)], real
    n_samples : int
    n_iter : int >= 1
    weights : Tensor or None
        Non-negative weights broadcastable to ``b`` (``None``: all ones).
    preconditioner : Tensor [shape=(n_samples,)] or None
        Positive diagonal right preconditioner ``m``: the iterates converge to the solution of
        least ``sum(x ** 2 / m)`` (``None``: all ones, the minimum-norm solution).

    Returns
    -------
    Tensor [shape=(batch, n_samples)]
    """
    x0 = torch.zeros(b.shape[0], n_samples, dtype=b.dtype, device=b.device)
    vjp = torch.func.vjp(operator, x0)[1]

    def weighted(r: Tensor) -> Tensor:
        return r if weights is None else r * weights

    def precondition(s: Tensor) -> Tensor:
        return s if preconditioner is None else s * preconditioner

    def adjoint(r: Tensor) -> Tensor:
        return vjp(weighted(r))[0]  # type: ignore[no-any-return]

    # basis[k]: the k-th residual normalised in the preconditioner inner product (0 where it is 0)
    basis = torch.zeros(n_iter + 1, b.shape[0], n_samples, dtype=b.dtype, device=b.device)

    def store(k: int, s: Tensor, gamma: Tensor) -> None:
        with torch.no_grad():
            basis[k] = s * _per_item(_safe_div(torch.ones_like(gamma), gamma.sqrt()), s)

    def reorthogonalise(s: Tensor, k: int) -> Tensor:
        with torch.no_grad():
            u = basis[:k]
            v = s.detach()
            for _ in range(2):
                v = v - torch.einsum("kb,kbn->bn", torch.einsum("kbn,bn->kb", u, precondition(v)), u)
            correction = v - s.detach()
        return s + correction

    x = x0
    r = b
    s = adjoint(r)
    z = precondition(s)
    p = z
    gamma = _batch_dot(s, z)
    store(0, s, gamma)
    for k in range(1, n_iter + 1):
        q = operator(p)
        alpha = _safe_div(gamma, _batch_dot(q, weighted(q)))
        x = x + _per_item(alpha, p) * p
        r = r - _per_item(alpha, q) * q
        s = reorthogonalise(adjoint(r), k)
        z = precondition(s)
        gamma_new = _batch_dot(s, z)
        store(k, s, gamma_new)
        p = z + _per_item(_safe_div(gamma_new, gamma), p) * p
        gamma = gamma_new
    return x


_TAPS: weakref.WeakKeyDictionary[PolyphaseLayout, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def _columns(layout: PolyphaseLayout) -> tuple[np.ndarray, np.ndarray]:
    """Block offset and bin of every GEMM column of ``layout`` (from its taps), cached."""
    cols = _TAPS.get(layout)
    if cols is None:
        block = np.empty(layout.n_cols, dtype=np.int64)
        bins = np.empty(layout.n_cols, dtype=np.int64)
        for b, lo, hi, col in layout.taps:
            block[col : col + hi - lo] = b
            bins[col : col + hi - lo] = np.arange(lo, hi)
        cols = (block, bins)
        _TAPS[layout] = cols
    return cols


def free_samples(geo: PolyphaseGeometry, free_end: bool) -> int:
    """Return the number of samples after the signal that the frames see (unknowns when ``free_end``)."""
    return max(0, geo.right) if free_end else 0


def cqt_operator(
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
    free_end: bool = False,
) -> Callable[[Tensor], Tensor]:
    """Return the full-rate CQT of :func:`cqt` as a linear map for solvers.

    Returns ``op(x)`` for ``x`` of shape ``(batch, n_samples)`` giving the (real, imag) CQT
    ``(batch, n_bins, frames, 2)`` -- the same numbers as ``cqt`` -- with the shifted adds of the
    polyphase layout written as one gather along time and one matmul with the column-to-bin
    incidence matrix. Autodiff of those is a single scatter and a matmul, so the adjoint
    (``torch.func.vjp``) costs about as much as the transform; the slice-by-slice adds of ``cqt``
    would allocate a full-size gradient per tap.

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
        ``op(x)``: ``Tensor [shape=(batch, n_samples (+ free samples))]`` to
        ``Tensor [shape=(batch, n_bins, frames, 2)]``, linear.
    """
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    right = geo.right - free_samples(geo, free_end and center)
    block, bins = _columns(layout)
    device, dtype = kernels_real.device, kernels_real.dtype
    n_cols, t, n_bins = layout.n_cols, geo.n_frames, layout.n_bins
    # g[b, n, z * n_cols + c]: block n times weight column c of part z (0 real, 1 imag)
    rows = np.arange(t)[:, None, None] + geo.t0 + block[None, None, :]  # (t, 1, n_cols)
    cols = np.arange(2)[None, :, None] * n_cols + np.arange(n_cols)[None, None, :]  # (1, 2, n_cols)
    flat = torch.from_numpy((rows * 2 * n_cols + cols).reshape(1, -1)).to(device)
    incidence = torch.from_numpy((bins[:, None] == np.arange(n_bins)[None, :]).astype(np.float64))
    incidence = incidence.to(device=device, dtype=dtype)
    weights = cqt_weights(kernels_real, kernels_imag, layout).reshape(layout.hop, n_cols, 2)
    weights = weights.permute(0, 2, 1).reshape(layout.hop, 2 * n_cols)
    mode = pad_mode if center else "constant"

    def op(x: Tensor) -> Tensor:
        b = x.shape[0]
        xp = cqt_pad(x, geo.left, right, mode)
        g = torch.matmul(xp.reshape(b, geo.n_blocks, layout.hop), weights).reshape(b, -1)
        taps = g.gather(1, flat.expand(b, -1)).reshape(b, t, 2, n_cols)
        y = torch.matmul(taps, incidence)  # (b, t, 2, n_bins)
        if scale is not None:
            y = y * scale
        return y.permute(0, 3, 1, 2)

    return op


def icqt(
    spec: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    n_iter: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
    weights: Tensor | None = None,
    end_width: int = 0,
    end_strength: float = 0.0,
    free_end: bool = False,
) -> Tensor:
    """Inverse of the full-rate constant-Q transform :func:`cqt` by weighted CGLS.

    Parameters
    ----------
    spec : Tensor [shape=(..., n_bins, frames)], complex
        The CQT to invert.
    kernels_real, kernels_imag, layout, width, center, pad_mode, scale
        Exactly the arguments of the forward :func:`cqt` that
        produced ``spec`` (packed kernels, polyphase layout, frame width, padding, per-bin
        output factor).
    n_samples : int
        Length of the signal to reconstruct; its CQT must have ``frames`` frames.
    n_iter : int >= 1
        CGLS iterations.
    weights : Tensor [shape=(n_bins,)] or None
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
    Tensor [shape=(..., n_samples)], real, the dtype of ``spec``'s real part
    """
    batch = spec.shape[:-2]
    n_bins, n_frames = spec.shape[-2:]
    real_dtype = spec.real.dtype
    b = torch.view_as_real(spec.reshape(-1, n_bins, n_frames))
    kr, ki = kernels_real.to(real_dtype), kernels_imag.to(real_dtype)
    sc = None if scale is None else scale.to(real_dtype)

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
    w = None if weights is None else weights.to(real_dtype).reshape(n_bins, 1, 1)
    m = None
    if end_strength > 0 and end_width > 0:
        n = torch.arange(n_total, device=spec.device, dtype=real_dtype)
        d = torch.minimum(n, n_total - 1 - n)
        m = 1 + end_strength * torch.clamp(1 - d / end_width, min=0) ** 2
    x = cgls(operator, b, n_samples=n_total, n_iter=n_iter, weights=w, preconditioner=m)
    return x[:, :n_samples].reshape(*batch, n_samples)
