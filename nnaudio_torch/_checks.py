"""Input checks shared by the torch modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from nnaudio_shared import ParameterError
from torch import Tensor

_COMPUTE = (torch.float32, torch.float64)
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: Any) -> torch.dtype:
    """Kernel dtype from ``dtype`` (``None``, ``torch.float32/64`` or their names)."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, str) and dtype in _DTYPES:
        return _DTYPES[dtype]
    if dtype in _COMPUTE:
        return dtype  # type: ignore[no-any-return]
    raise ParameterError(f"dtype={dtype!r} is invalid: must be torch.float32 or torch.float64")


def _is_compiling() -> bool:
    return bool(torch.compiler.is_compiling()) or torch.jit.is_scripting()


def _all_finite(x: Tensor) -> bool:
    # One reduction instead of an elementwise mask: NaN/Inf anywhere make the sum non-finite;
    # only then (or on overflow of huge finite values) is the exact check needed.
    return bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all())


def _from_numpy(x: np.ndarray) -> Tensor:
    # np.ascontiguousarray would turn a 0-d array into 1-d; copy only when needed.
    return torch.from_numpy(x if x.flags.c_contiguous else x.copy(order="C"))


def as_audio(x: Any, *, name: str = "x") -> tuple[Tensor, torch.dtype]:
    """Validate a real audio signal ``(..., time)``.

    Returns the signal in its compute dtype (float32 or float64; float16/bfloat16 are computed
    in float32) and the dtype to cast the result back to.

    Raises
    ------
    ParameterError
        Not a tensor/array, 0-d, non-floating dtype (integer PCM, bool, complex), NaN or Inf.
    """
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise ParameterError(
                f"{name} has dtype {x.dtype}: audio must be floating point (convert integer PCM "
                "with x.astype(np.float32) / 32768 for int16)"
            )
        x = _from_numpy(x)
    if not isinstance(x, Tensor):
        raise ParameterError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")
    if x.dtype.is_complex or not x.dtype.is_floating_point:
        raise ParameterError(
            f"{name} has dtype {x.dtype}: audio must be real floating point (float32 or float64; "
            "convert integer PCM with x.float() / 32768 for int16)"
        )
    if x.ndim == 0:
        raise ParameterError(f"{name} is 0-d: audio must have shape (..., time)")
    out_dtype = x.dtype
    if x.dtype not in _COMPUTE:  # float16/bfloat16: compute in float32, cast back
        x = x.to(torch.float32)
    if x.numel() > 0 and not _is_compiling() and not _all_finite(x):
        raise ParameterError(f"{name} contains NaN or Inf values")
    return x, out_dtype


def as_spectrum(X: Any, *, n_bins: int, name: str = "X") -> tuple[Tensor, torch.dtype]:
    """Validate a complex spectrogram: complex ``(..., freq, frames)`` or real ``(..., freq, frames, 2)``.

    Returns the complex tensor and the dtype of the real output (a float16/bfloat16 input is
    computed in float32 and the result cast back).
    """
    if isinstance(X, np.ndarray):
        X = _from_numpy(X)
    if not isinstance(X, Tensor):
        raise ParameterError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(X).__name__}")
    if X.numel() == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(X.shape)}): no frames or bins to invert")
    if X.dtype.is_complex:
        if X.ndim < 2:
            raise ParameterError(f"{name} has shape {tuple(X.shape)}: a complex spectrogram must be (..., freq, frames)")
        spec = X
    elif X.dtype.is_floating_point:
        if X.ndim < 3 or X.shape[-1] != 2:
            raise ParameterError(
                f"{name} has shape {tuple(X.shape)}: a real-valued spectrogram must be (..., freq, frames, 2) "
                "holding (real, imag); a magnitude spectrogram cannot be inverted (use Griffin-Lim)"
            )
        out_dtype = X.dtype
        if X.dtype not in _COMPUTE:
            X = X.to(torch.float32)
        spec = torch.view_as_complex(X.contiguous())
    else:
        raise ParameterError(f"{name} has dtype {X.dtype}: expected a complex or real floating spectrogram")
    if spec.shape[-2] != n_bins:
        raise ParameterError(
            f"{name} has {spec.shape[-2]} frequency bins: expected n_fft // 2 + 1 = {n_bins} "
            "(pass onesided=False for a two-sided spectrogram with n_fft bins)"
        )
    if spec.shape[-1] < 1:
        raise ParameterError(f"{name} has no frames")
    if not _is_compiling() and not _all_finite(torch.view_as_real(spec)):
        raise ParameterError(f"{name} contains NaN or Inf values")
    if X.dtype.is_complex:
        out_dtype = torch.float64 if spec.dtype == torch.complex128 else torch.float32
    return spec, out_dtype
