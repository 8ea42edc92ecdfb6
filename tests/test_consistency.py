"""Property families: torch vs JAX, FFT path vs matmul path, batch consistency, dtype preservation,
input/output types, and JAX strict promotion."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import torch
from backends import JAX, NP_DTYPES, TORCH
from cases import CASES, CORE, MEL, STFT, Case, L, params
from references import librosa_stft
from tolerances import assert_close, phasor


def _kind(case: Case) -> str:
    return "mfcc" if case.cls == "MFCC" else "backend"


def _comparable(case: Case, out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Phases are compared as magnitude-weighted phasors (see ``tolerances.phasor``)."""
    if not case.phase:
        return out
    kw = case.stft_kwargs()
    return phasor(out, np.abs(librosa_stft(x, pad_mode=case.kwargs.get("pad_mode", "reflect"), **kw)))


# ---------------------------------------------------------------------------------------------
# torch vs JAX
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", params(CASES))
def test_torch_matches_jax(dtype, make_signal, case):
    x = make_signal(2, L).astype(dtype)
    inp = case.input(x, dtype)
    out_t = case.run(TORCH, case.build(TORCH, dtype), inp)
    out_j = case.run(JAX, case.build(JAX, dtype), inp)
    assert out_t.dtype == out_j.dtype == np.dtype(dtype)
    assert_close(_comparable(case, out_j, x), _comparable(case, out_t, x), _kind(case), dtype, "jax vs torch")


def test_torch_matches_jax_on_input_and_kernel_gradients(dtype, make_signal, rng):
    # power 2: gradients of |X| ** p for p < 2 scale like |X| ** (p - 2) and amplify rounding
    case = Case("MelSpectrogram", dict(MEL, trainable_mel=True, trainable_STFT=True))
    x = make_signal(2, L).astype(dtype)
    mt, mj = case.build(TORCH, dtype), case.build(JAX, dtype)
    w = rng.standard_normal(case.run(TORCH, mt, x).shape)
    assert_close(JAX.grad_input(mj, x, w), TORCH.grad_input(mt, x, w), "backend", dtype, "input gradient")
    gt, gj = TORCH.grad_params(mt, x, w), JAX.grad_params(mj, x, w)
    assert set(gt) == set(gj) == {"mel_basis", "stft.wcos", "stft.wsin"}
    for name in gt:
        assert_close(gj[name], gt[name], "backend", dtype, f"gradient of {name}")


def test_torch_and_jax_store_the_same_state(dtype):
    """Checkpoint keys and values are identical across backends (weight transfer)."""
    for case in CASES.values():
        mt, mj = case.build(TORCH, dtype), case.build(JAX, dtype)
        st, sj = TORCH.state(mt), JAX.state(mj)
        assert set(st) == set(sj), case
        for k in st:
            assert sj[k].dtype == st[k].dtype == np.dtype(dtype), (case, k)
            np.testing.assert_array_equal(sj[k], st[k], err_msg=f"{case}: {k}")


# ---------------------------------------------------------------------------------------------
# FFT path vs matmul path (trainable kernels at initialisation)
# ---------------------------------------------------------------------------------------------
PATHS = {
    "stft-win300-kaiser": (
        "STFT",
        dict(n_fft=400, win_length=300, hop_length=100, window=("kaiser", 4.0)),
        "trainable",
        {},
    ),
    "stft-magnitude": ("STFT", STFT, "trainable", {"output_format": "Magnitude"}),
    "mel": ("MelSpectrogram", MEL, "trainable_STFT", {}),
    "mfcc": ("MFCC", dict(MEL, n_mfcc=13), "trainable_STFT", {}),
    "istft": ("iSTFT", STFT, "trainable_kernels", {"length": L}),
}


@pytest.mark.parametrize("name", PATHS)
def test_trainable_kernels_at_init_match_the_fft_path(backend, dtype, make_signal, name):
    cls, kw, flag, call = PATHS[name]
    frozen, trained = Case(cls, kw, call), Case(cls, {**kw, flag: True}, call)
    inp = frozen.input(make_signal(2, L), dtype)
    a = trained.run(backend, trained.build(backend, dtype), inp)
    b = frozen.run(backend, frozen.build(backend, dtype), inp)
    assert_close(a, b, "mfcc" if cls == "MFCC" else "paths", dtype, "matmul path vs FFT path")


# ---------------------------------------------------------------------------------------------
# Batch consistency
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lead", [(1,), (3,), (2, 2), (2, 1, 2)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("case", params(CORE))
def test_batch_equals_per_item(backend, dtype, make_signal, case, lead):
    x = make_signal(*lead, L)
    # Loud and quiet items side by side: MFCC's top_db must clip each item on its own.
    x = x * np.logspace(0, -4, int(np.prod(lead))).reshape(lead)[..., None]
    inp = case.input(x, dtype)
    m = case.build(backend, dtype)
    out = case.run(backend, m, inp)
    for idx in np.ndindex(*lead):
        single = case.run(backend, m, inp[idx])
        assert single.shape == out.shape[len(lead) :]
        assert_close(out[idx], single, _kind(case), dtype, f"item {idx}")


def test_one_dimensional_input_gives_unbatched_output(backend, signal):
    x = signal[:L].astype(np.float32)
    n_frames = 1 + L // 64
    stft = backend.build("STFT", **STFT)
    assert backend.run(stft, x).shape == (129, n_frames, 2)
    assert backend.run(stft, x, output_format="Magnitude").shape == (129, n_frames)
    assert backend.run(stft, x, output_format="Phase").shape == (129, n_frames)
    assert backend.run(backend.build("MelSpectrogram", **MEL), x).shape == (32, n_frames)
    assert backend.run(backend.build("MFCC", **MEL, n_mfcc=13), x).shape == (13, n_frames)
    spec = CASES["istft"].input(x, "float32")
    assert backend.run(backend.build("iSTFT", **STFT), spec, length=L).shape == (L,)
    # length=None: the overlap-added length minus n_fft // 2 at both ends
    assert backend.run(backend.build("iSTFT", **STFT), spec).shape == (64 * (n_frames - 1),)


# ---------------------------------------------------------------------------------------------
# dtypes and types
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("case", params(CORE))
def test_output_dtype_follows_input_dtype(backend, dtype, make_signal, case, in_dtype):
    """float32 -> float32, float64 -> float64, float16/bfloat16 -> the same dtype, whatever the kernel dtype."""
    x = make_signal(L)
    inp = case.input(x, "float64").astype(NP_DTYPES[in_dtype])
    m = case.build(backend, dtype)
    out = backend.call(m, backend.asarray(inp), case.method, **case.call)
    assert backend.is_native(out)
    assert backend.dtype_name(out) == in_dtype
    out = backend.to_numpy(out).astype(np.float64)
    # reference: the same (rounded) input, computed at the higher of the two precisions
    ref_dtype = "float64" if in_dtype == dtype == "float64" else "float32"
    ref = case.run(backend, case.build(backend, ref_dtype), inp.astype(ref_dtype))
    if in_dtype in ("float16", "bfloat16"):
        assert_close(out, ref, "half", in_dtype)
    else:
        assert_close(out, ref, _kind(case), ref_dtype)


@pytest.mark.parametrize("case", params(CORE))
def test_numpy_input_is_accepted_and_keeps_its_dtype(backend, dtype, make_signal, case):
    inp = case.input(make_signal(L), dtype)
    m = case.build(backend, dtype)
    for call in (backend.call, backend.call_eager):
        out = call(m, inp, case.method, **case.call)  # a NumPy array, not a tensor / jax.Array
        assert backend.is_native(out), type(out)
        assert backend.dtype_name(out) == dtype


def test_outputs_come_from_the_expected_library(signal):
    x = signal[:L].astype(np.float32)
    for case in CASES.values():
        inp = case.input(x, "float32")
        out_t = TORCH.call(case.build(TORCH, "float32"), TORCH.asarray(inp), case.method, **case.call)
        out_j = JAX.call(case.build(JAX, "float32"), JAX.asarray(inp), case.method, **case.call)
        assert isinstance(out_t, torch.Tensor) and not isinstance(out_t, jax.Array), case
        assert isinstance(out_j, jax.Array) and not isinstance(out_j, torch.Tensor), case


STRICT = {
    k: CASES[k]
    for k in (
        "stft-complex",
        "stft-phase",
        "stft-trainable",
        "stft-log-magnitude",
        "stft-inverse",
        "istft-trainable",
        "mel-trainable-p0.5",
        "mfcc",
    )
}


@pytest.mark.parametrize("in_dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", params(STRICT))
def test_jax_strict_promotion(dtype, make_signal, case, in_dtype, rng):
    """The JAX backend casts explicitly: it runs (forward and gradient) under
    ``jax_numpy_dtype_promotion='strict'`` and ``jax_numpy_rank_promotion='raise'``, also with
    kernels and input of different dtypes."""
    inp = case.input(make_signal(L), in_dtype)
    m = case.build(JAX, dtype)
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        out = case.run(JAX, m, inp)
        JAX.grad_input(m, inp, rng.standard_normal(out.shape), case.method, **case.call)
    assert out.dtype == np.dtype(in_dtype)
