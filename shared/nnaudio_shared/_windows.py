"""Analysis windows and centre padding (float64, read-only results)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.signal

from ._errors import ParameterError
from ._validate import check_int

__all__ = ["WindowSpec", "get_window", "pad_center"]

#: Anything :func:`scipy.signal.get_window` accepts: a name (``'hann'``), a tuple with
#: parameters (``('kaiser', 4.0)``, ``('gaussian', std)``), or an explicit 1-D array.
WindowSpec = str | tuple[Any, ...] | float | np.ndarray


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


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
    if isinstance(window, np.ndarray) or (isinstance(window, list)):
        arr = np.asarray(window, dtype=np.float64)
        if arr.ndim != 1 or arr.shape[0] != win_length:
            raise ParameterError(
                f"window is an array of shape {arr.shape}: an explicit window must be 1-D "
                f"with win_length={win_length} samples"
            )
    elif callable(window):
        raise ParameterError(f"window={window!r} is invalid: pass a scipy window spec (name or tuple) or an array")
    else:
        try:
            arr = np.asarray(scipy.signal.get_window(window, win_length, fftbins=fftbins), dtype=np.float64)
        except (ValueError, TypeError, KeyError, IndexError) as err:  # IndexError: window=()
            raise ParameterError(
                f"window={window!r} is invalid: scipy.signal.get_window cannot build it ({err}); "
                "use a name such as 'hann' or a tuple such as ('kaiser', 4.0)"
            ) from None
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"window={window!r} is invalid: it contains NaN or Inf")
    return _readonly(arr.copy())


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
