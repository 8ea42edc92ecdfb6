"""Stateless full-rate constant-Q transforms (PyTorch): kernels in, spectrogram out.

``cqt`` evaluates ``X[k, t] = sum_j x[c_t + offsets[k] + j] conj(kernel_k[j])`` exactly with the
polyphase GEMM of :func:`nnaudio_shared.polyphase_layout`: the padded signal is cut into
non-overlapping blocks of ``hop`` samples, multiplied once by the (zero-trimmed) block weights,
and the block products are summed along shifted diagonals. No overlapping frames are copied and
the work per frame is about ``2 * sum_k n_k`` multiply-adds (nnAudio2: ``2 * n_bins * width``).

``cqt_fourier`` is Brown & Puckette's algorithm (CQT1992): a rectangular-window FFT of frames of
``width`` samples followed by a product with the kernels' spectra (full spectrum: exact).

Half-precision signals (float16, bfloat16) are computed in float32 (complex64 output): the
sums are never accumulated in half precision.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from nnaudio_shared import (
    NORMALIZATION_TYPES,
    FactoredPlan,
    PolyphaseLayout,
    check_choice,
    polyphase_geometry,
    reflect_indices,
)
from torch import Tensor

from ._stft import magnitude, phase

__all__ = [
    "cqt",
    "cqt_factored",
    "cqt_fourier",
    "cqt_pad",
    "cqt_weights",
    "cqt_with_columns",
    "factored_buffers",
    "factored_weights",
    "layout_columns",
]

_COLUMNS_CACHE: weakref.WeakKeyDictionary[PolyphaseLayout, dict[Any, Tensor]] = weakref.WeakKeyDictionary()


def layout_columns(layout: PolyphaseLayout, device: Any = None) -> Tensor:
    """Return the layout's closed-form gather index ``(col_start, col_lo, col_hi)``, shape ``(3, n_cols)``.

    Modules keep it as a non-persistent buffer (it follows ``.to(device)``); the functions below
    build it on demand (cached per layout and device) when it is not passed.
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    per_device = _COLUMNS_CACHE.setdefault(layout, {})
    cols = per_device.get(device)
    if cols is None:
        cols = torch.from_numpy(np.stack([layout.col_start, layout.col_lo, layout.col_hi])).to(device)
        per_device[device] = cols
    return cols


def cqt_pad(x: Tensor, left: int, right: int, pad_mode: str) -> Tensor:
    """Pad (or crop, for negative widths) the last axis of ``x`` (batch, time).

    ``'reflect'`` repeats the reflection like ``np.pad`` when a pad is wider than the signal.
    """
    n = x.shape[-1]
    if left < 0:
        x, n, left = x[..., -left:], n + left, 0
    if right < 0:
        x, n, right = x[..., : n + right], n + right, 0
    if left == 0 and right == 0:
        return x
    if pad_mode == "constant":
        return F.pad(x, (left, right))
    if left < n and right < n:  # flipped slices: several times faster than F.pad(mode="reflect") on CPU
        return torch.cat((x[..., 1 : left + 1].flip(-1), x, x[..., n - 1 - right : n - 1].flip(-1)), dim=-1)
    idx = torch.from_numpy(reflect_indices(n, left, right)).to(x.device)
    return x[..., idx]


def _compute(x: Tensor) -> Tensor:
    """``x`` in its compute dtype: float16 / bfloat16 in float32 (never accumulate in half precision)."""
    return x.float() if x.dtype.itemsize < 4 else x


def cqt_weights(
    kernels_real: Tensor, kernels_imag: Tensor, layout: PolyphaseLayout, columns: Tensor | None = None
) -> Tensor:
    """Block weights ``(hop, 2 * n_cols)``: column pairs ``(real, -imag)`` of the packed kernels.

    One gather from the packed kernels (index ``col_start + r`` where ``col_lo <= r < col_hi``,
    else an appended zero), so gradients reach trainable kernels. ``columns`` is
    :func:`layout_columns` (built on demand when ``None``).
    """
    if columns is None:
        columns = layout_columns(layout, kernels_real.device)
    start, lo, hi = columns[0, None, :], columns[1, None, :], columns[2, None, :]
    r = torch.arange(layout.hop, device=columns.device)[:, None]
    idx = torch.where((r >= lo) & (r < hi), start + r, -1)
    zero = kernels_real.new_zeros(1)
    wr = torch.cat((kernels_real, zero))[idx]  # index -1 -> the appended zero
    wi = torch.cat((kernels_imag, zero))[idx]
    return torch.stack((wr, -wi), dim=-1).reshape(layout.hop, 2 * layout.n_cols)


def cqt(
    x: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
) -> Tensor:
    """Full-rate constant-Q transform by polyphase GEMM (exact).

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    kernels_real, kernels_imag : Tensor [shape=(sum(sizes),)]
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
    scale : Tensor [shape=(n_bins,)] or None
        Per-bin output factor (e.g. ``sqrt(lengths)``).

    Returns
    -------
    Tensor [shape=(..., n_bins, frames)], complex
        ``X[k, t] = scale[k] * sum_j x[c_t + offsets[k] + j] * conj(kernel_k[j])``.
    """
    return cqt_with_columns(
        x, kernels_real, kernels_imag, layout=layout, width=width, center=center, pad_mode=pad_mode, scale=scale
    )


def cqt_with_columns(
    x: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
    columns: Tensor | None = None,
) -> Tensor:
    """:func:`cqt` with the layout's gather index passed in (modules keep it as a buffer).

    Nothing is then built from NumPy inside the call, so a module's compiled graph has no
    host-to-device copy and the index follows the module's ``.to(device)``.

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    kernels_real, kernels_imag : Tensor [shape=(sum(sizes),)]
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
    scale : Tensor [shape=(n_bins,)] or None
        Per-bin output factor (e.g. ``sqrt(lengths)``).
    columns : Tensor [shape=(3, n_cols)] or None
        :func:`layout_columns` of ``layout`` on the kernels' device (built on demand if ``None``).

    Returns
    -------
    Tensor [shape=(..., n_bins, frames)], complex
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
    weights = cqt_weights(kernels_real.to(x.dtype), kernels_imag.to(x.dtype), layout, columns)
    g = torch.matmul(blocks, weights)  # (b, n_blocks, 2 * n_cols)
    y = _taps(g, layout, geo.t0, t).reshape(b, t, n_bins, 2)
    if scale is not None:
        y = y * scale.to(x.dtype)[:, None]
    spec = torch.view_as_complex(y).transpose(1, 2)
    return spec.reshape(*batch, n_bins, t)


def factored_buffers(plan: FactoredPlan) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """Return the static tensors ``(basis, factored_columns, direct_columns)`` of a factored plan.

    ``basis`` ``(hop, rank)`` float64 (the groups' bases side by side) and ``factored_columns``
    ``(3, n_factored)`` int64 (packed start, shift and size of each factored kernel), ``None``
    without factored groups; ``direct_columns`` the :func:`layout_columns` of the direct part,
    ``None`` without one.
    """
    basis = fcols = dcols = None
    if plan.groups:
        basis = torch.tensor(plan.basis)
        fcols = torch.from_numpy(
            np.stack(
                [np.concatenate([getattr(g, a) for g in plan.groups]) for a in ("kernel_start", "shift", "size")]
            ).astype(np.int64)
        )
    if plan.direct is not None:
        dcols = layout_columns(plan.direct).clone()
    return basis, fcols, dcols


def _taps(g: Tensor, layout: PolyphaseLayout, t0: int, t: int) -> Tensor:
    """``y[:, t, lo:hi] = sum over taps of g[:, t0 + block + t, col:...]`` (pairs), shape (b, t, 2 n_bins)."""
    y = g.new_zeros(g.shape[0], t, 2 * layout.n_bins)
    for block, lo, hi, col in layout.taps:
        m = t0 + block
        y[:, :, 2 * lo : 2 * hi] += g[:, m : m + t, 2 * col : 2 * (col + hi - lo)]
    return y


def factored_weights(
    kernels_real: Tensor,
    kernels_imag: Tensor,
    plan: FactoredPlan,
    buffers: tuple[Tensor | None, Tensor | None, Tensor | None] | None = None,
    scale: Tensor | None = None,
) -> list[Tensor]:
    """Weights of :func:`cqt_factored` from packed kernels (differentiable).

    Returns one convolution weight ``(2 n_g, rank_g, n_blocks_g)`` per factored group (the
    group's block weights projected on its basis, ``basis.T @ W``), then the direct part's block
    weights ``(hop, 2 n_cols)`` if it has one. ``scale`` ``(n_bins,)`` is folded into them.
    """
    if buffers is None:
        buffers = tuple(None if v is None else v.to(kernels_real.device) for v in factored_buffers(plan))  # type: ignore[assignment]
    basis, fcols, dcols = buffers  # type: ignore[misc]
    kr, ki, hop = kernels_real, kernels_imag, plan.hop
    out = []
    if plan.groups:
        assert basis is not None and fcols is not None
        u = basis.to(kr.dtype)
        zero = kr.new_zeros(1)
        kr_ext, ki_ext = torch.cat((kr, zero)), torch.cat((ki, zero))
        r = torch.arange(hop, device=fcols.device)[:, None, None]
        r0 = 0
        for g in plan.groups:
            start, shift, size = (fcols[i, None, None, g.start : g.stop] for i in range(3))
            q = (torch.arange(g.n_blocks, device=fcols.device) * hop)[None, :, None]
            j = shift + q + r  # (hop, n_blocks, n_g): kernel sample of each weight
            idx = torch.where((j >= 0) & (j < size), start + j, -1)
            w = torch.stack((kr_ext[idx], -ki_ext[idx]), dim=-1).reshape(hop, -1)
            v = torch.matmul(u[:, r0 : r0 + g.rank].T, w).reshape(g.rank, g.n_blocks, 2 * g.n_bins).permute(2, 0, 1)
            if scale is not None:
                v = v * scale[g.start : g.stop].repeat_interleave(2)[:, None, None]
            out.append(v.contiguous())
            r0 += g.rank
    if plan.direct is not None:
        off = plan.direct_offset
        wd = cqt_weights(kr[off:], ki[off:], plan.direct, dcols)
        if scale is not None:
            bins = np.concatenate([np.arange(lo, hi) for _, lo, hi, _ in plan.direct.taps]) + plan.n_factored
            wd = wd * scale[torch.from_numpy(bins).to(scale.device)].repeat_interleave(2)
        out.append(wd)
    return out


def cqt_factored(
    x: Tensor,
    weights: list[Tensor],
    basis: Tensor | None,
    *,
    plan: FactoredPlan,
    width: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
) -> Tensor:
    """Full-rate constant-Q transform with the long kernels evaluated through a low-rank basis.

    Equal to :func:`cqt` up to ``plan.tolerance`` of each kernel's norm for kernels in the span
    of the plan's bases (the designed kernels: frozen modules use it for float32 inputs).

    Parameters
    ----------
    x, width, center, pad_mode, scale
        As in :func:`cqt`.
    weights : list of Tensor
        :func:`factored_weights` of the kernels.
    basis : Tensor [shape=(hop, rank)] or None
        The plan's bases side by side (:func:`factored_buffers`; ``None`` without factored groups).
    plan : nnaudio_shared.FactoredPlan
        ``CQT1992v2Config.factored()``.

    Returns
    -------
    Tensor [shape=(..., n_bins, frames)], complex
    """
    x = _compute(x)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    b = x2.shape[0]
    geo = polyphase_geometry(x2.shape[-1], layout=plan, width=width, center=center)
    xp = cqt_pad(x2, geo.left, geo.right, pad_mode if center else "constant")
    hop, t, n_bins = plan.hop, geo.n_frames, plan.n_bins
    blocks = xp.reshape(b, geo.n_blocks, hop)
    outs = []
    if plan.groups:
        assert basis is not None
        u = basis.to(x.dtype)
        blocks_t = blocks.transpose(1, 2)  # (b, hop, n_blocks), a view
        r0 = 0
        for g, v in zip(plan.groups, weights, strict=False):
            # (b, rank_g, n_blocks), contiguous as the convolution wants it; a few extra frames
            z = torch.matmul(u[:, r0 : r0 + g.rank].T, blocks_t)
            m = geo.t0 + g.first_block
            outs.append(F.conv1d(z, v.to(x.dtype))[:, :, m : m + t])
            r0 += g.rank
    if plan.direct is not None:
        gd = torch.matmul(blocks, weights[-1].to(x.dtype))
        outs.append(_taps(gd, plan.direct, geo.t0, t).transpose(1, 2))
    y = torch.cat(outs, dim=1).reshape(b, n_bins, 2, t)
    if scale is not None:
        y = y * scale.to(x.dtype)[:, None, None]
    spec = torch.view_as_complex(y.transpose(2, 3).contiguous())
    return spec.reshape(*batch, n_bins, t)


def cqt_fourier(
    x: Tensor,
    cqt_real: Tensor,
    cqt_imag: Tensor,
    *,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    wcos: Tensor | None = None,
    wsin: Tensor | None = None,
    scale: Tensor | None = None,
) -> Tensor:
    """Constant-Q transform as an FFT of frames times the kernels' spectra (Brown & Puckette 1992).

    Parameters
    ----------
    x : Tensor [shape=(..., time)], real
    cqt_real, cqt_imag : Tensor [shape=(n_bins, width)]
        Full DFT of every kernel centre-padded to ``width`` (``CQT1992Config.spectral_kernels``).
    hop_length : int
    center : bool
        Frame ``t`` centred at ``t * hop`` (pad ``width // 2`` with ``pad_mode``).
    pad_mode : {'reflect', 'constant'}
    wcos, wsin : Tensor [shape=(width // 2 + 1, width)] or None
        Trainable rectangular-window Fourier kernels; ``None`` uses the FFT.
    scale : Tensor [shape=(n_bins,)] or None

    Returns
    -------
    Tensor [shape=(..., n_bins, frames)], complex
        ``X[k] = (1/width) sum_f F[f] conj(H[k, f])`` over all ``width`` frequencies, with the
        negative frequencies of the real frame spectrum ``F`` taken as ``conj(F[width - f])``:
        the exact inner product of each frame with each conjugated kernel.
    """
    n_bins, width = cqt_real.shape
    x = _compute(x)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    if center:
        p = width // 2
        x2 = cqt_pad(x2, p, p, pad_mode)
    frames = x2.unfold(-1, width, hop_length)  # (b, t, width)
    if wcos is None or wsin is None:
        spec = torch.fft.rfft(frames, dim=-1)  # (b, t, width//2 + 1)
        fr, fi = spec.real, spec.imag
    else:
        fr = torch.matmul(frames, wcos.to(x.dtype).T)
        fi = -torch.matmul(frames, wsin.to(x.dtype).T)
    hr, hi = cqt_real.to(x.dtype), cqt_imag.to(x.dtype)
    half = width // 2
    # sum over f of F conj(H): positive half directly, the mirrored bins 1..half-1 via conj(F)
    # F[-f] = conj(F[f]) pairs with conj(H[width - f]).
    a_r, a_i = hr[:, : half + 1], hi[:, : half + 1]
    b_r = torch.zeros_like(a_r)
    b_i = torch.zeros_like(a_i)
    if half > 1:
        b_r = torch.cat((b_r[:, :1], hr[:, half + 1 :].flip(1), b_r[:, half:]), dim=1)
        b_i = torch.cat((b_i[:, :1], hi[:, half + 1 :].flip(1), b_i[:, half:]), dim=1)
    # F conj(A) + conj(F) conj(B) = (fr + i fi)(ar - i ai) + (fr - i fi)(br - i bi)
    real = torch.matmul(fr, (a_r + b_r).T) + torch.matmul(fi, (a_i - b_i).T)
    imag = torch.matmul(fi, (a_r - b_r).T) - torch.matmul(fr, (a_i + b_i).T)
    out = torch.complex(real, imag) / width  # (b, t, n_bins)
    if scale is not None:
        out = out * scale.to(x.dtype)
    out = out.transpose(1, 2)
    return out.reshape(*batch, n_bins, out.shape[-1])


def normalization_scale(normalization_type: Any, lengths: Tensor) -> Tensor | None:
    """Return the per-bin factor of the constant-Q output (``None``: no scaling).

    Parameters
    ----------
    normalization_type : {'librosa', 'convolutional', 'wrap'}
        ``'librosa'``: ``sqrt(lengths)`` (``librosa.cqt(scale=True)``); ``'wrap'``: 2 (nnAudio2's
        folded negative frequencies); ``'convolutional'``: none.
    lengths : Tensor [shape=(n_bins,)]
        Filter lengths in samples.

    Returns
    -------
    Tensor [shape=(n_bins,)] or None
    """
    check_choice("normalization_type", normalization_type, NORMALIZATION_TYPES)
    if normalization_type == "librosa":
        return torch.sqrt(lengths)
    if normalization_type == "wrap":
        return torch.full_like(lengths, 2.0)
    return None


def format_cqt(spec: Tensor, output_format: str, out_dtype: torch.dtype) -> Tensor:
    """Return the complex constant-Q spectrum in the module's output format and dtype.

    Parameters
    ----------
    spec : Tensor [shape=(..., n_bins, frames), complex]
    output_format : {'Magnitude', 'Complex', 'Phase'}
        ``'Complex'``: (real, imag) in a trailing axis; ``'Phase'``: (cos, sin) of the angle.
    out_dtype
        Real dtype of the result.

    Returns
    -------
    Tensor [shape=(..., n_bins, frames) or (..., n_bins, frames, 2)]
    """
    if output_format == "Magnitude":
        out = magnitude(spec)
    elif output_format == "Phase":
        angle = phase(spec)
        out = torch.stack((torch.cos(angle), torch.sin(angle)), dim=-1)
    else:
        out = torch.view_as_real(spec)
    return out.to(out_dtype)
