"""Frozen kernels of the constant-Q family: every path follows the module's state, and float64
inputs to float32 modules get float64-accurate output.

* A frozen module whose kernels were replaced (``[...] =``, ``nnx.update``, ``load_state_dict``,
  ``from_torch`` / ``from_jax``) computes with *those* kernels in every execution mode: eager,
  ``jax.jit``, ``nnx.jit``, ``jax.export`` and eager, ``torch.compile(fullgraph=True)`` compiled
  before the change, ``torch.export``. CQT1992v2 has a low-rank path that is valid only for the
  designed kernels; the choice must follow the state inside the compiled program.
* Float64 input to a module with the default float32 kernels is computed with the float64
  design (kernels and ``lengths``), not with the float32-rounded state.
* Half-precision input to the functional layer is computed in float32.

References: the float64 definition evaluated in NumPy (``references.direct_cqt`` with the
replaced kernels; the full spectrum product for CQT1992); for the multirate classes, whose
algorithm differs from the full-rate definition by its decimation filters (~1e-5), the float64
module (``dtype=float64``) holding the same kernels.
"""

from __future__ import annotations

import io

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx
from jax import export as jax_export
from nnaudio_shared import CQTKernels
from references import as_complex, direct_cqt
from tolerances import assert_close

import nnaudio_jax as nj
import nnaudio_torch as nt

SR = 8000
#: Small configurations; CQT1992v2's has long kernels, so its low-rank path has factored groups.
CONFIGS = {
    "CQT1992v2": dict(sr=SR, fmin=50.0, n_bins=48, hop_length=64),
    "CQT1992": dict(sr=SR, fmin=300.0, n_bins=24, hop_length=64),
    "CQT2010v2": dict(sr=SR, fmin=110.0, n_bins=36, hop_length=64),
    "CQT2010": dict(sr=SR, fmin=110.0, n_bins=36, hop_length=50, pad_mode="constant"),
    "VQT": dict(sr=SR, fmin=110.0, n_bins=36, hop_length=64, gamma=10.0),
}
CLASSES = sorted(CONFIGS)
MULTIRATE = ("CQT2010", "CQT2010v2", "VQT")
KERNELS = ("cqt_kernels_real", "cqt_kernels_imag")
TORCH_INTERNAL_WARNINGS = [
    pytest.mark.filterwarnings("ignore:.torch\\.jit\\.script_method. is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Torchinductor does not support code generation for complex:UserWarning"),
    pytest.mark.filterwarnings("ignore:.isinstance\\(treespec, LeafSpec\\). is deprecated:FutureWarning"),
]


def _signal(batch: int = 2, n: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(11)
    t = np.arange(n) / SR
    x = (
        0.3 * np.sin(2 * np.pi * 440.0 * t)
        + 0.2 * np.sin(2 * np.pi * 97.0 * t)
        + 0.05 * rng.standard_normal((batch, n))
    )
    return x


def _replaced(cls: str) -> dict[str, np.ndarray]:
    """Float32 kernels that differ from the design everywhere: 1.5 x design + noise."""
    m = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex")
    rng = np.random.default_rng(5)
    out = {}
    for name in KERNELS:
        k = getattr(m, name).numpy()
        out[name] = (1.5 * k + 1e-3 * np.abs(k).max() * rng.standard_normal(k.shape)).astype(np.float32)
    return out


def _reference(cls: str, x: np.ndarray, kernels: dict[str, np.ndarray] | None) -> np.ndarray:
    """Float64 complex output of ``cls`` (librosa scaling with the designed lengths) on ``x`` for the
    given kernels (``None``: the design)."""
    tm = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex", dtype=torch.float64)
    cfg = tm.config
    if cls in MULTIRATE:
        if kernels is not None:
            state = {k: torch.from_numpy(v.astype(np.float64)) for k, v in kernels.items()}
            tm.load_state_dict({**tm.state_dict(), **state})
        with torch.no_grad():
            return as_complex(tm(torch.from_numpy(x)).numpy())
    k = cfg.kernels()
    scale = np.sqrt(k.lengths)[:, None]
    if cls == "CQT1992v2":
        if kernels is not None:
            packed = kernels["cqt_kernels_real"].astype(np.float64) + 1j * kernels["cqt_kernels_imag"].astype(
                np.float64
            )
            parts = tuple(np.split(packed, np.cumsum(k.sizes)[:-1]))
            k = CQTKernels(kernels=parts, offsets=k.offsets, lengths=k.lengths, freqs=k.freqs)
        return scale * direct_cqt(x, k, hop_length=cfg.hop_length, width=cfg.width, center=True, pad_mode=cfg.pad_mode)
    # CQT1992: (1 / width) sum over all width frequencies of F conj(H), frames centred (np.pad)
    real, imag = (
        cfg.spectral_kernels() if kernels is None else (kernels["cqt_kernels_real"], kernels["cqt_kernels_imag"])
    )
    H = np.asarray(real, np.float64) + 1j * np.asarray(imag, np.float64)
    w = cfg.width
    xp = np.pad(x, [(0, 0), (w // 2, w // 2)], mode=cfg.pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(xp, w, axis=-1)[:, :: cfg.hop_length]
    spec = np.fft.fft(frames, axis=-1) @ np.conj(H).T / w  # (batch, t, n_bins)
    return scale * np.swapaxes(spec, -1, -2)


# ---------------------------------------------------------------------------------------------
# replaced frozen kernels: JAX
# ---------------------------------------------------------------------------------------------
def _jax_module(cls: str, how: str, kernels: dict[str, np.ndarray]) -> nnx.Module:
    m = nj.__dict__[cls](**CONFIGS[cls], output_format="Complex")
    if how == "assign":
        for name, v in kernels.items():
            getattr(m, name)[...] = jnp.asarray(v)
    elif how == "nnx.update":
        state = nnx.state(m)
        for name, v in kernels.items():
            state[name][...] = jnp.asarray(v)
        nnx.update(m, state)
    else:
        assert how == "from_torch"
        tm = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex")
        tm.load_state_dict({**tm.state_dict(), **{k: torch.from_numpy(v) for k, v in kernels.items()}})
        m = nj.from_torch(tm)
    for name, v in kernels.items():
        assert isinstance(getattr(m, name), nj.Buffer) and np.array_equal(np.asarray(getattr(m, name)[...]), v)
    return m


def _jax_export(m: nnx.Module, x: np.ndarray) -> np.ndarray:
    """``jax.export`` with the state as arguments (symbolic batch), serialised and restored."""
    graphdef, state = nnx.split(m)
    leaves, treedef = jax.tree.flatten(state)

    def apply(kernels, x):
        return nnx.merge(graphdef, jax.tree.unflatten(treedef, kernels))(x)

    (b,) = jax_export.symbolic_shape("b")
    spec = jax.ShapeDtypeStruct((b, x.shape[-1]), jnp.float32)
    exported = jax_export.export(jax.jit(apply))([jax.ShapeDtypeStruct(v.shape, v.dtype) for v in leaves], spec)
    return np.asarray(jax_export.deserialize(exported.serialize()).call(leaves, jnp.asarray(x)))


@pytest.mark.parametrize("how", ["assign", "nnx.update", "from_torch"])
@pytest.mark.parametrize("cls", CLASSES)
def test_jax_replaced_frozen_kernels_are_used_in_every_mode(cls, how):
    kernels = _replaced(cls)
    x64 = _signal()
    x = x64.astype(np.float32)
    expected = _reference(cls, x.astype(np.float64), kernels)
    designed = _reference(cls, x.astype(np.float64), None)
    assert np.linalg.norm(designed - expected) > 0.3 * np.linalg.norm(expected)  # the change is visible
    m = _jax_module(cls, how, kernels)
    kind = "backend" if cls in MULTIRATE else "cqt"
    outs = {
        "eager": np.asarray(m(jnp.asarray(x))),
        "jax.jit": np.asarray(jax.jit(lambda m, x: m(x))(m, jnp.asarray(x))),
        "nnx.jit": np.asarray(nnx.jit(lambda m, x: m(x))(m, jnp.asarray(x))),
    }
    if how == "assign":
        outs["jax.export"] = _jax_export(m, x)
    for mode, out in outs.items():
        assert_close(as_complex(out), expected, kind, "float32", f"{cls} {how} {mode}")


def test_jax_designed_and_replaced_kernels_share_one_compilation():
    """The low-rank/exact choice is made inside the program: replacing the kernels of a module
    does not retrace, and the program gives each state its own transform."""
    cls = "CQT1992v2"
    traces = []

    @jax.jit
    def f(m, x):
        traces.append(1)
        return m(x)

    x = _signal().astype(np.float32)
    kernels = _replaced(cls)
    m = nj.CQT1992v2(**CONFIGS[cls], output_format="Complex")
    assert_close(as_complex(np.asarray(f(m, x))), _reference(cls, x.astype(np.float64), None), "cqt", "float32")
    for name, v in kernels.items():
        getattr(m, name)[...] = jnp.asarray(v)
    assert_close(as_complex(np.asarray(f(m, x))), _reference(cls, x.astype(np.float64), kernels), "cqt", "float32")
    assert len(traces) == 1


# ---------------------------------------------------------------------------------------------
# replaced frozen kernels: torch
# ---------------------------------------------------------------------------------------------
def _torch_load(m: torch.nn.Module, kernels: dict[str, np.ndarray]) -> None:
    m.load_state_dict({**m.state_dict(), **{k: torch.from_numpy(v) for k, v in kernels.items()}})


@pytest.mark.parametrize("cls", CLASSES)
def test_torch_replaced_frozen_kernels_are_used_eagerly_and_by_torch_export(cls):
    kernels = _replaced(cls)
    x = _signal().astype(np.float32)
    expected = _reference(cls, x.astype(np.float64), kernels)
    kind = "backend" if cls in MULTIRATE else "cqt"
    m = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex").eval()
    xt = torch.from_numpy(x)
    with torch.no_grad():
        m(xt)  # an eager call with the designed kernels (fills any cache), then new kernels
    _torch_load(m, kernels)
    ep = torch.export.export(m, (xt,))  # exported before any eager call sees the new kernels
    buf = io.BytesIO()
    torch.export.save(ep, buf)
    buf.seek(0)
    loaded = torch.export.load(buf).module()
    assert_close(as_complex(loaded(xt).detach().numpy()), expected, kind, "float32", f"{cls} torch.export")
    with torch.no_grad():
        assert_close(as_complex(m(xt).numpy()), expected, kind, "float32", f"{cls} eager after load_state_dict")
        jm = nj.__dict__[cls](**CONFIGS[cls], output_format="Complex")
        for name, v in kernels.items():
            getattr(jm, name)[...] = jnp.asarray(v)
        converted = nt.from_jax(jm)
        assert_close(as_complex(converted(xt).numpy()), expected, kind, "float32", f"{cls} from_jax")


for _mark in TORCH_INTERNAL_WARNINGS[2:]:
    test_torch_replaced_frozen_kernels_are_used_eagerly_and_by_torch_export = _mark(
        test_torch_replaced_frozen_kernels_are_used_eagerly_and_by_torch_export
    )


@pytest.mark.compile
@pytest.mark.parametrize(("cls", "compiler"), [("CQT1992v2", "aot_eager"), ("CQT2010v2", "inductor")])
def test_torch_compile_follows_kernels_loaded_after_compilation(cls, compiler):
    """Compiled (fullgraph) with the designed kernels, then given others: the compiled module
    computes with the new ones (CQT1992v2: the low-rank/exact choice is a torch.cond on the state).

    CQT1992v2 is traced by dynamo and AOT autograd without inductor's code generation: what this
    checks (the choice is a ``torch.cond`` in the graph, not a Python verdict baked into it) is
    decided there, and inductor's C++ build of both branches took 52-112 s, the suite's longest
    test; inductor itself compiles CQT1992v2 in ``test_export.py``."""
    kernels = _replaced(cls)
    x = _signal().astype(np.float32)
    kind = "backend" if cls in MULTIRATE else "cqt"
    m = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex").eval()
    xt = torch.from_numpy(x)
    torch._dynamo.reset()
    compiled = torch.compile(m, fullgraph=True, dynamic=False, backend=compiler)
    with torch.no_grad():
        m(xt)  # an eager call first: whatever it caches must not outlive the kernels
        assert_close(as_complex(compiled(xt).numpy()), _reference(cls, x.astype(np.float64), None), kind, "float32")
        _torch_load(m, kernels)
        out = compiled(xt).numpy()
    assert_close(as_complex(out), _reference(cls, x.astype(np.float64), kernels), kind, "float32", "after load")


for _mark in TORCH_INTERNAL_WARNINGS:
    test_torch_compile_follows_kernels_loaded_after_compilation = _mark(
        test_torch_compile_follows_kernels_loaded_after_compilation
    )


# ---------------------------------------------------------------------------------------------
# float64 input to float32 modules
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_float64_input_to_a_float32_module_is_float64_accurate(cls):
    x = _signal()
    expected = _reference(cls, x, None)
    jm = nj.__dict__[cls](**CONFIGS[cls], output_format="Complex")
    tm = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex")
    assert jm.cqt_kernels_real[...].dtype == jnp.float32 and tm.cqt_kernels_real.dtype == torch.float32
    with torch.no_grad():
        outs = {
            "jax eager": np.asarray(jm(jnp.asarray(x))),
            "jax.jit": np.asarray(jax.jit(lambda m, x: m(x))(jm, jnp.asarray(x))),
            "torch eager": tm(torch.from_numpy(x)).numpy(),
        }
    for mode, out in outs.items():
        assert out.dtype == np.float64
        assert_close(as_complex(out), expected, "frozen_float64", "float64", f"{cls} {mode}")


@pytest.mark.parametrize("cls", ["CQT1992v2", "CQT2010v2"])
def test_float64_input_with_replaced_float32_kernels_uses_them_upcast(cls):
    """Replaced float32 kernels are the state: float64 input computes with them exactly (upcast)."""
    kernels = _replaced(cls)
    x = _signal()
    expected = _reference(cls, x, kernels)
    jm = _jax_module(cls, "assign", kernels)
    tm = nt.__dict__[cls](**CONFIGS[cls], output_format="Complex")
    _torch_load(tm, kernels)
    with torch.no_grad():
        outs = {
            "jax eager": np.asarray(jm(jnp.asarray(x))),
            "jax.jit": np.asarray(jax.jit(lambda m, x: m(x))(jm, jnp.asarray(x))),
            "torch eager": tm(torch.from_numpy(x)).numpy(),
        }
    for mode, out in outs.items():
        assert_close(as_complex(out), expected, "frozen_float64", "float64", f"{cls} {mode}")


# ---------------------------------------------------------------------------------------------
# half-precision input to the functional layer
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_functional_cqt_computes_half_input_in_float32(half):
    cfg = nt.CQT1992v2(**CONFIGS["CQT1992v2"]).config
    k = cfg.kernels()
    kw = dict(layout=cfg.layout(), width=cfg.width)
    x32 = _signal().astype(np.float32)
    jx = jnp.asarray(x32).astype(half)
    tx = torch.from_numpy(x32).to(getattr(torch, half))
    jk = [jnp.asarray(v, jnp.float32) for v in (k.packed_real, k.packed_imag)]
    tk = [torch.tensor(v, dtype=torch.float32) for v in (k.packed_real, k.packed_imag)]
    want_j = np.asarray(nj.functional.cqt(jx.astype(jnp.float32), *jk, **kw))
    want_t = nt.functional.cqt(tx.float(), *tk, **kw).numpy()
    got_j = nj.functional.cqt(jx, *jk, **kw)
    got_t = nt.functional.cqt(tx, *tk, **kw)
    assert got_j.dtype == jnp.complex64 and got_t.dtype == torch.complex64
    assert_close(np.asarray(got_j), want_j, "backend", "float32", "jax")
    assert_close(got_t.numpy(), want_t, "backend", "float32", "torch")
