"""Long signals in bounded memory: run a framewise module chunk by chunk (JAX)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array
from nnaudio_shared import Chunk, ParameterError, frame_geometry, plan_chunks

from . import functional as F
from ._checks import as_audio

__all__ = ["chunked", "iter_chunked"]

_Call = tuple[tuple[str, Any], ...]


@partial(jax.jit, static_argnums=(2, 3, 4, 5))
def _frames_of(m: nnx.Module, x: Array, call: _Call, axis: int, skip: int, n: int) -> Array:
    # one compilation per segment shape (first, interior, last chunk): at most three
    out = m(x, **dict(call))
    return jax.lax.slice_in_dim(out, skip, skip + n, axis=out.ndim + axis)


@partial(jax.jit, static_argnums=(2, 3))
def _mel_db(m: Any, x: Array, skip: int, n: int) -> tuple[Array, Array]:
    """Return the chunk's mel power (compute dtype: float32 for half input) and its dB peak per item."""
    mel = jax.lax.slice_in_dim(m.melspec_layer.mel_spectrum(x)[0], skip, skip + n, axis=-1)
    db = F.power_to_db(mel, ref=m.ref, amin=m.amin, top_db=None)
    return mel, jnp.max(db, axis=(-2, -1), keepdims=True)


@partial(jax.jit, static_argnums=(3, 4, 5))
def _mfcc_clipped(m: Any, x: Array, peak: Array, skip: int, n: int, out_dtype: Any) -> Array:
    mel, _ = _mel_db(m, x, skip, n)
    return m._cepstrum(mel, db_floor=peak - m.top_db).astype(out_dtype)


def _check_signal(x: Any) -> None:
    """Raise the one-shot call's error for input with no samples axis to slice (a list, a scalar, 0-d)."""
    shape = getattr(x, "shape", None)
    if not isinstance(shape, tuple) or len(shape) == 0:
        as_audio(x)  # raises: not an array, or 0-d
        raise ParameterError(f"x has shape {shape!r}: expected an array of shape (..., time)")


def _segment(x: Any, c: Chunk) -> tuple[Array, Any]:
    """Return the chunk as a device array of the input dtype, and the module's output dtype."""
    if isinstance(x, jax.Array):  # a traced start: one compiled slice per chunk length, not per chunk
        seg = jax.lax.dynamic_slice_in_dim(x, c.start, c.stop - c.start, axis=x.ndim - 1)
    else:
        seg = x[..., c.start : c.stop]
    if isinstance(seg, np.ndarray) and seg.ndim > 1:  # strided view of a (memmapped) array
        seg = np.ascontiguousarray(seg)
    if isinstance(seg, np.ndarray) and not np.issubdtype(seg.dtype, np.floating):
        as_audio(seg)  # the one-shot error for integer/bool/complex input
    seg = jnp.asarray(seg)
    # eager validation of each chunk (dtype, NaN/Inf), as the one-shot eager call would do
    _, out_dtype = as_audio(seg)
    return seg, out_dtype


def _mfcc_chunks(module: Any, x: Any, plan: list[Chunk]) -> Iterator[Array]:
    """MFCC with ``top_db``: pass 1 finds each item's dB peak, pass 2 clips against it."""
    peak: Array | None = None
    for c in plan:
        _, p = _mel_db(module, _segment(x, c)[0], c.skip, c.frame_stop - c.frame_start)
        peak = p if peak is None else jnp.maximum(peak, p)
    assert peak is not None
    for c in plan:
        seg, out_dtype = _segment(x, c)
        yield _mfcc_clipped(module, seg, peak, c.skip, c.frame_stop - c.frame_start, out_dtype)


def iter_chunked(module: Any, x: Any, *, chunk_frames: int = 1024, **call: Any) -> Iterator[tuple[slice, Array]]:
    """Run a framewise transform on a long signal chunk by chunk, yielding the output frames.

    Parameters
    ----------
    module : STFT, MelSpectrogram, MFCC, Gammatonegram, CQT1992v2, CQT1992, CQT2010v2, CQT2010 or VQT
        Any framewise transform: its configuration declares a ``frame_geometry()``.
    x : jax.Array or np.ndarray [shape=(..., time)]
        The whole signal; anything sliceable along the last axis works, e.g. an ``np.memmap``
        of a file larger than memory (only one chunk is read and moved to the device at a time).
    chunk_frames : int >= 1
        Output frames per chunk. Working memory is proportional to it (plus the overlap of one
        frame support per chunk), not to the signal length.
    **call
        Keywords for the module call (e.g. ``output_format`` for :class:`STFT`).

    Yields
    ------
    frames : slice
        The one-shot frame indices of this piece.
    out : jax.Array [shape=(..., freq, n)] (``(..., freq, n, 2)`` for a complex STFT)
        ``module(x, **call)[..., frames]`` (the frame axis is the one before a trailing
        (real, imag) axis).

    Raises
    ------
    ParameterError
        For a module that is not a framewise transform of a signal, a bad ``chunk_frames``, or
        whatever ``module(x)`` itself would raise (each chunk is validated eagerly, NaN/Inf
        included, before its jitted call).

    Notes
    -----
    Chunks start on hop multiples and overlap by the frame support, and the centre padding is
    applied only at the true ends of ``x``, so the stitched output equals one call on the whole
    signal up to float rounding of the matmuls. Each chunk runs through ``jax.jit``: the first,
    interior and last chunks have (at most) three shapes, so at most three compilations. MFCC
    with ``top_db`` clips against the peak of the whole signal, so it is computed in two passes.
    """
    _check_signal(x)
    geometry = frame_geometry(module, call)
    plan = plan_chunks(int(x.shape[-1]), geometry, chunk_frames=chunk_frames)
    if len(plan) == 1:  # short signal: exactly the one-shot call (and its errors)
        out = module(x if isinstance(x, (np.ndarray, jax.Array)) else x[..., :], **call)
        yield slice(0, out.shape[out.ndim + geometry.frame_axis]), out
        return
    if geometry.global_top_db is not None:
        for c, out in zip(plan, _mfcc_chunks(module, x, plan), strict=True):
            yield slice(c.frame_start, c.frame_stop), out
        return
    frozen = tuple(sorted(call.items()))
    for c in plan:
        piece = _frames_of(module, _segment(x, c)[0], frozen, geometry.frame_axis, c.skip, c.frame_stop - c.frame_start)
        yield slice(c.frame_start, c.frame_stop), piece


def chunked(
    module: Any, x: Any, *, chunk_frames: int = 1024, out: np.ndarray | None = None, **call: Any
) -> Array | np.ndarray:
    """``module(x, **call)`` for a long signal, computed chunk by chunk in bounded memory.

    Parameters
    ----------
    module : STFT, MelSpectrogram, MFCC, Gammatonegram, CQT1992v2, CQT1992, CQT2010v2, CQT2010 or VQT
        See :func:`iter_chunked`.
    x : jax.Array or np.ndarray [shape=(..., time)]
        See :func:`iter_chunked`.
    chunk_frames : int >= 1
        Output frames per chunk.
    out : np.ndarray or None
        Preallocated host output of the one-shot shape and dtype (e.g. an ``np.memmap``): it is
        filled and returned. ``None``: the pieces are concatenated into a ``jax.Array`` (peak
        memory twice the output while concatenating).
    **call
        Keywords for the module call.

    Returns
    -------
    jax.Array, or ``out``
        Equal to ``module(x, **call)`` (see :func:`iter_chunked`). Working memory beyond the
        output is one chunk's, independent of the signal length.

    Examples
    --------
    >>> import numpy as np, nnaudio_jax as nj
    >>> mel = nj.MelSpectrogram(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
    >>> x = np.random.default_rng(0).standard_normal(22050 * 60).astype(np.float32)  # 1 minute
    >>> S = nj.chunked(mel, x, chunk_frames=512)
    >>> S.shape
    (128, 2584)
    """
    _check_signal(x)
    geometry = frame_geometry(module, call)
    pieces = []
    for frames, piece in iter_chunked(module, x, chunk_frames=chunk_frames, **call):
        if out is None:
            pieces.append(piece)
            continue
        axis = piece.ndim + geometry.frame_axis
        if frames.start == 0:
            n = plan_chunks(int(x.shape[-1]), geometry, chunk_frames=chunk_frames)[-1].frame_stop
            shape = (*piece.shape[:axis], max(n, piece.shape[axis]), *piece.shape[axis + 1 :])
            if not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.dtype(piece.dtype):
                got = f"{type(out).__name__} {getattr(out, 'shape', '')} {getattr(out, 'dtype', '')}"
                raise ParameterError(f"out is {got}: expected a numpy.ndarray of shape {shape} and dtype {piece.dtype}")
        index = (slice(None),) * axis + (frames,)
        out[index] = np.asarray(piece)
    if out is not None:
        return out
    if len(pieces) == 1:
        return pieces[0]
    return jnp.concatenate(pieces, axis=pieces[0].ndim + geometry.frame_axis)
