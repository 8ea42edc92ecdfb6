"""Chunk plans for long signals.

Which samples to feed a framewise transform so that the frames it returns, stitched together,
equal the frames of one call on the whole signal. A framewise transform with hop ``h``, frame support ``n_fft`` and centring pads
``p = n_fft // 2`` samples on both sides (when ``center``) and returns frame ``t`` computed from
the original samples ``[t h - p, t h - p + n_fft)`` (``p = 0`` without centring). Called on a
segment ``x[a:b]`` with ``a`` a multiple of ``h``, it returns the frames ``a / h + k``; those
whose support lies inside ``[a, b)`` are exactly the one-shot frames, and at the true edges
(``a = 0`` or ``b = len(x)``) the segment's own padding is the one-shot padding. A plan picks,
for each run of output frames, a segment that starts on a hop multiple and overlaps its
neighbours by the frame support, and the number of leading segment frames to drop.

Pure Python; imports no framework. The backends' ``chunked`` helpers execute the plans.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ._config import _Config, n_frames
from ._errors import ParameterError
from ._validate import check_choice, check_int

__all__ = ["FRAME_GEOMETRY", "Chunk", "FrameGeometry", "frame_geometry", "plan_chunks"]


@dataclass(frozen=True)
class FrameGeometry:
    """How a framewise transform cuts its input into frames.

    Attributes
    ----------
    hop_length : int
        Samples between frame starts.
    n_fft : int
        Frame support in samples (the longest kernel; windows shorter than it are zero-padded).
    center : bool
        Whether ``n_fft // 2`` samples are padded at both ends, so frame ``t`` is centred at
        ``t * hop_length``.
    frame_axis : int
        Negative axis of the frames in the output (``-1``, or ``-2`` for a trailing (real, imag)
        axis).
    global_top_db : float or None
        Not ``None`` when the output is clipped against the maximum over all frames (MFCC's
        ``top_db``): such a transform is not frame-local and needs two passes.
    """

    hop_length: int
    n_fft: int
    center: bool
    frame_axis: int = -1
    global_top_db: float | None = None


@dataclass(frozen=True)
class Chunk:
    """One step of a plan.

    Run the transform on ``x[..., start:stop]``, drop its first ``skip`` frames and keep the next
    ``frame_stop - frame_start`` frames, which are the one-shot frames ``[frame_start, frame_stop)``.
    """

    start: int
    stop: int
    skip: int
    frame_start: int
    frame_stop: int


def plan_chunks(n_samples: int, geometry: FrameGeometry, *, chunk_frames: int) -> list[Chunk]:
    """Plan the segments of a chunked transform.

    Parameters
    ----------
    n_samples : int >= 1
        Length of the whole signal.
    geometry : FrameGeometry
    chunk_frames : int >= 1
        Output frames per chunk (the last chunk may have fewer).

    Returns
    -------
    list of Chunk
        A single chunk covering the whole signal when it has at most ``chunk_frames`` frames
        (or is too short to frame, so the transform itself reports why).
    """
    chunk_frames = check_int("chunk_frames", chunk_frames, minimum=1)
    hop, n_fft, center = geometry.hop_length, geometry.n_fft, geometry.center
    p = n_fft // 2 if center else 0
    if n_samples < (1 if center else n_fft):
        total = 0
    else:
        total = n_frames(n_samples, n_fft=n_fft, hop_length=hop, center=center)
    if total <= chunk_frames:
        return [Chunk(0, n_samples, 0, 0, total)]
    # Left margin: a hop multiple > p, so a segment that starts inside the signal holds every
    # sample its first kept frame needs, and (reflect padding) is longer than p at the end.
    margin = -(-(p + 1) // hop) * hop if center else 0
    plan = []
    for t0 in range(0, total, chunk_frames):
        t1 = min(total, t0 + chunk_frames)
        start = max(0, t0 * hop - margin)
        # one hop beyond the support of the last kept frame (so a first segment of a single
        # frame is still longer than p for reflect padding)
        stop = min(n_samples, t1 * hop - p + n_fft)
        plan.append(Chunk(start, stop, t0 - start // hop, t0, t1))
    return plan


def _output_format(call: Mapping[str, Any]) -> str | None:
    """Return the call's ``output_format`` override (validated before any chunk runs), or ``None``."""
    fmt = call.get("output_format")
    if fmt is None:
        return None
    return str(check_choice("output_format", fmt, ("Magnitude", "Complex", "Phase")))


def _registered_config(name: str) -> Any:
    from . import REGISTRY  # the registry imports every configuration: read it after the package

    spec = REGISTRY.get(name)
    return None if spec is None else spec.config


def _chunkable_names() -> list[str]:
    """Class names of the registered transforms whose configuration declares a frame geometry."""
    from . import REGISTRY

    return sorted(n for n, s in REGISTRY.items() if isinstance(s.config, type) and _framewise(s.config))


def _framewise(config: Any) -> bool:
    return isinstance(config, type) and issubclass(config, _Config) and config.framewise()


def _from_config(m: Any, call: Mapping[str, Any]) -> FrameGeometry:
    geometry = m.config.frame_geometry(_output_format(call))
    assert geometry is not None
    return cast(FrameGeometry, geometry)


class _FrameGeometryTable(Mapping[str, Callable[[Any, Mapping[str, Any]], FrameGeometry]]):
    """Read-only view kept for compatibility: chunkable class name -> ``f(module, call_kwargs)``.

    Derived from the registry and each configuration's :meth:`~nnaudio_shared._config._Config.frame_geometry`;
    a new framewise transform joins by declaring its frame geometry in its configuration.
    """

    def __getitem__(self, name: str) -> Callable[[Any, Mapping[str, Any]], FrameGeometry]:
        if not _framewise(_registered_config(name)):
            raise KeyError(name)
        return _from_config

    def __iter__(self) -> Iterator[str]:
        return iter(_chunkable_names())

    def __len__(self) -> int:
        return len(_chunkable_names())

    def __repr__(self) -> str:
        return f"FRAME_GEOMETRY({_chunkable_names()})"


#: Frame geometry by class name (deprecated view, derived from the configurations' declarations:
#: :meth:`frame_geometry` of ``module.config``). Kept so existing imports keep working.
FRAME_GEOMETRY: Mapping[str, Callable[[Any, Mapping[str, Any]], FrameGeometry]] = _FrameGeometryTable()


def frame_geometry(module: Any, call: Mapping[str, Any]) -> FrameGeometry:
    """Return the :class:`FrameGeometry` of ``module`` called with keywords ``call``.

    Reads the declaration of ``module.config`` (:meth:`frame_geometry` of its configuration).

    Raises
    ------
    ParameterError
        If the module's configuration declares no frame geometry (not a framewise transform of
        a signal, e.g. an inverse), or ``call`` has a keyword the module's call does not take.
    """
    config = getattr(module, "config", None)
    if not _framewise(type(config)):
        raise ParameterError(
            f"module={type(module).__name__} is invalid for chunked processing: supported are "
            f"{_chunkable_names()} (framewise transforms of a signal)"
        )
    _check_call_keywords(module, call)
    return _from_config(module, call)


def _check_call_keywords(module: Any, call: Mapping[str, Any]) -> None:
    """Reject keywords the module's call does not take, before any chunk runs."""
    fn = getattr(module, "forward", None) or module.__call__  # torch: forward; Flax NNX: __call__
    params = list(inspect.signature(fn).parameters.values())[1:]  # after the signal
    allowed = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key, value in call.items():
        if key not in allowed:
            takes = ", ".join(allowed) if allowed else "no keywords"
            raise ParameterError(
                f"{key}={value!r} is invalid for chunked {type(module).__name__}: its call takes {takes}"
            )
