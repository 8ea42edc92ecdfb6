"""Backend-neutral module state (:class:`ModuleState`) and its validation.

Shared by the conversions between backends, the state files (:mod:`._state_file`) and the
nnAudio2 loader.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import ParameterError

__all__ = [
    "DTYPES",
    "FILE_DESIGN_RTOL",
    "STATE_PROTOCOL",
    "ModuleState",
    "canonical_config",
    "check_state",
    "config_dict",
    "dtype_of",
    "foreign_state",
    "frozen_mismatches",
    "jsonable",
]

#: Kernel dtypes a module (and a state file) may have.
DTYPES = ("float32", "float64")
#: Frozen (non-trainable) tensors of a file must equal the design of the file's configuration:
#: ``max|file - design| <= FILE_DESIGN_RTOL * max|design|`` per tensor. Both are the same float64
#: NumPy design rounded to the dtype, so they agree to the last bit within one library version;
#: the tolerance only absorbs NumPy/SciPy version differences (1e-6 is ~8 float32 ulps at the
#: peak), far below any edit of the configuration that matters.
FILE_DESIGN_RTOL = 1e-6


@dataclass(frozen=True)
class ModuleState:
    """Everything that defines a module, independent of the backend.

    Attributes
    ----------
    class_name : str
    config : dict
        JSON-ready ``module.config.to_dict()``.
    dtype : {'float32', 'float64'}
        Kernel dtype; every floating-point array has it.
    trainable : frozenset of str
        Names of the trainable state (``nn.Parameter`` / ``nnx.Param``); the rest is frozen.
    arrays : dict of str -> np.ndarray
        Every state array by dotted name (private copies).
    """

    class_name: str
    config: dict[str, Any]
    dtype: str
    trainable: frozenset[str]
    arrays: dict[str, np.ndarray]


#: The neutral state protocol: ``module.__nnaudio_state__()`` returns its :class:`ModuleState`.
STATE_PROTOCOL = "__nnaudio_state__"


def foreign_state(module: Any, package: str) -> ModuleState:
    """Return the :class:`ModuleState` of a transform of another backend through the state protocol.

    A backend converts the other's modules with this, without importing it: every transform class
    implements ``__nnaudio_state__()``, as arrays implement ``__dlpack__``.

    Parameters
    ----------
    module : object
        The module to convert.
    package : str
        The backend it must come from, ``'nnaudio_torch'`` or ``'nnaudio_jax'``.

    Raises
    ------
    ParameterError
        If ``module`` is not a transform of ``package`` implementing the protocol.
    """
    cls = type(module)
    if cls.__module__.split(".")[0] != package or not callable(getattr(cls, STATE_PROTOCOL, None)):
        raise ParameterError(
            f"module={cls.__module__}.{cls.__name__} is invalid: expected an {package} transform module"
        )
    state = getattr(module, STATE_PROTOCOL)()
    if not isinstance(state, ModuleState):
        raise ParameterError(f"{cls.__name__}.{STATE_PROTOCOL}() returned {type(state).__name__}, not a ModuleState")
    return state


def jsonable(value: Any) -> Any:
    """``value`` with NumPy arrays/scalars and tuples turned into JSON types (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf' / 'nan'; strict JSON has no such numbers
    return value


def config_dict(module: Any) -> dict[str, Any]:
    """JSON-ready configuration of ``module`` (its ``config.to_dict()``)."""
    cfg = getattr(module, "config", None)
    if cfg is None or not hasattr(cfg, "to_dict"):
        raise ParameterError(f"{type(module).__name__} has no .config with to_dict(): not an nnaudio module")
    out = jsonable(cfg.to_dict())
    assert isinstance(out, dict)
    return out


def _is_float(arr: np.ndarray) -> bool:
    return bool(np.issubdtype(arr.dtype, np.floating))


def dtype_of(arrays: Mapping[str, np.ndarray], what: str) -> str:
    """Return the one kernel dtype of the floating-point ``arrays`` (``'float32'``/``'float64'``).

    Non-floating state (integer indices, ...) is allowed and ignored here.

    Raises
    ------
    ParameterError
        If the floating-point state has several dtypes or another one.
    """
    kinds = sorted({np.dtype(a.dtype).name for a in arrays.values() if _is_float(a)}) or ["float32"]
    if len(kinds) != 1 or kinds[0] not in DTYPES:
        raise ParameterError(
            f"{what} has state of dtype(s) {kinds}: the interop layer needs one kernel dtype, float32 "
            "or float64 (convert the module with .float() / .double() or rebuild it with dtype=...)"
        )
    return kinds[0]


def frozen_mismatches(state: ModuleState, reference: Mapping[str, np.ndarray], trainable: Iterable[str]) -> list[str]:
    """Describe every frozen array of ``state`` that differs from the design in ``reference``.

    A frozen (non-trainable) array must equal the value a module freshly built from the
    configuration holds: ``max|a - design| <= FILE_DESIGN_RTOL * max|design|`` (exact equality
    for a zero or non-floating design). Arrays whose shape or dtype differ are left to
    :func:`check_state`.
    """
    trainable = set(trainable)
    out = []
    for name in sorted(set(state.arrays) & set(reference) - trainable):
        arr, ref = state.arrays[name], np.asarray(reference[name])
        if tuple(arr.shape) != tuple(ref.shape) or arr.dtype != ref.dtype:
            continue
        if not _is_float(ref):
            if not np.array_equal(arr, ref):
                out.append(f"{name} differs from the design")
            continue
        a, b = arr.astype(np.float64), ref.astype(np.float64)
        peak = float(np.max(np.abs(b))) if b.size else 0.0
        err = float(np.max(np.abs(a - b))) if b.size else 0.0
        if not err <= FILE_DESIGN_RTOL * peak and not (peak == 0.0 and err == 0.0):
            rel = err / peak if peak > 0 else math.inf
            out.append(
                f"the frozen {name} differs from the design of the configuration (relative max error "
                f"{rel:.2g} > {FILE_DESIGN_RTOL:g})"
            )
    return out


def check_state(
    state: ModuleState,
    *,
    reference: Mapping[str, np.ndarray],
    trainable: Iterable[str],
    what: str,
    design: bool = False,
) -> None:
    """Check ``state`` against a freshly built module's state (names, shapes, dtypes, trainability).

    Parameters
    ----------
    state : ModuleState
        What is to be loaded.
    reference : mapping of name -> array
        The state of a module freshly built from ``state.config`` with ``state.dtype``.
    trainable : iterable of str
        That module's trainable names.
    what : str
        Prefix of the error message.
    design : bool
        Also require every frozen array to equal the design (:func:`frozen_mismatches`): state
        files, whose frozen tensors must be what their configuration says. Conversions of live
        modules (``from_torch``/``from_jax``) copy the state as it is.

    Raises
    ------
    ParameterError
        Listing missing and unexpected names, shape mismatches, dtype mismatches,
        trainability mismatches and (``design=True``) frozen arrays that differ from the design.
    """
    problems = []
    missing, extra = sorted(set(reference) - set(state.arrays)), sorted(set(state.arrays) - set(reference))
    if missing:
        problems.append(f"missing state {missing}")
    if extra:
        problems.append(f"unexpected state {extra}")
    for name in sorted(set(reference) & set(state.arrays)):
        arr, ref = state.arrays[name], reference[name]
        if tuple(arr.shape) != tuple(ref.shape):
            problems.append(f"{name} has shape {tuple(arr.shape)}, the configuration gives {tuple(ref.shape)}")
        if arr.dtype != ref.dtype:
            problems.append(f"{name} has dtype {arr.dtype.name}, the module has {ref.dtype.name}")
    trainable = set(trainable)
    if set(state.trainable) != trainable:
        problems.append(
            f"trainable state {sorted(state.trainable)} differs from the configuration's {sorted(trainable)}"
        )
    if design and not problems:
        problems += frozen_mismatches(state, reference, trainable)
    if problems:
        raise ParameterError(f"{what}: " + "; ".join(problems))


def canonical_config(config: Mapping[str, Any]) -> str:
    """Return the JSON text of a configuration (sorted keys): equal texts mean equal values and types."""
    return json.dumps(jsonable(config), sort_keys=True, allow_nan=False)
