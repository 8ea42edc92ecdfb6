"""Multirate constant-Q transform (PyTorch): half-band decimation and per-octave correlation.

Stateless: the kernels come in as arguments, the static layout as a
:class:`nnaudio_shared.MultiratePlan` (see :mod:`nnaudio_shared._multirate` for why the result
equals the full-rate definition).

Half-precision signals (float16, bfloat16) are computed in float32 (complex64 output): the
sums are never accumulated in half precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from nnaudio_shared import MultiratePlan
from torch import Tensor

from ._cqt import _compute, cqt_pad

__all__ = ["halfband_decimate", "multirate_cqt", "multirate_cqt_with_indices", "multirate_pad", "octave_indices"]


def halfband_decimate(x: Tensor, odd_taps: Tensor, centre: float, *, chunk: int = 4096) -> Tensor:
    """Lowpass and halve the rate with a zero-phase half-band filter.

    Parameters
    ----------
    x : Tensor [shape=(batch, n)], ``n`` even
    odd_taps : Tensor [shape=(2 J,)]
        :attr:`HalfbandFilter.odd_taps` (the taps at odd distances from the centre).
    centre : float
        The centre tap.
    chunk : int > 0
        The odd samples are filtered in overlapping chunks of this many outputs, each chunk one
        channel of a depthwise convolution (oneDNN's single-channel 1-D convolution is many
        times slower than its depthwise one).

    Returns
    -------
    Tensor [shape=(batch, n // 2)]
        ``y[m] = sum_j h[j] x[2m + j]``, zeros assumed outside ``x``.
    """
    j = odd_taps.shape[0] // 2
    b = x.shape[0]
    xe, xo = x[:, 0::2], x[:, 1::2]
    m = xo.shape[1]
    chunk = max(1, min(chunk, m))
    r = -(-m // chunk)
    xq = F.pad(xo, (j, r * chunk - m + j - 1))
    frames = xq.unfold(-1, chunk + 2 * j - 1, chunk).reshape(1, b * r, chunk + 2 * j - 1)
    w = odd_taps.reshape(1, 1, -1).expand(b * r, 1, 2 * j)
    y = F.conv1d(frames, w, groups=b * r).reshape(b, r * chunk)[:, :m]
    return torch.add(y, xe, alpha=centre)


def multirate_pad(x: Tensor, plan: MultiratePlan, *, pad_mode: str) -> Tensor:
    """Pad ``x`` with ``pad_mode`` as :meth:`MultiratePlan.padding` says.

    Parameters
    ----------
    x : Tensor [shape=(batch, n)]

    Returns
    -------
    Tensor [shape=(batch, k * hop_length)]
    """
    return cqt_pad(x, *plan.padding(x.shape[-1]), pad_mode)  # repeated reflection for pads wider than x


def octave_indices(plan: MultiratePlan) -> tuple[Tensor, ...]:
    """Gather index of every octave's weight matrix into the interleaved kernels (CPU, int64).

    The kernels are interleaved as ``pairs = [Re k[0], -Im k[0], Re k[1], -Im k[1], ...]`` (the
    packed kernels, conjugated) with one zero appended; ``index[s, 2 i + c]`` is the position in
    ``pairs`` of the value that multiplies frame sample ``s`` for bin ``i`` of the octave (``c = 0``:
    real part, ``1``: imaginary part), the appended zero outside the kernel.
    """
    zero = 2 * int(plan.sizes.sum())
    out = []
    for o in plan.octaves:
        idx = o.frame_index
        pairs = np.stack((2 * idx, 2 * idx + 1), axis=-1).reshape(idx.shape[0], -1)
        out.append(torch.from_numpy(np.where(np.repeat(idx, 2, axis=1) >= 0, pairs, zero)))
    return tuple(out)


def multirate_cqt(
    x: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    plan: MultiratePlan,
    *,
    pad_mode: str,
) -> Tensor:
    """Constant-Q inner products, each octave at its own rate.

    Parameters
    ----------
    x : Tensor [shape=(..., n)], real
    kernels_real, kernels_imag : Tensor [shape=(sum(plan.sizes),)]
        Every bin's kernel at its octave's rate, packed in bin order (:attr:`MultiratePlan.packed_real`).
    plan : MultiratePlan
        Static layout: octave levels, frames, decimation filter.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate (reflection repeats for pads wider than ``x``).

    Returns
    -------
    Tensor [shape=(..., n_bins, 1 + n // hop_length)], complex
        ``X[k, t] = sum_j x[t * hop_length + offsets[k] + j] conj(h_k[j])`` for the full-rate
        kernels ``h_k`` of the plan, to the decimation filters' accuracy.
    """
    return multirate_cqt_with_indices(x, kernels_real, kernels_imag, plan, pad_mode=pad_mode)


def multirate_cqt_with_indices(
    x: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    plan: MultiratePlan,
    *,
    pad_mode: str,
    indices: Sequence[Tensor] | None = None,
) -> Tensor:
    """:func:`multirate_cqt` with the octaves' gather indices passed in (modules keep them precomputed).

    Parameters
    ----------
    x : Tensor [shape=(..., n)], real
    kernels_real, kernels_imag : Tensor [shape=(sum(plan.sizes),)]
        Every bin's kernel at its octave's rate, packed in bin order (:attr:`MultiratePlan.packed_real`).
    plan : MultiratePlan
        Static layout: octave levels, frames, decimation filter.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate (reflection repeats for pads wider than ``x``).
    indices : sequence of Tensor or None
        :func:`octave_indices` of ``plan`` on the kernels' device (built here when ``None``;
        modules pass them precomputed so that nothing is built from NumPy under ``torch.compile``).

    Returns
    -------
    Tensor [shape=(..., n_bins, 1 + n // hop_length)], complex
        ``X[k, t] = sum_j x[t * hop_length + offsets[k] + j] conj(h_k[j])`` for the full-rate
        kernels ``h_k`` of the plan, to the decimation filters' accuracy.
    """
    x = _compute(x)
    batch = x.shape[:-1]
    n = x.shape[-1]
    x2 = x.reshape(-1, n)
    if indices is None:
        indices = [i.to(kernels_real.device) for i in octave_indices(plan)]
    n_frames = plan.n_frames(n)
    t0 = plan.first_frame_block(n)
    taps = torch.tensor(plan.filter.odd_values, dtype=x2.dtype, device=x2.device)
    levels = [multirate_pad(x2, plan, pad_mode=pad_mode)]
    for _ in range(plan.n_levels):
        levels.append(halfband_decimate(levels[-1], taps, plan.filter.centre_value))
    # conjugated kernels interleaved (Re, -Im) + one zero: each octave's weights are one gather
    pairs = torch.cat((torch.stack((kernels_real, -kernels_imag), dim=-1).reshape(-1), kernels_real.new_zeros(1)))
    parts = []
    for octave, index in zip(plan.octaves, indices, strict=True):
        s = levels[octave.level]
        hop = octave.hop
        begin = t0 * hop + octave.frame_start
        span = (n_frames - 1) * hop + octave.frame_size
        frames = s[:, begin : begin + span].unfold(-1, octave.frame_size, hop)  # (B, T, frame_size) view
        # one 2-D GEMM on contiguous frames (bmm on the overlapping view is many times slower)
        out = torch.mm(frames.reshape(-1, octave.frame_size), pairs[index].to(frames.dtype))
        parts.append(out.reshape(frames.shape[0], n_frames, octave.n_bins, 2))
    spec = torch.view_as_complex(torch.cat(parts, dim=2)).transpose(-1, -2)  # (B, n_bins, T)
    return spec.reshape(*batch, *spec.shape[-2:])
