"""Reduced precision: float16/bfloat16 inputs and torch autocast.

Half-precision inputs are computed in float32 and returned in their own dtype (both backends);
``torch.autocast`` does not lower the precision of a transform (its matmuls would otherwise run in
float16/bfloat16 and lose three decimal digits while the output still says float32). The README
table of accuracies comes from ``python -m bench.precision`` (same measure as here, bench
settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import librosa
import ml_dtypes
import nnaudio_shared
import numpy as np
import pytest
import torch
from backends import BACKENDS, JAX, TORCH
from conftest import SEED, SR
from flax import nnx
from references import as_pairs, direct_stft, librosa_mel, librosa_mfcc, librosa_stft
from reliability import REPS_AND_TRAINABLE, params, valid_input
from test_cfp import reference_cfp
from test_gammatone import reference_gammatonegram
from test_vs_librosa import MFCC_PARAMS
from tolerances import assert_close

import nnaudio_jax

HALF = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}


def _torch(m, x, method, call):
    with torch.no_grad():
        return getattr(m, "forward" if method == "__call__" else method)(x, **call)


@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("case", params(REPS_AND_TRAINABLE))
def test_torch_autocast_does_not_lower_the_precision(case, autocast_dtype):
    """Same output, bit for bit, with and without autocast (float32 and half inputs)."""
    m = case.build(TORCH, "float32")
    for in_dtype in (torch.float32, torch.float16, torch.bfloat16):
        x = TORCH.asarray(valid_input(case)).to(in_dtype)
        plain = _torch(m, x, case.method, case.call)
        with torch.autocast("cpu", dtype=autocast_dtype):
            autocast = _torch(m, x, case.method, case.call)
        assert autocast.dtype == plain.dtype == in_dtype
        np.testing.assert_array_equal(autocast.float().numpy(), plain.float().numpy())


@pytest.mark.parametrize("half", HALF)
@pytest.mark.parametrize("case", params(REPS_AND_TRAINABLE))
def test_half_inputs_against_the_float32_result(case, half):
    """The accuracy the README table states: the half-precision result (input rounded, computed
    in float32, output rounded) against the float32 result on the original float32 input."""
    x32 = valid_input(case, "float32")
    x_half = x32.astype(HALF[half])
    for backend in BACKENDS.values():
        m = case.build(backend, "float32")
        ref = case.run(backend, m, x32)
        out = backend.call(m, backend.asarray(x_half), case.method, **case.call)
        assert backend.dtype_name(out) == half
        assert_close(backend.to_numpy(out).astype(np.float64), ref, "half_input", half, f"{backend}")


# ---------------------------------------------------------------------------------------------
# float64 input to a float32 module: the frozen kernels' float64 design, not their rounding
# ---------------------------------------------------------------------------------------------
def _tone(n: int = 2400, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(n) / SR
    noise = 0.05 * np.random.default_rng(SEED).standard_normal(n)
    return amplitude * (0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 1234.5 * t) + noise)


_STFT = dict(n_fft=256, hop_length=64)
_CFP = dict(fs=SR, fr=8.0, window_size=513, hop_length=160)
_GL = dict(n_fft=256, hop_length=64, n_iter=4, init=None)


def _stft_pairs(x: np.ndarray) -> np.ndarray:
    return as_pairs(librosa_stft(x, **_STFT), "float64")


#: name: (class, constructor keywords, input from the float64 signal, float64 reference, tolerance kind).
#: Every frozen state of each class is exercised: windows (FFT STFT, iSTFT, Griffin-Lim, CFP's h),
#: the non-uniform STFT's wcos/wsin, mel_basis, dct, gammatone_basis, CFP's log-frequency matrices.
FLOAT64_CASES: dict[str, tuple[str, dict[str, Any], Callable[[np.ndarray], np.ndarray], Callable[..., Any], str]] = {
    "stft": ("STFT", _STFT, lambda x: x, lambda x: _stft_pairs(x), "float64_input"),
    "stft-log": (
        "STFT",
        dict(_STFT, freq_scale="log", freq_bins=40, fmin=60.0, fmax=3500.0, sr=SR, output_format="Magnitude"),
        lambda x: x,
        lambda x: np.abs(direct_stft(x, **_STFT, freq_scale="log", freq_bins=40, fmin=60.0, fmax=3500.0, sr=SR)),
        "float64_input",
    ),
    "istft": (
        "iSTFT",
        _STFT,
        _stft_pairs,
        lambda x: librosa.istft(librosa_stft(x, **_STFT), hop_length=64, n_fft=256),
        "float64_input",
    ),
    "mel": ("MelSpectrogram", dict(sr=SR, **_STFT, n_mels=32), lambda x: x, None, "float64_input"),
    "mfcc": ("MFCC", dict(sr=SR, **_STFT, n_mels=32, n_mfcc=13), lambda x: x, None, "float64_input_mfcc"),
    "gammatone": ("Gammatonegram", dict(sr=SR, **_STFT, n_bins=24), lambda x: x, None, "float64_input"),
    "cfp": ("CFP", _CFP, lambda x: x, lambda x: reference_cfp(x, trim=False, **_CFP)[0], "float64_input"),
    "griffin-lim": (
        "Griffin_Lim",
        _GL,
        lambda x: np.abs(librosa_stft(x, **_STFT)),
        lambda x: librosa.griffinlim(
            np.abs(librosa_stft(x, **_STFT)), n_iter=4, hop_length=64, n_fft=256, init=None, pad_mode="reflect"
        ),
        "float64_input",
    ),
}


def _reference(name: str, x: np.ndarray) -> np.ndarray:
    cls, kw, _, ref, _ = FLOAT64_CASES[name]
    if ref is not None:
        return np.asarray(ref(x))
    if cls == "MelSpectrogram":
        return librosa_mel(x, **kw)
    if cls == "MFCC":
        return librosa_mfcc(x, **kw)
    return reference_gammatonegram(x, **kw)


def _run(backend: Any, m: Any, inp: np.ndarray, eager: bool) -> np.ndarray:
    if not eager:  # jax.jit (the backend's call)
        return backend.run(m, inp)
    with torch.no_grad():
        out = backend.call_eager(m, backend.asarray(inp))
    return backend.to_numpy(out)


#: (backend, eager): torch eagerly, JAX eagerly and under jax.jit (torch.compile: test below).
RUNS = [pytest.param(TORCH, True, id="torch-eager"), pytest.param(JAX, True, id="jax-eager")]
RUNS += [pytest.param(JAX, False, id="jax-jit")]


@pytest.mark.parametrize(("backend", "eager"), RUNS)
@pytest.mark.parametrize("name", FLOAT64_CASES)
def test_float64_input_to_a_float32_module_is_float64_accurate(backend, name, eager):
    """The frozen kernels are stored in float32; a float64 input computes with their float64
    design (measured before: 1e-8 .. 2e-7 relative, float32 rounding of the kernels)."""
    cls, kw, make_input, _, kind = FLOAT64_CASES[name]
    x = _tone()
    m = backend.build(cls, **kw, dtype="float32")
    out = _run(backend, m, make_input(x), eager)
    assert out.dtype == np.float64
    assert_close(out, _reference(name, x), kind, "float64", f"{backend} {name}")


def _scale_frozen(backend: Any, m: Any, factor: float) -> None:
    """Multiply every frozen (non-trainable) kernel of ``m`` by ``factor`` through the public
    state API: ``load_state_dict`` (torch) / ``nnx.update`` (JAX)."""
    if backend is TORCH:
        buffers = {k for k, _ in m.named_buffers()}
        m.load_state_dict({k: v * factor if k in buffers else v for k, v in m.state_dict().items()})
        return
    state = nnx.state(m, nnaudio_jax.Buffer)
    nnx.update(m, jax.tree.map(lambda v: v * factor, state))


def _copy_frozen_as_float64(backend: Any, src: Any, dst: Any) -> None:
    """Give the float64 module ``dst`` the float32 module ``src``'s frozen kernels, upcast."""
    if backend is TORCH:
        buffers = {k for k, _ in src.named_buffers()}
        dst.load_state_dict({k: v.double() for k, v in src.state_dict().items() if k in buffers}, strict=False)
        return
    state = nnx.state(src, nnaudio_jax.Buffer)
    nnx.update(dst, jax.tree.map(lambda v: v.astype(np.float64), state))


@pytest.mark.parametrize(("backend", "eager"), RUNS)
@pytest.mark.parametrize("name", FLOAT64_CASES)
def test_replaced_frozen_kernels_are_used_for_float64_input(backend, name, eager):
    """A frozen kernel that is no longer its design (scaled by 0.5, exactly, in float32) is used as
    stored: the float32 module on float64 input equals a float64 module holding the same values."""
    cls, kw, make_input, _, kind = FLOAT64_CASES[name]
    inp = make_input(_tone())
    m32, m64 = backend.build(cls, **kw, dtype="float32"), backend.build(cls, **kw, dtype="float64")
    designed = _run(backend, m32, inp, eager)
    _scale_frozen(backend, m32, 0.5)
    _copy_frozen_as_float64(backend, m32, m64)
    out, ref = _run(backend, m32, inp, eager), _run(backend, m64, inp, eager)
    assert not np.allclose(out, designed, rtol=1e-3), "scaling the kernels changed nothing"
    assert_close(out, ref, kind, "float64", f"{backend} {name}")


@pytest.mark.compile
@pytest.mark.filterwarnings("ignore:.torch\\.jit\\.script_method. is deprecated:DeprecationWarning")
def test_torch_compile_of_a_float32_module_on_float64_input():
    """torch.compile(fullgraph=True) of a float32 MFCC (its configuration holds a dict, which the
    tracer cannot hash) on float64 input: compiles and returns float64 at float32 accuracy (the
    stored kernels; the float64 design is used eagerly only, see nnaudio_torch._frozen)."""
    _, kw, _, _, _ = FLOAT64_CASES["mfcc"]
    x = _tone()
    m = TORCH.build("MFCC", **kw, dtype="float32")
    torch._dynamo.reset()
    with torch.no_grad():
        out = torch.compile(m, fullgraph=True, backend="aot_eager")(torch.from_numpy(x)).numpy()
    assert out.dtype == np.float64
    assert_close(out, _reference("mfcc", x), "mfcc", "float32", "torch.compile")


# ---------------------------------------------------------------------------------------------
# loud half-precision input: no intermediate in float16/bfloat16
# ---------------------------------------------------------------------------------------------
LOUD_CASES: dict[str, tuple[str, dict[str, Any], Callable[[np.ndarray], np.ndarray]]] = {
    "stft-magnitude": ("STFT", dict(_STFT, output_format="Magnitude"), lambda x: x),
    "istft": ("iSTFT", _STFT, lambda x: as_pairs(librosa_stft(x, **_STFT), "float32")),
    "mel-power1": ("MelSpectrogram", dict(sr=SR, **_STFT, n_mels=32, power=1.0), lambda x: x),
    "mfcc": ("MFCC", dict(sr=SR, **_STFT, n_mels=32, n_mfcc=13), lambda x: x),
    "gammatone-power1": ("Gammatonegram", dict(sr=SR, **_STFT, n_bins=24, power=1.0), lambda x: x),
    "cfp": ("CFP", _CFP, lambda x: x),
    "combined-fp": ("Combined_Frequency_Periodicity", _CFP, lambda x: x),
    "griffin-lim": ("Griffin_Lim", _GL, lambda x: np.abs(librosa_stft(x, **_STFT))),
}


@pytest.mark.parametrize("half", HALF)
@pytest.mark.parametrize("name", LOUD_CASES)
def test_loud_half_input_is_computed_in_float32(backend, name, half):
    """A loud signal (amplitude 100: |STFT|**2 ~ 4e7, above float16's 65504) in float16/bfloat16:
    finite output, within the half table of the float32 computation on the same rounded input
    (MFCC used to round the mel power to float16 before the dB step: all Inf/NaN)."""
    cls, kw, make_input = LOUD_CASES[name]
    inp = np.asarray(make_input(_tone(amplitude=100.0)), dtype=np.float32)
    assert np.abs(inp).max() < 6e4  # representable in float16
    x_half = inp.astype(HALF[half])
    m = backend.build(cls, **kw, dtype="float32")
    outs = backend.call(m, backend.asarray(x_half))
    refs = backend.call(m, backend.asarray(x_half.astype(np.float32)))
    for out, ref in zip(*(o if isinstance(o, tuple) else (o,) for o in (outs, refs)), strict=True):
        assert backend.dtype_name(out) == half
        out64 = backend.to_numpy(out).astype(np.float64)
        assert np.all(np.isfinite(out64)), f"{backend} {name}: non-finite output"
        assert_close(out64, backend.to_numpy(ref), "half", half, f"{backend} {name}")


@pytest.mark.parametrize("half", HALF)
def test_functional_mfcc_and_db_of_a_loud_half_mel_power(backend, half):
    """functional.power_to_db / mfcc on a float16/bfloat16 mel power (up to 6e4): computed in
    float32 (amin = 1e-10 is 0 in float16, the dB of a loud power then overflows its sums)."""
    rng = np.random.default_rng(SEED)
    mel = (rng.random((2, 32, 20)) * 6e4).astype(np.float32)
    mel[0, :, :5] = 0.0  # digital silence: max(S, amin) must not be log10(0)
    dct = np.asarray(nnaudio_shared.dct_matrix(n_mfcc=13, n_mels=32), dtype=np.float32)
    F = backend.lib.functional
    mel_half = backend.asarray(mel.astype(HALF[half]))
    mel32 = backend.asarray(mel.astype(HALF[half]).astype(np.float32))
    for fn, args in ((F.power_to_db, ()), (F.mfcc, (backend.asarray(dct),))):
        out, ref = fn(mel_half, *args), fn(mel32, *args)
        assert backend.dtype_name(out) == half
        out64 = backend.to_numpy(out).astype(np.float64)
        assert np.all(np.isfinite(out64)), f"{backend} {fn.__name__}"
        assert_close(out64, backend.to_numpy(ref), "half", half, f"{backend} {fn.__name__}")


# ---------------------------------------------------------------------------------------------
# MFCC of digital silence against librosa's float32 path
# ---------------------------------------------------------------------------------------------
def _librosa_mfcc_float32(x: np.ndarray, kw: dict[str, Any]) -> np.ndarray:
    """``librosa.feature.mfcc`` on float32 audio with float32 intermediates (tests/references.py's
    call, at float32)."""
    kw = dict(kw)
    sr, n_mfcc, norm = kw.pop("sr"), kw.pop("n_mfcc", 20), kw.pop("norm", "ortho")
    ref, amin, top_db = kw.pop("ref", 1.0), kw.pop("amin", 1e-10), kw.pop("top_db", 80.0)
    kw.setdefault("pad_mode", "reflect")
    kw["norm"] = "slaney"  # our mel norm=1 (the MFCC default)
    S = librosa.feature.melspectrogram(y=x, sr=sr, dtype=np.float32, **kw)
    S_db = librosa.power_to_db(S, ref=ref, amin=amin, top_db=top_db)
    assert S_db.dtype == np.float32
    return librosa.feature.mfcc(S=S_db, n_mfcc=n_mfcc, dct_type=2, norm=norm)


@pytest.mark.parametrize("kw", MFCC_PARAMS)
def test_mfcc_of_digital_silence_matches_librosa_float32(backend, kw):
    """Silence is a constant dB column: its DCT is exactly zero beyond the first coefficient. The
    float32 matmul with the rounded DCT rows used to leave 1e-6 there and put the first one 3-4
    ulps off (1.8e-4 at -632.46); now within one float32 ulp of librosa's float32 result."""
    x = np.zeros(2000, dtype=np.float32)
    expected = _librosa_mfcc_float32(x, kw)
    out = backend.run(backend.build("MFCC", **kw, dtype="float32"), x)
    assert out.dtype == np.float32 and out.shape == expected.shape
    ulp = float(np.spacing(np.abs(expected).max()))
    err = float(np.abs(out.astype(np.float64) - expected).max())
    assert err <= ulp, f"{backend}: max |ours - librosa| = {err:.3g} > one ulp {ulp:.3g}"
