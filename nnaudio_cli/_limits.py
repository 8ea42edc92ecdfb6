"""Bounds on what the command line accepts, so that a typo cannot allocate gigabytes or run for hours.

Every numeric option is parsed by a bounded argparse type from here, and every constructor
argument given with ``--set`` or ``--config`` is checked by :func:`check_constructor_args` against
the transform's constructor (its parameter names and annotated types) and the size limits below.
The limits are stated in ``--help``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import UserError

__all__ = [
    "MAX_DESIGN_SIZE",
    "MAX_INT",
    "MAX_REPEAT",
    "MAX_SAMPLES",
    "MAX_SECONDS",
    "MAX_SR",
    "MAX_TOLERANCE_SCALE",
    "MIN_SR",
    "SIZE_LIMITS",
    "bounded_float",
    "bounded_int",
    "check_constructor_args",
    "check_n_samples",
    "describe_size_limits",
    "parse_value",
]

#: Longest signal analysed (synthetic or read from a file), in seconds.
MAX_SECONDS = 600.0
#: Sampling-rate range of ``--sr``.
MIN_SR = 1.0
MAX_SR = 768_000.0
#: Most samples analysed (2**24: about 6 minutes at 44.1 kHz, 64 MiB as float32).
MAX_SAMPLES = 2**24
#: Most timed calls per backend.
MAX_REPEAT = 1000
#: Largest ``--tolerance-scale``.
MAX_TOLERANCE_SCALE = 1e6
#: Most float64 values a configuration's design may need (``config.design_size()``; 512 MiB).
MAX_DESIGN_SIZE = 2**26
#: Largest magnitude of any other integer constructor argument (a seed, ...).
MAX_INT = 2**31 - 1

#: Upper bounds of the constructor arguments that size kernels, frames, outputs or iterations.
SIZE_LIMITS: dict[str, int] = {
    "n_fft": 16384,
    "win_length": 16384,
    "window_size": 16384,
    "hop_length": 16384,
    "freq_bins": 8193,
    "n_mels": 1024,
    "n_bins": 1024,
    "n_mfcc": 1024,
    "bins_per_octave": 192,
    "NumPerOct": 192,
    "n_iter": 1000,
}


def describe_size_limits() -> str:
    """Return the size limits as ``name <= value`` pairs for ``--help``."""
    return ", ".join(f"{k} <= {v}" for k, v in SIZE_LIMITS.items())


def _fail(option: str, text: str, allowed: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"{option} got {text!r}: {allowed}")


def bounded_float(
    minimum: float, maximum: float, *, strict_min: bool = False, what: str = "a number"
) -> Callable[[str], float]:
    """Return an argparse type accepting finite floats in ``[minimum, maximum]`` (``(minimum, ...]``).

    Parameters
    ----------
    minimum, maximum : float
        The accepted range.
    strict_min : bool
        Exclude ``minimum`` itself.
    what : str
        How the allowed values are described in the error.

    Returns
    -------
    callable (str) -> float
        Raises ``argparse.ArgumentTypeError`` (one line) for anything else.
    """
    low = "(" if strict_min else "["
    allowed = f"must be {what} in {low}{minimum:g}, {maximum:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}: {allowed}") from None
        ok_min = value > minimum if strict_min else value >= minimum
        if not (math.isfinite(value) and ok_min and value <= maximum):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: {allowed}")
        return value

    return parse


def bounded_int(minimum: int, maximum: int) -> Callable[[str], int]:
    """Return an argparse type accepting integers in ``[minimum, maximum]``.

    Parameters
    ----------
    minimum, maximum : int
        The accepted range.

    Returns
    -------
    callable (str) -> int
        Raises ``argparse.ArgumentTypeError`` (one line) for anything else.
    """
    allowed = f"must be an integer in [{minimum}, {maximum}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid integer {text!r}: {allowed}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: {allowed}")
        return value

    return parse


def check_n_samples(n_samples: int | float, *, seconds: float, sr: float) -> None:
    """Raise :class:`UserError` when ``seconds`` at ``sr`` exceeds :data:`MAX_SAMPLES` samples."""
    if not n_samples <= MAX_SAMPLES:
        raise UserError(
            f"{seconds:g} s at {sr:g} Hz is {n_samples:.6g} samples: at most {MAX_SAMPLES} "
            "are analysed (use a shorter --seconds or a lower --sr)"
        )


# --------------------------------------------------------------------------- constructor arguments


def _is_text_type(annotation: Any) -> bool:
    """Whether ``annotation`` admits only text (``str``, a ``Literal`` of strings), maybe ``None``."""
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return all(isinstance(a, str) for a in args)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return bool(rest) and all(_is_text_type(a) for a in rest)
    return False


def parse_value(text: str, annotation: Any = Any) -> Any:
    """Turn the text of ``--set KEY=TEXT`` into a value.

    Text-only parameters (``str``, ``Literal`` of strings) take the text as it is (``null`` and
    ``None`` still mean ``None``); any other value is JSON (``512``, ``null``, ``["kaiser", 4.0]``)
    or, failing that, text. ``True``/``False``/``None`` are accepted in Python spelling too.
    """
    python = {"True": True, "False": False, "None": None}
    if text in python:
        return python[text]
    if _is_text_type(annotation):
        return None if text == "null" else text
    try:
        return json.loads(text)
    except ValueError:
        return text


def constructor_parameters(cls: type) -> tuple[dict[str, Any], bool]:
    """Return the keyword parameters of ``cls`` with their annotations, and whether it takes ``**kwargs``."""
    try:
        hints = typing.get_type_hints(cls.__init__)  # type: ignore[misc]
    except Exception:  # pragma: no cover - unresolvable annotations: fall back to no types
        hints = {}
    params: dict[str, Any] = {}
    var_kw = False
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:  # type: ignore[misc]
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kw = True
        elif p.kind is not inspect.Parameter.VAR_POSITIONAL:
            params[p.name] = hints.get(p.name, Any)
    params.pop("dtype", None)
    return params, var_kw


def _check_number(key: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"{key}={value!r} is invalid: must be finite")
    if isinstance(value, int) and key in SIZE_LIMITS and value > SIZE_LIMITS[key]:
        raise UserError(
            f"{key}={value} is invalid: the command line allows {key} <= {SIZE_LIMITS[key]} "
            "(a larger value would allocate or compute too much)"
        )
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise UserError(f"{key}={value} is invalid: must be at most {MAX_INT} in magnitude")
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_number(key, item)
    if isinstance(value, Mapping):
        for k, item in value.items():
            _check_number(str(k), item)


def check_constructor_args(cls: type, config: Mapping[str, Any]) -> None:
    """Check command-line constructor arguments of ``cls`` before anything is built.

    Parameters
    ----------
    cls : type
        The transform class: its constructor's keyword parameters are the accepted names (a
        constructor with ``**kwargs`` checks the other names itself).
    config : mapping
        Constructor arguments from ``--set`` and ``--config``.

    Raises
    ------
    UserError
        For an unknown name, a non-finite number, or a size above :data:`SIZE_LIMITS`.
    """
    params, var_kw = constructor_parameters(cls)
    for key, value in config.items():
        if key not in params and not var_kw:
            raise UserError(f"{key!r} is not a constructor argument of {cls.__name__}: allowed are {', '.join(params)}")
        _check_number(key, value)
