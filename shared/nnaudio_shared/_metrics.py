"""Relative errors of one array against a reference.

One definition for ``nnaudio check``, the nnAudio2 loader and the test suite
(``tests/tolerances.py``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ._errors import ParameterError

__all__ = ["ZeroReference", "relative_errors"]

#: What a relative error is when the reference is all zero (``||b|| = 0`` or ``max|b| = 0``).
ZeroReference = Literal["inf", "absolute"]


def relative_errors(
    actual: np.ndarray, expected: np.ndarray, *, zero_reference: ZeroReference = "inf"
) -> dict[str, float]:
    """``rel_l2``, ``rel_max`` and ``abs_max`` of ``actual`` against ``expected`` (float64 arithmetic).

    Parameters
    ----------
    actual, expected : np.ndarray [shape=(...)]
        Same shape, real or complex; ``expected`` is the reference.
    zero_reference : {'inf', 'absolute'}
        A relative error whose denominator (``||b||`` or ``max|b|``) is zero is, with ``'inf'``,
        0 when the difference is zero too and ``inf`` otherwise (``nnaudio check``: any output
        differing from an all-zero one fails); with ``'absolute'`` it is the absolute error
        (``||a - b||`` or ``max|a - b|``; the test suite, where exact zeros meet rounding).

    Returns
    -------
    dict
        ``rel_l2 = ||a - b|| / ||b||``, ``rel_max = max|a - b| / max|b|``, ``abs_max = max|a - b|``.

    Raises
    ------
    ParameterError
        If the shapes differ, or ``zero_reference`` is not one of the above.
    """
    if zero_reference not in ("inf", "absolute"):
        raise ParameterError(f"zero_reference={zero_reference!r} is invalid: must be 'inf' or 'absolute'")
    a = np.asarray(actual, dtype=np.complex128 if np.iscomplexobj(actual) else np.float64)
    b = np.asarray(expected, dtype=np.complex128 if np.iscomplexobj(expected) else np.float64)
    if a.shape != b.shape:
        raise ParameterError(f"outputs have different shapes: {a.shape} vs {b.shape}")
    d = np.abs(a - b)
    abs_max = float(d.max()) if d.size else 0.0
    l2_d, l2_b = float(np.linalg.norm(d.ravel())), float(np.linalg.norm(b.ravel()))
    max_b = float(np.abs(b).max()) if b.size else 0.0

    def ratio(num: float, den: float) -> float:
        if den == 0.0:
            if zero_reference == "absolute":
                return num
            return 0.0 if num == 0.0 else math.inf
        return num / den

    return {"rel_l2": ratio(l2_d, l2_b), "rel_max": ratio(abs_max, max_b), "abs_max": abs_max}
