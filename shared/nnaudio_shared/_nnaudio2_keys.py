"""nnAudio2 ``state_dict`` layouts and the loader's validation (:func:`nnaudio2_arrays`).

Which nnAudio2 key holds which of our state arrays; a registered class opts in with
``TransformSpec(nnaudio2=...)`` (:mod:`._registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import ParameterError
from ._metrics import relative_errors

if TYPE_CHECKING:
    from ._registry import TransformSpec

__all__ = ["NNAUDIO2_DESIGN_RTOL", "Nnaudio2Key", "as_numpy", "nnaudio2_arrays"]

#: A frozen nnAudio2 kernel is accepted when ``max|theirs - designed| <= rtol * max|designed|``:
#: nnAudio2 designs in float64 and stores float32 (rounding 6e-8); anything above 1e-5 was trained
#: or built with other arguments.
NNAUDIO2_DESIGN_RTOL = 1e-5


@dataclass(frozen=True)
class Nnaudio2Key:
    """One entry of an nnAudio2 ``state_dict`` and what it corresponds to here.

    Parameters
    ----------
    theirs : str
        nnAudio2's key, e.g. ``'stft.wcos'``.
    ours : str or None
        Our state name; ``None`` (or a name the module does not have, e.g. ``wcos`` of a frozen
        FFT-path STFT) means the entry is only checked against the design and then dropped.
    design : callable () -> np.ndarray
        The value this configuration designs, in our layout (float64).
    layout : callable (our shape) -> nnAudio2's shape
        nnAudio2 stores the same numbers with extra unit axes (conv kernels ``(F, 1, n_fft)``,
        ``window_mask`` ``(1, n_fft, 1)``); conversion is a reshape.
    optional : bool
        The key is present only for some nnAudio2 arguments (e.g. ``iSTFT=True``).
    """

    theirs: str
    ours: str | None
    design: Callable[[], np.ndarray]
    layout: Callable[[tuple[int, ...]], tuple[int, ...]] = lambda shape: shape
    optional: bool = False


def _conv_kernel(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0], 1, shape[1])


def _window_mask(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1, shape[0], 1)


def _conv2d_kernel(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0], 1, shape[1], 1)


def _full_dft(n_fft: int, fn: Callable[[np.ndarray], np.ndarray], sign: float) -> np.ndarray:
    """nnAudio2's ``kernel_{cos,sin}_inv``: the one-sided kernels followed by the mirrored ones."""
    k = np.arange(n_fft // 2 + 1, dtype=np.float64)
    n = np.arange(n_fft, dtype=np.float64)
    half = fn(np.mod(np.outer(k, n), n_fft) * (2.0 * np.pi / n_fft))
    return np.concatenate([half, sign * half[1:-1][::-1]], axis=0)


def _nn2_stft(cfg: Any, prefix: str = "") -> list[Nnaudio2Key]:
    cache: dict[str, Any] = {}

    def kernels() -> Any:
        if "k" not in cache:
            cache["k"] = cfg.kernels()
        return cache["k"]

    n_fft = cfg.n_fft
    return [
        Nnaudio2Key(prefix + "wcos", prefix + "wcos", lambda: kernels().wcos, _conv_kernel),
        Nnaudio2Key(prefix + "wsin", prefix + "wsin", lambda: kernels().wsin, _conv_kernel),
        Nnaudio2Key(prefix + "window_mask", prefix + "window", cfg.window_array, _window_mask),
        Nnaudio2Key(prefix + "kernel_cos_inv", None, lambda: _full_dft(n_fft, np.cos, 1.0), _conv2d_kernel, True),
        Nnaudio2Key(prefix + "kernel_sin_inv", None, lambda: _full_dft(n_fft, np.sin, -1.0), _conv2d_kernel, True),
    ]


def _nn2_mel(cfg: Any, prefix: str = "") -> list[Nnaudio2Key]:
    return [Nnaudio2Key(prefix + "mel_basis", prefix + "mel_basis", cfg.mel_basis)] + _nn2_stft(
        cfg.stft, prefix + "stft."
    )


def _nn2_gammatone(cfg: Any) -> list[Nnaudio2Key]:
    return [Nnaudio2Key("gammatone_basis", "gammatone_basis", cfg.gammatone_basis)] + _nn2_stft(cfg.stft, "stft.")


def _nn2_mfcc(cfg: Any) -> list[Nnaudio2Key]:
    return [
        Nnaudio2Key("amin", None, lambda: np.array([cfg.amin])),
        Nnaudio2Key("ref", None, lambda: np.array([cfg.ref])),
        *_nn2_mel(cfg.mel, "melspec_layer."),
    ]


def as_numpy(value: Any) -> np.ndarray:
    """Return a NumPy copy of a torch tensor (any device), JAX array or array-like."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.array(value, copy=True)


def nnaudio2_arrays(
    spec: TransformSpec,
    config: Any,
    state_dict: Mapping[str, Any],
    *,
    shapes: Mapping[str, tuple[int, ...]],
    trainable: Iterable[str],
) -> dict[str, np.ndarray]:
    """Validate an nnAudio2 ``state_dict`` against a module; return the arrays to assign.

    Parameters
    ----------
    spec : TransformSpec
    config : the module's configuration object (``module.config``)
    state_dict : mapping of nnAudio2 keys to tensors/arrays
    shapes : our state names and shapes
    trainable : our trainable state names

    Returns
    -------
    dict of our trainable state names -> np.ndarray in our layout (the nnAudio2 values)

    Raises
    ------
    ParameterError
        Listing every problem: missing or unexpected keys, wrong shapes, non-finite values, and
        frozen entries that differ from this configuration's design (a trained kernel needs the
        matching trainable flag; a different design needs the matching arguments).
    """
    if spec.nnaudio2 is None:
        from ._registry import REGISTRY  # not at the top: the registry imports the layouts here

        raise ParameterError(
            f"loading an nnAudio2 state_dict into {spec.name} is not supported (supported: "
            f"{', '.join(n for n, s in REGISTRY.items() if s.nnaudio2 is not None)})"
        )
    if not isinstance(state_dict, Mapping):
        raise ParameterError(
            f"state_dict={type(state_dict).__name__} is invalid: expected a mapping (module.state_dict())"
        )
    keys = spec.nnaudio2(config)
    trainable = set(trainable)
    known = {k.theirs for k in keys}
    required = {k.theirs for k in keys if not k.optional}
    missing, unexpected = sorted(required - set(state_dict)), sorted(set(state_dict) - known)
    problems = []
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    out: dict[str, np.ndarray] = {}
    for key in keys:
        if key.theirs not in state_dict:
            continue
        arr = as_numpy(state_dict[key.theirs])
        design = np.asarray(key.design(), dtype=np.float64)
        want = key.layout(design.shape)
        if arr.shape != want:
            problems.append(
                f"{key.theirs} has shape {arr.shape}, this configuration needs {want} (built with other arguments?)"
            )
            continue
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)):
            problems.append(f"{key.theirs} is not a finite floating-point array")
            continue
        ours = arr.reshape(design.shape)
        if key.ours is not None and key.ours in trainable:
            if tuple(shapes[key.ours]) != design.shape:
                problems.append(f"{key.theirs}: our {key.ours} has shape {tuple(shapes[key.ours])}, not {design.shape}")
            else:
                out[key.ours] = ours
            continue
        err = relative_errors(ours, design)["rel_max"]
        if not err <= NNAUDIO2_DESIGN_RTOL:
            hint = (
                f"{key.ours} is frozen in this module: build it with the nnAudio2 module's arguments and "
                "the trainable flag to load trained values"
                if key.ours is not None
                else "nnAudio2 never trains it, so the nnAudio2 module was built with other arguments"
            )
            problems.append(
                f"{key.theirs} differs from the value this configuration designs (relative max error "
                f"{err:.2g} > {NNAUDIO2_DESIGN_RTOL:g}); {hint}"
            )
    for name in sorted(trainable - set(out)):
        if not any(k.ours == name and k.theirs in state_dict for k in keys):
            problems.append(f"the trainable {name} has no counterpart in the state dict")
    if problems:
        raise ParameterError(f"cannot load the nnAudio2 state_dict into {spec.name}: " + "; ".join(problems))
    return out
