"""Frozen kernels in the compute dtype, and state-equals-design checks that follow the actual state.

A frozen kernel is stored in the module's dtype (float32 by default): the float64 design rounded
once. Two things read it:

* the **precision** rule (:func:`frozen_in`): a float64 input computes with the float64 design
  while the stored kernel *is* that design rounded to its dtype, and with the stored values
  (upcast) otherwise, so float64 inputs get float64-accurate output from float32 modules;
* **fast paths** that are valid only for the designed kernels (the low-rank constant-Q path)
  ask :func:`equals_design`.

Both follow the state itself: eagerly the answer is computed once per array object (JAX arrays
are immutable) and cached; under ``jax.jit`` / ``nnx.jit`` / ``jax.export`` values are not visible,
so the comparison is part of the program (a traced boolean, used with ``jnp.where`` or
``jax.lax.cond``), never an assumption. A kernel is "designed" only when it is bitwise equal to the
design rounded to its dtype, which is what the constructor, :func:`~nnaudio_jax.load` and
:func:`~nnaudio_jax.from_torch` of a designed module produce.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

__all__ = ["all_equal_design", "design_array", "equals_design", "frozen_in"]

#: Eager verdicts by ``id`` of the state array: (the array itself, so the id stays unique, verdict).
_VERDICTS: dict[tuple[int, Hashable], tuple[Any, bool]] = {}
_MAX_VERDICTS = 64


#: Designs by (key, dtype name), least recently used first.
_DESIGNS: dict[tuple[Hashable, str], np.ndarray] = {}
_MAX_DESIGNS = 64


def design_array(key: Hashable, design: Callable[[], np.ndarray], dtype: Any) -> np.ndarray:
    """Return the design of ``key`` rounded to ``dtype`` (read-only NumPy, cached per key and dtype).

    Parameters
    ----------
    key : hashable
        Identifies the design, e.g. ``(module.config, "window")`` (configurations are frozen and
        hashable).
    design : callable () -> np.ndarray
        Returns the float64 design; called once per key.
    dtype : dtype-like
    """
    dkey = (key, np.dtype(dtype).name)
    out = _DESIGNS.pop(dkey, None)
    if out is None:
        out = np.asarray(design(), dtype=np.float64).astype(dkey[1])
        out.setflags(write=False)
        if len(_DESIGNS) >= _MAX_DESIGNS:
            _DESIGNS.pop(next(iter(_DESIGNS)))
    _DESIGNS[dkey] = out  # most recently used last
    return out


def _is_traced(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def equals_design(state: Any, *, key: Hashable, design: Callable[[], np.ndarray]) -> bool | Array:
    """Whether the frozen kernel ``state`` is bitwise its design rounded to its own dtype.

    Returns
    -------
    bool or Array
        A Python bool eagerly (cached per array object); under a JAX transformation a traced
        boolean scalar computed from the state inside the program.
    """
    want = design_array(key, design, state.dtype)
    if tuple(state.shape) != want.shape:
        return False
    if _is_traced(state):
        return jnp.all(state == want)
    vkey = (id(state), key)
    hit = _VERDICTS.get(vkey)
    if hit is not None and hit[0] is state:
        return hit[1]
    verdict = bool(np.array_equal(np.asarray(state), want))
    if len(_VERDICTS) >= _MAX_VERDICTS:
        _VERDICTS.pop(next(iter(_VERDICTS)))
    _VERDICTS[vkey] = (state, verdict)
    return verdict


def all_equal_design(items: Sequence[tuple[Any, Hashable, Callable[[], np.ndarray]]]) -> bool | Array:
    """Whether every frozen kernel of ``items`` (``(state, key, design)`` triples) equals its design.

    Eagerly the cached verdicts of :func:`equals_design` (stopping at the first False); under a
    JAX transformation one traced boolean from a single fused comparison of all the states of
    equal shape (a separate reduction per state reads memory about twice as long on CPU).
    """
    if not any(_is_traced(state) for state, _, _ in items):
        return all(equals_design(state, key=key, design=design) for state, key, design in items)
    wants = [design_array(key, design, state.dtype) for state, key, design in items]
    if any(tuple(state.shape) != want.shape for (state, _, _), want in zip(items, wants, strict=True)):
        return False
    shapes = {tuple(state.shape) for state, _, _ in items}
    if len(shapes) == 1:
        same = functools.reduce(
            jnp.logical_and, [state == want for (state, _, _), want in zip(items, wants, strict=True)]
        )
        return jnp.all(same)
    return functools.reduce(
        jnp.logical_and, [jnp.all(state == want) for (state, _, _), want in zip(items, wants, strict=True)]
    )


def frozen_in(state: Any, dtype: Any, *, key: Hashable, design: Callable[[], np.ndarray]) -> Array:
    """Return the frozen kernel ``state`` in the compute ``dtype``.

    When ``dtype`` is wider than the state's (float64 input, float32 module) and the state equals
    its design rounded to its dtype, the design itself in ``dtype`` is returned (float64-accurate);
    otherwise the stored values cast to ``dtype``.

    Parameters
    ----------
    state : Array [shape=any]
        The module's frozen kernel.
    dtype : dtype-like
        Compute dtype (float32 or float64).
    key, design
        As in :func:`equals_design`.
    """
    dtype = jnp.dtype(dtype)
    state_dtype = jnp.dtype(state.dtype)
    if dtype.itemsize <= state_dtype.itemsize:
        return jnp.asarray(state).astype(dtype)
    same = equals_design(state, key=key, design=design)
    wide = design_array(key, design, dtype)
    if isinstance(same, bool):
        return jnp.asarray(wide) if same else jnp.asarray(state).astype(dtype)
    return jnp.where(same, jnp.asarray(wide), state.astype(dtype))
