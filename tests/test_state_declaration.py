"""Each configuration declares its module's state once (``config.state_spec()``) and its frame
geometry (``config.frame_geometry()``): the modules of both backends hold exactly the declared
state (names, shapes, trainability, initial values), ``project_nonnegative`` clamps exactly the
declared non-negative trainable state, and chunking frames as the modules do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from conftest import SR
from flax import nnx
from nnaudio_shared import REGISTRY, FrameGeometry, ParameterError, StateEntry, frame_geometry
from nnaudio_shared._config import _Config

import nnaudio_jax as nj
import nnaudio_torch as nt
from nnaudio_jax import Buffer

LIBS = {"torch": nt, "jax": nj}

#: Constructor flags that make state trainable (or add state), per class.
TRAINABLE_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "STFT": [dict(trainable=True), dict(freq_scale="log", fmin=50.0, fmax=3000.0, sr=SR)],
    "iSTFT": [dict(trainable_kernels=True), dict(trainable_window=True)],
    "MelSpectrogram": [dict(trainable_mel=True), dict(trainable_STFT=True)],
    "MFCC": [dict(trainable_mel=True, trainable_STFT=True)],
    "Gammatonegram": [dict(trainable_bins=True), dict(trainable_STFT=True)],
    "CQT1992v2": [dict(trainable=True)],
    "CQT1992": [dict(trainable_CQT=True), dict(trainable_STFT=True)],
    "CQT2010": [dict(trainable_CQT=True)],
    "CQT2010v2": [dict(trainable=True)],
    "VQT": [dict(trainable=True, gamma=10.0)],
}
CASES = [(name, {}) for name in REGISTRY] + [(n, kw) for n, kws in TRAINABLE_VARIANTS.items() for kw in kws]


def _id(value: Any) -> str:
    return value if isinstance(value, str) else ",".join(f"{k}={v}" for k, v in value.items()) or "example"


def _build(lib: str, name: str, extra: dict[str, Any]) -> Any:
    return getattr(LIBS[lib], name)(**{**REGISTRY[name].example, **extra}, dtype="float64")


def _actual_state(lib: str, m: Any) -> dict[str, tuple[np.ndarray, bool]]:
    """``name -> (value, trainable)`` read from the module itself (not through the declaration)."""
    if lib == "torch":
        params = {k for k, _ in m.named_parameters()}
        return {k: (v.detach().numpy(), k in params) for k, v in m.state_dict().items()}
    out = {}
    for path, var in nnx.to_flat_state(nnx.state(m)):
        assert isinstance(var, (nnx.Param, Buffer)), (path, type(var))
        out[".".join(map(str, path))] = (np.asarray(var.get_value()), isinstance(var, nnx.Param))
    return out


def test_every_registered_configuration_declares_its_state():
    for name, spec in REGISTRY.items():
        assert isinstance(spec.config, type) and issubclass(spec.config, _Config), name
        assert spec.config.state_spec is not _Config.state_spec, f"{name}: add state_spec() to {spec.config.__name__}"
    assert set(TRAINABLE_VARIANTS) <= set(REGISTRY)


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize(("name", "extra"), CASES, ids=_id)
def test_module_state_equals_the_declaration(lib, name, extra):
    """Names, shapes (``-1``: any length), trainability (``nn.Parameter`` / ``nnx.Param`` vs buffers),
    dtype kind and initial values (the declared design, bit for bit at float64)."""
    m = _build(lib, name, extra)
    spec = m.config.state_spec()
    assert all(isinstance(e, StateEntry) for e in spec)
    declared = {e.name: e for e in spec}
    assert len(declared) == len(spec), "duplicate state names"
    actual = _actual_state(lib, m)
    assert set(actual) == set(declared)
    assert m.config.state_shapes() == {e.name: e.shape for e in spec}
    for key, entry in declared.items():
        value, trainable = actual[key]
        assert len(entry.shape) == value.ndim and all(
            d in (-1, n) for d, n in zip(entry.shape, value.shape, strict=True)
        ), key
        assert trainable == entry.trainable, key
        assert value.dtype.kind == entry.dtype_kind and value.dtype == np.float64, key
        assert entry.design is not None, key
        design = entry.design()
        assert design.dtype == np.float64 and np.array_equal(value, design), key
    if extra:  # the flags of the variant make something trainable or add state
        baseline = {e.name: e.trainable for e in _build(lib, name, {}).config.state_spec()}
        assert {k: e.trainable for k, e in declared.items()} != baseline


def _expected_clamped(m: Any) -> list[str]:
    return sorted(e.name for e in m.config.state_spec() if e.nonnegative and e.trainable)


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize(("name", "extra"), CASES, ids=_id)
def test_project_nonnegative_clamps_the_declared_state(lib, name, extra):
    """Exactly the trainable entries declared non-negative are clamped, also nested in a model."""
    m = _build(lib, name, extra)
    want = _expected_clamped(m)
    if lib == "torch":
        before = {k: v.detach().clone() for k, v in m.state_dict().items()}
        with torch.no_grad():
            for p in m.parameters():
                p.sub_(0.5)
        got = nt.project_nonnegative(m)
        after = m.state_dict()
        assert sorted(nt.project_nonnegative(torch.nn.Sequential(m))) == [f"0.{k}" for k in want]
        for k in want:
            np.testing.assert_array_equal(after[k].numpy(), np.maximum(before[k].numpy() - 0.5, 0.0))
    else:
        for _, var in nnx.to_flat_state(nnx.state(m, nnx.Param)):
            var.set_value(var.get_value() - 0.5)
        got = nj.project_nonnegative(m)
        for k in want:
            assert float(np.min(_actual_state(lib, m)[k][0])) >= 0.0

        class Model(nnx.Module):
            def __init__(self) -> None:
                self.front = m

        assert sorted(nj.project_nonnegative(Model())) == [f"front.{k}" for k in want]
    assert sorted(got) == want


def test_nonnegative_kernels_are_the_declared_names():
    """The deprecated ``NONNEGATIVE_KERNELS`` equals the names the configurations declare non-negative."""
    names: set[str] = set()
    for name, extra in CASES:
        names.update(
            e.name.rsplit(".", 1)[-1] for e in _build("torch", name, extra).config.state_spec() if e.nonnegative
        )
    from nnaudio_jax import _training as jax_training
    from nnaudio_torch import _training as torch_training

    assert set(torch_training.NONNEGATIVE_KERNELS) == set(jax_training.NONNEGATIVE_KERNELS) == names
    assert names == {"mel_basis", "gammatone_basis"}


# ---------------------------------------------------------------------------------------------
# frame geometry: computed here from the modules' own hop / frame support / centring
# ---------------------------------------------------------------------------------------------
def _width(m: Any) -> int:
    """Frame support of a full-rate CQT: the longest kernel rounded up to a power of two."""
    lengths = np.asarray(m.lengths.detach().numpy() if isinstance(m.lengths, torch.Tensor) else m.lengths[...])
    return int(2 ** np.ceil(np.log2(lengths.max())))


def _expected(name: str, m: Any, fmt: str | None) -> tuple[int, int, bool, int, float | None]:
    axis = -2 if (fmt or getattr(m, "output_format", None)) == "Complex" else -1
    if name == "STFT":
        return m.hop_length, m.n_fft, m.center, axis, None
    if name in ("MelSpectrogram", "Gammatonegram"):
        return m.stft.hop_length, m.stft.n_fft, m.stft.center, -1, None
    if name == "MFCC":
        s = m.melspec_layer.stft
        return s.hop_length, s.n_fft, s.center, -1, m.top_db
    if name in ("CQT1992v2", "CQT1992"):
        return m.hop_length, _width(m), m.center, axis, None
    if name in ("CQT2010v2", "CQT2010", "VQT"):  # centred; support: kernels + decimation filters
        plan = m.config.plan()
        side = max(plan.kernel_left, plan.kernel_right) + plan.filter_reach + 1
        return m.hop_length, 2 * side, True, axis, None
    raise AssertionError(f"{name} has no expected frame geometry here: add it")


CHUNKABLE = sorted(n for n, s in REGISTRY.items() if isinstance(s.config, type) and s.config.framewise())


def test_framewise_classes():
    assert CHUNKABLE == [
        "CQT1992",
        "CQT1992v2",
        "CQT2010",
        "CQT2010v2",
        "Gammatonegram",
        "MFCC",
        "MelSpectrogram",
        "STFT",
        "VQT",
    ]


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("name", CHUNKABLE)
def test_frame_geometry_matches_the_module(lib, name):
    m = _build(lib, name, {})
    formats: list[str | None] = [None]
    if hasattr(m, "output_format"):
        formats += ["Magnitude", "Complex"]
    for fmt in formats:
        call = {} if fmt is None else {"output_format": fmt}
        g = frame_geometry(m, call)
        assert isinstance(g, FrameGeometry)
        got = (g.hop_length, g.n_fft, g.center, g.frame_axis, g.global_top_db)
        assert got == _expected(name, m, fmt), (fmt, got)
        assert m.config.frame_geometry(fmt) == g
    if name == "CQT1992":
        assert m.kernel_width == _width(m)


def test_frame_geometry_of_mfcc_without_top_db():
    m = nt.MFCC(**REGISTRY["MFCC"].example, top_db=None)
    assert frame_geometry(m, {}).global_top_db is None


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("name", sorted(set(REGISTRY) - set(CHUNKABLE)))
def test_not_framewise_modules_are_refused(lib, name):
    m = _build(lib, name, {})
    assert m.config.frame_geometry() is None
    with pytest.raises(ParameterError, match=f"module={name} is invalid for chunked processing: supported are"):
        frame_geometry(m, {})
