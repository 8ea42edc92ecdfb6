"""Analysis windows and centre padding (float64, read-only results)."""

from __future__ import annotations

import numbers
import reprlib
from typing import Any

import numpy as np
import scipy.signal

from ._arrays import readonly
from ._errors import ParameterError
from ._validate import _is_bool, check_int

__all__ = ["WindowSpec", "check_window_spec", "get_window", "pad_center"]

#: Anything :func:`scipy.signal.get_window` accepts: a name (``'hann'``), a tuple with
#: parameters (``('kaiser', 4.0)``, ``('gaussian', std)``), or an explicit 1-D array.
WindowSpec = str | tuple[Any, ...] | float | np.ndarray


_SPEC_HINT = (
    "pass a scipy window name such as 'hann', a tuple such as ('kaiser', 4.0), or the window samples "
    "as a 1-D array of real numbers"
)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def check_window_spec(window: Any) -> WindowSpec:
    """Validate the form of a window specification and return it normalised.

    A list whose first item is a string is the JSON form of a tuple and becomes one; a list or
    array of samples becomes a float64 array. Names and parameters are checked by SciPy later
    (:func:`get_window`); this only rejects what SciPy would fail on opaquely.

    Parameters
    ----------
    window : str, tuple, float, list or np.ndarray
        A name (``'hann'``), a tuple ``(name, *parameters)`` whose parameters are real numbers
        (or ``None``, e.g. ``('exponential', None, 3.0)``), a real number (the Kaiser window's
        beta, as in SciPy), or the window samples (real numbers, 1-D).

    Returns
    -------
    str, tuple, float or np.ndarray [float64]

    Raises
    ------
    ParameterError
        For any other type, a tuple without a leading name or with non-numeric parameters, or
        samples that are not real numbers (strings, bools, complex values, ``None``).
    """
    if isinstance(window, list) and window and isinstance(window[0], str):
        window = tuple(window)  # JSON round trip of ('kaiser', 4.0)
    if isinstance(window, str):
        return window
    if isinstance(window, tuple):
        if not window or not isinstance(window[0], str):
            raise ParameterError(
                f"window={window!r} is invalid: a window tuple is (name, *parameters) with a name first, "
                "such as ('kaiser', 4.0)"
            )
        for param in window[1:]:
            if param is not None and not _is_real(param):
                raise ParameterError(
                    f"window={window!r} is invalid: window parameters must be real numbers, got {param!r} "
                    f"({type(param).__name__})"
                )
        return window
    if _is_real(window):
        return window  # type: ignore[no-any-return]
    if isinstance(window, (list, np.ndarray)):
        arr = np.asarray(window, dtype=object) if isinstance(window, list) else window
        if arr.dtype == object:  # (ragged nested lists give an array of lists: rejected here too)
            for value in arr.ravel():
                if not _is_real(value):
                    raise ParameterError(
                        f"window={reprlib.repr(window)} is invalid: explicit window samples must be real numbers, "
                        f"got {value!r} ({type(value).__name__}); {_SPEC_HINT}"
                    )
        elif arr.dtype.kind not in "fiu":
            raise ParameterError(
                f"window={reprlib.repr(window)} is invalid: explicit window samples must be real numbers, got "
                f"dtype {arr.dtype}; {_SPEC_HINT}"
            )
        return np.asarray(arr, dtype=np.float64)
    raise ParameterError(f"window={reprlib.repr(window)} is invalid ({type(window).__name__}): {_SPEC_HINT}")


def get_window(window: WindowSpec, win_length: int, *, fftbins: bool = True) -> np.ndarray:
    """Build a window of ``win_length`` samples in float64.

    Parameters
    ----------
    window : str, tuple, float or np.ndarray [shape=(win_length,)]
        A :func:`scipy.signal.get_window` specification (periodic when ``fftbins``), or the
        window samples themselves.
    win_length : int > 0
        Number of samples.
    fftbins : bool
        Periodic (``True``, for spectral analysis) or symmetric window.

    Returns
    -------
    np.ndarray [shape=(win_length,)], float64, read-only

    Raises
    ------
    ParameterError
        If ``window`` is not understood by SciPy or has the wrong length / values.
    """
    win_length = check_int("win_length", win_length, minimum=1)
    window = check_window_spec(window)
    if isinstance(window, np.ndarray):
        arr = window
        if arr.ndim != 1 or arr.shape[0] != win_length:
            raise ParameterError(
                f"window is an array of shape {arr.shape}: an explicit window must be 1-D "
                f"with win_length={win_length} samples"
            )
    else:
        try:
            arr = np.asarray(scipy.signal.get_window(window, win_length, fftbins=fftbins), dtype=np.float64)
        except (ValueError, TypeError, KeyError, IndexError) as err:  # IndexError: window=()
            raise ParameterError(
                f"window={reprlib.repr(window)} is invalid: scipy.signal.get_window cannot build it ({err}); "
                "use a name such as 'hann' or a tuple such as ('kaiser', 4.0)"
            ) from None
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"window={reprlib.repr(window)} is invalid: it contains NaN or Inf")
    return readonly(arr.copy())


def pad_center(data: np.ndarray, *, size: int, axis: int = -1) -> np.ndarray:
    """Zero-pad ``data`` symmetrically along ``axis`` to ``size`` samples (librosa's rule).

    The left pad is ``(size - n) // 2``, so an odd surplus goes to the right.

    Parameters
    ----------
    data : np.ndarray [shape=(..., n, ...)]
    size : int >= n
    axis : int

    Returns
    -------
    np.ndarray [shape=(..., size, ...)]
    """
    data = np.asarray(data)
    n = data.shape[axis]
    size = check_int("size", size)
    if size < n:
        raise ParameterError(f"size={size} is invalid: must be >= the data length {n} along axis {axis}")
    lpad = (size - n) // 2
    widths = [(0, 0)] * data.ndim
    widths[axis] = (lpad, size - n - lpad)
    return np.pad(data, widths, mode="constant")
