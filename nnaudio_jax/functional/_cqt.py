"""Stateless full-rate constant-Q transforms (JAX, no Flax): kernels in, spectrogram out.

``cqt`` evaluates ``X[k, t] = sum_j x[c_t + offsets[k] + j] conj(kernel_k[j])`` exactly with the
polyphase GEMM of :func:`nnaudio_shared.polyphase_layout` (non-overlapping blocks of ``hop``
samples times zero-trimmed block weights, then shifted adds); ``cqt_fourier`` is Brown &
Puckette's spectral-kernel algorithm (CQT1992) with the full spectrum (exact). Pass every
keyword option as a static value under ``jax.jit``.

Half-precision signals (float16, bfloat16) are computed in float32 (complex64 output): the
sums are never accumulated in half precision.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import (
    NORMALIZATION_TYPES,
    FactoredGroup,
    FactoredPlan,
    PolyphaseLayout,
    check_choice,
    polyphase_geometry,
)

from ._stft import frame, magnitude, phase

__all__ = ["cqt", "cqt_factored", "cqt_fourier", "cqt_pad", "cqt_weights", "factored_weights"]

_HIGHEST = jax.lax.Precision.HIGHEST


def cqt_pad(x: Array, left: int, right: int, pad_mode: str) -> Array:
    """Pad (or crop, for negative widths) the last axis of ``x`` (batch, time).

    ``'reflect'`` repeats the reflection like ``np.pad`` when a pad is wider than the signal.
    Such a pad is one gather whose index is computed in the program (``iota``, ``mod``): its
    trace has the same few operations whatever the ratio of pad to signal (``jnp.pad`` unrolls
    one concatenation per repetition, and a 3-sample clip padded by 20000 compiles for minutes).
    """
    n = x.shape[-1]
    if left < 0:
        x, n, left = x[..., -left:], n + left, 0
    if right < 0:
        x, n, right = x[..., : n + right], n + right, 0
    if left == 0 and right == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 1) + [(left, right)]
    if pad_mode == "constant":
        return jnp.pad(x, widths, mode="constant")
    if left < n and right < n:  # one reflection each side
        return jnp.pad(x, widths, mode="reflect")
    return jnp.take(x, _reflect_index(n, left, right), axis=-1, mode="clip")


def _reflect_index(n: int, left: int, right: int) -> Array:
    """Return the source index of each sample of ``np.pad(x, (left, right), mode='reflect')``.

    A traced closed form: ``nnaudio_shared.reflect_indices`` without a baked-in constant of that size.
    """
    i = jnp.arange(-left, n + right, dtype=jnp.int32)
    if n == 1:
        return jnp.zeros_like(i)
    period = 2 * (n - 1)
    i = jnp.mod(i, period)
    return jnp.where(i < n, i, period - i)


def _compute(x: Array) -> Array:
    """``x`` in its compute dtype: float16 / bfloat16 in float32 (never accumulate in half precision)."""
    return x.astype(jnp.float32) if jnp.dtype(x.dtype).itemsize < 4 else x


def cqt_weights(kernels_real: Array, kernels_imag: Array, layout: PolyphaseLayout) -> Array:
    """Block weights ``(hop, 2 * n_cols)``: column pairs ``(real, -imag)`` of the packed kernels.

    One gather from the packed kernels with the closed-form index of the layout
    (``col_start + r`` for ``col_lo <= r < col_hi``), so the compiled program holds three small
    vectors rather than an index matrix, and gradients reach trainable kernels.
    """
    r = jnp.arange(layout.hop, dtype=jnp.int32)[:, None]
    start = jnp.asarray(layout.col_start, dtype=jnp.int32)[None, :]
    valid = (r >= jnp.asarray(layout.col_lo, dtype=jnp.int32)[None, :]) & (
        r < jnp.asarray(layout.col_hi, dtype=jnp.int32)[None, :]
    )
    idx = jnp.where(valid, start + r, 0)
    wr = jnp.where(valid, jnp.take(kernels_real, idx, mode="clip"), 0.0)
    wi = jnp.where(valid, jnp.take(kernels_imag, idx, mode="clip"), 0.0)
    return jnp.stack((wr, -wi), axis=-1).reshape(layout.hop, 2 * layout.n_cols)


def _taps(g: Array, layout: PolyphaseLayout, t0: int, t: int) -> Array:
    """Sum the taps' shifted column blocks into shape (b, t, 2 n_bins).

    One padded slice per tap, added in one fusion (no chain of scatter-adds).
    """
    n_bins = layout.n_bins
    parts = [
        jnp.pad(
            g[:, t0 + block : t0 + block + t, 2 * col : 2 * (col + hi - lo)],
            ((0, 0), (0, 0), (2 * lo, 2 * (n_bins - hi))),
        )
        for block, lo, hi, col in layout.taps
    ]
    return functools.reduce(jnp.add, parts)


def factored_weights(kernels_real: Array, kernels_imag: Array, plan: FactoredPlan) -> list[Array]:
    """Weights of :func:`cqt_factored` from packed kernels (differentiable).

    One convolution weight ``(2 n_g, rank_g, n_blocks_g)`` per factored group (the group's block
    weights projected on its basis, ``basis.T @ W``), then the direct part's block weights
    ``(hop, 2 n_cols)`` if it has one. The plan's small index vectors and bases are constants.
    """
    hop = plan.hop
    out = []
    r = jnp.arange(hop, dtype=jnp.int32)[:, None, None]
    for g in plan.groups:
        start, shift, size = (jnp.asarray(v, dtype=jnp.int32)[None, None, :] for v in (g.kernel_start, g.shift, g.size))
        q = (jnp.arange(g.n_blocks, dtype=jnp.int32) * hop)[None, :, None]
        j = shift + q + r
        valid = (j >= 0) & (j < size)
        idx = jnp.where(valid, start + j, 0)
        wr = jnp.where(valid, jnp.take(kernels_real, idx, mode="clip"), 0.0)
        wi = jnp.where(valid, jnp.take(kernels_imag, idx, mode="clip"), 0.0)
        w = jnp.stack((wr, -wi), axis=-1).reshape(hop, -1)
        u = jnp.asarray(g.basis, dtype=kernels_real.dtype)
        v = jnp.matmul(u.T, w, precision=_HIGHEST)
        out.append(jnp.transpose(v.reshape(g.rank, g.n_blocks, 2 * g.n_bins), (2, 0, 1)))
    if plan.direct is not None:
        off = plan.direct_offset
        out.append(cqt_weights(kernels_real[off:], kernels_imag[off:], plan.direct))
    return out


def _gemm_layout(v: Array | np.ndarray, g: FactoredGroup) -> Array | np.ndarray:
    """Return a group's weight ``(2 n_g, rank, n_blocks)`` as the GEMM matrix ``(n_blocks * rank, 2 n_g)``.

    Rearranged in NumPy when the weights are constants (XLA folds a transposed constant slowly).
    """
    shape = (g.n_blocks * g.rank, 2 * g.n_bins)
    if isinstance(v, np.ndarray):
        return np.ascontiguousarray(np.transpose(v, (2, 1, 0))).reshape(shape)
    return jnp.transpose(v, (2, 1, 0)).reshape(shape)


def cqt_factored(
    x: Array,
    kernels_real: Array,
    kernels_imag: Array,
    *,
    plan: FactoredPlan,
    width: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
    weights: Sequence[Array | np.ndarray] | None = None,
) -> Array:
    """Full-rate constant-Q transform with the long kernels evaluated through a low-rank basis.

    Equal to :func:`cqt` up to ``plan.tolerance`` of each kernel's norm for kernels in the span
    of the plan's bases (the designed kernels: frozen modules use it for float32 inputs). The
    kernels passed in are projected on the bases inside the call.

    Parameters
    ----------
    x, kernels_real, kernels_imag, width, center, pad_mode, scale
        As in :func:`cqt`.
    plan : nnaudio_shared.FactoredPlan
        ``CQT1992v2Config.factored()``.
    weights : sequence of Array or None
        :func:`factored_weights` of the kernels, when already computed (frozen modules pass those
        of the design, so a jitted call does not redo the projection); ``None``: computed here.

    Returns
    -------
    Array [shape=(..., n_bins, frames)], complex
    """
    x = _compute(x)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    b = x2.shape[0]
    geo = polyphase_geometry(x2.shape[-1], layout=plan, width=width, center=center)
    xp = cqt_pad(x2, geo.left, geo.right, pad_mode if center else "constant")
    hop, t, n_bins = plan.hop, geo.n_frames, plan.n_bins
    blocks = xp.reshape(b, geo.n_blocks, hop)
    if weights is None:
        weights = factored_weights(kernels_real.astype(x.dtype), kernels_imag.astype(x.dtype), plan)
    ws = [_gemm_layout(w, g) for w, g in zip(weights, plan.groups, strict=False)]
    ws += [jnp.asarray(w) for w in weights[len(ws) :]]
    ws = [w.astype(x.dtype) if isinstance(w, jax.Array) else jnp.asarray(w, dtype=x.dtype) for w in ws]
    outs = []
    if plan.groups:
        z = jnp.matmul(blocks, jnp.asarray(plan.basis, dtype=x.dtype), precision=_HIGHEST)  # (b, n_blocks, rank)
        r0 = 0
        for g, v in zip(plan.groups, ws, strict=False):
            m = geo.t0 + g.first_block
            zg = z[:, m : m + t + g.n_blocks - 1, r0 : r0 + g.rank]
            # the valid correlation of zg with v as one GEMM on the stacked windows: as fast as
            # lax.conv_general_dilated here, and unlike it still fast inside lax.cond on CPU
            # (XLA's CPU runtime emits convolutions in a conditional branch as naive loops)
            idx = jnp.arange(t, dtype=jnp.int32)[:, None] + jnp.arange(g.n_blocks, dtype=jnp.int32)[None, :]
            windows = zg[:, idx].reshape(b, t, g.n_blocks * g.rank)
            outs.append(jnp.swapaxes(jnp.matmul(windows, v, precision=_HIGHEST), 1, 2))  # (b, 2 n_g, t)
            r0 += g.rank
    if plan.direct is not None:
        gd = jnp.matmul(blocks, ws[-1], precision=_HIGHEST)
        outs.append(jnp.swapaxes(_taps(gd, plan.direct, geo.t0, t), 1, 2))
    y = jnp.concatenate(outs, axis=1).reshape(b, n_bins, 2, t)
    if scale is not None:
        y = y * scale.astype(x.dtype)[:, None, None]
    spec = jax.lax.complex(y[:, :, 0], y[:, :, 1])
    return spec.reshape(*batch, n_bins, t)


def cqt(
    x: Array,
    kernels_real: Array,
    kernels_imag: Array,
    *,
    layout: PolyphaseLayout,
    width: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
) -> Array:
    """Full-rate constant-Q transform by polyphase GEMM (exact).

    Parameters
    ----------
    x : Array [shape=(..., time)], real
    kernels_real, kernels_imag : Array [shape=(sum(sizes),)]
        Packed kernels (:attr:`nnaudio_shared.CQTKernels.packed_real` / ``packed_imag``).
    layout : nnaudio_shared.PolyphaseLayout
        Static layout of the kernels at the hop length (``CQT1992v2Config.layout()``).
    width : int
        Frame width (longest kernel rounded up to a power of two): sets the frame positions
        when ``center=False``.
    center : bool
        Frame ``t`` centred at ``t * hop`` (signal padded with ``pad_mode``); else frame ``t``
        covers ``[t * hop, t * hop + width)``.
    pad_mode : {'reflect', 'constant'}
    scale : Array [shape=(n_bins,)] or None
        Per-bin output factor (e.g. ``sqrt(lengths)``).

    Returns
    -------
    Array [shape=(..., n_bins, frames)], complex
        ``X[k, t] = scale[k] * sum_j x[c_t + offsets[k] + j] * conj(kernel_k[j])``.
    """
    x = _compute(x)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    b = x2.shape[0]
    geo = polyphase_geometry(x2.shape[-1], layout=layout, width=width, center=center)
    xp = cqt_pad(x2, geo.left, geo.right, pad_mode if center else "constant")
    hop, t, n_bins = layout.hop, geo.n_frames, layout.n_bins
    blocks = xp.reshape(b, geo.n_blocks, hop)
    weights = cqt_weights(kernels_real.astype(x.dtype), kernels_imag.astype(x.dtype), layout)
    g = jnp.matmul(blocks, weights, precision=_HIGHEST)  # (b, n_blocks, 2 * n_cols)
    y = _taps(g, layout, geo.t0, t).reshape(b, t, n_bins, 2)
    if scale is not None:
        y = y * scale.astype(x.dtype)[:, None]
    spec = jnp.swapaxes(jax.lax.complex(y[..., 0], y[..., 1]), 1, 2)
    return spec.reshape(*batch, n_bins, t)


def cqt_fourier(
    x: Array,
    cqt_real: Array,
    cqt_imag: Array,
    *,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    wcos: Array | None = None,
    wsin: Array | None = None,
    scale: Array | None = None,
) -> Array:
    """Constant-Q transform as an FFT of frames times the kernels' spectra (Brown & Puckette 1992).

    Parameters
    ----------
    x : Array [shape=(..., time)], real
    cqt_real, cqt_imag : Array [shape=(n_bins, width)]
        Full DFT of every kernel centre-padded to ``width`` (``CQT1992Config.spectral_kernels``).
    hop_length : int
    center : bool
        Frame ``t`` centred at ``t * hop`` (pad ``width // 2`` with ``pad_mode``).
    pad_mode : {'reflect', 'constant'}
    wcos, wsin : Array [shape=(width // 2 + 1, width)] or None
        Trainable rectangular-window Fourier kernels; ``None`` uses the FFT.
    scale : Array [shape=(n_bins,)] or None

    Returns
    -------
    Array [shape=(..., n_bins, frames)], complex
        ``X[k] = (1/width) sum_f F[f] conj(H[k, f])`` over all ``width`` frequencies (the negative
        ones as ``conj(F[width - f])``): the exact inner product of each frame with each
        conjugated kernel.
    """
    n_bins, width = cqt_real.shape
    x = _compute(x)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    if center:
        p = width // 2
        x2 = cqt_pad(x2, p, p, pad_mode)
    frames = frame(x2, n_fft=width, hop_length=hop_length, center=False)  # O(frames * width) for any hop
    if wcos is None or wsin is None:
        spec = jnp.fft.rfft(frames, axis=-1)
        fr, fi = jnp.real(spec), jnp.imag(spec)
    else:
        fr = jnp.matmul(frames, wcos.astype(x.dtype).T, precision=_HIGHEST)
        fi = -jnp.matmul(frames, wsin.astype(x.dtype).T, precision=_HIGHEST)
    hr, hi = cqt_real.astype(x.dtype), cqt_imag.astype(x.dtype)
    half = width // 2
    a_r, a_i = hr[:, : half + 1], hi[:, : half + 1]
    zero = jnp.zeros_like(a_r[:, :1])
    if half > 1:
        b_r = jnp.concatenate((zero, hr[:, half + 1 :][:, ::-1], zero), axis=1)
        b_i = jnp.concatenate((zero, hi[:, half + 1 :][:, ::-1], zero), axis=1)
    else:
        b_r, b_i = jnp.zeros_like(a_r), jnp.zeros_like(a_i)
    mm = lambda a, w: jnp.matmul(a, w.T, precision=_HIGHEST)  # noqa: E731
    real = mm(fr, a_r + b_r) + mm(fi, a_i - b_i)
    imag = mm(fi, a_r - b_r) - mm(fr, a_i + b_i)
    out = jax.lax.complex(real, imag) / width
    if scale is not None:
        out = out * scale.astype(x.dtype)
    out = jnp.swapaxes(out, 1, 2)
    return out.reshape(*batch, n_bins, out.shape[-1])


def normalization_scale(normalization_type: Any, lengths: Array) -> Array | None:
    """Return the per-bin factor of the constant-Q output (``None``: no scaling).

    Parameters
    ----------
    normalization_type : {'librosa', 'convolutional', 'wrap'}
        ``'librosa'``: ``sqrt(lengths)`` (``librosa.cqt(scale=True)``); ``'wrap'``: 2 (nnAudio2's
        folded negative frequencies); ``'convolutional'``: none.
    lengths : Array [shape=(n_bins,)]
        Filter lengths in samples.

    Returns
    -------
    Array [shape=(n_bins,)] or None
    """
    check_choice("normalization_type", normalization_type, NORMALIZATION_TYPES)
    if normalization_type == "librosa":
        return jnp.sqrt(lengths)
    if normalization_type == "wrap":
        return jnp.full_like(lengths, 2.0)
    return None


def format_cqt(spec: Array, output_format: str, out_dtype: Any) -> Array:
    """Return the complex constant-Q spectrum in the module's output format and dtype.

    Parameters
    ----------
    spec : Array [shape=(..., n_bins, frames), complex]
    output_format : {'Magnitude', 'Complex', 'Phase'}
        ``'Complex'``: (real, imag) in a trailing axis; ``'Phase'``: (cos, sin) of the angle.
    out_dtype
        Real dtype of the result.

    Returns
    -------
    Array [shape=(..., n_bins, frames) or (..., n_bins, frames, 2)]
    """
    if output_format == "Magnitude":
        out = magnitude(spec)
    elif output_format == "Phase":
        angle = phase(spec)
        out = jnp.stack((jnp.cos(angle), jnp.sin(angle)), axis=-1)
    else:
        out = jnp.stack((jnp.real(spec), jnp.imag(spec)), axis=-1)
    return out.astype(out_dtype)
