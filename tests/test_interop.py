"""Interop: torch <-> JAX module conversion, state files, nnAudio2 state dicts, DLPack arrays,
the Linen bridge, and the README example."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import nnAudio2.features.gammatone
import nnAudio2.features.mel
import nnAudio2.features.stft
import numpy as np
import optax
import pytest
import torch
from backends import BACKENDS, JAX, TORCH
from cases import CASES, L, params
from conftest import SR
from flax import nnx
from flax.nnx import bridge
from nnaudio_shared import METADATA_KEY, REGISTRY, TransformSpec, config_dict
from safetensors import safe_open
from safetensors.numpy import save_file
from tolerances import assert_close, phasor

import nnaudio_jax
import nnaudio_torch
from nnaudio_jax._interop import module_state as jax_state
from nnaudio_torch._interop import module_state as torch_state

ParameterError = nnaudio_torch.ParameterError
LIBS = {"torch": nnaudio_torch, "jax": nnaudio_jax}


def arrays(m):
    """Every state array of a torch or JAX module, by name."""
    return (torch_state if isinstance(m, torch.nn.Module) else jax_state)(m).arrays


def assert_bitwise_equal(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), f"{k} differs"


def trainable(m) -> set[str]:
    return (TORCH if isinstance(m, torch.nn.Module) else JAX).param_names(m)


def assert_outputs_agree(case, m_torch, m_jax, x, dtype, what):
    out_t, out_j = case.run(TORCH, m_torch, x), case.run(JAX, m_jax, x)
    if case.phase:  # a phase is only defined where the magnitude is not ~0: compare phasors
        mag = TORCH.run(m_torch, x, output_format="Magnitude")
        out_t, out_j = phasor(out_t, mag), phasor(out_j, mag)
    assert_close(out_j, out_t, "backend", dtype, what)


def _to_numpy(out):
    if isinstance(out, (tuple, list)):
        return tuple(_to_numpy(o) for o in out)
    return out.detach().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)


_jax_call = jax.jit(lambda m, x, kw: m(x, **dict(kw)), static_argnums=2)


def _outputs(backend: str, m, x: np.ndarray, call: dict):
    """The output of ``m(x, **call)`` as NumPy (a tuple for multi-output modules); JAX jitted."""
    if backend == "torch":
        with torch.no_grad():
            out = m(torch.from_numpy(x), **call)
    else:
        hashable = tuple(sorted((k, v) for k, v in call.items() if not isinstance(v, np.ndarray)))
        if len(hashable) == len(call):
            out = _jax_call(m, jnp.asarray(x), hashable)
        else:
            out = jax.jit(lambda m, x: m(x, **call))(m, jnp.asarray(x))
    return _to_numpy(out)


def _as_tuple(out) -> tuple:
    return out if isinstance(out, tuple) else (out,)


def spec_input(spec: TransformSpec, signal: np.ndarray, dtype: str):
    resolved = config_dict(getattr(nnaudio_torch, spec.name)(**spec.example))
    inp, call = spec.make_input(resolved, signal)
    return np.asarray(inp).astype(dtype), call


# ---------------------------------------------------------------------------------------------
# Registry coverage: every transform class of the backends is known to the interop layer
# ---------------------------------------------------------------------------------------------
def test_every_transform_class_is_registered():
    classes = {
        getattr(nnaudio_torch, n).__name__
        for n in nnaudio_torch.__all__
        if isinstance(getattr(nnaudio_torch, n), type) and issubclass(getattr(nnaudio_torch, n), torch.nn.Module)
    }
    assert classes, "no module classes found"
    assert classes <= set(REGISTRY), f"not in nnaudio_shared.REGISTRY: {sorted(classes - set(REGISTRY))}"
    for name in REGISTRY:
        assert isinstance(getattr(nnaudio_jax, name), type), name
    assert {c.cls for c in CASES.values()} <= set(REGISTRY)


# ---------------------------------------------------------------------------------------------
# Round trips torch -> JAX -> torch and JAX -> torch -> JAX, for every case of the suite
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start", ["torch", "jax"])
@pytest.mark.parametrize("case", params(CASES))
def test_round_trip_is_exact(case, dtype, start, signal):
    if start == "torch":
        original = case.build(TORCH, dtype)
        twin = nnaudio_jax.from_torch(original)
        back = nnaudio_torch.from_jax(twin)
        m_torch, m_jax = original, twin
    else:
        original = case.build(JAX, dtype)
        twin = nnaudio_torch.from_jax(original)
        back = nnaudio_jax.from_torch(twin)
        m_torch, m_jax = twin, original
    assert type(back) is type(original)
    assert type(twin).__name__ == case.cls
    assert twin.config == original.config and back.config == original.config
    assert_bitwise_equal(arrays(twin), arrays(original))
    assert_bitwise_equal(arrays(back), arrays(original))
    assert trainable(twin) == trainable(original) == trainable(back)
    x = case.input(signal[:L], dtype)
    backend = TORCH if start == "torch" else JAX
    assert np.array_equal(case.run(backend, back, x), case.run(backend, original, x))
    assert_outputs_agree(case, m_torch, m_jax, x, dtype, f"{case.cls} {start} original vs twin")


def _train_torch(m, x: np.ndarray, steps: int = 3, lr: float = 1e-2):
    opt = torch.optim.SGD(m.parameters(), lr=lr)
    xt = torch.from_numpy(x)
    for _ in range(steps):
        opt.zero_grad()
        m(xt).abs().mean().backward()
        opt.step()
    return m


def _train_jax(m, x: np.ndarray, steps: int = 3, lr: float = 1e-2):
    optimizer = nnx.Optimizer(m, optax.sgd(lr), wrt=nnx.Param)

    @nnx.jit
    def step(m, optimizer, x):
        grads = nnx.grad(lambda m: jnp.abs(m(x)).mean())(m)
        optimizer.update(m, grads)

    for _ in range(steps):
        step(m, optimizer, jnp.asarray(x))
    return m


TRAINABLE = {
    "mel-trainable": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True, trainable_STFT=True),
    ),
    "stft-trainable-magnitude": ("STFT", dict(n_fft=256, hop_length=64, trainable=True, output_format="Magnitude")),
    "mfcc-trainable-mel": ("MFCC", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13, trainable_mel=True)),
}


@pytest.mark.parametrize("name", TRAINABLE)
def test_trained_modules_convert_exactly_both_ways(name, make_signal, tmp_path):
    """torch SGD steps -> JAX (equal) -> optax steps -> torch (equal) -> file -> both (equal)."""
    cls, kw = TRAINABLE[name]
    x = make_signal(2, L).astype(np.float32)
    m_t = TORCH.build(cls, **kw)
    fresh = arrays(m_t)
    _train_torch(m_t, x)
    trained = arrays(m_t)
    assert any(not np.array_equal(trained[k], fresh[k]) for k in trainable(m_t)), "training changed nothing"
    m_j = nnaudio_jax.from_torch(m_t)
    assert_bitwise_equal(arrays(m_j), trained)
    assert trainable(m_j) == trainable(m_t) and trainable(m_j)
    assert_close(JAX.run(m_j, x), TORCH.run(m_t, x), "backend", "float32", "torch-trained, converted to JAX")

    _train_jax(m_j, x)
    assert any(not np.array_equal(arrays(m_j)[k], trained[k]) for k in trainable(m_j)), "optax changed nothing"
    back = nnaudio_torch.from_jax(m_j)
    assert_bitwise_equal(arrays(back), arrays(m_j))
    assert trainable(back) == trainable(m_t)
    assert all(p.requires_grad for p in back.parameters())
    assert_close(TORCH.run(back, x), JAX.run(m_j, x), "backend", "float32", "JAX-trained, converted to torch")

    nnaudio_jax.save(m_j, tmp_path / "j.safetensors")
    nnaudio_torch.save(back, tmp_path / "t.safetensors")
    assert (tmp_path / "j.safetensors").read_bytes() == (tmp_path / "t.safetensors").read_bytes()
    for lib in (nnaudio_torch, nnaudio_jax):
        loaded = lib.load(tmp_path / "t.safetensors", expected=cls)
        assert_bitwise_equal(arrays(loaded), arrays(m_j))
        assert trainable(loaded) == trainable(m_t)


def test_float64_torch_module_needs_x64_in_jax():
    m = TORCH.build("STFT", n_fft=64, hop_length=16, dtype="float64")
    with jax.enable_x64(False), pytest.raises(ParameterError, match="jax_enable_x64"):
        nnaudio_jax.from_torch(m)


@pytest.mark.parametrize("bad", ["not a module", torch.nn.Linear(2, 2), nnx.Linear(2, 2, rngs=nnx.Rngs(0))])
def test_conversion_rejects_foreign_modules(bad):
    with pytest.raises(ParameterError, match="nnaudio_torch transform"):
        nnaudio_jax.from_torch(bad)
    with pytest.raises(ParameterError, match="nnaudio_jax transform"):
        nnaudio_torch.from_jax(bad)


def test_conversion_rejects_mixed_or_half_dtypes():
    m = TORCH.build("MelSpectrogram", sr=SR, n_fft=64, hop_length=16, n_mels=8)
    m.mel_basis = m.mel_basis.double()
    with pytest.raises(ParameterError, match="one kernel dtype"):
        nnaudio_jax.from_torch(m)
    with pytest.raises(ParameterError, match="one kernel dtype"):
        nnaudio_torch.save(TORCH.build("STFT", n_fft=64, hop_length=16).half(), "unused.safetensors")


# ---------------------------------------------------------------------------------------------
# State files
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_class_converts_and_saves_exactly(name, dtype, tmp_path, signal):
    """Conversion and files in both directions give the same class, configuration, trainability and
    state bit for bit; both backends write byte-identical files. A module with the same
    configuration and state is the same pytree/module, so it computes the same: checked on the
    torch side, where it costs no compilation. (Torch-vs-JAX agreement of every registered
    transform is checked by ``test_check.py``.)"""
    spec = REGISTRY[name]
    x, call = spec_input(spec, signal[:L], dtype)
    native = _as_tuple(_outputs("torch", BACKENDS["torch"].build(name, **spec.example, dtype=dtype), x, call))
    convert = {"torch": nnaudio_jax.from_torch, "jax": nnaudio_torch.from_jax}
    for writer, reader in (("torch", "jax"), ("jax", "torch")):
        m = BACKENDS[writer].build(name, **spec.example, dtype=dtype)
        path = tmp_path / f"{writer}.safetensors"
        LIBS[writer].save(m, path)
        for other in (LIBS[reader].load(path), convert[writer](m)):
            assert type(other) is getattr(LIBS[reader], name)
            assert other.config == m.config
            assert_bitwise_equal(arrays(other), arrays(m))
            assert trainable(other) == trainable(m)
            if reader == "torch":
                for got, want in zip(_as_tuple(_outputs("torch", other, x, call)), native, strict=True):
                    np.testing.assert_array_equal(got, want)
    assert (tmp_path / "torch.safetensors").read_bytes() == (tmp_path / "jax.safetensors").read_bytes()
    with safe_open(str(tmp_path / "torch.safetensors"), framework="numpy") as f:
        meta = json.loads(f.metadata()[METADATA_KEY])
        assert sorted(f.keys()) == sorted(meta["state"]) == sorted(arrays(m))
    assert meta["class"] == name and meta["dtype"] == dtype and meta["format_version"] == 1
    assert meta["config"] == config_dict(m)


SPECIAL_CONFIGS = {
    "mel-norm-inf-kaiser": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=128, hop_length=32, n_mels=8, norm=np.inf, window=("kaiser", 4.0), fmax=3000.0),
    ),
    "stft-window-array": ("STFT", dict(n_fft=64, hop_length=16, win_length=48, window=np.hanning(48))),
    "mfcc-mel-kwargs": (
        "MFCC",
        dict(
            sr=SR,
            n_mfcc=5,
            top_db=None,
            n_fft=128,
            hop_length=32,
            n_mels=8,
            window=("gaussian", 7.0),
            trainable_STFT=True,
        ),
    ),
    "cqt-norm-inf": (
        "CQT1992v2",
        dict(sr=SR, hop_length=64, fmin=200.0, n_bins=12, norm=np.inf, window=("kaiser", 5.0)),
    ),
}


@pytest.mark.parametrize("name", SPECIAL_CONFIGS)
def test_configurations_with_non_json_values_round_trip(name, tmp_path):
    """inf norms, window tuples and arrays, nested mel kwargs survive JSON and rebuild the same module."""
    cls, kw = SPECIAL_CONFIGS[name]
    m = TORCH.build(cls, **kw)
    nnaudio_torch.save(m, tmp_path / "m.safetensors")
    for other in (
        nnaudio_jax.load(tmp_path / "m.safetensors"),
        nnaudio_torch.load(tmp_path / "m.safetensors"),
        nnaudio_jax.from_torch(m),
    ):
        assert other.config == m.config
        assert_bitwise_equal(arrays(other), arrays(m))


def _good_file(tmp_path: Path) -> Path:
    m = TORCH.build("MelSpectrogram", sr=SR, n_fft=128, hop_length=32, n_mels=16, trainable_mel=True)
    path = tmp_path / "good.safetensors"
    nnaudio_torch.save(m, path)
    return path


def _rewrite(src: Path, dst: Path, edit_meta=None, edit_arrays=None, rehash: bool = True) -> Path:
    """Copy a state file with edited metadata/tensors (hashes recomputed unless ``rehash=False``)."""
    import hashlib

    with safe_open(str(src), framework="numpy") as f:
        meta = json.loads(f.metadata()[METADATA_KEY])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    if edit_arrays is not None:
        tensors = edit_arrays(tensors)
        if rehash:
            meta["state"] = {
                k: {"shape": list(v.shape), "dtype": v.dtype.name, "sha256": hashlib.sha256(v.tobytes()).hexdigest()}
                for k, v in tensors.items()
            }
    if edit_meta is not None:
        edit_meta(meta)
    save_file(tensors, str(dst), metadata={METADATA_KEY: json.dumps(meta)})
    return dst


def _set(key, value):
    def edit(meta):
        meta[key] = value

    return edit


def _set_config(**kw):
    def edit(meta):
        meta["config"].update(kw)

    return edit


def _flip_byte(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    data[-7] ^= 0xFF  # inside the last tensor's data
    dst.write_bytes(bytes(data))
    return dst


def _raw(content):
    def make(src: Path, dst: Path) -> Path:
        dst.write_bytes(content(src.read_bytes()))
        return dst

    return make


CORRUPT = {
    "truncated-data": (_raw(lambda b: b[:-10]), "not a readable safetensors file"),
    "truncated-header": (_raw(lambda b: b[:20]), "not a readable safetensors file"),
    "empty": (_raw(lambda b: b""), "not a readable safetensors file"),
    "garbage": (_raw(lambda b: b"\x00garbage" * 10), "not a readable safetensors file"),
    "flipped-byte": (_flip_byte, "SHA-256"),
    "no-metadata": (lambda s, d: (save_file({"a": np.zeros(2, np.float32)}, str(d)), d)[1], "no 'nnaudio' metadata"),
    "metadata-not-json": (
        lambda s, d: (save_file({"a": np.zeros(2, np.float32)}, str(d), metadata={METADATA_KEY: "{oops"}), d)[1],
        "not valid JSON",
    ),
    "foreign-format": (lambda s, d: _rewrite(s, d, _set("format", "something-else")), "format"),
    "future-version": (lambda s, d: _rewrite(s, d, _set("format_version", 2)), "format_version=2"),
    "unknown-class": (lambda s, d: _rewrite(s, d, _set("class", "Spectrogramz")), "not a transform known"),
    "other-class": (lambda s, d: _rewrite(s, d, _set("class", "STFT")), "does not build a STFT"),
    "config-other-shapes": (lambda s, d: _rewrite(s, d, _set_config(n_mels=8)), r"mel_basis has shape \(16, 65\)"),
    "config-invalid": (lambda s, d: _rewrite(s, d, _set_config(n_fft=-1)), "n_fft=-1"),
    "config-unknown-argument": (lambda s, d: _rewrite(s, d, _set_config(n_bins=3)), "does not build"),
    "dtype-mismatch": (lambda s, d: _rewrite(s, d, _set("dtype", "float64")), "dtype"),
    "dtype-unsupported": (lambda s, d: _rewrite(s, d, _set("dtype", "float16")), "dtype='float16'"),
    "wrong-shape": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {**t, "mel_basis": t["mel_basis"][:8]}),
        r"mel_basis has shape \(8, 65\)",
    ),
    "wrong-tensor-dtype": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {**t, "mel_basis": t["mel_basis"].astype(np.float64)}),
        "dtype",
    ),
    "missing-key": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {k: v for k, v in t.items() if k != "stft.window"}),
        r"missing state \['stft.window'\]",
    ),
    "extra-key": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {**t, "stft.wcos": np.zeros((65, 128), np.float32)}),
        r"unexpected state \['stft.wcos'\]",
    ),
    "undeclared-tensor": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {**t, "extra": np.zeros(2, np.float32)}, rehash=False),
        "not declared",
    ),
    "trainability-edited": (lambda s, d: _rewrite(s, d, _set("trainable", [])), "trainable state"),
    "non-finite": (
        lambda s, d: _rewrite(s, d, edit_arrays=lambda t: {**t, "mel_basis": np.full_like(t["mel_basis"], np.nan)}),
        "NaN or Inf",
    ),
}


@pytest.mark.parametrize("name", CORRUPT)
def test_bad_state_files_raise_clear_errors(name, tmp_path):
    make, message = CORRUPT[name]
    bad = make(_good_file(tmp_path), tmp_path / "bad.safetensors")
    for lib in (nnaudio_torch, nnaudio_jax):
        with pytest.raises(ParameterError, match=message) as info:
            lib.load(bad)
        assert "bad.safetensors" in str(info.value)


def test_load_checks_the_expected_class_and_missing_files(tmp_path):
    path = _good_file(tmp_path)
    for lib in (nnaudio_torch, nnaudio_jax):
        assert type(lib.load(path, expected=lib.MelSpectrogram)) is lib.MelSpectrogram
        with pytest.raises(ParameterError, match="holds a MelSpectrogram, not a STFT"):
            lib.load(path, expected=lib.STFT)
        with pytest.raises(FileNotFoundError):
            lib.load(tmp_path / "missing.safetensors")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    m = TORCH.build("STFT", n_fft=64, hop_length=16)
    nnaudio_torch.save(m, tmp_path / "a.safetensors")
    nnaudio_jax.save(nnaudio_jax.from_torch(m), tmp_path / "a.safetensors")  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.safetensors"]


# ---------------------------------------------------------------------------------------------
# nnAudio2 state dicts
# ---------------------------------------------------------------------------------------------
_NN2 = {
    "STFT": nnAudio2.features.stft.STFT,
    "MelSpectrogram": nnAudio2.features.mel.MelSpectrogram,
    "MFCC": nnAudio2.features.mel.MFCC,
    "Gammatonegram": nnAudio2.features.gammatone.Gammatonegram,
}
NN2_LOAD = {
    "stft": ("STFT", dict(n_fft=256, hop_length=64), False),
    "stft-istft-kernels": ("STFT", dict(n_fft=256, hop_length=64, iSTFT=True, output_format="Magnitude"), False),
    "stft-log": (
        "STFT",
        dict(n_fft=256, hop_length=64, freq_scale="log", freq_bins=80, fmin=60.0, fmax=3500.0, sr=SR),
        False,
    ),
    "stft-trained": ("STFT", dict(n_fft=256, hop_length=64, trainable=True, output_format="Magnitude"), True),
    "mel": ("MelSpectrogram", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32), False),
    "mel-trained": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True, trainable_STFT=True),
        True,
    ),
    "mfcc": ("MFCC", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13), False),
    "mfcc-trained": ("MFCC", dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13, trainable_mel=True), True),
    "gammatone": ("Gammatonegram", dict(sr=SR, n_fft=256, hop_length=64, n_bins=32), False),
    "gammatone-trained": (
        "Gammatonegram",
        dict(sr=SR, n_fft=256, hop_length=64, n_bins=32, trainable_bins=True, trainable_STFT=True),
        True,
    ),
}


def _nn2_module(cls: str, kw: dict, train: bool, x: np.ndarray):
    torch.manual_seed(0)
    m = _NN2[cls](**kw, verbose=False)
    if train:
        _train_torch(m, x, lr=1e-2)
        assert any(
            not torch.equal(p, q)
            for p, q in zip(m.parameters(), _NN2[cls](**kw, verbose=False).parameters(), strict=True)
        )
    return m


@pytest.mark.parametrize("name", NN2_LOAD)
def test_nnaudio2_state_dict_reproduces_nnaudio2_output(backend, dtype, name, make_signal):
    cls, kw, train = NN2_LOAD[name]
    x = make_signal(2, L).astype(np.float32)
    nn2 = _nn2_module(cls, kw, train, x)
    with torch.no_grad():
        expected = nn2(torch.from_numpy(x)).numpy()
    ours = backend.build(cls, **kw, dtype=dtype)
    fresh = backend.run(ours, x.astype(dtype))
    assert backend.lib.load_nnaudio2_state_dict(ours, nn2.state_dict()) is ours
    out = backend.run(ours, x.astype(dtype))
    kind = "mfcc" if cls == "MFCC" else "nnaudio2_output"
    assert_close(out, expected, kind, "float32", f"{name}: ours with nnAudio2's state vs nnAudio2")
    if train:  # the trained kernels were really loaded: the fresh module is further away
        assert np.abs(fresh - expected).max() > 10 * np.abs(out - expected).max()
        for key, value in nn2.state_dict().items():
            our_key = key.replace("window_mask", "window")
            if our_key in backend.param_names(ours):
                np.testing.assert_array_equal(
                    backend.state(ours)[our_key], value.numpy().reshape(backend.state(ours)[our_key].shape)
                )


NN2_BAD = {
    "trained-into-frozen": (
        "STFT",
        dict(n_fft=256, hop_length=64, trainable=True),
        dict(n_fft=256, hop_length=64),
        "wcos is frozen in this module",
    ),
    "other-n_fft": (
        "STFT",
        dict(n_fft=256, hop_length=64),
        dict(n_fft=512, hop_length=64),
        r"wcos has shape \(129, 1, 256\), this configuration needs \(257, 1, 512\)",
    ),
    "other-window": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, window="hamming"),
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, trainable_STFT=True),
        "stft.window_mask differs from the value this configuration designs",
    ),
    "other-htk": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, htk=True),
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32),
        "mel_basis is frozen",
    ),
    "other-ref": (
        "MFCC",
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, ref=2.0),
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32),
        "ref differs",
    ),
    "other-class": (
        "STFT",
        dict(n_fft=256, hop_length=64),
        dict(sr=SR, n_fft=256, hop_length=64, n_mels=32),
        r"missing keys \['mel_basis'",
    ),
}


@pytest.mark.parametrize("name", NN2_BAD)
def test_nnaudio2_mismatches_raise_before_anything_changes(backend, name, make_signal):
    cls2, kw2, kw, message = NN2_BAD[name]
    nn2 = _nn2_module(cls2, kw2, "trainable" in kw2, make_signal(2, L).astype(np.float32))
    cls = "MelSpectrogram" if name == "other-class" else cls2
    ours = backend.build(cls, **kw)
    before = backend.state(ours)
    with pytest.raises(ParameterError, match=message):
        backend.lib.load_nnaudio2_state_dict(ours, nn2.state_dict())
    assert_bitwise_equal(backend.state(ours), before)


def test_nnaudio2_partial_failure_leaves_the_module_untouched(backend):
    """Trained kernels that would load, plus one bad entry: nothing is loaded."""
    nn2 = _nn2_module("STFT", dict(n_fft=64, hop_length=16, trainable=True), False, np.zeros((1, 10), np.float32))
    sd = {k: v.clone() for k, v in nn2.state_dict().items()}
    sd["wcos"] += 0.5
    sd["window_mask"] = torch.full_like(sd["window_mask"], float("nan"))
    ours = backend.build("STFT", n_fft=64, hop_length=16, trainable=True)
    before = backend.state(ours)
    with pytest.raises(ParameterError, match="window_mask is not a finite"):
        backend.lib.load_nnaudio2_state_dict(ours, sd)
    assert_bitwise_equal(backend.state(ours), before)
    with pytest.raises(ParameterError, match=r"unexpected keys \['module.wcos'\]"):
        backend.lib.load_nnaudio2_state_dict(ours, {**nn2.state_dict(), "module.wcos": sd["wcos"]})
    with pytest.raises(ParameterError, match="expected a mapping"):
        backend.lib.load_nnaudio2_state_dict(ours, list(nn2.state_dict().values()))
    with pytest.raises(ParameterError, match="not supported"):
        backend.lib.load_nnaudio2_state_dict(backend.build("iSTFT", n_fft=64, hop_length=16), {})


# ---------------------------------------------------------------------------------------------
# Arrays through DLPack
# ---------------------------------------------------------------------------------------------
ARRAY_DTYPES = {"float32": torch.float32, "float64": torch.float64, "complex64": torch.complex64}


def _tensor(dtype: str, *shape: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if dtype == "complex64":
        return torch.randn(*shape, dtype=torch.complex64, generator=g)
    return torch.randn(*shape, dtype=ARRAY_DTYPES[dtype], generator=g)


def _check_same(a: jax.Array, t: torch.Tensor) -> None:
    assert isinstance(a, jax.Array)
    assert a.shape == tuple(t.shape)
    assert np.dtype(a.dtype) == t.resolve_conj().numpy().dtype
    np.testing.assert_array_equal(np.asarray(a), t.resolve_conj().numpy())


@pytest.mark.parametrize("dtype", ARRAY_DTYPES)
def test_to_jax_zero_copy_for_dense_tensors(dtype):
    t = _tensor(dtype, 3, 5)
    a = nnaudio_jax.to_jax(t)
    _check_same(a, t)
    assert a.unsafe_buffer_pointer() == t.data_ptr()  # shared memory
    assert list(a.devices())[0].platform == t.device.type
    t_perm = _tensor(dtype, 2, 3, 4).permute(2, 0, 1)  # transposed strides: still zero-copy
    a_perm = nnaudio_jax.to_jax(t_perm)
    _check_same(a_perm, t_perm)
    assert a_perm.unsafe_buffer_pointer() == t_perm.data_ptr()
    copied = nnaudio_jax.to_jax(t, copy=True)
    _check_same(copied, t)
    assert copied.unsafe_buffer_pointer() != t.data_ptr()


@pytest.mark.parametrize("dtype", ARRAY_DTYPES)
def test_to_jax_copies_when_the_layout_is_not_dense(dtype):
    base = _tensor(dtype, 4, 6)
    views = {
        "step": base[:, ::2],
        "transposed-step": base.T[::2],
        "offset": base[1:, 1:],
        "broadcast": base[:1].expand(3, 6),
        "requires-grad": base.clone().requires_grad_(dtype != "complex64"),
        "scalar": base[0, 0],
        "empty": base[:0],
    }
    if dtype == "complex64":
        views["conj"] = base.conj()
        views["transposed-conj"] = base.T.conj()
    strided = {"step", "transposed-step", "offset", "broadcast", "conj", "transposed-conj"}
    for name, view in views.items():
        out = nnaudio_jax.to_jax(view)
        _check_same(out, view.detach())
        if name in strided:  # no dense layout to share: a copy (a shared buffer would read wrong values)
            assert out.unsafe_buffer_pointer() != view.data_ptr(), name


@pytest.mark.parametrize("dtype", ARRAY_DTYPES)
def test_to_torch_zero_copy_and_values(dtype):
    a = nnaudio_jax.to_jax(_tensor(dtype, 3, 5), copy=True) * 2
    t = nnaudio_torch.to_torch(a)
    assert isinstance(t, torch.Tensor) and t.dtype == ARRAY_DTYPES[dtype] and tuple(t.shape) == a.shape
    np.testing.assert_array_equal(t.numpy(), np.asarray(a))
    assert t.data_ptr() == a.unsafe_buffer_pointer()
    assert t.device.type == list(a.devices())[0].platform
    for b in (a.T, a[:, ::2], a[0, 0]):  # JAX arrays are always dense: views are materialised
        np.testing.assert_array_equal(nnaudio_torch.to_torch(b).numpy(), np.asarray(b))
    c = nnaudio_torch.to_torch(a, copy=True)
    assert c.data_ptr() != a.unsafe_buffer_pointer()
    np.testing.assert_array_equal(c.numpy(), np.asarray(a))


def test_array_conversion_errors():
    with pytest.raises(ParameterError, match="expected a torch.Tensor"):
        nnaudio_jax.to_jax(np.zeros(3))
    with pytest.raises(ParameterError, match="expected a jax.Array"):
        nnaudio_torch.to_torch(np.zeros(3))
    with jax.enable_x64(False):
        for dt in (torch.float64, torch.int64, torch.complex128):
            with pytest.raises(ParameterError, match="32-bit mode"):
                nnaudio_jax.to_jax(torch.zeros(3, dtype=dt))
        assert nnaudio_jax.to_jax(torch.ones(3, dtype=torch.complex64)).dtype == jnp.complex64


# ---------------------------------------------------------------------------------------------
# Flax Linen users: nnx.bridge.to_linen
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_linen_bridge_equals_the_nnx_module(name, signal):
    spec = REGISTRY[name]
    x, call = spec_input(spec, signal[:L], "float32")
    linen_module = bridge.to_linen(getattr(nnaudio_jax, name), skip_rng=True, **spec.example)
    variables = jax.jit(lambda k, x: linen_module.init(k, x, **call))(jax.random.key(0), jnp.asarray(x))
    nnx_module = getattr(nnaudio_jax, name)(**spec.example)
    assert len(jax.tree_util.tree_leaves(variables)) == len(arrays(nnx_module))
    out = jax.jit(lambda v, x: linen_module.apply(v, x, **call))(variables, jnp.asarray(x))
    resolved = config_dict(nnx_module)  # the hooks receive the resolved configuration
    parts = spec.outputs(resolved, _to_numpy(out))
    expected = spec.outputs(resolved, _outputs("jax", nnx_module, x, call))
    assert list(parts) == list(expected)
    for key in parts:
        assert_close(parts[key], expected[key], "backend", "float32", f"{name} {key} through Linen")


def test_linen_bridge_puts_trainable_kernels_in_params():
    linen_module = bridge.to_linen(
        nnaudio_jax.MelSpectrogram, SR, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True, skip_rng=True
    )
    x = jnp.ones((2, L))
    variables = linen_module.init(jax.random.key(0), x)
    assert set(variables["params"]) == {"mel_basis"}
    grads = jax.grad(lambda p: linen_module.apply({**variables, "params": p}, x).sum())(variables["params"])
    assert np.all(np.isfinite(np.asarray(grads["mel_basis"]))) and np.abs(np.asarray(grads["mel_basis"])).max() > 0


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------
def readme_examples() -> list[str]:
    """Every python block of the README section "Moving between PyTorch and JAX", in order."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Moving between PyTorch and JAX\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "README has no section 'Moving between PyTorch and JAX'"
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", section.group(1), re.MULTILINE | re.DOTALL)
    assert blocks, "the section has no python example"
    return [
        textwrap.dedent("".join(line[len(indent) :] for line in code.splitlines(keepends=True)))
        for indent, code in blocks
    ]


def test_readme_example_runs_as_written(tmp_path, monkeypatch):
    main, *more = readme_examples()
    assert "from_torch" in main and "save(" in main and "load(" in main
    assert any("to_linen" in code for code in more)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_example"}
    for i, code in enumerate([main, *more]):  # later snippets continue the first one
        exec(compile(code, f"README.md (block {i + 1})", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "mel.safetensors").is_file()
    assert set(namespace["variables"]["params"]) == {"mel_basis"}
