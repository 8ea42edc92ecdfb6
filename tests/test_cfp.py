"""CFP / Combined_Frequency_Periodicity: against a float64 NumPy reference of the definition
(Su's reference code, as nnAudio2 implements it), against nnAudio2's modules, torch vs JAX,
pitch salience, gradients, the API and invalid arguments."""

from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp
import nnaudio_shared
import numpy as np
import pytest
import scipy.signal
import torch
from backends import BACKENDS, JAX, TORCH
from nnAudio2.features.cfp import CFP as NN2CFP
from nnAudio2.features.cfp import Combined_Frequency_Periodicity as NN2CombinedFP
from test_api import _params
from tolerances import assert_close

import nnaudio_jax
import nnaudio_torch

ParameterError = nnaudio_shared.ParameterError
OUTPUTS = ("Z", "tfrL0", "tfrLF", "tfrLQ")
DEFAULTS = dict(
    fr=2.0, fs=16000.0, hop_length=320, window_size=2049, fc=80.0, tc=1 / 1000, g=(0.24, 0.6, 1.0), NumPerOct=48
)


def reference_matrices(*, fr, fs, fc, tc, NumPerOct, **_):  # noqa: ANN001, ANN003, ANN202, N803
    """nnAudio2's (= Su's) loop construction of the log-frequency matrices, in float64."""
    n = int(fs / float(fr))
    f = (fs * np.linspace(0, 0.5, np.round(n // 2), endpoint=True))[: int(round((1 / tc) / fr) + 1)]
    q = np.arange(int(round(fs / fc) + 1)) / float(fs)
    with np.errstate(divide="ignore"):  # its 1 / q at q = 0
        return NN2CombinedFP.create_logfreq_matrix(None, f, q, fr, fc, tc, NumPerOct, fs)


def _nonlinear(X: np.ndarray, g: float, cutoff: int) -> np.ndarray:
    X = X.copy()
    if g != 0:
        X[X < 0] = 0
        X[:, :cutoff] = 0
        X[:, -cutoff:] = 0
        return X**g
    X = np.log(np.maximum(X, 0) + 1e-8)
    X[:, :cutoff] = 0
    X[:, -cutoff:] = 0
    return X


def reference_cfp(x: np.ndarray, *, trim: bool, **kw) -> tuple[np.ndarray, ...]:
    """The definition in float64 with full complex FFTs, one clip at a time: centred frames of
    ``N = int(fs / fr)`` samples (zero padding) with the symmetric Blackman-Harris window centred
    in them, ``|FFT| / ||h||``, then the layers and the log-frequency mappings."""
    p = dict(DEFAULTS, **kw)
    fr, fs, hop, fc, tc, g = p["fr"], p["fs"], p["hop_length"], p["fc"], p["tc"], p["g"]
    n = int(fs / float(fr))
    h = scipy.signal.windows.blackmanharris(p["window_size"])
    lpad = (n - h.size) // 2
    hpad = np.pad(h, (lpad, n - h.size - lpad))
    freq, quef = reference_matrices(**p)
    outs = []
    for clip in np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1]):
        xp = np.pad(clip, n // 2)
        frames = np.lib.stride_tricks.sliding_window_view(xp, n)[::hop]
        tfr0 = np.abs(np.fft.fft(frames * hpad, axis=-1)) / np.linalg.norm(h)
        if trim:
            tfr0 = tfr0[1:-1]
        spec = tfr0 ** g[0]
        for k in range(1, len(g)):
            if k % 2 == 1:
                ceps = _nonlinear(np.real(np.fft.fft(spec, axis=-1)) / math.sqrt(n), g[k], round(fs * tc))
            else:
                spec = _nonlinear(np.real(np.fft.fft(ceps, axis=-1)) / math.sqrt(n), g[k], round(fc / fr))
        half = int(round(n / 2))
        tfrL0 = freq @ tfr0[:, :half][:, : freq.shape[1]].T
        tfrLF = freq @ spec[:, :half][:, : freq.shape[1]].T
        tfrLQ = quef @ ceps[:, :half][:, : quef.shape[1]].T
        outs.append((tfrLF * tfrLQ, tfrL0, tfrLF, tfrLQ))
    return tuple(np.stack([o[i] for o in outs]).reshape(*x.shape[:-1], *outs[0][i].shape) for i in range(4))


def harmonic(f0s: tuple[float, ...], *, fs: float = 16000, n: int = 16000, seed: int = 0) -> np.ndarray:
    """One clip per ``f0``: 5 harmonics with 1/k amplitudes plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    return np.stack(
        [
            sum(0.3 / k * np.sin(2 * np.pi * f0 * k * t + k) for k in range(1, 6)) + 0.01 * rng.standard_normal(n)
            for f0 in f0s
        ]
    )


CONFIGS = {
    "defaults": {},
    "fs8000-fr1-tc2000-24perOct": dict(
        fr=1.0, fs=8000.0, hop_length=160, window_size=1025, fc=50.0, tc=1 / 2000, NumPerOct=24
    ),
    "fs22050-oddN-4layers": dict(fs=22050.0, hop_length=441, g=(0.3, 0.6, 0.8, 0.5)),
}
#: g = 0 means a logarithm, log(x + 1e-8): in float32 it amplifies the rounding of near-zero
#: entries (nnAudio2's float32 output is 1.4e-3 from the float64 definition there too).
LOG = dict(fs=16000.0, g=(0.3, 0.6, 0.0, 0.8))


def _kw(name: str) -> dict:
    return dict(CONFIGS[name])


@pytest.mark.parametrize("name", CONFIGS)
def test_matches_a_float64_reference_of_the_definition(backend, dtype, name):
    kw = _kw(name)
    x = harmonic((220.0, 330.0), fs=kw.get("fs", 16000.0), n=12000).astype(dtype)
    m = backend.build("Combined_Frequency_Periodicity", **kw, dtype=dtype)
    outs = backend.call(m, backend.asarray(x))
    expected = reference_cfp(x, trim=True, **kw)
    for label, out, ref in zip(OUTPUTS, outs, expected, strict=True):
        assert backend.is_native(out)
        out = backend.to_numpy(out)
        assert out.dtype == np.dtype(dtype)
        assert_close(out, ref, "cfp", dtype, label)
    Z = backend.run(backend.build("CFP", **kw, dtype=dtype), x)
    assert_close(Z, reference_cfp(x, trim=False, **kw)[0], "cfp", dtype, "CFP Z (every frame)")


@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
def test_log_layer_matches_the_reference(backend, dtype, cls):
    x = harmonic((220.0, 330.0), n=8000).astype(dtype)
    out = backend.call(backend.build(cls, **LOG, dtype=dtype), backend.asarray(x))
    outs = (out,) if cls == "CFP" else out
    kind = "cfp" if dtype == "float64" else "cfp_log"
    for label, o, ref in zip(OUTPUTS, outs, reference_cfp(x, trim=cls != "CFP", **LOG), strict=False):
        assert_close(backend.to_numpy(o), ref, kind, dtype, label)


@pytest.mark.filterwarnings("ignore:stft with return_complex=False is deprecated:UserWarning")
@pytest.mark.parametrize("name", [*CONFIGS, "log"])
def test_matches_nnaudio2(backend, name):
    kw = LOG if name == "log" else _kw(name)
    x = harmonic((220.0, 330.0), fs=kw.get("fs", 16000.0), n=12000).astype(np.float32)
    nn2_kw = {k: (list(v) if k == "g" else v) for k, v in kw.items()}
    with torch.no_grad(), np.errstate(divide="ignore"):  # nnAudio2 divides by zero building its kernels
        expected = [o.numpy() for o in NN2CombinedFP(**nn2_kw)(torch.from_numpy(x))]
        expected_z = NN2CFP(**nn2_kw)(torch.from_numpy(x)).numpy()
    outs = backend.call(backend.build("Combined_Frequency_Periodicity", **kw), backend.asarray(x))
    kind = "cfp_log" if name == "log" else "cfp_nnaudio2"
    for label, out, ref in zip(OUTPUTS, outs, expected, strict=True):
        assert_close(backend.to_numpy(out), ref, kind, "float32", f"{label} vs nnAudio2")
    assert_close(backend.run(backend.build("CFP", **kw), x), expected_z, kind, "float32", "CFP")


@pytest.mark.parametrize("name", CONFIGS)
def test_logfreq_matrices_match_nnaudio2_construction(name):
    kw = dict(DEFAULTS, **_kw(name))
    freq, quef = nnaudio_shared.CFPConfig(**kw).matrices()
    ref_freq, ref_quef = reference_matrices(**kw)
    assert_close(freq, ref_freq, "design", "float64", "freq2logfreq")
    assert_close(quef, ref_quef, "design", "float64", "quef2logfreq")


def test_torch_matches_jax(dtype):
    kw = _kw("fs8000-fr1-tc2000-24perOct")
    x = harmonic((150.0, 440.0), fs=8000, n=6000).astype(dtype)
    ot = TORCH.call(TORCH.build("Combined_Frequency_Periodicity", **kw, dtype=dtype), TORCH.asarray(x))
    oj = JAX.call(JAX.build("Combined_Frequency_Periodicity", **kw, dtype=dtype), JAX.asarray(x))
    for label, a, b in zip(OUTPUTS, oj, ot, strict=True):
        assert_close(JAX.to_numpy(a), TORCH.to_numpy(b), "cfp", dtype, f"{label}: jax vs torch")


def test_torch_and_jax_store_the_same_state(dtype):
    mt = TORCH.build("CFP", dtype=dtype)
    mj = JAX.build("CFP", dtype=dtype)
    st, sj = TORCH.state(mt), JAX.state(mj)
    assert set(st) == set(sj) == {"h", "freq2logfreq_matrix", "quef2logfreq_matrix"}
    for k in st:
        np.testing.assert_array_equal(st[k], sj[k])
    assert not TORCH.param_names(mt) and not JAX.param_names(mj)


@pytest.mark.parametrize("f0", [110.0, 220.0, 347.0])
def test_z_peaks_at_the_pitch_of_a_harmonic_tone(backend, f0):
    m = backend.build("CFP")
    Z = backend.run(m, harmonic((f0,)).astype(np.float32))[0]
    cf = nnaudio_shared.cfp_central_frequencies(fc=80.0, tc=1 / 1000, NumPerOct=48)
    best = cf[np.argmax(Z[:, 10:-10].mean(axis=-1))]
    assert abs(math.log2(best / f0)) <= 1.5 / 48  # within one and a half bands (48 per octave)


def test_frames_and_leading_dimensions(backend):
    x = harmonic((220.0, 330.0, 440.0, 550.0), n=4000).reshape(2, 2, 4000).astype(np.float32)
    z = backend.run(backend.build("CFP"), x)
    assert z.shape == (2, 2, 174, 1 + 4000 // 320)
    assert_close(backend.run(backend.build("CFP"), x[1, 0]), z[1, 0], "cfp", "float32", "one clip vs batch")
    outs = backend.call(backend.build("Combined_Frequency_Periodicity"), backend.asarray(x[0, 0]))
    assert [tuple(o.shape) for o in outs] == [(174, 4000 // 320 - 1)] * 4


def test_gradients_are_finite_at_silence_and_on_signals(backend, dtype, rng):
    m = backend.build("CFP", **_kw("fs8000-fr1-tc2000-24perOct"), dtype=dtype)
    for x in (np.zeros((2, 2000), dtype), harmonic((200.0, 300.0), fs=8000, n=2000).astype(dtype)):
        z = backend.run(m, x)
        assert np.all(np.isfinite(z))
        g = backend.grad_input(m, x, rng.standard_normal(z.shape))
        assert np.all(np.isfinite(g)) and (not x.any() or np.abs(g).max() > 0)


def test_torch_gradients_flow_through_all_four_outputs():
    m = TORCH.build("Combined_Frequency_Periodicity", **_kw("fs8000-fr1-tc2000-24perOct"), dtype="float64")
    x = torch.tensor(harmonic((200.0,), fs=8000, n=2000), requires_grad=True)
    for out in m(x):
        (g,) = torch.autograd.grad(out.sum(), [x], retain_graph=True)
        assert torch.isfinite(g).all() and g.abs().max() > 0


def test_jax_jit_matches_eager(dtype):
    m = JAX.build("Combined_Frequency_Periodicity", **_kw("fs8000-fr1-tc2000-24perOct"), dtype=dtype)
    x = jnp.asarray(harmonic((200.0,), fs=8000, n=3000).astype(dtype))
    jitted = jax.jit(lambda m, x: m(x))(m, x)
    for label, a, b in zip(OUTPUTS, jitted, m(x), strict=True):
        assert_close(np.asarray(a), np.asarray(b), "backend", dtype, label)


# ---------------------------------------------------------------------------------------------
# API and invalid arguments
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
def test_arguments_defaults_and_order_follow_nnaudio2(backend, cls):
    theirs = [
        (p.name, p.default)
        for p in _params({"CFP": NN2CFP, "Combined_Frequency_Periodicity": NN2CombinedFP}[cls].__init__)
    ]
    init = getattr(backend.lib, cls).__init__
    ours = [(p.name, list(p.default) if p.name == "g" else p.default) for p in _params(init)]
    assert ours == [*theirs, ("dtype", None)]
    kinds = [p.kind for p in _params(init)]
    assert kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[1:])


@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
def test_signatures_and_docs_agree_across_backends(cls):
    from test_api import documented_parameters

    t, j = getattr(nnaudio_torch, cls), getattr(nnaudio_jax, cls)
    spec = [(p.name, p.kind, p.default) for p in _params(t.__init__)]
    assert spec == [(p.name, p.kind, p.default) for p in _params(j.__init__)]
    assert documented_parameters(t) == [p.name for p in _params(t.__init__)] == documented_parameters(j)
    tf, jf = nnaudio_torch.functional.cfp, nnaudio_jax.functional.cfp
    assert [(p.name, p.kind, p.default) for p in _params(tf)] == [(p.name, p.kind, p.default) for p in _params(jf)]
    assert documented_parameters(tf) == documented_parameters(jf)


def test_nnaudio2_import_path():
    from nnaudio_torch.features.cfp import CFP, Combined_Frequency_Periodicity

    assert CFP is nnaudio_torch.CFP and Combined_Frequency_Periodicity is nnaudio_torch.Combined_Frequency_Periodicity


def test_a_list_g_is_accepted_and_the_config_is_json_ready():
    m = TORCH.build("CFP", g=[0.24, 0.6, 1])
    assert m.config.g == (0.24, 0.6, 1.0)
    d = m.config.to_dict()
    assert d["g"] == (0.24, 0.6, 1.0) and nnaudio_shared.CFPConfig(**d) == m.config


BAD = [
    (dict(fr=0), r"fr=0.0 is invalid"),
    (dict(fs=-1), r"fs=-1.0 is invalid"),
    (dict(hop_length=0), r"hop_length=0 is invalid"),
    (dict(window_size=9000), r"window_size=9000 is invalid: must be <= 8000"),
    (dict(fc=0), r"fc=0.0 is invalid"),
    (dict(tc=1 / 9000), r"tc=.* is invalid: the top frequency 1 / tc = 9000.0.* must be <= fs / 2 = 8000.0"),
    (dict(fc=2000.0), r"fc=2000.0 is invalid: must be < 1 / tc = 1000.0"),
    (dict(fc=0.9), r"fc=0.9 is invalid with fr=2.0: the liftering cut-off round\(fc / fr\) = 0"),
    (dict(tc=1 / 7999.5), r"tc=.* is invalid: round\(1 / \(tc fr\)\) \+ 1 = 4001 frequency columns exceed"),
    (dict(fc=3.0), r"fc=3.0 is invalid: round\(fs / fc\) \+ 1 = 5334 quefrency columns exceed"),
    (dict(g=[0.24]), r"g=\[0.24\] is invalid: needs at least 2 exponents"),
    (dict(g=(0.0, 0.6)), r"g\[0\]=0.0 is invalid: must be > 0"),
    (dict(g=(0.24, -1)), r"g\[1\]=-1.0 is invalid: must be >= 0"),
    (dict(g=(0.24, "a")), r"g\[1\]='a' is not a real number"),
    (dict(g=0.5), r"g=0.5 is invalid: expected a sequence"),
    (dict(NumPerOct=0), r"NumPerOct=0 is invalid"),
    (dict(fc=990.0, NumPerOct=1), r"give 1 centre frequencies below 1 / tc"),
]


@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
@pytest.mark.parametrize(("kw", "match"), BAD, ids=[str(k) for k, _ in BAD])
def test_invalid_arguments_raise_the_same_clear_error_in_both_backends(cls, kw, match):
    messages = {}
    for name, backend in BACKENDS.items():
        with pytest.raises(ParameterError, match=match) as info:
            getattr(backend.lib, cls)(**kw)
        messages[name] = str(info.value)
    assert messages["torch"] == messages["jax"]


def test_bad_signals_raise(backend):
    cfp, cfp4 = backend.build("CFP"), backend.build("Combined_Frequency_Periodicity")
    with pytest.raises(ParameterError, match=r"needs at least 3 frames"):
        backend.call_eager(cfp4, np.zeros(639, np.float32))  # 1 + 639 // 320 = 2 frames
    assert backend.call_eager(cfp4, np.zeros(640, np.float32))[0].shape == (174, 1)
    assert backend.call_eager(cfp, np.zeros(1, np.float32)).shape == (174, 1)
    for x, match in [
        (np.zeros(0, np.float32), "empty"),
        (np.full(4000, np.nan, np.float32), "NaN or Inf"),
        (np.zeros(4000, np.int16), "int16"),
    ]:
        with pytest.raises(ParameterError, match=match):
            backend.call_eager(cfp, x)


# kernels and input of different dtypes: every cast is explicit
@pytest.mark.parametrize(("dtype", "in_dtype"), [("float32", "float64"), ("float64", "float32")])
def test_jax_strict_promotion(dtype, rng, in_dtype):
    kw = dict(_kw("fs8000-fr1-tc2000-24perOct"), g=(0.3, 0.6, 0.0, 0.8))
    x = harmonic((200.0,), fs=8000, n=2000).astype(in_dtype)
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        m = JAX.build("CFP", **kw, dtype=dtype)
        out = JAX.run(m, x)
        JAX.grad_input(m, x, rng.standard_normal(out.shape))
        outs = JAX.call(JAX.build("Combined_Frequency_Periodicity", **kw, dtype=dtype), JAX.asarray(x))
    assert out.dtype == np.dtype(in_dtype) and all(o.dtype == np.dtype(in_dtype) for o in outs)


@pytest.mark.parametrize("cls", ["CFP", "Combined_Frequency_Periodicity"])
@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_torch_autocast_does_not_lower_the_precision(cls, autocast_dtype):
    """The forward runs with autocast disabled: without it the DFT and cepstrum matmuls ran in
    bfloat16 (3.6e-3 relative error) while still returning float32."""
    m = getattr(nnaudio_torch, cls)(fs=8000, hop_length=160, window_size=513, fc=80.0, tc=1 / 1000.0, NumPerOct=12)
    x = torch.from_numpy(np.random.default_rng(5).standard_normal((2, 4000)).astype(np.float32))
    with torch.no_grad():
        plain = m(x)
        with torch.autocast("cpu", dtype=autocast_dtype):
            auto = m(x)
    plain, auto = (plain, auto) if isinstance(plain, tuple) else ((plain,), (auto,))
    for p, a in zip(plain, auto, strict=True):
        assert a.dtype == p.dtype == torch.float32
        torch.testing.assert_close(a, p, rtol=0, atol=0)
