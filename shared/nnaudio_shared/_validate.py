"""Small argument validators: every message names the argument, its value and what is allowed."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from ._errors import ParameterError

__all__ = [
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_optional_float",
    "check_optional_int",
    "resolve_output_format",
]


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``[minimum, maximum]``."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name}={value!r} is invalid: expected an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ParameterError(f"{name}={value!r} is invalid: must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"{name}={value!r} is invalid: must be <= {maximum}")
    return value


def check_optional_int(name: str, value: Any, **bounds: int | None) -> int | None:
    """Like :func:`check_int`, but ``None`` passes through."""
    return None if value is None else check_int(name, value, **bounds)


def check_float(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_min: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as ``float`` if it is a real number within the bounds."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name}={value!r} is invalid: expected a real number")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ParameterError(f"{name}={value!r} is invalid: must be finite")
    if minimum is not None:
        if strict_min and value <= minimum:
            raise ParameterError(f"{name}={value!r} is invalid: must be > {minimum}")
        if not strict_min and value < minimum:
            raise ParameterError(f"{name}={value!r} is invalid: must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"{name}={value!r} is invalid: must be <= {maximum}")
    return value


def check_optional_float(name: str, value: Any, **bounds: Any) -> float | None:
    """Like :func:`check_float`, but ``None`` passes through."""
    return None if value is None else check_float(name, value, **bounds)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy)."""
    if not _is_bool(value):
        raise ParameterError(f"{name}={value!r} is invalid: expected True or False")
    return bool(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return the choice equal to ``value`` (compared with ``==``, type-strict for bools).

    A ``str`` subclass (``np.str_``) matches its plain ``str`` choice, which is returned.
    """
    choices = tuple(choices)
    for choice in choices:
        if type(value) is type(choice) and value == choice:
            return value
        if type(choice) is str and isinstance(value, str) and value == choice:
            return choice
    allowed = ", ".join(repr(c) for c in choices)
    raise ParameterError(f"{name}={value!r} is invalid: must be one of {allowed}")


def resolve_output_format(output_format: Any, default: str) -> str:
    """Return a call's ``output_format`` override, validated, or the module's ``default`` for ``None``.

    Raises
    ------
    ParameterError
        If ``output_format`` is not ``None``, ``'Magnitude'``, ``'Complex'`` or ``'Phase'``.
    """
    if output_format is None:
        return default
    return str(check_choice("output_format", output_format, ("Magnitude", "Complex", "Phase")))
