"""Gammatonegram: the basis against the PyPI ``gammatone`` package (Ellis' fft2gammatonemx in
float64), outputs against a float64 NumPy reference and nnAudio2, torch vs JAX, trainable
kernels, gradients at silence, the API and invalid arguments."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import nnaudio_shared
import numpy as np
import optax
import pytest
import torch
from backends import BACKENDS, JAX, TORCH
from cases import Case, L
from conftest import SR
from flax import nnx
from gammatone.fftweight import fft_weights
from nnAudio2.features.gammatone import Gammatonegram as NN2Gammatonegram
from nnAudio2.librosa_functions import get_gammatone
from references import librosa_stft
from test_api import _params
from tolerances import assert_close

import nnaudio_jax
import nnaudio_torch

ParameterError = nnaudio_shared.ParameterError

GT = dict(sr=SR, n_fft=256, hop_length=64, n_bins=24)


def reference_basis(*, sr: float, n_fft: int, n_bins: int = 64, fmin: float = 0.0, fmax: float | None = None):
    """``gammatone.fftweight.fft_weights`` (float64) scaled by ``1 / n_fft`` as nnAudio2 does."""
    fmax = sr / 2 if fmax is None else fmax
    weights, _ = fft_weights(n_fft, sr, n_bins, 1.0, fmin, fmax, n_fft // 2 + 1)
    return weights / n_fft


def reference_gammatonegram(x: np.ndarray, **kw) -> np.ndarray:
    """``basis @ |librosa.stft(x)| ** power`` in float64."""
    kw = dict(kw)
    power = kw.pop("power", 2.0)
    basis = reference_basis(
        sr=kw.pop("sr"),
        n_fft=kw["n_fft"],
        n_bins=kw.pop("n_bins", 64),
        fmin=kw.pop("fmin", 0.0),
        fmax=kw.pop("fmax", None),
    )
    return basis @ (np.abs(librosa_stft(x, **kw)) ** power)


# ---------------------------------------------------------------------------------------------
# basis
# ---------------------------------------------------------------------------------------------
BASES = {
    "22050-2048-64": dict(sr=22050, n_fft=2048, n_bins=64),
    "8000-256-24-band": dict(sr=8000, n_fft=256, n_bins=24, fmin=50.0, fmax=3800.0),
    "16000-511-40-odd": dict(sr=16000, n_fft=511, n_bins=40, fmin=100.0, fmax=8000.0),
    "44100-4096-128": dict(sr=44100, n_fft=4096, n_bins=128, fmin=20.0, fmax=20000.0),
}


@pytest.mark.parametrize("name", BASES)
def test_basis_matches_the_gammatone_package(name):
    kw = BASES[name]
    ours = nnaudio_shared.gammatone_filterbank(**kw)
    assert ours.dtype == np.float64 and not ours.flags.writeable
    assert_close(ours, reference_basis(**kw), "gammatone_design", "float64", "basis vs gammatone.fft_weights")


@pytest.mark.parametrize("name", BASES)
def test_basis_matches_nnaudio2(name):
    kw = BASES[name]
    theirs = get_gammatone(kw["sr"], kw["n_fft"], kw["n_bins"], kw.get("fmin", 0.0), kw.get("fmax"))
    assert_close(
        nnaudio_shared.gammatone_filterbank(**kw), theirs, "nnaudio2", "float32", "basis vs nnAudio2 (float32)"
    )


def test_filters_have_unit_gain_at_erb_spaced_centres():
    """Analytic: each filter peaks (value n_fft**-1) at its centre; centres are uniform on the ERB-rate scale."""
    sr, n_fft, n_bins, fmin, fmax = 16000, 4096, 32, 100.0, 7000.0
    basis = nnaudio_shared.gammatone_filterbank(sr=sr, n_fft=n_fft, n_bins=n_bins, fmin=fmin, fmax=fmax)
    cf = nnaudio_shared.erb_frequencies(n_bins, fmin=fmin, fmax=fmax)
    assert cf[0] == pytest.approx(fmin) and np.all(np.diff(cf) > 0) and cf[-1] < fmax
    erb_rate = 21.4 * np.log10(1 + 0.00437 * cf)  # Glasberg & Moore's ERB-rate (EarQ / minBW: near-uniform)
    steps = np.diff(np.log(cf + 9.26449 * 24.7))  # exactly uniform in Slaney's parametrisation
    np.testing.assert_allclose(steps, steps[0], rtol=1e-12)
    assert np.ptp(np.diff(erb_rate)) < 0.1 * np.mean(np.diff(erb_rate))
    peak_hz = np.argmax(basis, axis=1) * sr / n_fft
    assert np.all(np.abs(peak_hz - cf) <= sr / n_fft)
    # sampled on the DFT grid (3.9 Hz apart) the peak of a 35 Hz-wide filter is within 0.5 % of 1
    np.testing.assert_allclose(basis.max(axis=1) * n_fft, 1.0, rtol=5e-3)


# ---------------------------------------------------------------------------------------------
# outputs
# ---------------------------------------------------------------------------------------------
OUTPUTS = {
    "default-p2-reflect": GT,
    "p1-constant-band": dict(GT, power=1.0, pad_mode="constant", fmin=60.0, fmax=3500.0),
    "p0.5-win200-kaiser-nocenter": dict(GT, power=0.5, win_length=200, window=("kaiser", 4.0), center=False),
}


@pytest.mark.parametrize("name", OUTPUTS)
def test_output_matches_a_float64_reference(backend, dtype, make_signal, name):
    kw = OUTPUTS[name]
    x = make_signal(2, L).astype(dtype)
    out = backend.run(backend.build("Gammatonegram", **kw, dtype=dtype), x)
    assert out.dtype == np.dtype(dtype)
    assert_close(out, reference_gammatonegram(x, **kw), "gammatone", dtype, "vs basis @ |librosa.stft|**power")


@pytest.mark.parametrize("kw", [GT, dict(GT, power=1.0, fmin=100.0, fmax=3000.0)], ids=["default", "p1-band"])
def test_output_matches_nnaudio2(backend, make_signal, kw):
    x = make_signal(2, L).astype(np.float32)
    with torch.no_grad():
        expected = NN2Gammatonegram(**kw, verbose=False)(torch.from_numpy(x)).numpy()
    out = backend.run(backend.build("Gammatonegram", **kw), x)
    assert_close(out, expected, "nnaudio2_output", "float32", "ours vs nnAudio2")


def test_a_pure_tone_peaks_in_the_band_centred_nearest_to_it(backend):
    sr, f0 = 16000, 1234.0
    x = np.sin(2 * np.pi * f0 * np.arange(8000) / sr).astype(np.float32)
    m = backend.build("Gammatonegram", sr, n_fft=1024, hop_length=256, n_bins=48, fmin=50.0, fmax=7000.0)
    out = backend.run(m, x)
    cf = nnaudio_shared.erb_frequencies(48, fmin=50.0, fmax=7000.0)
    assert np.argmax(out[:, 10]) == np.argmin(np.abs(cf - f0))


def test_torch_matches_jax_on_input_and_kernel_gradients(dtype, make_signal, rng):
    case = Case("Gammatonegram", dict(GT, trainable_bins=True, trainable_STFT=True))
    x = make_signal(2, L).astype(dtype)
    mt, mj = case.build(TORCH, dtype), case.build(JAX, dtype)
    assert_close(case.run(JAX, mj, x), case.run(TORCH, mt, x), "backend", dtype, "output")
    w = rng.standard_normal(case.run(TORCH, mt, x).shape)
    assert_close(JAX.grad_input(mj, x, w), TORCH.grad_input(mt, x, w), "backend", dtype, "input gradient")
    gt, gj = TORCH.grad_params(mt, x, w), JAX.grad_params(mj, x, w)
    assert set(gt) == set(gj) == {"gammatone_basis", "stft.wcos", "stft.wsin"}
    for k in gt:
        assert_close(gj[k], gt[k], "backend", dtype, f"gradient of {k}")


# ---------------------------------------------------------------------------------------------
# trainable kernels and gradients
# ---------------------------------------------------------------------------------------------
TRAINABLE = {
    "bins": (dict(trainable_bins=True), {"gammatone_basis"}, {"stft.window"}),
    "stft": (dict(trainable_STFT=True), {"stft.wcos", "stft.wsin"}, {"stft.window", "gammatone_basis"}),
    "both": (
        dict(trainable_bins=True, trainable_STFT=True),
        {"gammatone_basis", "stft.wcos", "stft.wsin"},
        {"stft.window"},
    ),
    "none": ({}, set(), {"stft.window", "gammatone_basis"}),
}


@pytest.mark.parametrize("name", TRAINABLE)
def test_trainable_kernels_receive_gradients(backend, dtype, make_signal, rng, name):
    flags, trainable, frozen = TRAINABLE[name]
    m = backend.build("Gammatonegram", **GT, **flags, dtype=dtype)
    assert backend.param_names(m) == trainable
    assert backend.buffer_names(m) == frozen
    x = make_signal(2, L).astype(dtype)
    w = rng.standard_normal(backend.run(m, x).shape)
    grads = backend.grad_params(m, x, w)
    assert set(grads) == trainable
    for k, g in grads.items():
        assert np.all(np.isfinite(g)) and np.abs(g).max() > 0, k


def _target(x: np.ndarray) -> np.ndarray:
    """A fixed target: the frozen module's output, circularly shifted by 3 bands."""
    return np.roll(TORCH.run(TORCH.build("Gammatonegram", **GT), np.array(x)), 3, axis=-2)


def test_torch_optimiser_steps_change_the_output_and_lower_the_loss(make_signal):
    x = make_signal(2, L).astype(np.float32)
    target = torch.from_numpy(_target(x))
    m = nnaudio_torch.Gammatonegram(**GT, trainable_bins=True, trainable_STFT=True)
    opt = torch.optim.Adam(m.parameters(), lr=1e-4)  # the basis entries are <= 1 / n_fft = 4e-3
    xt = torch.from_numpy(x)
    before = m(xt).detach().clone()
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.mean((m(xt) - target) ** 2) / torch.mean(target**2)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    after = m(xt).detach()
    assert not torch.allclose(after, before)
    assert losses[-1] < losses[0]


def test_jax_optimiser_steps_change_the_output_and_lower_the_loss(make_signal):
    x = jnp.asarray(make_signal(2, L).astype(np.float32))
    target = jnp.asarray(_target(np.asarray(x)))
    m = nnaudio_jax.Gammatonegram(**GT, trainable_bins=True, trainable_STFT=True)
    opt = nnx.Optimizer(m, optax.adam(1e-4), wrt=nnx.Param)  # the basis entries are <= 1 / n_fft = 4e-3

    @nnx.jit
    def step(m, opt, x):  # noqa: ANN001, ANN202
        def loss_fn(m):  # noqa: ANN001, ANN202
            return jnp.mean((m(x) - target) ** 2) / jnp.mean(target**2)

        loss, grads = nnx.value_and_grad(loss_fn)(m)
        opt.update(m, grads)
        return loss

    before = np.asarray(m(x))
    losses = [float(step(m, opt, x)) for _ in range(5)]
    after = np.asarray(m(x))
    assert not np.allclose(after, before)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("power", [2.0, 1.0, 0.5])
@pytest.mark.parametrize("trainable", [False, True], ids=["frozen", "trainable"])
def test_gradients_are_finite_at_digital_silence(backend, dtype, rng, power, trainable):
    m = backend.build(
        "Gammatonegram",
        sr=8000,
        n_fft=64,
        hop_length=16,
        n_bins=8,
        power=power,
        trainable_bins=trainable,
        trainable_STFT=trainable,
        dtype=dtype,
    )
    x = np.zeros((2, 256), dtype=dtype)
    out = backend.run(m, x)
    assert np.all(out == 0)
    w = rng.standard_normal(out.shape)
    g = backend.grad_input(m, x, w)
    assert np.all(np.isfinite(g))
    for k, gk in backend.grad_params(m, x, w).items():
        assert np.all(np.isfinite(gk)), k


def test_input_gradient_matches_finite_differences(backend, make_signal):
    m = backend.build("Gammatonegram", sr=16000, n_fft=16, hop_length=4, n_bins=4, power=1.0, dtype="float64")
    backend.check_grads(m, make_signal(64, sr=16000))


# ---------------------------------------------------------------------------------------------
# API and invalid arguments
# ---------------------------------------------------------------------------------------------
def test_arguments_defaults_and_order_follow_nnaudio2(backend):
    theirs = [(p.name, p.default) for p in _params(NN2Gammatonegram) if p.kind is not p.VAR_KEYWORD]
    ours = [(p.name, p.default) for p in _params(backend.lib.Gammatonegram) if p.kind is not p.VAR_KEYWORD]
    assert [o for o in ours if o[0] != "dtype"] == theirs
    kinds = [p.kind for p in _params(backend.lib.Gammatonegram)]
    assert kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD and kinds[-1] is inspect.Parameter.VAR_KEYWORD
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[1:-1])


def test_signatures_and_docs_agree_across_backends():
    from test_api import documented_parameters

    t, j = nnaudio_torch.Gammatonegram, nnaudio_jax.Gammatonegram
    assert [(p.name, p.kind, p.default) for p in _params(t)] == [(p.name, p.kind, p.default) for p in _params(j)]
    names = [("**" if p.kind is p.VAR_KEYWORD else "") + p.name for p in _params(t)]
    assert documented_parameters(t) == names == documented_parameters(j)


def test_nnaudio2_import_path():
    from nnaudio_torch.features.gammatone import Gammatonegram

    assert Gammatonegram is nnaudio_torch.Gammatonegram


def test_config_is_json_ready_and_round_trips():
    m = TORCH.build("Gammatonegram", **GT, fmin=50.0)
    d = m.config.to_dict()
    assert d["n_bins"] == 24 and d["fmin"] == 50.0 and d["norm"] == 1 and "stft" not in d
    assert nnaudio_shared.GammatonegramConfig(**d) == m.config == JAX.build("Gammatonegram", **GT, fmin=50.0).config


BAD = [
    (dict(htk=True), r"htk=True is invalid for Gammatonegram.*ERB-spaced.*silently ignores"),
    (dict(htk="yes"), r"htk='yes' is invalid"),
    (dict(norm=None), r"norm=None is invalid for Gammatonegram: only norm=1"),
    (dict(norm="slaney"), r"norm='slaney' is invalid for Gammatonegram"),
    (dict(norm=np.inf), r"norm=inf is invalid for Gammatonegram"),
    (dict(norm=True), r"norm=True is invalid for Gammatonegram"),
    (dict(n_bins=0), r"n_bins=0 is invalid"),
    (dict(power=0.0), r"power=0.0 is invalid"),
    (dict(fmin=-1.0), r"fmin=-1.0 is invalid"),
    (dict(sr=16000, fmax=9000.0), r"fmax=9000.0 is invalid.*Nyquist"),
    (dict(fmin=5000.0, fmax=4000.0), r"fmin=5000.0 is invalid: must be < fmax=4000.0"),
    (dict(n_fft=0), r"n_fft=0 is invalid"),
    (dict(hop_length=0), r"hop_length=0 is invalid"),
    (dict(n_fft=512, win_length=600), r"win_length=600 is invalid"),
    (dict(window="nope"), r"window='nope' is invalid"),
    (dict(pad_mode="edge"), r"pad_mode='edge' is invalid"),
    (dict(trainable_bins="yes"), r"trainable_bins='yes' is invalid"),
    (dict(trainable_STFT=1), r"trainable_STFT=1 is invalid"),
    (dict(verbose="no"), r"verbose='no' is invalid"),
    (dict(bogus=1), r"unexpected keyword argument.*bogus.*Gammatonegram"),
]


@pytest.mark.parametrize(("kw", "match"), BAD, ids=[str(k) for k, _ in BAD])
def test_invalid_arguments_raise_the_same_clear_error_in_both_backends(kw, match):
    messages = {}
    for name, backend in BACKENDS.items():
        with pytest.raises(ParameterError, match=match) as info:
            backend.lib.Gammatonegram(**kw)
        messages[name] = str(info.value)
    assert messages["torch"] == messages["jax"]


def test_invalid_kernel_dtype_raises(backend):
    with pytest.raises(ParameterError, match=r"dtype='int32' is invalid"):
        backend.lib.Gammatonegram(dtype="int32")


def test_bad_signals_raise(backend):
    m = backend.build("Gammatonegram", **GT)
    for x, match in [
        (np.zeros(100, np.float32), r"pad_mode='reflect'"),
        (np.full(1000, np.nan, np.float32), r"NaN or Inf"),
        (np.zeros(1000, np.int16), r"int16"),
    ]:
        with pytest.raises(ParameterError, match=match):
            backend.call_eager(m, x)


def test_jax_jit_matches_eager(dtype, make_signal):
    m = JAX.build("Gammatonegram", **GT, trainable_bins=True, dtype=dtype)
    x = make_signal(3, L).astype(dtype)
    assert_close(np.asarray(jax.jit(lambda m, x: m(x))(m, x)), np.asarray(m(jnp.asarray(x))), "backend", dtype)


# kernels and input of different dtypes: every cast is explicit
@pytest.mark.parametrize(("dtype", "in_dtype"), [("float32", "float64"), ("float64", "float32")])
def test_jax_strict_promotion(dtype, make_signal, rng, in_dtype):
    m = JAX.build("Gammatonegram", **GT, power=0.5, trainable_bins=True, trainable_STFT=True, dtype=dtype)
    x = make_signal(L).astype(in_dtype)
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        out = JAX.run(m, x)
        JAX.grad_input(m, x, rng.standard_normal(out.shape))
    assert out.dtype == np.dtype(in_dtype)
