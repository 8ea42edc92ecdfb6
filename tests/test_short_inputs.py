"""Short and odd inputs: every registered transform on 1-16 samples (or 1-2 frames), empty
batches, pads much wider than the signal and hops much longer than the frame.

Each transform either returns its output or raises a :class:`ParameterError`, the same in both
backends, and quickly once compiled. Pads and frames must cost in proportion to the data, not to
a parameter: repeated reflection is one gather (its trace does not grow with the pad), and a hop
longer than the frame does not pad the signal to a whole number of hops.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from backends import BACKENDS, JAX, TORCH, Backend
from nnaudio_shared import REGISTRY, ParameterError
from tolerances import assert_close

import nnaudio_jax
import nnaudio_torch
from nnaudio_jax import functional as jax_functional
from nnaudio_jax.functional import _cqt as jax_fcqt
from nnaudio_torch.functional import _cqt as torch_fcqt

#: Spectrogram-in classes: called with 1 and 2 frames (the others with 1-16 samples).
SPECTRAL_INPUT = {name for name, spec in REGISTRY.items() if spec.make_input.__name__ != "_signal_input"}
#: torch-vs-JAX tolerance (kind, dtype row) by class (default ("backend", "float64")). CFP's
#: power-law layers (``x ** 0.24``) amplify the FFT rounding of the near-silent bins of a clip of a
#: few samples (1e-17 -> 1e-4), so its float64 outputs there agree only to its float32 row.
KIND = {
    "MFCC": ("mfcc", "float64"),
    "Griffin_Lim": ("griffinlim", "float64"),
    "CFP": ("cfp", "float32"),
    "Combined_Frequency_Periodicity": ("cfp", "float32"),
    "iCQT": ("icqt_backend_reflect", "float64"),
}
#: A call after the first (compiling) one must take less than this (seconds).
CALL_BOUND = 1.0


def _lengths(name: str) -> list[int]:
    """1, 2, 3 and 16 samples always, plus one more in 4..15 for every third class (by name)."""
    extra = zlib.crc32(name.encode())
    return [1, 2, 3, *([4 + extra % 12] if extra % 3 == 0 else []), 16]


def _short_input(name: str, n: int) -> tuple[np.ndarray, dict[str, Any]]:
    """``n`` samples of a signal, or ``n`` frames of the class's spectrogram input (float64)."""
    spec = REGISTRY[name]
    y = np.random.default_rng(n).standard_normal(4000 if name in SPECTRAL_INPUT else n)
    inp, _ = spec.make_input(spec.example, y)
    if name in SPECTRAL_INPUT:  # (freq, frames) or (freq, frames, 2): keep the first n frames
        inp = np.ascontiguousarray(inp[:, :n])
    return np.asarray(inp, dtype=np.float64), {}


def _outcome(backend: Backend, m: Any, inp: np.ndarray) -> tuple[str, Any, float]:
    """("ok", outputs, seconds of a second call) or ("error", message, 0)."""
    try:
        backend.call(m, backend.asarray(inp))  # compiles (JAX)
    except ParameterError as err:
        return "error", str(err), 0.0
    start = time.perf_counter()
    out = backend.call(m, backend.asarray(inp))
    outs = [backend.to_numpy(o) for o in (out if isinstance(out, tuple) else (out,))]  # waits for the result
    return "ok", outs, time.perf_counter() - start


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_transform_on_a_few_samples_returns_or_raises_alike_and_quickly(name):
    """Registry-wide: 1-16 samples (1-2 frames for spectrogram inputs) give the same outcome in
    both backends (the same ParameterError, or outputs that agree in float64, all finite), and a
    call after the first takes less than :data:`CALL_BOUND`."""
    spec = REGISTRY[name]
    modules = {b: BACKENDS[b].build(name, dtype="float64", **spec.example) for b in BACKENDS}
    lengths = [1, 2] if name in SPECTRAL_INPUT else _lengths(name)
    for n in lengths:
        inp, _ = _short_input(name, n)
        results = {b: _outcome(BACKENDS[b], modules[b], inp) for b in BACKENDS}
        (st, vt, tt), (sj, vj, tj) = results["torch"], results["jax"]
        assert st == sj, (
            f"{name} on {n}: torch {st} ({vt if st == 'error' else 'output'}), jax {sj} ({vj if sj == 'error' else 'output'})"
        )
        if st == "error":
            assert vt == vj, f"{name} on {n}: different messages"
            continue
        assert max(tt, tj) < CALL_BOUND, f"{name} on {n}: torch {tt:.3f} s, jax {tj:.3f} s per call"
        assert len(vt) == len(vj)
        for a, b in zip(vj, vt, strict=True):
            if a.size == 0 or max(np.abs(a).max(), np.abs(b).max()) < 1e-12:  # e.g. iSTFT of 1 frame, CFP of 1 sample
                assert a.shape == b.shape and np.all(np.abs(a - b) < 1e-15), f"{name} on {n}"
                continue
            assert_close(a, b, *KIND.get(name, ("backend", "float64")), f"{name} on {n}: jax vs torch")


def test_the_short_input_matrix_exercises_both_outcomes():
    """The registry-wide test above is not vacuous: some short inputs raise and some compute."""
    outcomes = set()
    for name in ("STFT", "CQT1992v2"):
        m = TORCH.build(name, dtype="float64", **REGISTRY[name].example)
        for n in (1, 16):
            outcomes.add(_outcome(TORCH, m, _short_input(name, n)[0])[0])
    assert outcomes == {"ok", "error"}


# ---------------------------------------------------------------------------------------------
# empty batches: one documented behaviour, a ParameterError in both backends for every transform
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_an_empty_batch_is_the_same_parameter_error_in_both_backends(name):
    """A batch of zero items ``(0, ...)`` is rejected before any computation (torch's FFTs and
    grouped convolutions cannot run on it; JAX used to return empty outputs for some classes and
    fail for others): the same message in both backends, eagerly and under ``jax.jit``."""
    inp, _ = _short_input(name, 2 if name in SPECTRAL_INPUT else 16)
    empty = np.zeros((0, *inp.shape), np.float32)
    messages = {}
    for backend in BACKENDS.values():
        m = backend.build(name, **REGISTRY[name].example)
        calls = [backend.call_eager] + ([backend.call] if backend is JAX else [])
        for call in calls:
            with pytest.raises(ParameterError, match=r"empty") as info:
                call(m, backend.asarray(empty))
            messages[(backend.name, call.__name__)] = str(info.value)
    assert len(set(messages.values())) == 1, messages


# ---------------------------------------------------------------------------------------------
# pads wider than the signal: repeated reflection in O(1) trace size
# ---------------------------------------------------------------------------------------------
PADS = [(1, 5, 7), (2, 9, 4), (3, 20, 20), (5, 3, 12), (4, 1, 1), (6, 0, 11), (3, 0, 0)]


@pytest.mark.parametrize(("n", "left", "right"), PADS, ids=lambda v: str(v))
def test_cqt_pad_repeats_the_reflection_like_numpy(backend, n, left, right):
    x = np.arange(1.0, 2 * n + 1).reshape(2, n)
    expected = np.pad(x, ((0, 0), (left, right)), mode="reflect")
    if backend is JAX:
        got = np.asarray(jax_fcqt.cqt_pad(jnp.asarray(x), left, right, "reflect"))
    else:
        got = torch_fcqt.cqt_pad(torch.from_numpy(x), left, right, "reflect").numpy()
    np.testing.assert_array_equal(got, expected)


def _hlo_lines(f: Any, *args: Any) -> int:
    return len(jax.jit(f).lower(*args).as_text().splitlines())


def test_jax_reflection_pad_trace_does_not_grow_with_the_pad():
    """``jnp.pad(mode='reflect')`` unrolls one step per repetition (a 3-sample clip padded by
    ~20000 samples took minutes to compile); the pad is one gather whatever its width."""
    x = jnp.ones((1, 3))
    small = _hlo_lines(lambda v: jax_fcqt.cqt_pad(v, 40, 40, "reflect"), x)
    for width in (2_000, 20_000):
        assert _hlo_lines(lambda v, w=width: jax_fcqt.cqt_pad(v, w, w, "reflect"), x) <= small


def test_default_cqt_on_a_3_sample_clip_compiles_quickly():
    """Issue 11 item 5: ``CQT1992v2()`` (defaults: kernels of ~23000 samples, so the reflection
    repeats thousands of times) on 3 samples: the first (compiling) call is quick, and both
    backends agree."""
    x = np.random.default_rng(0).standard_normal(3)
    outs = {}
    for backend in BACKENDS.values():
        m = backend.build("CQT1992v2", dtype="float64")
        start = time.perf_counter()
        outs[backend.name] = backend.run(m, x)
        assert time.perf_counter() - start < 60.0, backend  # minutes before the fix (JAX); ~1 s after
    assert outs["torch"].shape == (84, 1)
    assert_close(outs["jax"], outs["torch"], "backend", "float64", "3-sample CQT1992v2")


# ---------------------------------------------------------------------------------------------
# hops longer than the frame: O(frames * n_fft) buffers
# ---------------------------------------------------------------------------------------------
def _largest_intermediate(f: Any, *args: Any) -> int:
    """Size (elements) of the largest array any operation of ``f`` produces, nested calls included."""

    def walk(jaxpr: Any) -> int:
        biggest = 0
        for eqn in jaxpr.eqns:
            for v in eqn.outvars:
                biggest = max(biggest, int(np.prod(v.aval.shape, dtype=np.int64)))
            for p in eqn.params.values():
                for sub in p if isinstance(p, (list, tuple)) else (p,):
                    inner = getattr(sub, "jaxpr", sub)
                    if hasattr(inner, "eqns"):
                        biggest = max(biggest, walk(inner))
        return biggest

    return walk(jax.make_jaxpr(f)(*args).jaxpr)


@pytest.mark.parametrize("hop", [64, 1000, 2**26])
def test_jax_frames_do_not_grow_with_the_hop(hop):
    x = jnp.ones((2, 100))
    n_fft = 64
    for center in (True, False):
        f = lambda v, c=center: jax_functional.frame(v, n_fft=n_fft, hop_length=hop, center=c, pad_mode="constant")  # noqa: E731
        assert _largest_intermediate(f, x) <= 2 * (100 + n_fft) * 2


def test_jax_cqt1992_frames_do_not_grow_with_the_hop():
    m = nnaudio_jax.CQT1992(sr=8000, fmin=200.0, n_bins=24, hop_length=2**26)
    width = m.config.width
    biggest = _largest_intermediate(lambda mod, v: mod(v), m, jnp.ones((1, 100)))
    assert biggest <= 4 * width * max(width // 2 + 1, 24)  # the kernels' own size, not the hop's


@pytest.mark.parametrize("cls", ["STFT", "CQT1992", "CQT1992v2"])
def test_a_huge_hop_on_a_short_clip_is_one_frame_in_both_backends(cls):
    """One frame, equal in both backends and quick: the hop does not size any buffer."""
    kw = dict(n_fft=64, pad_mode="constant") if cls == "STFT" else dict(sr=8000, fmin=200.0, n_bins=24)
    x = np.random.default_rng(1).standard_normal(100)
    outs = {}
    for backend in BACKENDS.values():
        m = backend.build(cls, dtype="float64", hop_length=2**26 if cls != "CQT1992v2" else 2**12, **kw)
        start = time.perf_counter()
        outs[backend.name] = backend.run(m, x)
        assert time.perf_counter() - start < 30.0
    assert outs["torch"].shape[1] == 1
    assert_close(outs["jax"], outs["torch"], "backend", "float64", f"{cls} hop 2**26")


# ---------------------------------------------------------------------------------------------
# torch's meta device
# ---------------------------------------------------------------------------------------------
def test_griffin_lim_rejects_a_meta_spectrogram_on_a_cpu_module_and_infers_shapes_on_meta():
    """Decision: a tensor on another device than the module's kernels (meta included) is a clear
    ParameterError; a module moved to meta computes output shapes from meta input."""
    m = nnaudio_torch.Griffin_Lim(256, hop_length=64, n_iter=2)
    S = torch.ones(129, 20)
    with pytest.raises(ParameterError, match=r"^S is on device meta.*kernels are on cpu"):
        m(S.to("meta"))
    with pytest.raises(ParameterError, match=r"^init_phase is on device meta"):
        m(S, init_phase=torch.zeros(129, 20, device="meta"))
    expected = m(S).shape
    m.to("meta")
    out = m(S.to("meta"))
    assert out.device.type == "meta" and out.shape == expected


@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
def test_cfp_rejects_a_meta_signal_on_a_cpu_module(cls):
    """CFP validated its input without the module's device: a meta tensor ended in an opaque
    RuntimeError inside torch instead of the ParameterError every other transform gives."""
    m = getattr(nnaudio_torch, cls)(fs=8000, hop_length=80, window_size=513)
    with pytest.raises(ParameterError, match=r"^x is on device meta.*kernels are on cpu"):
        m(torch.zeros(1, 4000, device="meta"))


def test_griffin_lim_moves_a_numpy_spectrogram_to_the_kernels_device():
    """NumPy S goes to the module's device like every other NumPy input (checked on meta)."""
    m = nnaudio_torch.Griffin_Lim(256, hop_length=64, n_iter=2).to("meta")
    out = m(np.ones((129, 20), dtype=np.float32))
    assert out.device.type == "meta"
