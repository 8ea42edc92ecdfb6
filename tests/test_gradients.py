"""Gradients: float64 finite-difference checks, finite gradients at digital silence, trainable
kernels that receive gradients, and which state is trainable."""

from __future__ import annotations

import numpy as np
import pytest
from backends import JAX
from cases import MEL, STFT, Case, L, params
from flax import nnx

import nnaudio_jax

TINY = dict(n_fft=16, hop_length=4)
TINY_MEL = dict(sr=16000, n_fft=16, hop_length=4, n_mels=4)
TINY_L = 64

GRADCHECK = {
    "stft-complex": Case("STFT", TINY),
    "stft-magnitude": Case("STFT", TINY, {"output_format": "Magnitude"}),
    # center=False: with reflect padding frame 0 is symmetric, so its bins are real and a negative
    # one sits exactly on the branch cut of the phase (+-pi), where no derivative exists
    "stft-phase-nocenter": Case("STFT", dict(TINY, center=False), {"output_format": "Phase"}),
    "stft-constant-nocenter": Case("STFT", dict(TINY, pad_mode="constant", center=False, win_length=12)),
    "stft-trainable-magnitude": Case("STFT", dict(TINY, trainable=True), {"output_format": "Magnitude"}),
    "stft-log": Case("STFT", dict(TINY, freq_scale="log", freq_bins=6, fmin=500.0, fmax=7000.0, sr=16000)),
    "stft-inverse": Case("STFT", dict(TINY, iSTFT=True), {"length": TINY_L}, method="inverse"),
    "istft": Case("iSTFT", TINY, {"length": TINY_L}),
    "istft-trainable": Case("iSTFT", dict(TINY, trainable_kernels=True, trainable_window=True)),
    "mel": Case("MelSpectrogram", TINY_MEL),
    "mel-p1-htk": Case("MelSpectrogram", dict(TINY_MEL, power=1.0, htk=True)),
    "mfcc": Case("MFCC", dict(TINY_MEL, n_mfcc=3)),
}


@pytest.mark.parametrize("case", params(GRADCHECK))
def test_input_gradient_matches_finite_differences(backend, make_signal, case):
    """``torch.autograd.gradcheck`` / ``jax.test_util.check_grads(order=1, modes=['rev'])`` at float64."""
    inp = case.input(make_signal(TINY_L, sr=16000), "float64")
    backend.check_grads(case.build(backend, "float64"), inp, case.method, **case.call)


SMALL = dict(n_fft=64, hop_length=16)
SMALL_MEL = dict(sr=8000, n_fft=64, hop_length=16, n_mels=8)
SILENCE = {
    "stft-complex": Case("STFT", SMALL),
    "stft-magnitude": Case("STFT", SMALL, {"output_format": "Magnitude"}),
    "stft-phase": Case("STFT", SMALL, {"output_format": "Phase"}),
    "stft-trainable-magnitude": Case("STFT", dict(SMALL, trainable=True), {"output_format": "Magnitude"}),
    "stft-trainable-phase": Case("STFT", dict(SMALL, trainable=True), {"output_format": "Phase"}),
    "stft-log-magnitude": Case(
        "STFT", dict(SMALL, freq_scale="log", freq_bins=20, fmin=100.0, fmax=3000.0, sr=8000, output_format="Magnitude")
    ),
    "stft-log-phase": Case(
        "STFT", dict(SMALL, freq_scale="log", freq_bins=20, fmin=100.0, fmax=3000.0, sr=8000, output_format="Phase")
    ),
    "mel-p2": Case("MelSpectrogram", SMALL_MEL),
    "mel-p1": Case("MelSpectrogram", dict(SMALL_MEL, power=1.0)),
    "mel-p0.5": Case("MelSpectrogram", dict(SMALL_MEL, power=0.5)),
    "mel-trainable-p1": Case("MelSpectrogram", dict(SMALL_MEL, power=1.0, trainable_mel=True, trainable_STFT=True)),
    "mfcc": Case("MFCC", dict(SMALL_MEL, n_mfcc=5)),
    "mfcc-p1": Case("MFCC", dict(SMALL_MEL, n_mfcc=5, power=1.0)),
    "mfcc-p0.5-topdbNone": Case("MFCC", dict(SMALL_MEL, n_mfcc=5, power=0.5, top_db=None)),
    "istft": Case("iSTFT", SMALL),
    "stft-inverse": Case("STFT", dict(SMALL, iSTFT=True), method="inverse"),
}


@pytest.mark.parametrize("case", params(SILENCE))
def test_gradients_are_finite_at_digital_silence(backend, dtype, rng, case):
    inp = case.input(np.zeros((2, 256)), dtype)
    assert not inp.any()
    m = case.build(backend, dtype)
    out = case.run(backend, m, inp)
    assert np.all(np.isfinite(out))
    w = rng.standard_normal(out.shape)
    g = backend.grad_input(m, inp, w, case.method, **case.call)
    assert g.shape == inp.shape
    assert np.all(np.isfinite(g)), f"{np.mean(~np.isfinite(g)):.0%} of the input gradient is not finite"
    for name, gk in backend.grad_params(m, inp, w, case.method, **case.call).items():
        assert np.all(np.isfinite(gk)), f"gradient of {name} is not finite"


TRAINABLE = {
    "stft": (Case("STFT", dict(STFT, trainable=True)), {"wcos", "wsin"}, {"window"}),
    "stft-magnitude": (
        Case("STFT", dict(STFT, trainable=True), {"output_format": "Magnitude"}),
        {"wcos", "wsin"},
        {"window"},
    ),
    "stft-log-trainable": (
        Case("STFT", dict(STFT, trainable=True, freq_scale="log", freq_bins=40, fmin=80.0, fmax=3000.0, sr=8000)),
        {"wcos", "wsin"},
        {"window"},
    ),
    "mel": (
        Case("MelSpectrogram", dict(MEL, trainable_mel=True, trainable_STFT=True)),
        {"mel_basis", "stft.wcos", "stft.wsin"},
        {"stft.window"},
    ),
    "mel-only-mel": (Case("MelSpectrogram", dict(MEL, trainable_mel=True)), {"mel_basis"}, {"stft.window"}),
    "mel-only-stft": (
        Case("MelSpectrogram", dict(MEL, trainable_STFT=True)),
        {"stft.wcos", "stft.wsin"},
        {"stft.window", "mel_basis"},
    ),
    "mfcc": (
        Case("MFCC", dict(MEL, n_mfcc=13, trainable_mel=True, trainable_STFT=True)),
        {"melspec_layer.mel_basis", "melspec_layer.stft.wcos", "melspec_layer.stft.wsin"},
        {"melspec_layer.stft.window", "dct"},
    ),
    "istft": (
        Case("iSTFT", dict(STFT, trainable_kernels=True, trainable_window=True), {"length": L}),
        {"kernel_cos", "kernel_sin", "window"},
        set(),
    ),
    "istft-kernels": (Case("iSTFT", dict(STFT, trainable_kernels=True)), {"kernel_cos", "kernel_sin"}, {"window"}),
    "istft-window": (Case("iSTFT", dict(STFT, trainable_window=True)), {"window"}, set()),
}


@pytest.mark.parametrize("name", TRAINABLE)
def test_trainable_kernels_receive_gradients(backend, dtype, make_signal, rng, name):
    case, trainable, frozen = TRAINABLE[name]
    m = case.build(backend, dtype)
    assert backend.param_names(m) == trainable
    assert backend.buffer_names(m) == frozen
    inp = case.input(make_signal(2, L), dtype)
    w = rng.standard_normal(case.run(backend, m, inp).shape)
    grads = backend.grad_params(m, inp, w, case.method, **case.call)
    state = backend.state(m)
    assert set(grads) == trainable
    for k, g in grads.items():
        assert g.shape == state[k].shape, k
        assert np.all(np.isfinite(g)), k
        assert np.abs(g).max() > 0, f"{k} receives a zero gradient"


FROZEN = {
    "stft": (Case("STFT", STFT), {"window"}),
    "stft-iSTFT": (Case("STFT", dict(STFT, iSTFT=True)), {"window"}),
    "stft-log": (
        Case("STFT", dict(STFT, freq_scale="log", freq_bins=40, fmin=80.0, fmax=3000.0, sr=8000)),
        {"window", "wcos", "wsin"},
    ),
    "istft": (Case("iSTFT", STFT), {"window"}),
    "mel": (Case("MelSpectrogram", MEL), {"stft.window", "mel_basis"}),
    "mfcc": (Case("MFCC", dict(MEL, n_mfcc=13)), {"melspec_layer.stft.window", "melspec_layer.mel_basis", "dct"}),
}


@pytest.mark.parametrize("name", FROZEN)
def test_only_trainable_kernels_are_parameters(backend, dtype, make_signal, rng, name):
    case, buffers = FROZEN[name]
    m = case.build(backend, dtype)
    assert backend.param_names(m) == set()
    assert backend.buffer_names(m) == buffers
    inp = case.input(make_signal(L), dtype)
    w = rng.standard_normal(case.run(backend, m, inp).shape)
    assert backend.grad_params(m, inp, w, case.method, **case.call) == {}


def test_jax_buffers_are_variables_but_not_params():
    assert issubclass(nnaudio_jax.Buffer, nnx.Variable)
    assert not issubclass(nnaudio_jax.Buffer, nnx.Param)
    m = JAX.build("MelSpectrogram", **MEL, trainable_STFT=True)
    assert isinstance(m.mel_basis, nnaudio_jax.Buffer) and not isinstance(m.mel_basis, nnx.Param)
    assert isinstance(m.stft.wcos, nnx.Param) and not isinstance(m.stft.wcos, nnaudio_jax.Buffer)
    assert isinstance(m.stft.window, nnaudio_jax.Buffer)
