"""State files are untrusted input: edited, hostile, corrupted and concurrently written files.

Every outcome of ``load`` is a module equal to the saved one or a ``ParameterError``, within a
time and memory bound, in both backends. The fuzz test at the bottom draws byte flips,
truncations and JSON edits of real files (hypothesis, derandomised, bounded).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from backends import JAX, TORCH
from conftest import SR
from flax import nnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nnaudio_shared import (
    DESIGN_BUDGET_FACTOR,
    DESIGN_BUDGET_FLOOR,
    MAX_FILE_N_ITER,
    MAX_JSON_DEPTH,
    MAX_METADATA_BYTES,
    METADATA_KEY,
    REGISTRY,
    ParameterError,
    build_config,
)
from safetensors import safe_open
from safetensors.numpy import save_file

import nnaudio_jax
import nnaudio_torch
from nnaudio_jax._interop import module_state as jax_state
from nnaudio_torch._interop import module_state as torch_state

LIBS = {"torch": nnaudio_torch, "jax": nnaudio_jax}
STATE = {"torch": torch_state, "jax": jax_state}
#: Per-load bounds of the hostile-file tests (a rejected file costs milliseconds and kilobytes).
MAX_SECONDS = 2.0
MAX_BYTES = 200 * 2**20


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with safe_open(str(path), framework="numpy") as f:
        meta = json.loads(f.metadata()[METADATA_KEY])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    return meta, tensors


def _write(path: Path, meta: Any, tensors: dict[str, np.ndarray], *, text: str | None = None) -> Path:
    """A safetensors file with the given tensors and metadata (JSON of ``meta`` unless ``text``)."""
    save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(meta) if text is None else text})
    return path


def _rehash(meta: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
    meta["state"] = {
        k: {"shape": list(v.shape), "dtype": v.dtype.name, "sha256": hashlib.sha256(v.tobytes()).hexdigest()}
        for k, v in tensors.items()
    }


def _edited(src: Path, dst: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    meta, tensors = _read(src)
    edit(meta)
    return _write(dst, meta, tensors)


def _bounded(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run ``fn``; return (result or the ParameterError, seconds, peak traced bytes)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out: Any = fn()
    except ParameterError as e:
        out = e
    finally:
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out, seconds, peak


def _refused(lib: str, path: Path, match: str) -> None:
    """``load`` raises a ParameterError matching ``match`` within the time and memory bounds."""
    out, seconds, peak = _bounded(lambda: LIBS[lib].load(path))
    assert isinstance(out, ParameterError), f"{lib} loaded {path.name}"
    assert __import__("re").search(match, str(out)), str(out)
    assert seconds < MAX_SECONDS and peak < MAX_BYTES, (seconds, peak)


def _save(tmp_path: Path, cls: str, name: str = "m.safetensors", **kw: Any) -> tuple[Any, Path]:
    m = TORCH.build(cls, **kw)
    path = tmp_path / name
    nnaudio_torch.save(m, path)
    return m, path


def _same(lib: str, loaded: Any, original: Any) -> None:
    a, b = STATE[lib](loaded), torch_state(original)
    assert a.config == b.config and a.dtype == b.dtype and a.trainable == b.trainable
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        assert a.arrays[k].dtype == b.arrays[k].dtype and np.array_equal(a.arrays[k], b.arrays[k]), k


# ---------------------------------------------------------------------------------------------
# the state declaration (what files are checked against before designing)
# ---------------------------------------------------------------------------------------------
TRAINABLE_VARIANTS = {
    "STFT": [dict(trainable=True), dict(freq_scale="log", fmin=50.0, fmax=3000.0, sr=SR)],
    "iSTFT": [dict(trainable_kernels=True, trainable_window=True)],
    "MelSpectrogram": [dict(trainable_mel=True, trainable_STFT=True)],
    "MFCC": [dict(trainable_mel=True, trainable_STFT=True)],
    "Gammatonegram": [dict(trainable_bins=True, trainable_STFT=True)],
    "CQT1992v2": [dict(trainable=True)],
    "CQT1992": [dict(trainable_STFT=True, trainable_CQT=True)],
    "CQT2010": [dict(trainable_CQT=True)],
    "CQT2010v2": [dict(trainable=True)],
    "VQT": [dict(trainable=True, gamma=10.0)],
}
DECLARATION_CASES = [(name, {}) for name in REGISTRY] + [
    (name, kw) for name, kws in TRAINABLE_VARIANTS.items() for kw in kws
]


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize(("name", "extra"), DECLARATION_CASES, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_state_shapes_declare_the_module_state(lib, name, extra):
    """``config.state_shapes()`` (no design) names every state array with its shape (-1: any length)."""
    m = getattr(LIBS[lib], name)(**{**REGISTRY[name].example, **extra})
    state = STATE[lib](m)
    cfg = build_config(REGISTRY[name], state.config, what="test")
    assert cfg == m.config
    shapes = cfg.state_shapes()
    assert shapes.keys() == state.arrays.keys()
    for k, shape in shapes.items():
        got = state.arrays[k].shape
        assert len(shape) == len(got) and all(a in (-1, b) for a, b in zip(shape, got, strict=True)), (k, shape, got)
    elements = sum(a.size for a in state.arrays.values())
    assert cfg.design_size() <= max(DESIGN_BUDGET_FACTOR * elements, DESIGN_BUDGET_FLOOR)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("CQT1992v2", dict(sr=SR, hop_length=4096, fmin=100.0, n_bins=36)),
        ("CQT1992", dict(sr=SR, hop_length=64, fmin=40.0, n_bins=48)),
        ("CQT2010v2", dict(sr=SR, hop_length=64, fmin=40.0, n_bins=48)),
        ("iCQT", dict(sr=SR, hop_length=4096, fmin=100.0, n_bins=36)),
        ("CFP", dict(fs=SR, hop_length=80, window_size=513)),
        ("STFT", dict(n_fft=4096, hop_length=64)),
    ],
)
def test_design_size_bounds_what_building_allocates(name, kw):
    """The estimate the file check uses is an upper bound of the NumPy memory a module's design takes."""
    cfg = build_config(REGISTRY[name], torch_state(getattr(nnaudio_torch, name)(**kw)).config, what="test")
    from nnaudio_shared import _cqt, _multirate

    for f in ("_kernels_for", "_layout_for", "_factored_for"):  # measure the design, not a cache hit
        getattr(_cqt, f).cache_clear()
    _multirate._cached_plan.cache_clear()
    _multirate._cached_kernels.cache_clear()
    _, _, peak = _bounded(lambda: getattr(nnaudio_torch, name)(**kw))
    assert peak <= 8 * cfg.design_size(), (peak, 8 * cfg.design_size())


# ---------------------------------------------------------------------------------------------
# symptom 1: an edited configuration with the old frozen tensors
# ---------------------------------------------------------------------------------------------
EDITS = {
    "mel-sr": ("MelSpectrogram", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32), {"sr": 11025.0}, "mel_basis"),
    "mel-htk": ("MelSpectrogram", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32), {"htk": True}, "mel_basis"),
    "stft-window": ("STFT", dict(n_fft=256, hop_length=64), {"window": "hamming"}, "window"),
    "cqt-fmin": ("CQT1992", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"fmin": 201.0}, "cqt_kernels_real"),
    "mfcc-norm": ("MFCC", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13), {"norm": None}, "dct"),
}


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("case", EDITS)
def test_load_refuses_frozen_tensors_of_another_configuration(lib, case, tmp_path):
    cls, kw, change, tensor = EDITS[case]
    _, path = _save(tmp_path, cls, **kw)
    bad = _edited(path, tmp_path / "bad.safetensors", lambda meta: meta["config"].update(change))
    _refused(lib, bad, f"frozen {tensor} differs from the design")


@pytest.mark.parametrize("lib", sorted(LIBS))
def test_trainable_tensors_are_loaded_as_saved(lib, tmp_path):
    """Trained values live in trainable state: they load whatever the design would be."""
    m = TORCH.build("MelSpectrogram", sr=SR, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True)
    with torch.no_grad():
        m.mel_basis.mul_(1.5)
    nnaudio_torch.save(m, tmp_path / "m.safetensors")
    _same(lib, LIBS[lib].load(tmp_path / "m.safetensors"), m)


def test_save_refuses_replaced_frozen_kernels_in_both_backends(tmp_path):
    m = TORCH.build("MelSpectrogram", sr=SR, n_fft=256, hop_length=64, n_mels=32)
    other = TORCH.build("MelSpectrogram", sr=SR, n_fft=256, hop_length=64, n_mels=32, htk=True)
    m.load_state_dict(other.state_dict())
    with pytest.raises(ParameterError, match="frozen mel_basis differs.*trainable flag"):
        nnaudio_torch.save(m, tmp_path / "t.safetensors")
    j = nnaudio_jax.from_torch(m)  # conversion copies the state as it is
    np.testing.assert_array_equal(np.asarray(j.mel_basis.get_value()), m.mel_basis.numpy())
    with pytest.raises(ParameterError, match="frozen mel_basis differs"):
        nnaudio_jax.save(j, tmp_path / "j.safetensors")
    assert not list(tmp_path.iterdir())
    jm = JAX.build("STFT", n_fft=64, hop_length=16)
    nnx.update(jm, nnx.from_flat_state([(("window",), nnaudio_jax.Buffer(jm.window.get_value() * 0.5))]))
    with pytest.raises(ParameterError, match="frozen window differs"):
        nnaudio_jax.save(jm, tmp_path / "s.safetensors")


# ---------------------------------------------------------------------------------------------
# symptom 2: small files declaring huge designs, calls that would hang
# ---------------------------------------------------------------------------------------------
HUGE = {
    "stft-n_fft": ("STFT", dict(n_fft=256, hop_length=64), {"n_fft": 10**12}, "n_fft=1000000000000 is invalid"),
    "stft-win_length": ("STFT", dict(n_fft=256, hop_length=64), {"n_fft": 2**40, "win_length": 2**40}, "larger than"),
    "cqt-n_bins": ("CQT1992v2", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"n_bins": 10**11}, "n_bins"),
    "cqt-bins_per_octave": (
        "CQT1992v2",
        dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24),
        {"fmax": 3000.0, "bins_per_octave": 10**6},
        "bins_per_octave",
    ),
    "cqt-sr": ("CQT1992", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"sr": 1e9}, "cqt_kernels_real has shape"),
    "cqt-fmin": ("CQT1992v2", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"fmin": 1e-6}, "design needs"),
    "cqt-hop": ("CQT1992v2", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"hop_length": 10**9}, "design"),
    "icqt-hop": ("iCQT", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24, n_iter=2), {"hop_length": 10**9}, "design"),
    "cqt2010-fmin": ("CQT2010v2", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"fmin": 1e-4}, "design needs"),
    "cfp-fr": ("CFP", dict(fs=SR, hop_length=80, window_size=513), {"fr": 1e-9}, "freq2logfreq_matrix has shape"),
    "cfp-NumPerOct": ("CFP", dict(fs=SR, hop_length=80, window_size=513), {"NumPerOct": 10**12}, "NumPerOct"),
    "mel-n_mels": ("MelSpectrogram", dict(sr=SR, n_fft=256, n_mels=32), {"n_mels": 10**10}, "n_mels"),
    "griffin-n_iter": ("Griffin_Lim", dict(n_fft=64, hop_length=16, n_iter=2), {"n_iter": 10**12}, "n_iter"),
    "sr-overflow": ("CQT1992v2", dict(sr=SR, hop_length=64, fmin=200.0, n_bins=24), {"sr": 1.7e308}, "does not build"),
}


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("case", HUGE)
def test_huge_declared_designs_are_refused_before_designing(lib, case, tmp_path):
    cls, kw, change, match = HUGE[case]
    _, path = _save(tmp_path, cls, **kw)
    assert path.stat().st_size < 500_000
    bad = _edited(path, tmp_path / "bad.safetensors", lambda meta: meta["config"].update(change))
    _refused(lib, bad, match)


def test_save_refuses_what_load_would_refuse(tmp_path):
    m = nnaudio_torch.Griffin_Lim(n_fft=64, hop_length=16, n_iter=MAX_FILE_N_ITER + 1)
    with pytest.raises(ParameterError, match="n_iter"):
        nnaudio_torch.save(m, tmp_path / "g.safetensors")
    m = nnaudio_jax.Griffin_Lim(n_fft=64, hop_length=16, n_iter=MAX_FILE_N_ITER)
    nnaudio_jax.save(m, tmp_path / "g.safetensors")
    assert nnaudio_torch.load(tmp_path / "g.safetensors").config == m.config


# ---------------------------------------------------------------------------------------------
# symptom 3: hostile metadata (nesting, types, numbers, size)
# ---------------------------------------------------------------------------------------------
def _meta_edit(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda meta: fn(meta) and None


def _nest(depth: int) -> Any:
    out: Any = 0
    for _ in range(depth):
        out = [out]
    return out


METADATA = {
    "deep-nesting-config": (lambda m: m["config"].update(n_fft=_nest(400)), "nests"),
    "deep-nesting-just-above": (lambda m: m["config"].update(n_fft=_nest(MAX_JSON_DEPTH)), "nests"),
    "format_version-true": (lambda m: m.update(format_version=True), "format_version=True"),
    "format_version-float": (lambda m: m.update(format_version=1.0), "format_version=1.0"),
    "library_version-number": (lambda m: m.update(library_version=3), "library_version"),
    "unknown-field": (lambda m: m.update(extra=1), "unknown metadata fields"),
    "shape-bool": (lambda m: m["state"]["window"].update(shape=[True]), "shape"),
    "shape-float": (lambda m: m["state"]["window"].update(shape=[256.0]), "shape"),
    "shape-negative": (lambda m: m["state"]["window"].update(shape=[-256]), "shape"),
    "shape-string": (lambda m: m["state"]["window"].update(shape="256"), "shape"),
    "dtype-number": (lambda m: m["state"]["window"].update(dtype=4), "dtype"),
    "sha-number": (lambda m: m["state"]["window"].update(sha256=0), "sha256"),
    "state-entry-extra-field": (lambda m: m["state"]["window"].update(offset=0), "exactly the fields"),
    "trainable-not-strings": (lambda m: m.update(trainable=[1]), "trainable"),
    "trainable-duplicates": (lambda m: m.update(trainable=["window", "window"]), "distinct"),
    "config-n_fft-bool": (lambda m: m["config"].update(n_fft=True), "n_fft=True"),
    "config-n_fft-float": (lambda m: m["config"].update(n_fft=256.0), "n_fft=256.0"),
    "config-center-int": (lambda m: m["config"].update(center=1), "center=1"),
    "config-sr-int": (lambda m: m["config"].update(sr=1000), "does not rebuild the same"),
    "config-missing-key": (lambda m: m["config"].pop("hop_length"), "does not rebuild the same"),
    "config-not-dict": (lambda m: m.update(config=[1, 2]), "'config'"),
    "class-number": (lambda m: m.update({"class": 5}), "'class'"),
}
RAW_TEXT = {
    "nan-constant": (lambda t: t.replace('"fmin": 50.0', '"fmin": NaN'), "not valid JSON"),
    "infinity": (lambda t: t.replace('"fmin": 50.0', '"fmin": -Infinity'), "not valid JSON"),
    "huge-float": (lambda t: t.replace('"fmin": 50.0', '"fmin": 1e999'), "overflows"),
    "huge-int": (lambda t: t.replace('"hop_length": 64', '"hop_length": ' + "9" * 5000), "not valid JSON"),
    "int-above-64-bits": (lambda t: t.replace('"hop_length": 64', '"hop_length": 18446744073709551616'), "64 bits"),
    "deep-nesting-raw": (lambda t: t.replace('"fmin": 50.0', '"fmin": ' + "[" * 100_000 + "]" * 100_000), "nests"),
    "brackets-in-strings-are-not-depth": (
        lambda t: t.replace('"library_version": "', '"library_version": "' + "[{" * 100),
        None,
    ),
    "oversized": (
        lambda t: t.replace('"library_version": "', '"library_version": "' + " " * MAX_METADATA_BYTES),
        "characters",
    ),
    "top-level-list": (lambda t: "[" + t + "]", "format"),
}


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("case", METADATA)
def test_metadata_fields_are_typed_exactly(lib, case, tmp_path):
    edit, match = METADATA[case]
    _, path = _save(tmp_path, "STFT", n_fft=256, hop_length=64)
    bad = _edited(path, tmp_path / "bad.safetensors", _meta_edit(edit))
    _refused(lib, bad, match)


@pytest.mark.parametrize("lib", sorted(LIBS))
@pytest.mark.parametrize("case", RAW_TEXT)
def test_metadata_text_is_bounded(lib, case, tmp_path):
    edit, match = RAW_TEXT[case]
    m, path = _save(tmp_path, "STFT", n_fft=256, hop_length=64)
    meta, tensors = _read(path)
    text = json.dumps(meta)
    new = edit(text)
    assert new != text
    bad = _write(tmp_path / "bad.safetensors", None, tensors, text=new)
    if match is None:  # brackets inside a string: nothing nests, the file loads
        _same(lib, LIBS[lib].load(bad), m)
    else:
        _refused(lib, bad, match)


# ---------------------------------------------------------------------------------------------
# symptom 4: concurrent and interrupted saves
# ---------------------------------------------------------------------------------------------
def test_threads_saving_to_one_path_do_not_collide(tmp_path):
    path = tmp_path / "shared.safetensors"
    modules = [TORCH.build("STFT", n_fft=64 * (i + 1), hop_length=16) for i in range(4)]
    errors: list[BaseException] = []

    def work(m: Any) -> None:
        try:
            for _ in range(10):
                nnaudio_torch.save(m, path)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(m,)) for m in modules]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    loaded = nnaudio_torch.load(path)  # one of the writers, complete
    assert any(loaded.config == m.config for m in modules)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.safetensors"]


_WRITER = textwrap.dedent(
    """
    import sys
    import nnaudio_torch
    path = sys.argv[1]
    ms = [nnaudio_torch.STFT(n_fft=n, hop_length=256, trainable=True) for n in (1024, 2048)]
    i = 0
    while True:
        nnaudio_torch.save(ms[i % 2], path)
        i += 1
        if i == 2:
            print("ready", flush=True)
    """
)


def test_a_process_killed_while_saving_leaves_a_complete_file_or_none(tmp_path):
    path = tmp_path / "target.safetensors"
    env = {**os.environ, "NNAUDIO_DISABLE_CITATION_REMINDER": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, env=env, cwd=Path(__file__).parent.parent
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        for delay in (0.013, 0.029, 0.047):  # kill at different points of a write (~10 ms each)
            time.sleep(delay)
            m = nnaudio_torch.load(path)  # whatever the writer is doing, the target is complete
            assert m.config.n_fft in (1024, 2048)
    finally:
        proc.send_signal(signal.SIGKILL)  # almost always inside a save: it loops on nothing else
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    m = nnaudio_torch.load(path)
    assert m.config.n_fft in (1024, 2048) and m.wcos.shape == (m.config.n_fft // 2 + 1, m.config.n_fft)
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(n.startswith(".target.safetensors.") and n.endswith(".tmp") for n in leftovers), leftovers


# ---------------------------------------------------------------------------------------------
# symptom 5: fuzzing real files
# ---------------------------------------------------------------------------------------------
FUZZ_SOURCES = {
    "STFT": dict(n_fft=64, hop_length=16),
    "MelSpectrogram": dict(sr=SR, n_fft=64, hop_length=16, n_mels=8, trainable_mel=True),
    "MFCC": dict(sr=SR, n_fft=64, hop_length=16, n_mels=8, n_mfcc=4),
    "CQT1992v2": dict(sr=SR, hop_length=64, fmin=500.0, n_bins=12),
    "CQT1992": dict(sr=SR, hop_length=64, fmin=500.0, n_bins=12),
}
_FUZZ_FILES: dict[str, tuple[Any, bytes]] = {}


def _fuzz_file(name: str, tmp: Path) -> tuple[Any, bytes]:
    if name not in _FUZZ_FILES:
        m, path = _save(tmp, name, name=f"{name}.safetensors", **FUZZ_SOURCES[name])
        for lib in LIBS.values():  # warm-up: the bounds are on loading, not on first-use compilation
            lib.load(path)
        _FUZZ_FILES[name] = (m, path.read_bytes())
    return _FUZZ_FILES[name]


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**31, 10**12, 10**18]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-300, 1e300, 0.5, 22050.0, 8000]),
    st.text(max_size=8),
    st.builds(_nest, st.integers(1, 40)),
    st.lists(st.integers(0, 300), max_size=3),
)
_CONFIG_KEYS = st.sampled_from(["sr", "n_fft", "n_bins", "fmin", "hop_length", "n_mels", "htk", "window", "norm"])


def _edit_json(data: Any, key: str, value: Any, where: str, remove: bool) -> Callable[[dict[str, Any]], None]:
    def edit(meta: dict[str, Any]) -> None:
        target = meta["config"] if where == "config" else meta
        if where == "mel_kwargs" and isinstance(meta["config"].get("mel_kwargs"), dict):
            target = meta["config"]["mel_kwargs"]
        if where == "state":
            entry = meta["state"][sorted(meta["state"])[0]]
            target, key_ = entry, data.draw(st.sampled_from(["shape", "dtype", "sha256"]))
        else:
            key_ = key if where != "top" else data.draw(st.sampled_from(sorted(meta)))
        if remove:
            target.pop(key_, None)
        else:
            target[key_] = value

    return edit


@st.composite
def _mutations(draw: Any) -> tuple[str, str, Any]:
    name = draw(st.sampled_from(sorted(FUZZ_SOURCES)))
    kind = draw(st.sampled_from(["flip", "truncate", "json", "json", "json"]))
    if kind == "flip":
        return name, kind, draw(st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=4))
    if kind == "truncate":
        return name, kind, draw(st.integers(0, 10**9))
    where = draw(st.sampled_from(["config", "config", "mel_kwargs", "top", "state"]))
    return name, kind, (where, draw(_CONFIG_KEYS), draw(_JSON_VALUES), draw(st.booleans()), draw(st.data()))


@pytest.mark.parametrize("lib", sorted(LIBS))
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=_mutations())
def test_fuzzed_files_load_equal_or_raise_parameter_error(lib, mutation, tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp() / "fuzz"
    tmp.mkdir(exist_ok=True)
    name, kind, arg = mutation
    original, data = _fuzz_file(name, tmp)
    path = tmp / f"{lib}-mutated.safetensors"
    if kind == "flip":
        b = bytearray(data)
        for pos, x in arg:
            b[pos % len(b)] ^= x
        path.write_bytes(bytes(b))
    elif kind == "truncate":
        path.write_bytes(data[: arg % len(data)])
    else:
        where, key, value, remove, draw = arg
        src = tmp / f"{lib}-source.safetensors"
        src.write_bytes(data)
        _edited(src, path, _edit_json(draw, key, value, where, remove))
    out, seconds, peak = _bounded(lambda: LIBS[lib].load(path))
    assert seconds < MAX_SECONDS and peak < MAX_BYTES, (seconds, peak)
    if not isinstance(out, ParameterError):
        _holds_the_file(lib, out, path, original)


def _holds_the_file(lib: str, loaded: Any, path: Path, original: Any) -> None:
    """A loaded module is exactly what the file says: its configuration (values and JSON types), its
    tensors bit for bit, frozen ones equal to that configuration's design; and if the file still
    holds the original configuration, the original module. (An edit can make another valid file:
    a different hop, an equivalent spelling such as ``hop_length=None``.)"""
    meta, tensors = _read(path)
    state = STATE[lib](loaded)
    dumps = lambda c: json.dumps(c, sort_keys=True)  # noqa: E731
    assert dumps(state.config) == dumps(meta["config"]) and state.dtype == meta["dtype"]
    assert state.trainable == frozenset(meta["trainable"]) and state.arrays.keys() == tensors.keys()
    for k, v in tensors.items():
        assert state.arrays[k].dtype == v.dtype and np.array_equal(state.arrays[k], v), k
    fresh = STATE[lib](getattr(LIBS[lib], type(loaded).__name__)(**_kwargs(state.config), dtype=state.dtype))
    for k in set(tensors) - state.trainable:
        np.testing.assert_allclose(tensors[k], fresh.arrays[k], rtol=0, atol=1e-6 * np.abs(fresh.arrays[k]).max())
    if dumps(meta["config"]) == dumps(torch_state(original).config):
        _same(lib, loaded, original)


def _kwargs(config: dict[str, Any]) -> dict[str, Any]:
    from nnaudio_shared import constructor_kwargs

    return constructor_kwargs("STFT", config)
