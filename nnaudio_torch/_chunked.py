"""Long signals in bounded memory: run a framewise module chunk by chunk (PyTorch)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from nnaudio_shared import Chunk, FrameGeometry, ParameterError, frame_geometry, plan_chunks
from torch import Tensor, nn

from . import functional as F
from ._checks import as_audio

__all__ = ["chunked", "iter_chunked"]


def _check_signal(x: Any) -> None:
    """Raise the one-shot call's error for input with no samples axis to slice (a list, a scalar, 0-d)."""
    shape = getattr(x, "shape", None)
    if not isinstance(shape, tuple) or len(shape) == 0:
        as_audio(x)  # raises: not an array, or 0-d
        raise ParameterError(f"x has shape {shape!r}: expected an array of shape (..., time)")


def _segment(x: Any, c: Chunk) -> Any:
    seg = x[..., c.start : c.stop]
    # NumPy (incl. np.memmap) slices along the last axis are strided views: copy just this chunk
    return np.ascontiguousarray(seg) if isinstance(seg, np.ndarray) and seg.ndim > 1 else seg


def _frames(out: Tensor, geometry: FrameGeometry, c: Chunk) -> Tensor:
    return out.narrow(out.ndim + geometry.frame_axis, c.skip, c.frame_stop - c.frame_start)


def _no_grad(module: nn.Module, x: Any, call: dict[str, Any]) -> Tensor:
    # per call, not around the generator's yields (that would leak no_grad into the caller)
    with torch.no_grad():
        return module(x, **call)  # type: ignore[no-any-return]


def _mfcc_chunks(module: Any, x: Any, plan: list[Chunk], geometry: FrameGeometry) -> Iterator[Tensor]:
    """MFCC with ``top_db``: pass 1 finds each item's dB peak, pass 2 clips against it.

    Both passes use the module's own steps (``mel_spectrum`` in the compute dtype, ``_cepstrum``),
    so chunks compute what one call computes: half input stays in float32 until the last cast.
    """
    mel_layer, top_db = module.melspec_layer, geometry.global_top_db
    assert top_db is not None

    def mel_chunks() -> Iterator[tuple[Tensor, torch.dtype]]:
        for c in plan:
            with torch.no_grad():
                mel, out_dtype = mel_layer.mel_spectrum(_segment(x, c))
            yield _frames(mel, geometry, c), out_dtype

    peak: Tensor | None = None
    for mel, _ in mel_chunks():
        db = F.power_to_db(mel, ref=module.ref, amin=module.amin, top_db=None)
        p = torch.amax(db, dim=(-2, -1), keepdim=True)
        peak = p if peak is None else torch.maximum(peak, p)
    assert peak is not None
    for mel, out_dtype in mel_chunks():
        with torch.no_grad():
            yield module._cepstrum(mel, db_floor=peak - top_db).to(out_dtype)


def iter_chunked(module: nn.Module, x: Any, *, chunk_frames: int = 1024, **call: Any) -> Iterator[tuple[slice, Tensor]]:
    """Run a framewise transform on a long signal chunk by chunk, yielding the output frames.

    Parameters
    ----------
    module : STFT, MelSpectrogram, MFCC, Gammatonegram, CQT1992v2, CQT1992, CQT2010v2, CQT2010 or VQT
        Any framewise transform: its configuration declares a ``frame_geometry()``.
    x : Tensor or np.ndarray [shape=(..., time)]
        The whole signal; anything sliceable along the last axis works, e.g. an ``np.memmap``
        of a file larger than memory (only one chunk is read at a time).
    chunk_frames : int >= 1
        Output frames per chunk. Working memory is proportional to it (plus the overlap of one
        frame support per chunk), not to the signal length.
    **call
        Keywords for the module call (e.g. ``output_format`` for :class:`STFT`).

    Yields
    ------
    frames : slice
        The one-shot frame indices of this piece.
    out : Tensor [shape=(..., freq, n)] (``(..., freq, n, 2)`` for a complex STFT)
        ``module(x, **call)[..., frames]`` (the frame axis is the one before a trailing
        (real, imag) axis).

    Raises
    ------
    ParameterError
        For a module that is not a framewise transform of a signal, a bad ``chunk_frames``, or
        whatever ``module(x)`` itself would raise (checked per chunk).

    Notes
    -----
    Chunks start on hop multiples and overlap by the frame support, and the centre padding is
    applied only at the true ends of ``x``, so the stitched output equals one call on the whole
    signal up to float rounding of the matmuls (the frames are the same numbers). MFCC with
    ``top_db`` clips against the peak of the whole signal, so it is computed in two passes
    (twice the mel work). Runs under :func:`torch.no_grad`: this is an inference helper, and an
    autograd graph over every chunk would hold memory proportional to the length.
    """
    _check_signal(x)
    geometry = frame_geometry(module, call)
    plan = plan_chunks(int(x.shape[-1]), geometry, chunk_frames=chunk_frames)
    if len(plan) == 1:  # short signal: exactly the one-shot call (and its errors)
        out = _no_grad(module, x if isinstance(x, (np.ndarray, Tensor)) else x[..., :], call)
        yield slice(0, out.shape[out.ndim + geometry.frame_axis]), out
        return
    if geometry.global_top_db is not None:
        for c, out in zip(plan, _mfcc_chunks(module, x, plan, geometry), strict=True):
            yield slice(c.frame_start, c.frame_stop), out
        return
    for c in plan:
        yield slice(c.frame_start, c.frame_stop), _frames(_no_grad(module, _segment(x, c), call), geometry, c)


def chunked(module: nn.Module, x: Any, *, chunk_frames: int = 1024, out: Tensor | None = None, **call: Any) -> Tensor:
    """``module(x, **call)`` for a long signal, computed chunk by chunk in bounded memory.

    Parameters
    ----------
    module : STFT, MelSpectrogram, MFCC, Gammatonegram, CQT1992v2, CQT1992, CQT2010v2, CQT2010 or VQT
        See :func:`iter_chunked`.
    x : Tensor or np.ndarray [shape=(..., time)]
        See :func:`iter_chunked`.
    chunk_frames : int >= 1
        Output frames per chunk.
    out : Tensor or None
        Preallocated output of the one-shot shape and dtype (e.g. a tensor from
        ``torch.from_file`` or over an ``np.memmap``); allocated when ``None``.
    **call
        Keywords for the module call.

    Returns
    -------
    Tensor
        Equal to ``module(x, **call)`` (see :func:`iter_chunked` for the guarantees). Peak memory
        is the output plus one chunk's working set, independent of the signal length.

    Examples
    --------
    >>> import numpy as np, nnaudio_torch as nt
    >>> mel = nt.MelSpectrogram(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
    >>> x = np.random.default_rng(0).standard_normal(22050 * 60).astype(np.float32)  # 1 minute
    >>> S = nt.chunked(mel, x, chunk_frames=512)
    >>> S.shape
    torch.Size([128, 2584])
    """
    _check_signal(x)
    geometry = frame_geometry(module, call)
    plan = plan_chunks(int(x.shape[-1]), geometry, chunk_frames=chunk_frames)
    for frames, piece in iter_chunked(module, x, chunk_frames=chunk_frames, **call):
        axis = piece.ndim + geometry.frame_axis
        if out is None:
            if len(plan) == 1:
                return piece
            shape = (*piece.shape[:axis], plan[-1].frame_stop, *piece.shape[axis + 1 :])
            out = piece.new_empty(shape)
        elif frames.start == 0:
            _check_out(out, piece, axis, plan[-1].frame_stop if len(plan) > 1 else piece.shape[axis])
        out.narrow(axis, frames.start, frames.stop - frames.start).copy_(piece)
    assert out is not None
    return out


def _check_out(out: Any, piece: Tensor, axis: int, n: int) -> None:
    shape = (*piece.shape[:axis], n, *piece.shape[axis + 1 :])
    if not isinstance(out, Tensor) or tuple(out.shape) != shape or out.dtype != piece.dtype:
        got = f"{type(out).__name__} {tuple(getattr(out, 'shape', ()))} {getattr(out, 'dtype', '')}"
        raise ParameterError(f"out is {got}: expected a Tensor of shape {shape} and dtype {piece.dtype}")
