"""Compilers and exporters, for every class and method of ``cases.CASES`` (frozen and trainable
configurations, ``reliability.REPS_AND_TRAINABLE``):

* torch: ``torch.compile(fullgraph=True)`` (no graph break) with no recompilation across calls of
  the same shape, ``torch.export`` (dynamic batch, save/load round trip) and ONNX export
  (``torch.onnx.export(dynamo=True)``) run with onnxruntime, each compared with eager.
* JAX: ``jax.jit`` traces once per shape (also for a rebuilt module), ``jax.vmap`` equals the
  batched call, ``jax.grad`` (input and trainable kernels) equals torch's gradient, and
  ``jax.export`` serialise/deserialise round trip with a symbolic batch dimension and the kernels
  as arguments.

A class that cannot be exported is listed in ``reliability.NOT_EXPORTABLE`` with the error that
pins the reason (its docstring says so); today every transform exports.
"""

from __future__ import annotations

import io
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from backends import JAX, TORCH
from cases import Case
from flax import nnx
from jax import export as jax_export
from reliability import NOT_EXPORTABLE, REPS_AND_TRAINABLE, is_trainable, kind, params, valid_input
from tolerances import assert_close

CASES = params(REPS_AND_TRAINABLE)
# torch.compile imports torch.utils.mkldnn (deprecated torch.jit.script_method) and inductor warns
# that it falls back to eager kernels for complex intermediates (performance only); the exporters
# use a torch-internal deprecated pytree API.
TORCH_INTERNAL_WARNINGS = [
    pytest.mark.filterwarnings("ignore:.torch\\.jit\\.script_method. is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Torchinductor does not support code generation for complex:UserWarning"),
    pytest.mark.filterwarnings("ignore:.isinstance\\(treespec, LeafSpec\\). is deprecated:FutureWarning"),
]


class _Method(torch.nn.Module):
    """Exposes ``module.<method>(x, **call)`` as ``forward`` (exporters trace ``forward``)."""

    def __init__(self, module: torch.nn.Module, method: str, call: dict[str, Any]) -> None:
        super().__init__()
        self.module, self.method, self.call = module, method, call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fn = self.module if self.method == "__call__" else getattr(self.module, self.method)
        return fn(x, **self.call)  # type: ignore[no-any-return]


def _torch_setup(case: Case, batch: int = 2) -> tuple[torch.nn.Module, torch.Tensor, np.ndarray]:
    m = _Method(case.build(TORCH, "float32"), case.method, case.call).eval()
    x = torch.from_numpy(np.ascontiguousarray(valid_input(case, "float32", (batch, 2000))))
    with torch.no_grad():
        eager = m(x).numpy()
    return m, x, eager


def _expect_unexportable(case: Case, exporter: str) -> Any:
    """``pytest.raises`` for a declared exception, else a no-op context."""
    import contextlib

    if (case.cls, exporter) in NOT_EXPORTABLE:
        exc, match = NOT_EXPORTABLE[case.cls, exporter]
        return pytest.raises(exc, match=match)
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.compile
@pytest.mark.parametrize("case", CASES)
def test_torch_compile_fullgraph_without_recompilation(case):
    m, x, eager = _torch_setup(case)
    torch._dynamo.reset()
    compiled = torch.compile(m, fullgraph=True, dynamic=False)  # a graph break raises
    with _expect_unexportable(case, "torch.compile"), torch.no_grad():
        out = compiled(x)
        assert_close(out.numpy(), eager, kind(case), "float32", "torch.compile vs eager")
        torch.compiler.set_stance("fail_on_recompile")
        try:
            x2 = torch.flip(x, dims=(0,)).contiguous()  # new values, same shape and dtype
            out2 = compiled(x2)
        finally:
            torch.compiler.set_stance("default")
        assert_close(out2.numpy(), m(x2).numpy(), kind(case), "float32", "second call")


for _mark in TORCH_INTERNAL_WARNINGS:
    test_torch_compile_fullgraph_without_recompilation = _mark(test_torch_compile_fullgraph_without_recompilation)


@pytest.mark.parametrize("case", CASES)
def test_torch_export_with_a_dynamic_batch_and_a_save_load_round_trip(case):
    m, x, eager = _torch_setup(case)
    with _expect_unexportable(case, "torch.export"):
        batch = torch.export.Dim("batch", min=1, max=64)
        ep = torch.export.export(m, (x,), dynamic_shapes=({0: batch},))
        buf = io.BytesIO()
        torch.export.save(ep, buf)
        buf.seek(0)
        loaded = torch.export.load(buf).module()
        assert_close(loaded(x).detach().numpy(), eager, kind(case), "float32", "torch.export vs eager")
        x3 = torch.cat([x, x[:1] * 0.5])  # another batch size through the same program
        with torch.no_grad():
            assert_close(loaded(x3).detach().numpy(), m(x3).numpy(), kind(case), "float32", "batch 3")


@pytest.mark.parametrize("case", CASES)
def test_onnx_export_runs_in_onnxruntime_like_eager(case):
    import onnxruntime

    m, x, eager = _torch_setup(case)
    with _expect_unexportable(case, "onnx"):
        program = torch.onnx.export(m, (x,), dynamo=True, verbose=False)
        session = onnxruntime.InferenceSession(
            program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        assert out.dtype == np.float32
        # measured <= 3.4e-7 rel_l2 / 6.6e-7 rel_max: within the backend-vs-backend tolerance
        assert_close(out, eager, kind(case), "float32", "onnxruntime vs eager")


for _mark in TORCH_INTERNAL_WARNINGS[2:]:
    test_torch_export_with_a_dynamic_batch_and_a_save_load_round_trip = _mark(
        test_torch_export_with_a_dynamic_batch_and_a_save_load_round_trip
    )
    test_onnx_export_runs_in_onnxruntime_like_eager = _mark(test_onnx_export_runs_in_onnxruntime_like_eager)


# ---------------------------------------------------------------------------------------------
# JAX
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_jax_jit_traces_once_per_shape(case):
    traces = []
    call, method = case.call, case.method

    @jax.jit
    def f(m, x):
        traces.append(1)
        return getattr(m, method)(x, **call)

    x = valid_input(case, "float32", (2, 2000))
    f(case.build(JAX, "float32"), x).block_until_ready()
    f(case.build(JAX, "float32"), x[::-1].copy()).block_until_ready()  # rebuilt module, new values
    m = case.build(JAX, "float32")
    f(m, 0.5 * x).block_until_ready()
    f(m, x).block_until_ready()
    assert len(traces) == 1, f"{len(traces)} traces for one shape"


@pytest.mark.parametrize("case", CASES)
def test_jax_vmap_equals_the_batched_call(case):
    x = valid_input(case, "float32", (3, 2000))
    m = case.build(JAX, "float32")
    call, method = case.call, case.method
    mapped = jax.jit(jax.vmap(lambda v: getattr(m, method)(v, **call)))(jnp.asarray(x))
    assert_close(np.asarray(mapped), JAX.run(m, x, method, **call), kind(case), "float32", "vmap vs batch")


@pytest.mark.parametrize("case", CASES)
def test_jax_grad_equals_torch_grad(case, rng):
    """``jax.grad`` (under jit) of a weighted sum, with respect to the input and to every
    trainable kernel, equals torch's autograd (float64)."""
    x = valid_input(case, "float64", (2, 600))
    mt, mj = case.build(TORCH, "float64"), case.build(JAX, "float64")
    w = rng.standard_normal(case.run(TORCH, mt, x).shape)
    gj, gt = JAX.grad_input(mj, x, w, case.method, **case.call), TORCH.grad_input(mt, x, w, case.method, **case.call)
    assert np.all(np.isfinite(gj))
    assert_close(gj, gt, kind(case), "float64", "input gradient")
    if is_trainable(case):
        pj = JAX.grad_params(mj, x, w, case.method, **case.call)
        pt = TORCH.grad_params(mt, x, w, case.method, **case.call)
        assert set(pj) == set(pt) and pj
        for name in pt:
            assert_close(pj[name], pt[name], kind(case), "float64", f"gradient of {name}")


@pytest.mark.parametrize("case", CASES)
def test_jax_export_round_trip_with_symbolic_batch(case):
    """Serialise and deserialise a ``jax.export`` of the module with its kernels as arguments (so
    trained kernels can be swapped in) and a symbolic batch dimension; run another batch size."""
    m = case.build(JAX, "float32")
    graphdef, state = nnx.split(m)
    leaves, treedef = jax.tree.flatten(state)
    call, method = case.call, case.method

    def apply(kernels, x):
        return getattr(nnx.merge(graphdef, jax.tree.unflatten(treedef, kernels)), method)(x, **call)

    x = valid_input(case, "float32", (3, 2000))
    (b,) = jax_export.symbolic_shape("b")
    with _expect_unexportable(case, "jax.export"):
        spec = jax.ShapeDtypeStruct((b, *x.shape[1:]), jnp.float32)
        exported = jax_export.export(jax.jit(apply))([jax.ShapeDtypeStruct(v.shape, v.dtype) for v in leaves], spec)
        restored = jax_export.deserialize(exported.serialize())
        out = restored.call(leaves, jnp.asarray(x))
        assert_close(np.asarray(out), JAX.run(m, x, method, **call), kind(case), "float32", "jax.export vs jit")


# ---------------------------------------------------------------------------------------------
# jax.export the way users write it: the nnx State itself as the argument
# ---------------------------------------------------------------------------------------------
def _registry_case(name: str, trainable: bool) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """The registry's small example of ``name`` (all kernels trainable if asked) and its input."""
    from nnaudio_shared import REGISTRY, config_dict

    import nnaudio_jax

    spec, cls = REGISTRY[name], getattr(nnaudio_jax, name)
    config = dict(spec.example)
    if trainable:
        config.update({k: True for k in _trainable_flags(cls, spec.example)})
    m = cls(**config, dtype="float64")
    y = np.random.default_rng(0).standard_normal(2000)  # make_input takes one signal (time,)
    inp, call = spec.make_input(config_dict(m), y)
    return m, np.ascontiguousarray(np.asarray(inp, dtype=np.float64)), call


def _trainable_flags(cls: type, example: dict[str, Any]) -> list[str]:
    """The constructor's ``trainable*`` flags that the class accepts with ``example``."""
    import inspect

    from nnaudio_shared import ParameterError

    flags = []
    for flag in (p for p in inspect.signature(cls.__init__).parameters if p.startswith("trainable")):
        try:
            cls(**example, **{flag: True})
        except ParameterError:  # e.g. CQT2010's trainable_STFT (no STFT stage)
            continue
        flags.append(flag)
    return flags


def _registry_params() -> list[Any]:
    from nnaudio_shared import REGISTRY

    import nnaudio_jax

    out = [pytest.param(name, False, id=name) for name in REGISTRY]
    out += [
        pytest.param(name, True, id=f"{name}-trainable")
        for name in REGISTRY
        if _trainable_flags(getattr(nnaudio_jax, name), dict(REGISTRY[name].example))
    ]
    return out


@pytest.mark.parametrize(("name", "trainable"), _registry_params())
def test_jax_export_of_split_state_serializes_and_uses_the_passed_state(name, trainable):
    """``graphdef, state = nnx.split(m)``; ``jax.export`` of ``lambda st, x: nnx.merge(graphdef,
    st)(x)`` serialises (State, Param and Buffer are registered), and the deserialised function
    computes with the state it is given, not with constants captured at export time."""
    m, x, call = _registry_case(name, trainable)
    graphdef, state = nnx.split(m)
    if trainable:
        assert any(
            isinstance(v, nnx.Param) for v in jax.tree.leaves(state, is_leaf=lambda v: isinstance(v, nnx.Variable))
        )

    def apply(st: Any, x: jax.Array) -> Any:
        return nnx.merge(graphdef, st)(x, **call)

    exported = jax_export.export(jax.jit(apply))(state, jnp.asarray(x))
    restored = jax_export.deserialize(exported.serialize())
    eager = m(jnp.asarray(x), **call)
    assert_close(np.asarray(restored.call(state, jnp.asarray(x))), np.asarray(eager), "backend", "float64", name)

    # another state of the same structure: the largest kernel multiplied by random factors in
    # [0.9, 1.1] (smaller arrays may be geometry, e.g. iCQT's lengths, that must stay consistent)
    leaves, treedef = jax.tree.flatten(state)
    big = max(range(len(leaves)), key=lambda i: leaves[i].size)
    factor = 1.0 + 0.1 * np.random.default_rng(1).uniform(-1.0, 1.0, leaves[big].shape)
    leaves[big] = leaves[big] * jnp.asarray(factor, leaves[big].dtype)
    changed = jax.tree.unflatten(treedef, leaves)
    expected = np.asarray(nnx.merge(graphdef, changed)(jnp.asarray(x), **call))
    assert not np.allclose(expected, np.asarray(eager), rtol=1e-4), "the changed state must change the output"
    out = np.asarray(restored.call(changed, jnp.asarray(x)))
    assert_close(out, expected, "backend", "float64", f"{name} with changed state")
