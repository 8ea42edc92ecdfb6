"""Multirate constant-Q transform (JAX, no Flax): half-band decimation and per-octave correlation.

Stateless: the kernels come in as arguments, the static layout as a
:class:`nnaudio_shared.MultiratePlan` (see :mod:`nnaudio_shared._multirate` for why the result
equals the full-rate definition). Pass the plan and ``pad_mode`` as static values under
``jax.jit``.

Half-precision signals (float16, bfloat16) are computed in float32 (complex64 output): the
sums are never accumulated in half precision.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import MultiratePlan, OctavePlan

from ._cqt import _compute, cqt_pad

__all__ = ["halfband_decimate", "multirate_cqt", "multirate_pad"]

_HIGHEST = jax.lax.Precision.HIGHEST


def halfband_decimate(x: Array, odd_taps: Array, centre: float, *, block: int = 64) -> Array:
    """Lowpass and halve the rate with a zero-phase half-band filter.

    Parameters
    ----------
    x : Array [shape=(batch, n)], ``n`` even
    odd_taps : Array [shape=(2 J,)]
        :attr:`HalfbandFilter.odd_taps` (the taps at odd distances from the centre).
    centre : float
        The centre tap.
    block : int >= J
        Outputs per block of the block-Toeplitz product (see Notes).

    Returns
    -------
    Array [shape=(batch, n // 2)]
        ``y[m] = sum_j h[j] x[2m + j]``, zeros assumed outside ``x``.

    Notes
    -----
    The odd samples, cut into blocks of ``block``, are multiplied by a ``(3 block, block)``
    block-Toeplitz matrix of the taps (each output block needs its own and the two neighbouring
    input blocks): one GEMM, several times faster on CPU than ``lax.conv_general_dilated`` with
    one input channel, and a product XLA never fuses into (and recomputes in) the frame gathers
    that read its result.
    """
    j = odd_taps.shape[0] // 2
    if j > block:
        block = j
    b = x.shape[0]
    xe, xo = x[:, 0::2], x[:, 1::2]
    m = xo.shape[1]
    r = -(-m // block)
    xq = jnp.pad(xo, ((0, 0), (block, r * block - m + block))).reshape(b, r + 2, block)
    windows = jnp.concatenate((xq[:, :r], xq[:, 1 : r + 1], xq[:, 2 : r + 2]), axis=-1)  # (b, r, 3 block)
    taps = jnp.concatenate((odd_taps.astype(x.dtype), jnp.zeros((1,), x.dtype)))[_toeplitz_index(j, block)]
    y = jnp.matmul(windows, taps, precision=_HIGHEST).reshape(b, r * block)[:, :m]
    return centre * xe + y


def _toeplitz_index(j: int, block: int) -> np.ndarray:
    """Index into ``concat(odd_taps, [0])`` of every entry of the block-Toeplitz matrix."""
    u = np.arange(block)[None, :]
    i = np.arange(3 * block)[:, None] - u - block
    return np.where((i >= -j) & (i < j), i + j, 2 * j)


def multirate_pad(x: Array, plan: MultiratePlan, *, pad_mode: str) -> Array:
    """Pad ``x`` with ``pad_mode`` as :meth:`MultiratePlan.padding` says.

    Parameters
    ----------
    x : Array [shape=(batch, n)]

    Returns
    -------
    Array [shape=(batch, k * hop_length)]
    """
    return cqt_pad(x, *plan.padding(x.shape[-1]), pad_mode)  # repeated reflection for pads wider than x


def _octave_weights(kernels_real: Array, kernels_imag: Array, octave: OctavePlan) -> Array:
    """``(frame_size, 2 n)`` matrix: columns ``Re(k_i)``, then ``-Im(k_i)`` (conjugated kernels).

    One gather from the packed kernels (index -1 -> an appended zero), so gradients reach
    trainable kernels; far quicker to compile than a pad per kernel.
    """
    index = np.where(octave.frame_index >= 0, octave.frame_index, kernels_real.shape[0])
    zero = jnp.zeros((1,), dtype=kernels_real.dtype)
    real = jnp.concatenate((kernels_real, zero))[index]
    imag = jnp.concatenate((kernels_imag, zero))[index]
    return jnp.concatenate((real, -imag), axis=1)


def _frames(s: Array, octave: OctavePlan, t0: int, n_frames: int) -> Array:
    """Cut the octave's frames ``(batch, n_frames, frame_size)`` with one gather.

    Frame ``t`` starts at sample ``(t0 + t) * hop + frame_start`` of the level's signal.
    """
    start = t0 * octave.hop + octave.frame_start
    index = start + octave.hop * jnp.arange(n_frames)[:, None] + jnp.arange(octave.frame_size)[None, :]
    return s[:, index]


def multirate_cqt(x: Array, kernels_real: Array, kernels_imag: Array, plan: MultiratePlan, *, pad_mode: str) -> Array:
    """Constant-Q inner products, each octave at its own rate.

    Parameters
    ----------
    x : Array [shape=(..., n)], real
    kernels_real, kernels_imag : Array [shape=(sum(plan.sizes),)]
        Every bin's kernel at its octave's rate, packed in bin order (:attr:`MultiratePlan.packed_real`).
    plan : MultiratePlan
        Static layout: octave levels, frames, decimation filter.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate (reflection repeats for pads wider than ``x``).

    Returns
    -------
    Array [shape=(..., n_bins, 1 + n // hop_length)], complex
        ``X[k, t] = sum_j x[t * hop_length + offsets[k] + j] conj(h_k[j])`` for the full-rate
        kernels ``h_k`` of the plan, to the decimation filters' accuracy.
    """
    x = _compute(x)
    batch = x.shape[:-1]
    n = x.shape[-1]
    x2 = x.reshape(-1, n)
    n_frames = plan.n_frames(n)
    t0 = plan.first_frame_block(n)
    levels = [multirate_pad(x2, plan, pad_mode=pad_mode)]
    taps = jnp.asarray(plan.filter.odd_values, dtype=x2.dtype)
    for _ in range(plan.n_levels):
        levels.append(halfband_decimate(levels[-1], taps, plan.filter.centre_value))
    parts = []
    for octave in plan.octaves:
        frames = _frames(levels[octave.level], octave, t0, n_frames)
        w = _octave_weights(kernels_real, kernels_imag, octave).astype(frames.dtype)
        out = jnp.matmul(frames, w, precision=_HIGHEST)  # (B, T, 2 n)
        nb = octave.n_bins
        parts.append(jnp.swapaxes(jax.lax.complex(out[..., :nb], out[..., nb:]), -1, -2))
    spec = jnp.concatenate(parts, axis=-2)
    return spec.reshape(*batch, *spec.shape[-2:])
