"""Input checks shared by the JAX modules."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import ParameterError

_NAMES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype: Any) -> Any:
    """Kernel dtype from ``dtype`` (``None``, ``jnp.float32/64``, NumPy dtypes or their names)."""
    if dtype is None:
        return jnp.float32
    try:
        dt = np.dtype(_NAMES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ParameterError(f"dtype={dtype!r} is invalid: must be jnp.float32 or jnp.float64")
    if dt == np.float64 and not jax.config.read("jax_enable_x64"):
        raise ParameterError(
            "dtype=float64 is invalid while JAX runs in 32-bit mode: call "
            "jax.config.update('jax_enable_x64', True) first"
        )
    return jnp.float64 if dt == np.float64 else jnp.float32


def _dtype_of(x: Any) -> np.dtype:
    return np.dtype(x.dtype)


def _is_traced(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def _all_finite(x: Array) -> bool:
    # One reduction instead of an elementwise mask: NaN/Inf anywhere make the sum non-finite;
    # only then (or on overflow of huge finite values) is the exact check needed.
    return bool(jnp.isfinite(jnp.sum(x))) or bool(jnp.isfinite(x).all())


def as_audio(x: Any, *, name: str = "x") -> tuple[Array, Any]:
    """Validate a real audio signal ``(..., time)``.

    Returns the signal in its compute dtype (float32 or float64; float16/bfloat16 are computed
    in float32) and the dtype to cast the result back to. Under ``jax.jit`` values are not
    visible, so the NaN/Inf check is skipped there; shape and dtype checks always run.

    Raises
    ------
    ParameterError
        Not an array, 0-d, non-floating dtype (integer PCM, bool, complex), NaN or Inf (eager).
    """
    if not isinstance(x, (np.ndarray, jax.Array)) and not _is_traced(x):
        raise ParameterError(f"{name} must be a jax.Array or numpy.ndarray, got {type(x).__name__}")
    dt = _dtype_of(x)
    if not jnp.issubdtype(dt, jnp.floating):
        raise ParameterError(
            f"{name} has dtype {dt}: audio must be real floating point (float32 or float64; "
            "convert integer PCM with x.astype(jnp.float32) / 32768 for int16)"
        )
    if x.ndim == 0:
        raise ParameterError(f"{name} is 0-d: audio must have shape (..., time)")
    x = jnp.asarray(x)
    out_dtype = x.dtype
    if x.dtype not in (jnp.float32, jnp.float64):
        x = x.astype(jnp.float32)
    if not _is_traced(x) and x.size > 0 and not _all_finite(x):
        raise ParameterError(f"{name} contains NaN or Inf values")
    return x, out_dtype


def as_spectrum(X: Any, *, n_bins: int, name: str = "X") -> tuple[Array, Any]:
    """Validate a complex spectrogram: complex ``(..., freq, frames)`` or real ``(..., freq, frames, 2)``.

    Returns the complex array and the dtype of the real output (a float16/bfloat16 input is
    computed in float32 and the result cast back).
    """
    if not isinstance(X, (np.ndarray, jax.Array)) and not _is_traced(X):
        raise ParameterError(f"{name} must be a jax.Array or numpy.ndarray, got {type(X).__name__}")
    dt = _dtype_of(X)
    if X.size == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(X.shape)}): no frames or bins to invert")
    if jnp.issubdtype(dt, jnp.complexfloating):
        if X.ndim < 2:
            raise ParameterError(f"{name} has shape {tuple(X.shape)}: a complex spectrogram must be (..., freq, frames)")
        spec = jnp.asarray(X)
    elif jnp.issubdtype(dt, jnp.floating):
        if X.ndim < 3 or X.shape[-1] != 2:
            raise ParameterError(
                f"{name} has shape {tuple(X.shape)}: a real-valued spectrogram must be (..., freq, frames, 2) "
                "holding (real, imag); a magnitude spectrogram cannot be inverted (use Griffin-Lim)"
            )
        X = jnp.asarray(X)
        out_dtype = X.dtype
        if X.dtype not in (jnp.float32, jnp.float64):
            X = X.astype(jnp.float32)
        spec = jax.lax.complex(X[..., 0], X[..., 1])
    else:
        raise ParameterError(f"{name} has dtype {dt}: expected a complex or real floating spectrogram")
    if spec.shape[-2] != n_bins:
        raise ParameterError(
            f"{name} has {spec.shape[-2]} frequency bins: expected n_fft // 2 + 1 = {n_bins} "
            "(pass onesided=False for a two-sided spectrogram with n_fft bins)"
        )
    if spec.shape[-1] < 1:
        raise ParameterError(f"{name} has no frames")
    if not _is_traced(spec) and not _all_finite(spec):
        raise ParameterError(f"{name} contains NaN or Inf values")
    if jnp.issubdtype(dt, jnp.complexfloating):
        out_dtype = jnp.float64 if spec.dtype == jnp.complex128 else jnp.float32
    return spec, out_dtype
