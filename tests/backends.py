"""The one adapter between the test suite and the backends.

Tests are written once against :class:`Backend`; each backend says how to build a module by
class name with a kernel dtype, run it on NumPy input (returning NumPy), take gradients with
respect to the input and to the trainable kernels, list parameter and buffer names, and check
that its outputs come from its own library. JAX calls always go through ``jax.jit`` with
module-level jitted functions, so one configuration compiles once per input shape for the whole
session (modules are pytrees: their kernels are traced arguments, never baked-in constants).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import torch
from flax import nnx

import nnaudio_jax
import nnaudio_torch

DTYPES = ("float32", "float64")
#: NumPy dtypes by name (bfloat16 from ml_dtypes, which JAX uses too).
NP_DTYPES: dict[str, Any] = {
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16,
    "float32": np.float32,
    "float64": np.float64,
}

Kw = tuple[tuple[str, Any], ...]


def _freeze(kw: Mapping[str, Any]) -> Kw:
    return tuple(sorted(kw.items()))


class Backend:
    """Interface every backend adapter implements."""

    name: str
    lib: Any

    # -- construction -------------------------------------------------------------------------
    def kernel_dtype(self, dtype: str) -> Any:
        raise NotImplementedError

    def build(self, cls: str, *args: Any, dtype: str = "float32", **kwargs: Any) -> Any:
        """``lib.<cls>(*args, dtype=<kernel dtype>, **kwargs)``."""
        return getattr(self.lib, cls)(*args, dtype=self.kernel_dtype(dtype), **kwargs)

    # -- arrays -------------------------------------------------------------------------------
    def asarray(self, x: np.ndarray, dtype: str | None = None) -> Any:
        """Native array (tensor / jax.Array) from NumPy, optionally cast to ``dtype`` by name."""
        raise NotImplementedError

    def is_native(self, out: Any) -> bool:
        raise NotImplementedError

    def dtype_name(self, out: Any) -> str:
        raise NotImplementedError

    def to_numpy(self, out: Any) -> np.ndarray:
        raise NotImplementedError

    # -- evaluation ---------------------------------------------------------------------------
    def call(self, m: Any, x: Any, method: str = "__call__", **kwargs: Any) -> Any:
        """Run ``m.<method>(x, **kwargs)`` (jitted for JAX); returns the native output."""
        raise NotImplementedError

    def call_eager(self, m: Any, x: Any, method: str = "__call__", **kwargs: Any) -> Any:
        """Run without any compilation (value checks active in every backend)."""
        return getattr(m, method)(x, **kwargs)

    def run(self, m: Any, x: np.ndarray, method: str = "__call__", **kwargs: Any) -> np.ndarray:
        """NumPy in, NumPy out; asserts that the output comes from this backend's library."""
        out = self.call(m, self.asarray(x), method, **kwargs)
        assert self.is_native(out), f"{self.name} returned {type(out).__name__}"
        return self.to_numpy(out)

    def inverse(self, m: Any, X: np.ndarray, **kwargs: Any) -> np.ndarray:
        """``STFT.inverse`` or ``iSTFT.__call__``, whichever ``m`` is."""
        method = "inverse" if type(m).__name__ == "STFT" else "__call__"
        return self.run(m, X, method, **kwargs)

    # -- gradients ----------------------------------------------------------------------------
    def grad_input(self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any) -> np.ndarray:
        """Gradient of ``sum(w * m.<method>(x))`` with respect to ``x``."""
        raise NotImplementedError

    def grad_params(
        self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any
    ) -> dict[str, np.ndarray]:
        """Gradients of ``sum(w * m.<method>(x))`` with respect to every trainable parameter, by name."""
        raise NotImplementedError

    def check_grads(self, m: Any, x: np.ndarray, method: str = "__call__", **kwargs: Any) -> None:
        """Float64 finite-difference check of the input gradient (raises on mismatch)."""
        raise NotImplementedError

    # -- state --------------------------------------------------------------------------------
    def param_names(self, m: Any) -> set[str]:
        raise NotImplementedError

    def buffer_names(self, m: Any) -> set[str]:
        raise NotImplementedError

    def state(self, m: Any) -> dict[str, np.ndarray]:
        """Every stored array (parameters and buffers) by dotted name."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------
_TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}


class TorchBackend(Backend):
    name = "torch"
    lib = nnaudio_torch

    def kernel_dtype(self, dtype: str) -> Any:
        return _TORCH_DTYPES[dtype]

    def asarray(self, x: np.ndarray, dtype: str | None = None) -> Any:
        x = np.asarray(x)
        if x.dtype == ml_dtypes.bfloat16:
            return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
        t = torch.from_numpy(x if x.flags.c_contiguous else x.copy(order="C"))
        return t if dtype is None else t.to(_TORCH_DTYPES[dtype])

    def is_native(self, out: Any) -> bool:
        return isinstance(out, torch.Tensor)

    def dtype_name(self, out: Any) -> str:
        return str(out.dtype).removeprefix("torch.")

    def to_numpy(self, out: Any) -> np.ndarray:
        out = out.detach().cpu()
        if out.dtype == torch.bfloat16:
            return out.float().numpy().astype(ml_dtypes.bfloat16)
        return out.numpy()

    def call(self, m: Any, x: Any, method: str = "__call__", **kwargs: Any) -> Any:
        with torch.no_grad():
            return getattr(m, method)(x, **kwargs)

    def _loss(self, m: Any, x: torch.Tensor, w: np.ndarray, method: str, kwargs: Any) -> torch.Tensor:
        out = getattr(m, method)(x, **kwargs)
        return (out * torch.from_numpy(np.asarray(w)).to(out.dtype)).sum()

    def grad_input(self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any) -> np.ndarray:
        xt = self.asarray(x).clone().requires_grad_(True)
        (g,) = torch.autograd.grad(self._loss(m, xt, w, method, kwargs), [xt])
        return g.numpy()

    def grad_params(
        self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any
    ) -> dict[str, np.ndarray]:
        params = dict(m.named_parameters())
        if not params:
            return {}
        loss = self._loss(m, self.asarray(x), w, method, kwargs)
        grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
        return {
            k: (np.zeros(tuple(p.shape)) if g is None else g.numpy())
            for (k, p), g in zip(params.items(), grads, strict=True)
        }

    def check_grads(self, m: Any, x: np.ndarray, method: str = "__call__", **kwargs: Any) -> None:
        xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: getattr(m, method)(t, **kwargs), (xt,), eps=1e-6, atol=1e-6)

    def param_names(self, m: Any) -> set[str]:
        return {k for k, _ in m.named_parameters()}

    def buffer_names(self, m: Any) -> set[str]:
        return {k for k, _ in m.named_buffers()}

    def state(self, m: Any) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy() for k, v in m.state_dict().items()}


# ---------------------------------------------------------------------------------------------
# JAX / Flax NNX
# ---------------------------------------------------------------------------------------------
_JAX_DTYPES = {
    "float16": jnp.float16,
    "bfloat16": jnp.bfloat16,
    "float32": jnp.float32,
    "float64": jnp.float64,
}


def _apply(m: Any, x: Any, method: str, kw: Kw) -> Any:
    return getattr(m, method)(x, **dict(kw))


def _weighted_sum(m: Any, x: Any, w: Any, method: str, kw: Kw) -> Any:
    out = _apply(m, x, method, kw)
    return jnp.sum(out * w.astype(out.dtype))


# One jitted function per kind of call, shared by every test: the cache key is the module's
# static structure (its configuration), input shapes/dtypes and the static method/kwargs.
_jit_apply = jax.jit(_apply, static_argnums=(2, 3))
_jit_grad_input = jax.jit(jax.grad(_weighted_sum, argnums=1), static_argnums=(3, 4))
_nnx_grad_params = nnx.jit(nnx.grad(_weighted_sum, argnums=nnx.DiffState(0, nnx.Param)), static_argnums=(3, 4))


def _flat(state: Any) -> dict[str, Any]:
    return {".".join(str(p) for p in path): v for path, v in nnx.to_flat_state(state)}


def _value(v: Any) -> Any:
    return v.get_value() if hasattr(v, "get_value") else v


class JaxBackend(Backend):
    name = "jax"
    lib = nnaudio_jax

    def kernel_dtype(self, dtype: str) -> Any:
        return _JAX_DTYPES[dtype]

    def asarray(self, x: np.ndarray, dtype: str | None = None) -> Any:
        return jnp.asarray(x, dtype=None if dtype is None else _JAX_DTYPES[dtype])

    def is_native(self, out: Any) -> bool:
        return isinstance(out, jax.Array)

    def dtype_name(self, out: Any) -> str:
        return str(out.dtype)

    def to_numpy(self, out: Any) -> np.ndarray:
        return np.asarray(out)

    def call(self, m: Any, x: Any, method: str = "__call__", **kwargs: Any) -> Any:
        return _jit_apply(m, x, method, _freeze(kwargs))

    def grad_input(self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any) -> np.ndarray:
        g = _jit_grad_input(m, self.asarray(x), jnp.asarray(w), method, _freeze(kwargs))
        assert self.is_native(g)
        return np.asarray(g)

    def grad_params(
        self, m: Any, x: np.ndarray, w: np.ndarray, method: str = "__call__", **kwargs: Any
    ) -> dict[str, np.ndarray]:
        grads = _nnx_grad_params(m, self.asarray(x), jnp.asarray(w), method, _freeze(kwargs))
        return {k: np.asarray(_value(v)) for k, v in _flat(grads).items()}

    def check_grads(self, m: Any, x: np.ndarray, method: str = "__call__", **kwargs: Any) -> None:
        from jax.test_util import check_grads

        kw = _freeze(kwargs)
        # eps as torch.autograd.gradcheck's: JAX's default 1e-4 is too coarse for |X| near small bins
        check_grads(
            lambda t: _jit_apply(m, t, method, kw),
            (jnp.asarray(x, dtype=jnp.float64),),
            order=1,
            modes=["rev"],
            eps=1e-6,
        )

    def param_names(self, m: Any) -> set[str]:
        return set(_flat(nnx.state(m, nnx.Param)))

    def buffer_names(self, m: Any) -> set[str]:
        return set(_flat(nnx.state(m, nnaudio_jax.Buffer)))

    def state(self, m: Any) -> dict[str, np.ndarray]:
        return {k: np.asarray(_value(v)) for k, v in _flat(nnx.state(m)).items()}


BACKENDS: dict[str, Backend] = {"torch": TorchBackend(), "jax": JaxBackend()}
TORCH: Backend = BACKENDS["torch"]
JAX: Backend = BACKENDS["jax"]

#: Callable type of a test-side NumPy reference.
Reference = Callable[..., np.ndarray]


def adam_steps(backend: Backend, m: Any, x: np.ndarray, steps: int = 3) -> None:
    """``steps`` Adam steps (lr 1e-3) on ``sum(m(x) * w)`` for a fixed random ``w``: trainable
    kernels must move. torch eagerly; JAX with one jitted ``nnx`` step (an eager ``nnx.grad``
    costs seconds per step)."""
    w = np.random.default_rng(3).standard_normal(backend.run(m, x).shape)
    if backend is TORCH:
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        for _ in range(steps):
            opt.zero_grad()
            loss = (m(torch.from_numpy(x)) * torch.from_numpy(w).to(torch.float32)).sum()
            loss.backward()
            opt.step()
        return
    import optax

    opt = nnx.Optimizer(m, optax.adam(1e-3), wrt=nnx.Param)

    @nnx.jit
    def step(mod: Any, opt: Any, x: Any, w: Any) -> None:
        opt.update(mod, nnx.grad(lambda mod: (mod(x) * w).sum())(mod))

    for _ in range(steps):
        step(m, opt, x, w)
