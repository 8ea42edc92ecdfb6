"""Input checks shared by the JAX modules."""

from __future__ import annotations

import math
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


def max_abs_limit(dtype: Any) -> float:
    """Largest ``|x|`` accepted for a signal computed in ``dtype`` (float32 or float64).

    ``sqrt(finfo.max) / 2**16``: about 2.8e14 for float32, 2.0e149 for float64. Below it a power
    spectrogram (``|X|**2`` with ``n_fft`` up to 65536, summed over up to ``n_fft / 2`` bins)
    cannot overflow, so power, mel, dB and MFCC outputs stay finite and correct.
    """
    return math.sqrt(float(jnp.finfo(dtype).max)) / 2.0**16


# One fused pass, compiled once per shape and dtype; NaN if any value is NaN or Inf. The explicit
# isfinite reduction is needed: XLA's CPU max-reduction drops NaN on arrays of more than a few
# thousand elements (jax 0.10: max(|x|) of 4096 zeros and one NaN is 0.0).
_peak = jax.jit(lambda x: jnp.where(jnp.all(jnp.isfinite(x)), jnp.max(jnp.abs(x)), jnp.nan))


def _check_values(x: Array, name: str) -> None:
    peak, limit = float(_peak(x)), max_abs_limit(x.dtype)
    if not math.isfinite(peak):
        raise ParameterError(f"{name} contains NaN or Inf values")
    if peak > limit:
        raise ParameterError(
            f"{name} has values up to |{name}| = {peak:.3g}: above {limit:.3g} a {x.dtype} "
            "power/dB result can overflow; rescale the input (audio is normally within [-1, 1]) or use float64"
        )


def check_finite(x: Any, *, name: str = "x") -> Any:
    """Opt-in value check of a signal that also works under ``jax.jit``.

    Eagerly, raises :class:`ParameterError` exactly like a module call does (NaN/Inf, or
    ``|x|`` above :func:`max_abs_limit`). Under a trace (``jax.jit``, ``nnx.jit``, ...) values
    are unknown, so the modules skip these checks; ``check_finite`` instead stages a
    :func:`jax.experimental.checkify.check`, which reports after the call once the jitted
    function is wrapped with :func:`jax.experimental.checkify.checkify`.

    Parameters
    ----------
    x : jax.Array or np.ndarray [shape=(..., time)]
    name : str
        Name used in the message.

    Returns
    -------
    jax.Array
        ``x`` unchanged (as an array), so it can wrap a module's input: ``m(check_finite(x))``.

    Raises
    ------
    ParameterError
        Eagerly, for non-finite or too large values.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, nnaudio_jax as nj
    >>> from jax.experimental import checkify
    >>> mel = nj.MelSpectrogram(sr=16000, n_fft=512, hop_length=160, n_mels=40)
    >>> f = checkify.checkify(jax.jit(lambda m, x: m(nj.check_finite(x))))
    >>> err, S = f(mel, jnp.full(16000, jnp.nan))
    >>> err.get()  # doctest: +ELLIPSIS
    'x contains NaN or Inf values...'
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise ParameterError(f"{name} has dtype {x.dtype}: audio must be real floating point")
    if not _is_traced(x):
        if x.size > 0:
            _check_values(x.astype(jnp.float32) if x.dtype not in (jnp.float32, jnp.float64) else x, name)
        return x
    from jax.experimental import checkify

    compute = x.dtype if x.dtype in (jnp.float32, jnp.float64) else jnp.float32
    peak = jnp.max(jnp.abs(x.astype(compute))) if x.size > 0 else jnp.zeros((), compute)
    checkify.check(jnp.all(jnp.isfinite(x)) & jnp.isfinite(peak), f"{name} contains NaN or Inf values")
    limit = max_abs_limit(compute)
    checkify.check(
        jnp.logical_not(peak > limit),
        f"{name} has values up to |{name}| = {{peak}}: above {limit:.3g} a power/dB result can overflow",
        peak=peak,
    )
    return x


def _check_empty_batch(shape: tuple[int, ...], name: str) -> None:
    """Reject a batch of zero items (``(0, time)``): the same error in both backends, for every transform.

    Leading axes of size 0 with samples along the last axis; an empty last axis is reported by
    the transform's length check (``... is empty``).
    """
    if shape[-1] > 0 and 0 in shape[:-1]:
        raise ParameterError(
            f"{name} has shape {shape}: an empty batch (no items along a leading axis) is rejected, "
            "there is nothing to transform; skip the call for a batch of zero items"
        )


def as_audio(x: Any, *, name: str = "x") -> tuple[Array, Any]:
    """Validate a real audio signal ``(..., time)``.

    Returns the signal in its compute dtype (float32 or float64; float16/bfloat16 are computed
    in float32) and the dtype to cast the result back to. Under ``jax.jit`` values are not
    visible, so the value checks are skipped there (NaN/Inf propagate to the output; use
    :func:`check_finite` with ``checkify`` to keep them); shape and dtype checks always run.

    Raises
    ------
    ParameterError
        Not an array, 0-d, an empty batch (shape ``(0, time)``: an error in both backends, not
        an empty output), non-floating dtype (integer PCM, bool, complex); eagerly also NaN or
        Inf, or ``|x|`` above :func:`max_abs_limit` (where float32 power spectrograms overflow).
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
    _check_empty_batch(tuple(x.shape), name)
    x = jnp.asarray(x)
    out_dtype = x.dtype
    if x.dtype not in (jnp.float32, jnp.float64):
        x = x.astype(jnp.float32)
    if not _is_traced(x) and x.size > 0:
        _check_values(x, name)
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
            raise ParameterError(
                f"{name} has shape {tuple(X.shape)}: a complex spectrogram must be (..., freq, frames)"
            )
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
