"""Inverse constant-Q transform (iCQT): reconstruction accuracy, librosa comparison, determinism.

Oracles: the signal itself (a CQT followed by its inverse must give it back on interior samples:
SNR in dB, thresholds from the issue), ``librosa.cqt -> librosa.icqt`` on the same signals,
nnAudio2's ``iCQT`` signature, and for the solver's float64 design the Rayleigh quotient of the
direct-definition CQT (``references.direct_cqt``) on cosines.

Signals: 1 s sums of four sines between 110 and 330 Hz at 22.05 kHz (the issue's example, inside
the well-sampled range ``hop <= sr * Q / (2 f)`` for hops 256 and 512). Interior samples: those
farther than half the longest kernel (5844 samples at fmin = 32.7 Hz) from either end.
"""

from __future__ import annotations

import functools
import inspect

import jax.numpy as jnp
import librosa
import nnAudio2.features.cqt
import numpy as np
import pytest
import torch
from backends import BACKENDS, JAX, TORCH
from nnaudio_shared import ICQT_N_ITER, ICQTConfig, ParameterError, frame_operator_diagonal
from references import direct_cqt, interior_frames
from test_api import _params
from tolerances import assert_close

import nnaudio_jax
import nnaudio_torch

SR = 22050
L = 22050  # 1 s
N_SIGNALS = 2
#: The issue's targets: interior SNR with the default n_iter, and the margin over librosa.icqt.
MIN_SNR_DB = 40.0
MIN_GAP_OVER_LIBROSA_DB = 15.0


def sines(n: int = N_SIGNALS, length: int = L, seed: int = 0) -> np.ndarray:
    """``n`` sums of four sines, 110-330 Hz, amplitudes 0.2-0.5, random phases (float64)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    out = np.zeros((n, length))
    for i in range(n):
        for f in rng.uniform(110.0, 330.0, 4):
            out[i] += rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * f * t + rng.uniform(0.0, 2 * np.pi))
    return out


def interior_margin(**kw: object) -> int:
    """Half the longest kernel of the configuration, in samples."""
    return int(np.ceil(ICQTConfig(**kw).kernels().lengths.max() / 2))  # type: ignore[arg-type]


def snr_db(x: np.ndarray, y: np.ndarray, margin: int) -> np.ndarray:
    """SNR of each row of ``y`` against ``x`` on samples ``margin .. len - margin`` (dB)."""
    s = slice(margin, x.shape[-1] - margin)
    err = np.sum((x[..., s] - np.asarray(y, dtype=np.float64)[..., s]) ** 2, axis=-1)
    return 10 * np.log10(np.sum(x[..., s] ** 2, axis=-1) / err)


@functools.lru_cache(maxsize=16)
def _cqt(
    backend_name: str, dtype: str, hop: int, pad_mode: str, cls: str = "CQT1992v2", gamma: float = 0.0
) -> np.ndarray:
    """The 'Complex' CQT (real, imag) of :func:`sines` by the backend's own forward transform."""
    backend = BACKENDS[backend_name]
    if cls == "VQT":
        m = backend.build("VQT", hop_length=hop, gamma=gamma, output_format="Complex", dtype=dtype)
    else:
        m = backend.build(cls, hop_length=hop, pad_mode=pad_mode, output_format="Complex", dtype=dtype)
    return backend.run(m, sines().astype(dtype))


def _invert(backend, dtype: str, X: np.ndarray, length: int | None = L, **kw: object) -> np.ndarray:
    m = backend.build("iCQT", **kw, dtype=dtype)
    return backend.run(m, X, length=length)


# ---------------------------------------------------------------------------------------------
# Accuracy: the targets
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("hop", [256, 512])
def test_reconstruction_snr_meets_the_target_with_default_n_iter(backend, dtype, hop):
    """CQT1992v2 (library defaults: 84 bins from 32.7 Hz, reflect padding) -> iCQT: >= 40 dB."""
    X = _cqt(backend.name, dtype, hop, "reflect")
    y = _invert(backend, dtype, X, hop_length=hop)
    assert y.shape == (N_SIGNALS, L) and y.dtype == np.dtype(dtype)
    snr = snr_db(sines(), y, interior_margin())
    assert np.all(snr >= MIN_SNR_DB), (
        f"interior SNR {np.round(snr, 1).tolist()} dB < {MIN_SNR_DB} dB (hop {hop}, n_iter {ICQT_N_ITER}, {dtype})"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("hop", "pad_mode"), [(256, "constant"), (512, "constant"), (512, "reflect")])
def test_beats_librosa_icqt_by_15_db_on_the_same_signals(backend, hop, pad_mode):
    """ours - librosa >= 15 dB per signal (librosa.cqt gets the same padding).

    Not asserted: reflect padding at hop 256, where librosa.icqt reaches 50-58 dB on these
    well-sampled narrow-band signals and ours 62-83 dB (the mirrored ends leave part of the
    signal undetermined; see the iCQT docstring), a gap of 8 dB or more.
    """
    x = sines()
    X = _cqt(backend.name, "float32", hop, pad_mode)
    y = _invert(backend, "float32", X, hop_length=hop, pad_mode=pad_mode)
    margin = interior_margin()
    ours = snr_db(x, y, margin)
    theirs = np.array(
        [
            snr_db(
                x[i],
                librosa.icqt(
                    librosa.cqt(x[i], sr=SR, hop_length=hop, fmin=32.7, n_bins=84, pad_mode=pad_mode),
                    sr=SR,
                    hop_length=hop,
                    fmin=32.7,
                    length=L,
                ),
                margin,
            )
            for i in range(N_SIGNALS)
        ]
    )
    gap = ours - theirs
    assert np.all(gap >= MIN_GAP_OVER_LIBROSA_DB), (
        f"hop {hop}, {pad_mode}: ours {np.round(ours, 1).tolist()} dB, librosa {np.round(theirs, 1).tolist()} dB, "
        f"gap {np.round(gap, 1).tolist()} < {MIN_GAP_OVER_LIBROSA_DB} dB"
    )


@pytest.mark.slow
def test_weighting_the_ends_keeps_the_reflect_ambiguity_out_of_the_interior(backend):
    """With reflect padding, the end weighting (ICQTConfig.end_weighting) against plain minimum
    norm: >= 5 dB better on interior samples (measured 62-69 vs 52-55 dB at hop 512)."""
    hop = 512
    X = _cqt(backend.name, "float64", hop, "reflect")
    m = backend.build("iCQT", hop_length=hop, dtype="float64")
    cfg = m.config
    assert cfg.end_weighting() == (interior_margin(), 10.0)
    assert ICQTConfig(pad_mode="constant").end_weighting()[1] == 0.0
    fn = nnaudio_torch._icqt.icqt if backend is TORCH else nnaudio_jax._icqt.icqt
    spec = X[..., 0] + 1j * X[..., 1]
    args = dict(layout=cfg.layout(), width=cfg.width, n_samples=L, n_iter=cfg.n_iter, pad_mode="reflect")
    state = backend.state(m)
    kr, ki, lengths, w = (
        backend.asarray(state[k]) for k in ("cqt_kernels_real", "cqt_kernels_imag", "lengths", "weights")
    )
    kw = dict(args, scale=lengths**0.5, weights=w)
    plain = backend.to_numpy(fn(backend.asarray(spec), kr, ki, **kw))
    ends = backend.to_numpy(
        fn(backend.asarray(spec), kr, ki, **kw, end_width=cfg.end_weighting()[0], end_strength=cfg.end_weighting()[1])
    )
    assert_close(ends, backend.run(m, X, length=L), "icqt_backend_reflect", "float64", "functional vs module")
    margin = interior_margin()
    gain = snr_db(sines(), ends, margin) - snr_db(sines(), plain, margin)
    assert np.all(gain >= 5.0), f"end weighting gains {np.round(gain, 1).tolist()} dB"


def test_inverts_the_variable_q_transform(backend):
    """VQT(gamma=20) -> iCQT(gamma=20): the multirate VQT equals the full-rate definition."""
    hop = 256
    X = _cqt(backend.name, "float32", hop, "reflect", cls="VQT", gamma=20.0)
    y = _invert(backend, "float32", X, hop_length=hop, gamma=20.0)
    snr = snr_db(sines(), y, interior_margin(gamma=20.0))
    assert np.all(snr >= MIN_SNR_DB), f"VQT(gamma=20) interior SNR {np.round(snr, 1).tolist()} dB"


def test_undersampled_content_is_attenuated_not_amplified(backend):
    """A 2 kHz tone at hop 512 (well-sampled only up to ~370 Hz): the minimum-norm solution does
    not add energy the CQT cannot justify."""
    t = np.arange(L) / SR
    x = np.sin(2 * np.pi * 2000.0 * t)[None]
    m = backend.build("CQT1992v2", hop_length=512, output_format="Complex", dtype="float64")
    y = _invert(backend, "float64", backend.run(m, x), hop_length=512)
    margin = interior_margin()
    assert np.all(np.isfinite(y))
    assert np.sum(y[:, margin:-margin] ** 2) <= 1.01 * np.sum(x[:, margin:-margin] ** 2)


# ---------------------------------------------------------------------------------------------
# Solver properties
# ---------------------------------------------------------------------------------------------

SMALL = dict(sr=SR, hop_length=128, fmin=220.0, n_bins=24, n_iter=8)
SMALL_L = 3000


def _small_input(dtype: str, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = TORCH.build(
        "CQT1992v2", **{k: v for k, v in SMALL.items() if k != "n_iter"}, output_format="Complex", dtype="float64"
    )
    X = TORCH.run(m, rng.standard_normal((2, SMALL_L)))
    return X.astype(dtype)


@pytest.mark.slow
@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_torch_matches_jax(dtype, pad_mode):
    X = _cqt("torch", dtype, 512, pad_mode)
    kw = dict(hop_length=512, pad_mode=pad_mode)
    kind = "icqt_backend" if pad_mode == "constant" else "icqt_backend_reflect"
    assert_close(_invert(JAX, dtype, X, **kw), _invert(TORCH, dtype, X, **kw), kind, dtype, f"pad_mode={pad_mode}")


def test_torch_matches_jax_on_white_noise_with_reflect_padding(dtype):
    """Broadband input, library defaults (hop 512: most of the band undersampled), 0.5 s: the
    solve is a well-defined function of X, so the backends agree to their own rounding. Before the
    solver reorthogonalised its residuals, CGLS lost orthogonality and rounding differences grew
    3-4x per iteration from about iteration 40 (measured float64 2e-3, float32 2.5e-4 / 1.7e-3 on
    1 s of noise; now 2.5e-15 / 1.5e-6)."""
    x = np.random.default_rng(3).standard_normal((2, L // 2))
    X = TORCH.run(TORCH.build("CQT1992v2", hop_length=512, output_format="Complex", dtype="float64"), x)
    X = X.astype(dtype)
    a, b = (_invert(bk, dtype, X, length=x.shape[-1], hop_length=512) for bk in (JAX, TORCH))
    assert_close(a, b, "icqt_backend_reflect", dtype, "white noise")


def test_two_constructions_give_bitwise_identical_output(backend):
    X = _small_input("float32")
    a = backend.run(backend.build("iCQT", **SMALL), X, length=SMALL_L)
    b = backend.run(backend.build("iCQT", **SMALL), X, length=SMALL_L)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        backend.state(backend.build("iCQT", **SMALL))["weights"],
        backend.state(backend.build("iCQT", **SMALL))["weights"],
    )


def test_batch_dimensions_and_complex_input(backend, dtype):
    X = _small_input(dtype)
    m = backend.build("iCQT", **SMALL, dtype=dtype)
    y = backend.run(m, X, length=SMALL_L)
    # leading dims (2, 1), items solved independently
    y4 = backend.run(m, X[:, None], length=SMALL_L)
    assert y4.shape == (2, 1, SMALL_L)
    assert_close(y4[:, 0], y, "backend", dtype, "(2, 1, ...) vs (2, ...)")
    assert_close(backend.run(m, X[1], length=SMALL_L), y[1], "backend", dtype, "one item vs batch")
    # a complex array is the same as its (real, imag) pairs
    Xc = (X[..., 0] + 1j * X[..., 1]).astype(np.complex64 if dtype == "float32" else np.complex128)
    assert_close(backend.run(m, Xc, length=SMALL_L), y, "backend", dtype, "complex input")


def test_length_handling(backend):
    X = _small_input("float64")
    m = backend.build("iCQT", **SMALL, dtype="float64")
    n_frames, hop = X.shape[-2], SMALL["hop_length"]
    natural = backend.run(m, X)
    assert natural.shape == (2, (n_frames - 1) * hop)
    # a length with the same frame count is solved at that length (here: the true one)
    assert backend.run(m, X, length=SMALL_L).shape == (2, SMALL_L)
    # other lengths: the natural solution zero-padded or trimmed
    longer = backend.run(m, X, length=SMALL_L + 1000)
    np.testing.assert_array_equal(longer[:, : natural.shape[-1]], natural)
    assert np.all(longer[:, natural.shape[-1] :] == 0)
    np.testing.assert_array_equal(backend.run(m, X, length=100), natural[:, :100])


def _librosa_sweep(sr: int, duration: float) -> np.ndarray:
    """librosa's ``test_constantq.make_signal(sr, duration, fmin='C2', fmax='C4')``: a log sweep."""
    fmin, fmax = librosa.note_to_hz("C2") / sr, librosa.note_to_hz("C4") / sr
    return np.sin(np.cumsum(2 * np.pi * np.logspace(np.log10(fmin), np.log10(fmax), num=int(duration * sr))))


def _middle_rms(x: np.ndarray, y: np.ndarray, sr: int) -> float:
    """librosa's ``test_icqt`` measure: RMS error on the samples farther than sr / 2 from the ends."""
    y = librosa.util.fix_length(np.asarray(y, dtype=np.float64), size=x.shape[-1])
    return float(np.sqrt(np.mean((x[..., sr // 2 : -(sr // 2)] - y[..., sr // 2 : -(sr // 2)]) ** 2)))


@pytest.mark.slow
@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_length_none_keeps_the_middle_exact_on_librosas_icqt_test(backend, pad_mode):
    """librosa's ``test_icqt`` without ``length`` (sr 16000, hop 512, 84 bins from C1, 1.5 s sweep):
    24000 samples give 47 frames, and ``length=None`` reconstructs 23552. Solved as a 23552-sample
    signal, the padding of the wrong length leaked into the middle: RMS error 0.10 with
    ``pad_mode='constant'`` (0.00066 with reflect). With the samples after it free: 1.4e-4 / 5.5e-4,
    below ``librosa.icqt`` (4.5e-3) and within 2x of the solve at the true length (4.6e-4 / 4.1e-4)."""
    sr, hop = 16000, 512
    x = _librosa_sweep(sr, 1.5)
    kw = dict(sr=sr, hop_length=hop, fmin=float(librosa.note_to_hz("C1")), n_bins=84, pad_mode=pad_mode)
    X = backend.run(backend.build("CQT1992v2", **kw, output_format="Complex", dtype="float64"), x)
    m = backend.build("iCQT", **kw, dtype="float64")
    y = backend.run(m, X)
    assert y.shape == ((X.shape[-2] - 1) * hop,)
    ours, exact = _middle_rms(x, y, sr), _middle_rms(x, backend.run(m, X, length=x.size), sr)
    theirs = _middle_rms(x, librosa.icqt(librosa.cqt(x, **kw), **{k: kw[k] for k in ("sr", "hop_length", "fmin")}), sr)
    assert ours < 1e-3 and ours < theirs / 4 and ours < 2 * exact, (ours, exact, theirs)


def test_length_none_models_every_length_with_that_frame_count(backend):
    """A clip whose length is not a multiple of the hop, zero-padded ends: ``length=None`` against
    the solve at the true length, on the first ``(frames - 1) * hop`` samples (measured 1.1e-2
    relative; 0.81 when solved as a signal of the shortest length)."""
    kw = {k: v for k, v in SMALL.items() if k != "n_iter"}
    x = _small_sines(SMALL_L + 100)
    X = backend.run(backend.build("CQT1992v2", **kw, pad_mode="constant", output_format="Complex", dtype="float64"), x)
    m = backend.build("iCQT", **kw, n_iter=32, pad_mode="constant", dtype="float64")
    natural, exact = backend.run(m, X), backend.run(m, X, length=x.shape[-1])
    n = natural.shape[-1]
    assert n == (X.shape[-2] - 1) * SMALL["hop_length"] < x.shape[-1]
    margin = interior_margin(**kw)
    err = np.linalg.norm(natural[:, margin:] - exact[:, margin:n]) / np.linalg.norm(exact[:, margin:n])
    assert err < 0.05, err


def _small_sines(length: int) -> np.ndarray:
    """Two sums of sines inside the well-sampled band of :data:`SMALL` (220-660 Hz at hop 128)."""
    t = np.arange(length) / SR
    return np.stack(
        [np.sin(2 * np.pi * 300.0 * t + 0.4) + 0.5 * np.sin(2 * np.pi * 445.0 * t), np.cos(2 * np.pi * 523.0 * t)]
    )


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_float64_input_to_a_float32_module_is_float64_accurate(backend, pad_mode):
    """Kernels, lengths and weights are the float64 design for a float64 X while the float32 state
    equals it rounded (``_frozen.frozen_in``): the float32 module computes what the float64 one does
    (upcast float32 kernels: 1e-7 off). JAX under jit and eagerly, torch eagerly (the torch iCQT
    does not compile)."""
    X = _small_input("float64")
    kw = dict(SMALL, pad_mode=pad_mode)
    wide = backend.run(backend.build("iCQT", **kw, dtype="float64"), X, length=SMALL_L)
    m = backend.build("iCQT", **kw)  # float32 state
    assert backend.state(m)["cqt_kernels_real"].dtype == np.float32
    y = backend.run(m, X, length=SMALL_L)
    assert y.dtype == np.float64
    assert_close(y, wide, "backend", "float64", "jit" if backend is JAX else "eager")
    if backend is JAX:
        eager = np.asarray(JAX.call_eager(m, jnp.asarray(X), length=SMALL_L))
        assert_close(eager, wide, "backend", "float64", "eager")


def test_gradients_with_respect_to_X(backend):
    """Directional finite difference of ``<w, iCQT(X)>`` (float64) against the autodiff gradient,
    and finite gradients at silence (the solver skips zero-denominator steps without NaN)."""
    X = _small_input("float64")[:1]
    m = backend.build("iCQT", **SMALL, dtype="float64")
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1, SMALL_L))
    d = rng.standard_normal(X.shape)
    eps = 1e-5

    def f(inp: np.ndarray) -> float:
        return float(np.sum(w * backend.run(m, inp, length=SMALL_L)))

    g = backend.grad_input(m, X, w, length=SMALL_L)
    fd = (f(X + eps * d) - f(X - eps * d)) / (2 * eps)
    assert float(np.sum(g * d)) == pytest.approx(fd, rel=1e-6)
    g0 = backend.grad_input(m, np.zeros_like(X), w, length=SMALL_L)
    assert g0.shape == X.shape and np.all(np.isfinite(g0))


def test_silence_gives_silence(backend, dtype):
    m = backend.build("iCQT", **SMALL, dtype=dtype)
    y = backend.run(m, np.zeros((2, 24, 24, 2), dtype=dtype))
    assert np.all(y == 0)


def test_jax_eager_and_jit_agree():
    X = _small_input("float32")
    m = JAX.build("iCQT", **SMALL)
    eager = np.asarray(JAX.call_eager(m, jnp.asarray(X), length=SMALL_L))
    assert_close(eager, JAX.run(m, X, length=SMALL_L), "backend", "float32", "eager vs jit")


def test_torch_works_under_no_grad_inference_mode_and_autocast():
    X = torch.from_numpy(_small_input("float32"))
    m = nnaudio_torch.iCQT(**SMALL)
    with torch.no_grad():
        a = m(X, length=SMALL_L)
    with torch.inference_mode():
        b = m(X, length=SMALL_L)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        c = m(X, length=SMALL_L)
    assert a.dtype == b.dtype == c.dtype == torch.float32
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(a, c, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# Float64 design of the solver (nnaudio_shared)
# ---------------------------------------------------------------------------------------------


def test_frame_operator_diagonal_is_the_rayleigh_quotient_of_the_cqt():
    """``S(f) = ||A v||^2 / ||v||^2`` for a cosine ``v`` at frequency ``f`` (interior frames),
    with ``A`` the float64 direct-definition CQT (librosa scaling)."""
    sr, hop, n = 8000, 32, 12000
    cfg = ICQTConfig(sr=sr, hop_length=hop, fmin=100.0, n_bins=36)
    k = cfg.kernels()
    width = cfg.width
    t = np.arange(n) / sr
    freqs = np.array([150.0, 155.7, 400.0, 1000.0, 1234.5])
    measured = []
    for f in freqs:
        v = np.cos(2 * np.pi * f * t)
        X = direct_cqt(v, k, hop_length=hop, width=width) * cfg.scale(k)[:, None]
        inner = interior_frames(X.shape[-1], n_fft=width, hop_length=hop, length=n, center=True)
        starts = np.arange(X.shape[-1])[inner] * hop
        span = slice(starts[0], starts[-1] + hop)  # the samples those frames stand for
        measured.append(np.sum(np.abs(X[:, inner]) ** 2) / np.sum(v[span] ** 2))
    predicted = frame_operator_diagonal(k, cfg.scale(k), freqs, sr=sr, hop_length=hop)
    assert_close(predicted, np.array(measured), "icqt_frame", "float64")


def test_weights_flatten_the_frame_operator_on_the_well_sampled_bins():
    cfg = ICQTConfig(hop_length=512)
    k = cfg.kernels()
    w = cfg.bin_weights(k)
    assert w.shape == (84,) and np.all(w > 0) and np.mean(w) == pytest.approx(1.0)
    diag = frame_operator_diagonal(k, cfg.scale(k), k.freqs, sr=SR, hop_length=512)
    sampled = k.lengths >= 2 * 512
    flat = (w * diag)[sampled]
    assert flat.max() / flat.min() == pytest.approx(1.0, abs=1e-12)
    # undersampled bins keep the weight of the highest well-sampled bin
    top = np.flatnonzero(sampled).max()
    np.testing.assert_array_equal(w[top + 1 :], w[top])
    assert not w.flags.writeable


# ---------------------------------------------------------------------------------------------
# API and errors
# ---------------------------------------------------------------------------------------------


def test_nnaudio2_arguments_order_and_defaults(backend):
    theirs = _params(nnAudio2.features.cqt.iCQT)
    ours = {p.name: p for p in _params(backend.lib.iCQT)}
    for p in theirs:
        assert p.name in ours, p.name
        if p.name == "n_iter":  # documented: our default reaches the accuracy target
            assert (ours[p.name].default, p.default) == (ICQT_N_ITER, 32)
        else:
            assert ours[p.name].default == p.default, (p.name, ours[p.name].default, p.default)
    names = [p.name for p in _params(backend.lib.iCQT) if p.name in {q.name for q in theirs}]
    assert names == [p.name for p in theirs]
    params = _params(backend.lib.iCQT)
    assert params[0].name == "sr" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    call = backend.lib.iCQT.forward if backend is TORCH else backend.lib.iCQT.__call__
    assert [(p.name, p.default) for p in inspect.signature(call).parameters.values()][1:] == [
        ("X", inspect._empty),
        ("length", None),
    ]


def test_signatures_and_documentation_agree_across_backends():
    from test_api import _display_names, _spec, documented_parameters

    t, j = nnaudio_torch.iCQT, nnaudio_jax.iCQT
    assert _spec(t) == _spec(j)
    assert documented_parameters(t) == _display_names(t)
    assert documented_parameters(j) == documented_parameters(t)
    assert documented_parameters(t.forward) == documented_parameters(j.__call__) == ["X", "length"]
    from nnaudio_torch.features.cqt import iCQT

    assert iCQT is nnaudio_torch.iCQT


def test_state_names(backend):
    m = backend.build("iCQT", **SMALL)
    assert backend.buffer_names(m) == {"cqt_kernels_real", "cqt_kernels_imag", "lengths", "weights"}
    assert backend.param_names(m) == set()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(n_iter=0), "n_iter"),
        (dict(n_iter=2.5), "n_iter"),
        (dict(gamma=-1.0), "gamma"),
        (dict(normalization_type="ortho"), "normalization_type"),
        (dict(pad_mode="edge"), "pad_mode"),
        (dict(hop_length=0), "hop_length"),
        (dict(n_bins=200), "Nyquist"),
        (dict(n_bins=84, fmin=32.7, gamma=20000.0), "Nyquist"),
        (dict(window=np.hanning(16)), "window"),
        (dict(verbose="yes"), "verbose"),
        (dict(norm=-1), "norm"),
    ],
)
def test_invalid_arguments_raise(backend, kw, match):
    with pytest.raises(ParameterError, match=match):
        backend.build("iCQT", **kw)


def test_invalid_inputs_raise(backend):
    m = backend.build("iCQT", **SMALL)
    X = _small_input("float32")
    call = backend.call_eager
    arr = backend.asarray
    with pytest.raises(ParameterError, match="n_bins=24"):
        call(m, arr(X[:, :20]))
    with pytest.raises(ParameterError, match="magnitude"):
        call(m, arr(np.abs(X[..., 0])))
    bad = X.copy()
    bad[0, 3, 4, 1] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        call(m, arr(bad))
    for length in (0, -5, 2.5):
        with pytest.raises(ParameterError, match="length"):
            call(m, arr(X), length=length)
    with pytest.raises(ParameterError):
        call(m, X.tolist())


def test_config_round_trips_through_json():
    cfg = ICQTConfig(hop_length=256, gamma=None, window=("kaiser", 4.0), norm=np.inf)
    assert ICQTConfig(**cfg.to_dict()) == cfg
    assert cfg.to_dict()["norm"] == "inf"
