"""Input checks shared by the torch modules."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

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


def max_abs_limit(dtype: torch.dtype) -> float:
    """Largest ``|x|`` accepted for a signal computed in ``dtype`` (float32 or float64).

    ``sqrt(finfo.max) / 2**16``: about 2.8e14 for float32, 2.0e149 for float64. Below it a power
    spectrogram (``|X|**2`` with ``n_fft`` up to 65536, summed over up to ``n_fft / 2`` bins)
    cannot overflow, so power, mel, dB and MFCC outputs stay finite and correct. Audio is
    normally within [-1, 1]; unnormalised integer PCM (up to 2.1e9) is far below the limit.
    """
    return math.sqrt(torch.finfo(dtype).max) / 2.0**16


def _check_values(x: Tensor, name: str) -> None:
    # One pass (aminmax) gives NaN/Inf and the magnitude; only the two scalars are synced.
    lo, hi = torch.stack(torch.aminmax(x.detach())).tolist()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ParameterError(f"{name} contains NaN or Inf values")
    peak, limit = max(-lo, hi), max_abs_limit(x.dtype)
    if peak > limit:
        raise ParameterError(
            f"{name} has values up to |{name}| = {peak:.3g}: above {limit:.3g} a {str(x.dtype).removeprefix('torch.')} "
            "power/dB result can overflow; rescale the input (audio is normally within [-1, 1]) or use float64"
        )


_F = TypeVar("_F", bound=Callable[..., Any])


def autocast_off(method: _F) -> _F:
    """Decorate a module method so that it runs with autocast disabled on the module's device.

    Under ``torch.autocast`` the matmuls of a transform (mel filterbank, trainable Fourier
    kernels, DCT) would run in float16/bfloat16 and silently lose three decimal digits while
    the output is still float32. The transforms are computed in the input's dtype (float32 or
    float64; half inputs in float32 and cast back) whether or not autocast is active.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        device = _module_device(self)
        if device.type != "meta" and torch.is_autocast_enabled(device.type):
            with torch.autocast(device.type, enabled=False):
                return method(self, *args, **kwargs)
        return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _module_device(module: Any) -> torch.device:
    for t in module.buffers():
        return t.device  # type: ignore[no-any-return]
    for t in module.parameters():
        return t.device  # type: ignore[no-any-return]
    return torch.device("cpu")


def _check_device(x: Tensor, device: torch.device | None, name: str) -> None:
    if device is not None and x.device != device:
        raise ParameterError(
            f"{name} is on device {x.device} but the module's kernels are on {device}: move one of them "
            f"(x.to({str(device)!r}) or module.to({str(x.device)!r}))"
        )


def _from_numpy(x: np.ndarray) -> Tensor:
    # np.ascontiguousarray would turn a 0-d array into 1-d; copy only when needed: for a layout
    # torch cannot view, and for read-only arrays (np.load(mmap_mode="r"), np.frombuffer), which
    # torch.from_numpy would share while warning that writes through the tensor are undefined.
    if x.flags.c_contiguous and x.flags.writeable:
        return torch.from_numpy(x)
    return torch.from_numpy(x.copy(order="C"))


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


def as_audio(x: Any, *, name: str = "x", device: torch.device | None = None) -> tuple[Tensor, torch.dtype]:
    """Validate a real audio signal ``(..., time)``.

    Returns the signal in its compute dtype (float32 or float64; float16/bfloat16 are computed
    in float32) and the dtype to cast the result back to. NumPy input is moved to ``device``
    (the module's kernels' device) when given; a tensor on another device is an error.

    Raises
    ------
    ParameterError
        Not a tensor/array, 0-d, an empty batch (shape ``(0, time)``: an error in both backends,
        not an empty output), non-floating dtype (integer PCM, bool, complex), on another
        device than ``device``, NaN or Inf, or ``|x|`` above :func:`max_abs_limit` (where
        float32 power spectrograms overflow). Value checks are skipped under ``torch.compile``
        / ``torch.export`` (values are not visible to the trace) and for meta tensors.
    """
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise ParameterError(
                f"{name} has dtype {x.dtype}: audio must be floating point (convert integer PCM "
                "with x.astype(np.float32) / 32768 for int16)"
            )
        x = _from_numpy(x)
        if device is not None:
            x = x.to(device)
    if not isinstance(x, Tensor):
        raise ParameterError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")
    _check_device(x, device, name)
    if x.dtype.is_complex or not x.dtype.is_floating_point:
        raise ParameterError(
            f"{name} has dtype {x.dtype}: audio must be real floating point (float32 or float64; "
            "convert integer PCM with x.float() / 32768 for int16)"
        )
    if x.ndim == 0:
        raise ParameterError(f"{name} is 0-d: audio must have shape (..., time)")
    _check_empty_batch(tuple(x.shape), name)
    out_dtype = x.dtype
    if x.dtype not in _COMPUTE:  # float16/bfloat16: compute in float32, cast back
        x = x.to(torch.float32)
    if x.numel() > 0 and not _is_compiling() and x.device.type != "meta":
        _check_values(x, name)
    return x, out_dtype


def as_spectrum(
    X: Any, *, n_bins: int, name: str = "X", device: torch.device | None = None
) -> tuple[Tensor, torch.dtype]:
    """Validate a complex spectrogram: complex ``(..., freq, frames)`` or real ``(..., freq, frames, 2)``.

    Returns the complex tensor and the dtype of the real output (a float16/bfloat16 input is
    computed in float32 and the result cast back). NumPy input is moved to ``device`` when
    given; a tensor on another device is an error.
    """
    if isinstance(X, np.ndarray):
        X = _from_numpy(X)
        if device is not None:
            X = X.to(device)
    if not isinstance(X, Tensor):
        raise ParameterError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(X).__name__}")
    _check_device(X, device, name)
    if X.numel() == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(X.shape)}): no frames or bins to invert")
    if X.dtype.is_complex:
        if X.ndim < 2:
            raise ParameterError(
                f"{name} has shape {tuple(X.shape)}: a complex spectrogram must be (..., freq, frames)"
            )
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
    if not _is_compiling() and spec.device.type != "meta" and not _all_finite(torch.view_as_real(spec)):
        raise ParameterError(f"{name} contains NaN or Inf values")
    if X.dtype.is_complex:
        out_dtype = torch.float64 if spec.dtype == torch.complex128 else torch.float32
    return spec, out_dtype
