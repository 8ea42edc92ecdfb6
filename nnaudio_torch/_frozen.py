"""Frozen kernels in the compute dtype, and state-equals-design checks that follow the actual state.

A frozen kernel is stored in the module's dtype (float32 by default): the float64 design rounded
once. Two things read it:

* the **precision** rule (:func:`frozen_in`): a float64 input computes with the float64 design
  while the stored kernel *is* that design rounded to its dtype, and with the stored values
  (upcast) otherwise, so float64 inputs get float64-accurate output from float32 modules;
* **fast paths** that are valid only for the designed kernels (the low-rank constant-Q path)
  ask :func:`equals_design`.

Both follow the state itself. Eagerly the answer is computed when the tensor changes (its
version counter, storage, device or dtype: ``load_state_dict``, ``copy_``, ``.to()``) and cached;
under ``torch.compile`` / ``torch.export`` the comparison is part of the graph (a boolean tensor
used with ``torch.where``), never the last eager verdict. A kernel is "designed" only when it is
bitwise equal to the design rounded to its dtype, which is what the constructor,
:func:`~nnaudio_torch.load` and :func:`~nnaudio_torch.from_jax` of a designed module produce.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = ["design_tensor", "equals_design", "frozen_in", "frozen_in_eager", "is_compiling"]

_DESIGNS: dict[tuple[Hashable, str, str], Tensor] = {}
_MAX_DESIGNS = 64
_VERDICTS: dict[tuple[int, Hashable], tuple[Any, tuple[Any, ...], bool]] = {}
_MAX_VERDICTS = 64


def is_compiling() -> bool:
    """Whether the code runs under ``torch.compile`` / ``torch.export`` / TorchScript tracing."""
    return bool(torch.compiler.is_compiling()) or torch.jit.is_scripting() or torch.jit.is_tracing()


def design_tensor(key: Hashable, design: Callable[[], np.ndarray], dtype: torch.dtype, device: Any) -> Tensor:
    """Return the design of ``key`` rounded to ``dtype`` on ``device`` (cached per key, dtype and device).

    Parameters
    ----------
    key : hashable
        Identifies the design, e.g. ``(module.config, "window")`` (configurations are frozen and
        hashable).
    design : callable () -> np.ndarray
        Returns the float64 design; called once per key, dtype and device.
    dtype : torch.dtype
    device : torch.device or str
    """
    dkey = (key, str(dtype), str(device))
    out = _DESIGNS.pop(dkey, None)
    if out is None:
        with torch.inference_mode(False), torch.no_grad():
            # torch.tensor copies: designs are read-only arrays (torch.as_tensor warns on those)
            out = torch.tensor(np.asarray(design(), dtype=np.float64)).to(dtype=dtype, device=device)
        if len(_DESIGNS) >= _MAX_DESIGNS:
            _DESIGNS.pop(next(iter(_DESIGNS)))
    _DESIGNS[dkey] = out  # most recently used last
    return out


def equals_design(state: Tensor, *, key: Hashable, design: Callable[[], np.ndarray]) -> bool | Tensor:
    """Whether the frozen kernel ``state`` is bitwise its design rounded to its own dtype.

    Returns
    -------
    bool or Tensor
        A Python bool eagerly (recomputed when the tensor changes); under ``torch.compile`` /
        ``torch.export`` a boolean 0-d tensor computed from the state inside the graph. Meta
        tensors (no values) count as not designed.
    """
    if state.device.type == "meta":
        return False
    want = design_tensor(key, design, state.dtype, state.device)
    if tuple(state.shape) != tuple(want.shape):
        return False
    if is_compiling():
        return torch.all(state == want)
    vkey = (id(state), key)
    stamp = (state._version, state.data_ptr(), state.device, state.dtype)
    hit = _VERDICTS.get(vkey)
    if hit is not None and hit[0]() is state and hit[1] == stamp:
        return hit[2]
    verdict = bool(torch.equal(state.detach(), want))
    if len(_VERDICTS) >= _MAX_VERDICTS:
        _VERDICTS.pop(next(iter(_VERDICTS)))
    _VERDICTS[vkey] = (weakref.ref(state), stamp, verdict)
    return verdict


def frozen_in(state: Tensor, dtype: torch.dtype, *, key: Hashable, design: Callable[[], np.ndarray]) -> Tensor:
    """Return the frozen kernel ``state`` in the compute ``dtype``.

    When ``dtype`` is wider than the state's (float64 input, float32 module) and the state equals
    its design rounded to its dtype, the design itself in ``dtype`` is returned (float64-accurate);
    otherwise the stored values cast to ``dtype``.

    Parameters
    ----------
    state : Tensor [shape=any]
        The module's frozen kernel.
    dtype : torch.dtype
        Compute dtype (float32 or float64).
    key, design
        As in :func:`equals_design`.
    """
    if dtype.itemsize <= state.dtype.itemsize:
        return state.to(dtype)
    same = equals_design(state, key=key, design=design)
    if isinstance(same, bool):
        return design_tensor(key, design, dtype, state.device) if same else state.to(dtype)
    return torch.where(same, design_tensor(key, design, dtype, state.device), state.to(dtype))


def frozen_in_eager(state: Tensor, dtype: torch.dtype, *, key: Hashable, design: Callable[[], np.ndarray]) -> Tensor:
    """:func:`frozen_in` eagerly; the stored values cast to ``dtype`` under ``torch.compile`` / ``torch.export``.

    Under the tracer :func:`frozen_in` fails: the key's configuration is hashed by the tracer,
    which rejects a frozen dataclass with a dict or array field (``MFCCConfig.mel_kwargs``, an
    array ``window``), and a design missing from the cache is computed in NumPy inside the
    trace. ``torch.compiler.assume_constant_result`` cannot take the configuration either, and
    two of its calls in one graph collide (torch 2.13). A compiled float64 call of a float32
    module is therefore float32-accurate; eager calls are float64-accurate.
    """
    if is_compiling():
        return state.to(dtype)
    return frozen_in(state, dtype, key=key, design=design)
