"""Griffin_Lim: parity with ``librosa.griffinlim`` from the same initial phase, spectral
convergence, torch vs JAX, determinism, jit, device placement, the API and invalid arguments."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import librosa
import nnaudio_shared
import numpy as np
import pytest
import torch
from backends import BACKENDS, JAX, TORCH
from nnAudio2.features.griffin_lim import Griffin_Lim as NN2GriffinLim
from references import librosa_stft
from test_api import _params
from tolerances import assert_close

import nnaudio_jax
import nnaudio_torch

ParameterError = nnaudio_shared.ParameterError
L = 2000
GL = dict(n_fft=256, hop_length=64)


def _magnitude(x: np.ndarray, **kw) -> np.ndarray:
    kw = dict(kw)
    kw.setdefault("pad_mode", "reflect")
    return np.abs(librosa_stft(x, **kw))


_jit_call = jax.jit(lambda m, S, phase, length: m(S, length=length, init_phase=phase), static_argnums=(3,))


def run(backend, m, S: np.ndarray, *, init_phase: np.ndarray | None = None, length: int | None = None):  # noqa: ANN001
    """``m(S, length=..., init_phase=...)``, jitted for JAX (``init_phase`` is an array argument, not static)."""
    if backend is JAX and init_phase is not None:
        out = _jit_call(m, jnp.asarray(S), jnp.asarray(init_phase), length)
        assert isinstance(out, jax.Array)
        return np.asarray(out)
    kw = {} if init_phase is None else {"init_phase": backend.asarray(init_phase)}
    return backend.run(m, S, length=length, **kw)


def _librosa_phase(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """The phase ``librosa.griffinlim(init='random', random_state=seed)`` draws."""
    return 2 * np.pi * np.random.RandomState(seed).random(size=shape)


PARITY = {
    # (constructor keywords, call keywords besides init_phase, n_iter, initial phase: None or a seed)
    "hann-constant-zero-phase": (dict(GL, pad_mode="constant"), {}, 16, None),
    "hann-reflect-random-length": (GL, {"length": L}, 16, 3),
    "kaiser-win200-nocenter-random": (
        dict(n_fft=256, hop_length=50, win_length=200, window=("kaiser", 4.0), center=False),
        {},
        16,
        5,
    ),
    "odd-nfft-momentum0.5-random": (dict(n_fft=255, hop_length=50, momentum=0.5), {}, 8, 7),
    "classic-gl-momentum0": (dict(GL, momentum=0.0, pad_mode="constant"), {}, 8, 11),
}


@pytest.mark.parametrize("name", PARITY)
def test_matches_librosa_griffinlim_from_the_same_initial_phase(backend, dtype, make_signal, name):
    kw, call, n_iter, seed = PARITY[name]
    x = make_signal(L)
    stft_kw = {k: v for k, v in kw.items() if k in ("n_fft", "hop_length", "win_length", "window", "center")}
    pad_mode = kw.get("pad_mode", "reflect")
    S = _magnitude(x, pad_mode=pad_mode, **stft_kw).astype(dtype)
    expected = librosa.griffinlim(
        S.astype(np.float64),
        n_iter=n_iter,
        momentum=kw.get("momentum", 0.99),
        pad_mode=pad_mode,
        init=None if seed is None else "random",
        random_state=seed,
        **stft_kw,
        **call,
    )
    # init='random' draws librosa's phase for one spectrogram: no init_phase needed for parity
    init = {"init": None} if seed is None else {"init": "random", "random_state": seed}
    m = backend.build("Griffin_Lim", **kw, n_iter=n_iter, **init, dtype=dtype)
    out = run(backend, m, S, **call)
    assert out.dtype == np.dtype(dtype)
    assert_close(out, expected, "griffinlim_librosa", dtype, "vs librosa.griffinlim")
    if seed is not None:  # the same as passing librosa's phase explicitly (up to XLA folding a constant)
        m0 = backend.build("Griffin_Lim", **kw, n_iter=n_iter, init=None, dtype=dtype)
        explicit = run(backend, m0, S, init_phase=_librosa_phase(seed, S.shape).astype(dtype), **call)
        assert_close(
            out, explicit, "griffinlim_librosa", dtype, "init='random' vs librosa's phase passed as init_phase"
        )


def _spectral_convergence(y: np.ndarray, S: np.ndarray) -> float:
    return float(np.linalg.norm(_magnitude(y, **GL) - S) / np.linalg.norm(S))


def test_spectral_convergence_decreases_with_iterations(backend, make_signal):
    x = make_signal(L)
    S = _magnitude(x, **GL)
    sc = []
    for n_iter in (0, 2, 8, 32):
        y = backend.run(backend.build("Griffin_Lim", **GL, n_iter=n_iter, dtype="float64"), S, length=L)
        sc.append(_spectral_convergence(y, S))
    assert all(a > b for a, b in zip(sc, sc[1:], strict=False)), sc
    assert sc[-1] < 0.3 * sc[0], sc


def test_momentum_converges_faster_than_classic_griffin_lim(backend, make_signal):
    x = make_signal(L)
    S = _magnitude(x, **GL)
    fast = backend.run(backend.build("Griffin_Lim", **GL, n_iter=16, dtype="float64"), S, length=L)
    slow = backend.run(backend.build("Griffin_Lim", **GL, n_iter=16, momentum=0.0, dtype="float64"), S, length=L)
    assert _spectral_convergence(fast, S) < _spectral_convergence(slow, S)


@pytest.mark.parametrize("init", ["zero-phase", "init_phase"])
def test_torch_matches_jax(dtype, make_signal, init):
    S = _magnitude(make_signal(2, L), **GL).astype(dtype)
    phase = None if init == "zero-phase" else _librosa_phase(1, S.shape[-2:]).astype(dtype)
    kw = dict(GL, n_iter=8, init=None)  # float32 iterates drift apart with n_iter (see tolerances.py)
    out_t = run(TORCH, TORCH.build("Griffin_Lim", **kw, dtype=dtype), S, init_phase=phase)
    out_j = run(JAX, JAX.build("Griffin_Lim", **kw, dtype=dtype), S, init_phase=phase)
    assert_close(out_j, out_t, "griffinlim", dtype, "jax vs torch")


def test_random_init_is_deterministic_seeded_and_batch_independent(backend, make_signal):
    S = _magnitude(make_signal(3, L), **GL).astype(np.float32)
    kw = dict(GL, n_iter=4)
    a = backend.run(backend.build("Griffin_Lim", **kw, random_state=1), S)
    assert np.array_equal(a, backend.run(backend.build("Griffin_Lim", **kw, random_state=1), S))
    m = backend.build("Griffin_Lim", **kw, random_state=1)
    assert np.array_equal(a, backend.run(m, S))
    assert np.array_equal(backend.run(m, S), backend.run(m, S))  # no hidden state between calls
    assert not np.allclose(a, backend.run(backend.build("Griffin_Lim", **kw, random_state=2), S))
    assert not np.allclose(a, backend.run(backend.build("Griffin_Lim", **kw, init=None), S))
    for i in range(3):  # the phase is drawn per (freq, frames) grid: an item does not depend on its batch
        assert_close(backend.run(m, S[i]), a[i], "griffinlim", "float32", f"item {i}")


def test_init_phase_overrides_init(backend, make_signal):
    S = _magnitude(make_signal(L), **GL)
    kw = dict(GL, n_iter=3, dtype="float64")
    zero = backend.run(backend.build("Griffin_Lim", **kw, init=None), S)
    assert np.array_equal(run(backend, backend.build("Griffin_Lim", **kw), S, init_phase=np.zeros(S.shape)), zero)
    phase = _librosa_phase(0, S.shape)
    a = run(backend, backend.build("Griffin_Lim", **kw, init=None), S, init_phase=phase)
    b = run(backend, backend.build("Griffin_Lim", **kw, random_state=9), S, init_phase=phase)
    assert np.array_equal(a, b)


def test_leading_dimensions_and_one_example(backend, make_signal):
    S = _magnitude(make_signal(2, 3, L), **GL).astype(np.float32)
    m = backend.build("Griffin_Lim", **GL, n_iter=2, init=None)
    out = backend.run(m, S, length=L)
    assert out.shape == (2, 3, L)
    # batched and single FFTs round differently and the iterations amplify it: the "griffinlim" row
    assert_close(backend.run(m, S[1, 2], length=L), out[1, 2], "griffinlim", "float32")


def test_zero_iterations_is_the_inverse_stft_with_the_initial_phase(backend, make_signal):
    x = make_signal(L)
    X = librosa_stft(x, **GL)
    m = backend.build("Griffin_Lim", **GL, n_iter=0, dtype="float64")
    out = run(backend, m, np.abs(X), init_phase=np.angle(X), length=L)
    assert_close(out, x, "istft", "float64", "exact phase -> the signal")


def test_jax_jit_matches_eager_and_compiles_once_for_a_module(dtype, make_signal):
    S = _magnitude(make_signal(2, L), **GL).astype(dtype)
    m = JAX.build("Griffin_Lim", **GL, n_iter=3, dtype=dtype)
    traces = []

    @jax.jit
    def f(m, S):  # noqa: ANN001, ANN202
        traces.append(1)
        return m(S)

    eager = np.asarray(m(jnp.asarray(S)))
    assert_close(np.asarray(f(m, S)), eager, "backend", dtype, "jit vs eager")
    f(JAX.build("Griffin_Lim", **GL, n_iter=3, dtype=dtype), S)
    assert len(traces) == 1


def test_torch_module_moves_with_to_and_owns_no_unregistered_tensors():
    m = nnaudio_torch.Griffin_Lim(256, hop_length=64)
    assert {k for k, _ in m.named_buffers()} == {"window"} and not list(m.parameters())
    assert not [k for k, v in vars(m).items() if isinstance(v, torch.Tensor)]
    m.to(torch.float64)
    assert m.window.dtype == torch.float64
    m.to("meta")  # any device: every tensor is a buffer, so .to() moves all of them
    assert m.window.device.type == "meta"


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), None])
def test_device_argument_is_accepted(device):
    assert nnaudio_torch.Griffin_Lim(256, device=device).window.device.type == "cpu"
    nnaudio_jax.Griffin_Lim(256, device=device)


def test_torch_gradient_flows_to_the_magnitude(make_signal):
    S = torch.tensor(_magnitude(make_signal(L), **GL), requires_grad=True)
    y = nnaudio_torch.Griffin_Lim(256, hop_length=64, n_iter=3, init=None, dtype=torch.float64)(S)
    (g,) = torch.autograd.grad(y.square().sum(), [S])
    assert torch.isfinite(g).all() and g.abs().max() > 0


# ---------------------------------------------------------------------------------------------
# API and invalid arguments
# ---------------------------------------------------------------------------------------------
def test_arguments_defaults_and_order_follow_nnaudio2(backend):
    theirs = [(p.name, p.default) for p in _params(NN2GriffinLim.__init__)]
    ours = [(p.name, p.default) for p in _params(backend.lib.Griffin_Lim.__init__)]
    assert ours[: len(theirs)] == theirs
    assert [n for n, _ in ours[len(theirs) :]] == ["init", "random_state", "dtype"]
    kinds = [p.kind for p in _params(backend.lib.Griffin_Lim.__init__)]
    assert kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[1:])
    call = backend.lib.Griffin_Lim.forward if backend is TORCH else backend.lib.Griffin_Lim.__call__
    assert [p.name for p in _params(call)] == ["S", "length", "init_phase"]


def test_signatures_and_docs_agree_across_backends():
    from test_api import documented_parameters

    t, j = nnaudio_torch.Griffin_Lim, nnaudio_jax.Griffin_Lim
    spec = [(p.name, p.kind, p.default) for p in _params(t.__init__)]
    assert spec == [(p.name, p.kind, p.default) for p in _params(j.__init__)]
    assert documented_parameters(t) == [p.name for p in _params(t.__init__)] == documented_parameters(j)
    assert documented_parameters(t.forward) == ["S", "length", "init_phase"] == documented_parameters(j.__call__)
    tf, jf = nnaudio_torch.functional.griffinlim, nnaudio_jax.functional.griffinlim
    assert [(p.name, p.kind, p.default) for p in _params(tf)] == [(p.name, p.kind, p.default) for p in _params(jf)]
    assert documented_parameters(tf) == documented_parameters(jf)


def test_nnaudio2_import_path():
    from nnaudio_torch.features.griffin_lim import Griffin_Lim

    assert Griffin_Lim is nnaudio_torch.Griffin_Lim


def test_hop_length_none_is_a_quarter_of_win_length(backend):
    assert backend.lib.Griffin_Lim(512).hop_length == 128
    assert backend.lib.Griffin_Lim(512, win_length=256).hop_length == 64


BAD = [
    (dict(n_fft=0), r"n_fft=0 is invalid"),
    (dict(n_fft=256, n_iter=-1), r"n_iter=-1 is invalid"),
    (dict(n_fft=256, n_iter=2.5), r"n_iter=2.5 is invalid"),
    (dict(n_fft=256, momentum=-0.1), r"momentum=-0.1 is invalid"),
    (dict(n_fft=256, init="zeros"), r"init='zeros' is invalid"),
    (dict(n_fft=256, random_state=-1), r"random_state=-1 is invalid"),
    (dict(n_fft=256, random_state=None), r"random_state=None is invalid"),
    (dict(n_fft=256, hop_length=300), r"hop_length=300 is invalid.*NOLA"),
    (dict(n_fft=256, win_length=300), r"win_length=300 is invalid"),
    (dict(n_fft=256, window="nope"), r"window='nope' is invalid"),
    (dict(n_fft=256, pad_mode="edge"), r"pad_mode='edge' is invalid"),
    (dict(n_fft=256, center="yes"), r"center='yes' is invalid"),
]


@pytest.mark.parametrize(("kw", "match"), BAD, ids=[str(k) for k, _ in BAD])
def test_invalid_arguments_raise_the_same_clear_error_in_both_backends(kw, match):
    messages = {}
    for name, backend in BACKENDS.items():
        with pytest.raises(ParameterError, match=match) as info:
            backend.lib.Griffin_Lim(**kw)
        messages[name] = str(info.value)
    assert messages["torch"] == messages["jax"]


def test_invalid_device_and_large_momentum():
    with pytest.raises(ParameterError, match="device='nowhere' is invalid"):
        nnaudio_torch.Griffin_Lim(256, device="nowhere")
    for backend in BACKENDS.values():
        with pytest.warns(UserWarning, match="momentum=1.5 > 1 can be unstable"):
            backend.lib.Griffin_Lim(256, momentum=1.5)


BAD_S = {
    "wrong-bins": (
        lambda: np.ones((100, 20), np.float32),
        {},
        r"S has 100 frequency bins: expected n_fft // 2 \+ 1 = 129",
    ),
    "1-d": (lambda: np.ones(129, np.float32), {}, r"S has shape \(129,\)"),
    "complex": (lambda: np.ones((129, 20), np.complex64), {}, r"complex64.*real magnitude"),
    "int": (lambda: np.ones((129, 20), np.int32), {}, r"int32"),
    "nan": (lambda: np.full((129, 20), np.nan, np.float32), {}, r"NaN or Inf"),
    "no-frames": (lambda: np.ones((129, 0), np.float32), {}, r"S has no frames|empty"),
    "too-short-for-reflect": (lambda: np.ones((129, 2), np.float32), {}, r"too short.*pad_mode='reflect'"),
    "length-mismatch": (lambda: np.ones((129, 20), np.float32), {"length": 5000}, r"length=5000 is invalid.*20 frames"),
    "bad-phase-shape": (
        lambda: np.ones((129, 20), np.float32),
        {"init_phase": np.zeros((3, 20), np.float32)},
        r"init_phase has shape \(3, 20\)",
    ),
}


@pytest.mark.parametrize("bad", BAD_S)
def test_bad_spectrograms_raise(backend, bad):
    make, call, match = BAD_S[bad]
    m = backend.build("Griffin_Lim", **GL, n_iter=1)
    with pytest.raises(ParameterError, match=match):
        backend.call_eager(m, make(), **call)


# kernels and input of different dtypes: every cast is explicit
@pytest.mark.parametrize(("dtype", "in_dtype"), [("float32", "float64"), ("float64", "float32")])
def test_jax_strict_promotion(dtype, make_signal, in_dtype):
    S = _magnitude(make_signal(L), **GL).astype(in_dtype)
    m = JAX.build("Griffin_Lim", **GL, n_iter=2, dtype=dtype)
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        outs = [JAX.run(m, S), run(JAX, m, S, init_phase=np.zeros(S.shape, "float64"))]
    assert all(o.dtype == np.dtype(in_dtype) for o in outs)
