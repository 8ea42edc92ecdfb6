"""Long audio in bounded memory: ``chunked`` / ``iter_chunked`` equal one call on the whole
signal, for every framewise class of ``cases.CASES`` (its configuration's ``frame_geometry()``
says how it frames its input), and their working set does not grow with the signal length."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from backends import BACKENDS, JAX, TORCH
from cases import CASES, Case
from nnaudio_shared import REGISTRY, FrameGeometry, ParameterError, frame_geometry, plan_chunks
from reliability import REPS_AND_TRAINABLE, is_signal, kind, signal
from tolerances import assert_close

ROOT = Path(__file__).resolve().parents[1]

#: Signal-input classes of CASES that cannot be chunked, with the reason (none at present).
NOT_CHUNKABLE: dict[str, str] = {}


def _framewise(cls: str) -> bool:
    """Whether the class's configuration declares a frame geometry."""
    config = REGISTRY[cls].config
    return isinstance(config, type) and bool(config.framewise())


CHUNKABLE = {n: c for n, c in CASES.items() if is_signal(c) and _framewise(c.cls)}
#: The configurations chunked in the tests: one frozen and one trainable per class, plus the
#: non-centred STFT (the other framing).
CHUNKED = {n: c for n, c in REPS_AND_TRAINABLE.items() if n in CHUNKABLE}
CHUNKED["stft-win200-kaiser-constant-nocenter"] = CASES["stft-win200-kaiser-constant-nocenter"]


def test_every_signal_transform_declares_its_frame_geometry():
    """A new framewise class joins the chunked helpers by declaring ``frame_geometry()`` in its
    configuration (or says here why it cannot be chunked)."""
    classes = {c.cls for c in CASES.values() if is_signal(c)}
    missing = {c for c in classes if not _framewise(c)} - set(NOT_CHUNKABLE)
    assert not missing, f"declare frame_geometry() in the configuration of {sorted(missing)} or add to NOT_CHUNKABLE"


def _chunked(backend: Any, m: Any, x: np.ndarray, case: Case, chunk_frames: int) -> np.ndarray:
    out = backend.lib.chunked(m, x, chunk_frames=chunk_frames, **case.call)
    assert backend.is_native(out)
    return backend.to_numpy(out)


#: One configuration per class (the first chunkable CASES entry) for the costlier variants.
ONE_PER_CLASS: dict[str, Case] = {}
for _name, _case in CHUNKABLE.items():
    if all(c.cls != _case.cls for c in ONE_PER_CLASS.values()):
        ONE_PER_CLASS[_name] = _case


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in CHUNKED.items()])
def test_chunked_equals_one_shot(backend, case):
    """Chunks start on hop multiples and overlap by the frame support; the centre padding is
    applied only at the true edges, so the stitched frames are the one-shot frames (float64,
    stereo input, a length that is not a multiple of the hop)."""
    x = signal((2, 2017))
    m = case.build(backend, "float64")
    out = _chunked(backend, m, x, case, 5)
    assert_close(out, case.run(backend, m, x), kind(case), "float64", "chunk_frames=5")


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=n)
        for n, c in {
            **ONE_PER_CLASS,
            **{k: CASES[k] for k in ("stft-win200-kaiser-constant-nocenter", "mfcc-normNone-topdbNone")},
        }.items()
    ],
)
def test_chunks_of_one_frame(case):
    """The extreme plan: one output frame per chunk (every segment is as short as the support).
    Plans are backend-independent; torch executes them here, JAX in the other tests."""
    x = signal((1000,))
    m = case.build(TORCH, "float64")
    assert_close(_chunked(TORCH, m, x, case, 1), case.run(TORCH, m, x), kind(case), "float64", "chunk_frames=1")


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in ONE_PER_CLASS.items()])
def test_chunked_float32_and_pieces(backend, case):
    """float32 agrees with the one-shot result; ``iter_chunked`` on a native array (tensor /
    jax.Array) yields consecutive, disjoint frame ranges covering every frame once; a
    preallocated ``out`` is filled in place."""
    x = signal((3000,)).astype(np.float32)
    m = case.build(backend, "float32")
    one_shot = case.run(backend, m, x)
    geometry = frame_geometry(m, case.call)
    axis = one_shot.ndim + geometry.frame_axis
    stop = 0
    for frames, piece in backend.lib.iter_chunked(m, backend.asarray(x), chunk_frames=9, **case.call):
        assert frames.start == stop and frames.stop - frames.start <= 9
        assert backend.dtype_name(piece) == "float32"
        assert_close(
            backend.to_numpy(piece),
            np.take(one_shot, range(frames.start, frames.stop), axis=axis),
            kind(case),
            "float32",
            f"frames {frames}",
        )
        stop = frames.stop
    assert stop == one_shot.shape[axis]
    if backend is TORCH:
        import torch

        buf = torch.empty(one_shot.shape, dtype=torch.float32)
        assert TORCH.lib.chunked(m, x, chunk_frames=9, out=buf, **case.call) is buf
    else:
        buf = np.empty(one_shot.shape, np.float32)
        assert JAX.lib.chunked(m, x, chunk_frames=9, out=buf, **case.call) is buf
    assert_close(np.asarray(buf), one_shot, kind(case), "float32", "out=")


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_chunked_mfcc_of_a_loud_half_signal_equals_one_shot(backend, half):
    """The chunked MFCC pass had its own copy of the cepstrum: it rounded the mel power to the
    half type before the dB step (Inf/NaN for a loud float16 signal) and skipped the exact
    DCT sums; it now runs the module's own steps."""
    from backends import NP_DTYPES

    m = backend.build("MFCC", sr=8000, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13)
    x = (100.0 * signal((2, 3000))).astype(NP_DTYPES[half])
    one_shot = backend.run(m, x).astype(np.float64)
    assert np.all(np.isfinite(one_shot))
    chunked = backend.to_numpy(backend.lib.chunked(m, backend.asarray(x), chunk_frames=9)).astype(np.float64)
    assert_close(chunked, one_shot, "mfcc", "float32", f"{half} chunked")


class _Recording:
    """A sliceable signal source (like an ``np.memmap`` of a file) that records every read."""

    def __init__(self, x: np.ndarray) -> None:
        self.x, self.shape, self.dtype, self.ndim, self.reads = x, x.shape, x.dtype, x.ndim, []

    def __getitem__(self, key: Any) -> np.ndarray:
        sl = key[-1]
        self.reads.append(sl.indices(self.shape[-1])[:2])
        return self.x[key]


@pytest.mark.parametrize("name", ["mel", "mfcc", "stft-win200-kaiser-constant-nocenter"])
def test_reads_are_bounded_by_the_chunk_not_the_signal(backend, name):
    """The working set: every read is at most ``chunk_frames`` hops plus the overlap, whatever
    the length, and the reads cover the signal in order (two passes for MFCC's global top_db)."""
    case = CASES[name]
    m = case.build(backend, "float32")
    g = frame_geometry(m, case.call)
    for length in (20_000, 80_000):
        src = _Recording(signal((length,)).astype(np.float32))
        for _ in backend.lib.iter_chunked(m, src, chunk_frames=16, **case.call):
            pass
        longest = max(b - a for a, b in src.reads)
        assert longest <= 16 * g.hop_length + 2 * g.n_fft + g.hop_length, (length, longest)
        passes = 2 if g.global_top_db is not None else 1
        assert len(src.reads) == passes * len(plan_chunks(length, g, chunk_frames=16))


def test_plans_cover_every_frame_once_with_hop_aligned_segments():
    for hop, n_fft, center in [(64, 256, True), (50, 255, True), (300, 256, True), (100, 256, False), (1, 3, True)]:
        g = FrameGeometry(hop, n_fft, center)
        for n in (n_fft + 1, 1000, 1001):
            for cf in (1, 3, 50):
                plan = plan_chunks(n, g, chunk_frames=cf)
                assert plan[0].frame_start == 0
                for a, b in zip(plan, plan[1:], strict=False):
                    assert a.frame_stop == b.frame_start
                for c in plan:
                    assert c.start % hop == 0 and 0 <= c.start < c.stop <= n


def test_bad_uses_raise_parameter_errors(backend):
    x = signal((2000,)).astype(np.float32)
    m = backend.build("MelSpectrogram", sr=8000, n_fft=256, hop_length=64, n_mels=16)
    with pytest.raises(ParameterError, match="chunk_frames=0 is invalid"):
        backend.lib.chunked(m, x, chunk_frames=0)
    with pytest.raises(ParameterError, match="module=iSTFT is invalid for chunked processing"):
        backend.lib.chunked(backend.build("iSTFT", n_fft=256, hop_length=64), x)
    bad = x.copy()
    bad[1500] = np.nan  # in a later chunk: each chunk is validated as the eager call would be
    with pytest.raises(ParameterError, match="NaN or Inf"):
        backend.lib.chunked(m, bad, chunk_frames=4)
    with pytest.raises(ParameterError, match="out is"):
        backend.lib.chunked(m, x, chunk_frames=4, out=np.empty((3, 3), np.float32))
    with pytest.raises(ParameterError, match="has 100 samples"):  # one chunk: the one-shot error
        backend.lib.chunked(m, x[:100])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_peak_rss_does_not_grow_with_the_length(name):
    """Measured in fresh processes (``bench/memory.py``): streaming 2 min and 12 min of
    22.05 kHz audio through ``iter_chunked`` peaks within 40 MiB of each other (one call on
    12 min would add about 600 MiB)."""
    sys.path.insert(0, str(ROOT))
    try:
        from bench.memory import measure
    finally:
        sys.path.remove(str(ROOT))
    short, long = (measure(name, "chunked", s, timeout=300) for s in (120, 720))
    assert long["frames"] == 1 + 720 * 22050 // 512
    growth = (long["peak_mib"] - long["baseline_mib"]) - (short["peak_mib"] - short["baseline_mib"])
    assert growth < 40, f"peak RSS grew by {growth:.0f} MiB from 2 to 12 minutes"


def test_multirate_at_the_defaults_with_six_decimation_levels():
    """CQT2010v2 at nnAudio2's defaults decimates down to sr / 64 for its lowest octave: segments
    that start on hop multiples are decimated on the one-shot grid, and the support covers the
    kernels plus the six half-band filters' reach (the CASES configurations go to 3 levels)."""
    m = TORCH.build("CQT2010v2", dtype="float64")
    assert max(m.config.plan().levels) == 6
    x = signal((2, 5 * 22050))
    assert_close(_chunked(TORCH, m, x, CASES["cqt2010v2"], 16), TORCH.run(m, x), "backend", "float64", "defaults")
