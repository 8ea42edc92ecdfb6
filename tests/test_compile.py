"""Compiled equals eager: ``torch.compile`` (slow, few cases) and JAX eager / ``jax.jit`` / ``nnx.jit``."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from backends import JAX, TORCH
from cases import CORE, MEL, STFT, L, params
from flax import nnx
from tolerances import assert_close

COMPILE = {
    "stft-magnitude": ("STFT", dict(STFT, output_format="Magnitude")),
    "stft-trainable-complex": ("STFT", dict(STFT, trainable=True)),
    "mel": ("MelSpectrogram", MEL),
}


# torch.compile imports torch.utils.mkldnn, which uses the deprecated torch.jit.script_method
# (a torch-internal DeprecationWarning, raised as an error under our warnings policy); inductor
# warns that it falls back to eager kernels for the complex intermediates (performance only).
@pytest.mark.compile
@pytest.mark.filterwarnings("ignore:.torch\\.jit\\.script_method. is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:Torchinductor does not support code generation for complex operators:UserWarning")
@pytest.mark.parametrize("name", COMPILE)
def test_torch_compile_matches_eager(make_signal, name):
    cls, kw = COMPILE[name]
    m = TORCH.build(cls, **kw)
    x = torch.from_numpy(make_signal(2, L).astype(np.float32))
    compiled = torch.compile(m, fullgraph=False, dynamic=False)
    with torch.no_grad():
        eager = m(x).numpy()
        out = compiled(x)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert_close(out.numpy(), eager, "backend", "float32", "torch.compile vs eager")


@pytest.mark.parametrize("case", params(CORE))
def test_jax_eager_jit_and_nnx_jit_agree(dtype, make_signal, case):
    inp = case.input(make_signal(2, L), dtype)
    m = case.build(JAX, dtype)
    eager = np.asarray(getattr(m, case.method)(jnp.asarray(inp), **case.call))
    jitted = case.run(JAX, m, inp)
    call = case.call
    method = case.method
    nnx_jitted = np.asarray(nnx.jit(lambda mod, x: getattr(mod, method)(x, **call))(m, jnp.asarray(inp)))
    assert_close(jitted, eager, "backend", dtype, "jax.jit vs eager")
    assert_close(nnx_jitted, eager, "backend", dtype, "nnx.jit vs eager")


def test_identical_jax_modules_share_one_compilation():
    """Two modules built with the same arguments have equal static structure, so a jitted
    function traces once for both (rebuilding a module must not recompile)."""
    import jax

    traces = []

    @jax.jit
    def f(m, x):
        traces.append(1)
        return m(x)

    x = jnp.zeros(1000, jnp.float32)
    for cls, kw in [("STFT", STFT), ("MelSpectrogram", MEL), ("iSTFT", STFT)]:
        traces.clear()
        inp = x if cls != "iSTFT" else jnp.zeros((129, 10, 2), jnp.float32)
        f(JAX.build(cls, **kw), inp)
        f(JAX.build(cls, **kw), inp)
        assert len(traces) == 1, f"{cls}: {len(traces)} traces for two identical modules"
