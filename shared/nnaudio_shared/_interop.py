"""Framework-free half of the interop layer.

* the **transform registry** (:data:`REGISTRY`): one :class:`TransformSpec` per module class that
  exists in both backends; it says how a configuration becomes constructor arguments, how an
  nnAudio2 ``state_dict`` maps onto the module's state, and how ``nnaudio check`` feeds and
  compares the class;
* the **state-file format**: a safetensors file whose tensors are the module's state by dotted
  name (``stft.window``, ``mel_basis``, ...) and whose metadata (key ``"nnaudio"``) is a JSON
  document with the format version, class name, configuration, kernel dtype, trainable names and,
  per tensor, its shape, dtype and SHA-256;
* validation shared by both backends (:func:`check_state`), so files and converted modules are
  checked completely before any module is touched.

What a transform class needs to plug in (conversion, files, ``nnaudio check``, the Linen test):

1. the same class name in ``nnaudio_torch`` and ``nnaudio_jax``, exported from both ``__init__``;
2. ``module.config``: a frozen ``_Config`` dataclass whose ``to_dict()`` is JSON-ready and whose
   keys are constructor argument names (a ``*_kwargs`` dict is spread, like MFCC's
   ``mel_kwargs``), such that ``Class(**to_dict(), dtype=...)`` rebuilds an equal config;
3. a ``dtype=`` constructor argument; all floating-point state in that dtype;
4. identical state names: torch ``state_dict()`` keys == dotted ``nnx.state`` paths, trainable
   state = ``nn.Parameter`` / ``nnx.Param`` and frozen state = buffers / ``nnaudio_jax.Buffer``,
   decided by the configuration alone (no other NNX variable types);
5. one :func:`register` call at the bottom of this file with a small ``example``; plus, when
   needed, ``make_input`` (the module does not take a signal: iSTFT, Griffin-Lim, iCQT),
   ``outputs`` (:func:`octave_outputs` for constant-Q), ``check_kind`` (a row of
   :data:`CHECK_TOLERANCES`), ``sr_arg`` and ``nnaudio2`` (the nnAudio2 state-dict layout).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._cfp import CFPConfig
from ._config import ISTFTConfig, MelSpectrogramConfig, MFCCConfig, STFTConfig
from ._cqt import CQT1992Config, CQT1992v2Config
from ._errors import ParameterError
from ._gammatone import GammatonegramConfig
from ._griffin_lim import GriffinLimConfig
from ._icqt import ICQTConfig
from ._multirate import CQT2010Config, CQT2010v2Config, VQTConfig

__all__ = [
    "CHECK_TOLERANCES",
    "DESIGN_BUDGET_FACTOR",
    "DESIGN_BUDGET_FLOOR",
    "DTYPES",
    "FILE_DESIGN_RTOL",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_N_ITER",
    "MAX_JSON_DEPTH",
    "MAX_METADATA_BYTES",
    "METADATA_KEY",
    "NNAUDIO2_DESIGN_RTOL",
    "REGISTRY",
    "STATE_PROTOCOL",
    "ModuleState",
    "Nnaudio2Key",
    "Tolerance",
    "TransformSpec",
    "build_config",
    "check_file_config",
    "check_state",
    "constructor_kwargs",
    "find_spec",
    "foreign_state",
    "frozen_mismatches",
    "get_spec",
    "nnaudio2_arrays",
    "octave_outputs",
    "read_state_file",
    "register",
    "relative_errors",
    "write_state_file",
]

#: Name and version of the state-file format (the ``"format"``/``"format_version"`` metadata).
FORMAT = "nnaudio-jax-state"
FORMAT_VERSION = 1
#: safetensors metadata key that holds the JSON document.
METADATA_KEY = "nnaudio"
#: Kernel dtypes a module (and a state file) may have.
DTYPES = ("float32", "float64")
#: A frozen nnAudio2 kernel is accepted when ``max|theirs - designed| <= rtol * max|designed|``:
#: nnAudio2 designs in float64 and stores float32 (rounding 6e-8); anything above 1e-5 was trained
#: or built with other arguments.
NNAUDIO2_DESIGN_RTOL = 1e-5

# Limits on state files (untrusted input: every limit is checked before anything is designed).
#: Longest accepted JSON metadata (characters); a custom window of 65 536 samples takes ~1.3 MB.
MAX_METADATA_BYTES = 4 * 2**20
#: Deepest accepted nesting of the JSON metadata (the format needs 4; configurations nest 1 more).
MAX_JSON_DEPTH = 16
#: A file's ``n_iter`` (Griffin-Lim, iCQT) may not exceed this: a call runs ``n_iter`` iterations
#: and a compiled JAX loop cannot be interrupted (10**5 iterations at n_fft=2048 already take
#: minutes). Modules built in code are not limited; ``save`` refuses them above it.
MAX_FILE_N_ITER = 100_000
#: A file's configuration may cost at most ``max(DESIGN_BUDGET_FACTOR * (elements of the file's
#: tensors), DESIGN_BUDGET_FLOOR)`` float64 elements of design (``config.design_size()``, an
#: estimate computed before designing), so a small file cannot make ``load`` allocate gigabytes.
DESIGN_BUDGET_FACTOR = 16
DESIGN_BUDGET_FLOOR = 2**24
#: Frozen (non-trainable) tensors of a file must equal the design of the file's configuration:
#: ``max|file - design| <= FILE_DESIGN_RTOL * max|design|`` per tensor. Both are the same float64
#: NumPy design rounded to the dtype, so they agree to the last bit within one library version;
#: the tolerance only absorbs NumPy/SciPy version differences (1e-6 is ~8 float32 ulps at the
#: peak), far below any edit of the configuration that matters.
FILE_DESIGN_RTOL = 1e-6


# ------------------------------------------------------------------------------------------------
# Tolerances of ``nnaudio check`` (torch vs JAX on the same configuration and signal)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerance:
    """Limits on the error of one output against the other backend's (``None``: not checked).

    ``rel_l2 = ||a - b|| / ||b||``, ``rel_max = max|a - b| / max|b|``, ``abs_max = max|a - b|``.
    """

    rel_l2: float | None = None
    rel_max: float | None = None
    abs_max: float | None = None

    def exceeded(self, errors: Mapping[str, float]) -> list[str]:
        """Return ``'rel_l2 = 3e-06 > 1e-06'``-style descriptions of every limit ``errors`` exceed."""
        out = []
        for name in ("rel_l2", "rel_max", "abs_max"):
            limit = getattr(self, name)
            if limit is not None and not errors[name] <= limit:
                out.append(f"{name} = {errors[name]:.3g} > {limit:.3g}")
        return out

    def describe(self) -> str:
        """``'rel_l2 <= 1e-06, rel_max <= 1e-05'``."""
        return ", ".join(
            f"{name} <= {getattr(self, name):.3g}"
            for name in ("rel_l2", "rel_max", "abs_max")
            if getattr(self, name) is not None
        )


#: Tolerances of ``nnaudio check`` by kind of output and dtype. Torch and JAX compute the same
#: float32 arithmetic with different FFT/GEMM libraries: each is within ~1e-7 (rel. L2) of the
#: float64 result, so 1e-6 leaves a margin of about ten; dB outputs (MFCC) are compared in
#: absolute dB. Waveforms (iSTFT) are relative to the signal.
CHECK_TOLERANCES: dict[str, dict[str, Tolerance]] = {
    "spectral": {"float32": Tolerance(rel_l2=1e-6, rel_max=1e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
    "db": {"float32": Tolerance(abs_max=1e-3), "float64": Tolerance(abs_max=1e-8)},
    "waveform": {"float32": Tolerance(rel_l2=1e-6, rel_max=1e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
    # Griffin-Lim: each iteration feeds the previous rounding back, float32 differences grow with
    # n_iter (measured rel. L2 2.6e-4 after 32 iterations at n_fft=512 on the synthetic signal).
    "iterative": {"float32": Tolerance(rel_l2=2e-3, rel_max=1e-2), "float64": Tolerance(rel_l2=1e-9, rel_max=1e-8)},
    # CFP: powers of the spectrum and cepstrum (g = 0.24, 0.6, 1) and thresholds amplify float32
    # rounding (measured rel. L2 2.7e-6, rel. max 4.7e-6 on the synthetic signal).
    "cfp": {"float32": Tolerance(rel_l2=2e-5, rel_max=5e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
}


def relative_errors(actual: np.ndarray, expected: np.ndarray) -> dict[str, float]:
    """``rel_l2``, ``rel_max`` and ``abs_max`` of ``actual`` against ``expected`` (float64 arithmetic).

    A zero reference gives relative errors of 0 (equal) or ``inf``.
    """
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
            return 0.0 if num == 0.0 else math.inf
        return num / den

    return {"rel_l2": ratio(l2_d, l2_b), "rel_max": ratio(abs_max, max_b), "abs_max": abs_max}


# ------------------------------------------------------------------------------------------------
# nnAudio2 state dicts
# ------------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------
def _decode_generic(config: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``config.to_dict()`` into constructor kwargs (the generic rule).

    A ``*_kwargs`` dict is spread (MFCC's ``mel_kwargs``) and ``norm='inf'`` (how the
    configurations write an infinite norm in JSON) becomes ``math.inf``.
    """
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith("_kwargs") and isinstance(value, Mapping):
            kwargs.update(_decode_generic(value))
        elif key == "norm" and value == "inf":
            kwargs[key] = math.inf
        else:
            kwargs[key] = value
    return kwargs


def _default_outputs(config: Mapping[str, Any], out: Any) -> dict[str, np.ndarray]:
    if isinstance(out, (tuple, list)):
        return {f"output {i}": np.asarray(o) for i, o in enumerate(out)}
    return {"output": np.asarray(out)}


def octave_outputs(config: Mapping[str, Any], out: Any) -> dict[str, np.ndarray]:
    """Split a constant-Q output into the whole output and one part per octave (``outputs`` hook).

    Uses ``config['bins_per_octave']`` and ``config['fmin']``; the bin axis is ``-2``, or ``-3``
    when the output has a trailing (real, imag) / (cos, sin) axis of size 2 (``output_format``
    ``'Complex'`` or ``'Phase'``).
    """
    out = np.asarray(out)
    bpo, fmin = int(config["bins_per_octave"]), float(config["fmin"])
    pair = config.get("output_format") in ("Complex", "Phase") and out.ndim >= 3 and out.shape[-1] == 2
    axis = out.ndim - (3 if pair else 2)
    groups = {"output": out}
    for start in range(0, out.shape[axis], bpo):
        stop = min(start + bpo, out.shape[axis])
        f0 = fmin * 2.0 ** (start / bpo)
        groups[f"octave {start // bpo + 1} (from {f0:.5g} Hz, bins {start}-{stop - 1})"] = np.take(
            out, np.arange(start, stop), axis=axis
        )
    return groups


def _signal_input(config: Mapping[str, Any], y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    return y, {}


def _numpy_stft(y: np.ndarray, cfg: Any) -> np.ndarray:
    """Complex STFT ``(..., n_fft // 2 + 1, frames)`` of ``y`` for ``cfg`` (reflect-padded if centred)."""
    n_fft, hop = cfg.n_fft, int(cfg.hop_length)
    y = np.asarray(y, dtype=np.float64)
    x = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode="reflect") if cfg.center else y
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop, :]
    return np.swapaxes(np.fft.rfft(frames * cfg.window_array(), axis=-1), -1, -2)


def _stft_input(config: Mapping[str, Any], y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Make the iSTFT input: the (real, imag) STFT of ``y`` for the configuration's window and hop."""
    spec = _numpy_stft(y, ISTFTConfig(**_decode_generic(config)))
    return np.stack([spec.real, spec.imag], axis=-1), {"length": np.shape(y)[-1]}


def _magnitude_input(config: Mapping[str, Any], y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Make the Griffin-Lim input: the magnitude STFT of ``y`` for the configuration's window and hop."""
    from ._griffin_lim import GriffinLimConfig

    magnitude = np.abs(_numpy_stft(y, GriffinLimConfig(**_decode_generic(config))))
    # init='random' draws the same (librosa's) phase in both backends: no init_phase needed
    return magnitude, {"length": np.shape(y)[-1]}


def _cqt_input(config: Mapping[str, Any], y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Make the iCQT input: the (real, imag) full-rate CQT of a 1-D ``y`` with the configuration's kernels."""
    from ._icqt import ICQTConfig

    cfg = ICQTConfig(**_decode_generic(config))
    kernels, scale, width, hop = cfg.kernels(), cfg.scale(), cfg.width, cfg.hop_length
    y = np.asarray(y, dtype=np.float64)
    x = np.pad(y, width // 2, mode="reflect") if cfg.center else y
    starts = np.arange(cfg.n_frames(y.shape[-1])) * hop + width // 2  # frame centres in x
    out = np.empty((cfg.n_bins, starts.size), dtype=np.complex128)
    for k, (kern, off) in enumerate(zip(kernels.kernels, kernels.offsets, strict=True)):
        idx = starts[:, None] + int(off) + np.arange(kern.shape[0])
        out[k] = scale[k] * (x[idx] @ np.conj(kern))
    return np.stack([out.real, out.imag], axis=-1), {"length": y.shape[-1]}


@dataclass(frozen=True)
class TransformSpec:
    """How the interop layer handles one module class (same name in both backends).

    Parameters
    ----------
    name : str
        The class name, e.g. ``'MelSpectrogram'`` (``nnaudio_torch.<name>``, ``nnaudio_jax.<name>``).
    example : dict
        A small configuration (constructor keywords) used by the tests (check, Linen bridge,
        state files) and as a documentation example.
    aliases : tuple of str
        Extra names accepted by ``nnaudio check --transform`` (case-insensitive).
    nnaudio2 : callable (config object) -> list of Nnaudio2Key, or None
        The nnAudio2 ``state_dict`` layout of this class (``None``: not supported).
    check_kind : str
        Row of :data:`CHECK_TOLERANCES` used by ``nnaudio check``.
    make_input : callable (config dict, signal) -> (module input, call kwargs)
        Turns the check signal ``(time,)`` into the module's input (default: the signal itself).
    outputs : callable (config dict, output) -> dict of name -> array
        Splits an output into the parts the check reports (default: one part; tuples are
        numbered; :func:`octave_outputs` for constant-Q transforms).
    sr_arg : str or None
        Constructor argument holding the sampling rate, set from an audio file's rate.
    config : callable (**config dict) -> configuration object, or None
        The configuration class (``type(module.config)``), built from a file's configuration
        before any module to check the declared state shapes and the design cost
        (``state_shapes()``, ``design_size()``); every registered class has one.
    free_ints : tuple of str
        Integer configuration fields that size no array (hops, iteration counts, seeds); every
        other integer of a file's configuration may not exceed the number of elements of its
        state (or 1024), which bounds what validating the configuration allocates.
    """

    name: str
    example: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    nnaudio2: Callable[[Any], list[Nnaudio2Key]] | None = None
    check_kind: str = "spectral"
    make_input: Callable[[Mapping[str, Any], np.ndarray], tuple[np.ndarray, dict[str, Any]]] = _signal_input
    outputs: Callable[[Mapping[str, Any], Any], dict[str, np.ndarray]] = _default_outputs
    sr_arg: str | None = "sr"
    config: Callable[..., Any] | None = None
    free_ints: tuple[str, ...] = ("hop_length",)


#: Every class the interop layer (conversion, state files, nnAudio2 loading, ``nnaudio check``)
#: knows, by class name. The test suite iterates over it.
REGISTRY: dict[str, TransformSpec] = {}


def register(spec: TransformSpec) -> TransformSpec:
    """Add ``spec`` to :data:`REGISTRY` (replacing an entry of the same name) and return it."""
    if spec.check_kind not in CHECK_TOLERANCES:
        raise ParameterError(f"check_kind={spec.check_kind!r} is invalid: must be one of {sorted(CHECK_TOLERANCES)}")
    REGISTRY[spec.name] = spec
    return spec


def get_spec(name: str) -> TransformSpec:
    """Return the registry entry of class ``name``; :class:`ParameterError` if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"{name!r} is not a transform known to the interop layer: known are {sorted(REGISTRY)}"
        ) from None


def find_spec(name: str) -> TransformSpec:
    """Look ``name`` up among class names and aliases, ignoring case."""
    wanted = name.lower()
    for spec in REGISTRY.values():
        if wanted == spec.name.lower() or wanted in (a.lower() for a in spec.aliases):
            return spec
    names = sorted(REGISTRY) + sorted(a for s in REGISTRY.values() for a in s.aliases)
    raise ParameterError(f"transform={name!r} is invalid: must be one of {', '.join(names)} (any case)")


def constructor_kwargs(name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the constructor keyword arguments that rebuild a ``name`` module from ``config``.

    ``config`` keys are constructor arguments, except a ``*_kwargs`` dict, which is spread (MFCC's
    ``mel_kwargs``); ``name`` must be registered.
    """
    get_spec(name)
    return _decode_generic(config)


# ------------------------------------------------------------------------------------------------
# Module state and state files
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleState:
    """Everything that defines a module, independent of the backend.

    Attributes
    ----------
    class_name : str
    config : dict
        JSON-ready ``module.config.to_dict()``.
    dtype : {'float32', 'float64'}
        Kernel dtype; every floating-point array has it.
    trainable : frozenset of str
        Names of the trainable state (``nn.Parameter`` / ``nnx.Param``); the rest is frozen.
    arrays : dict of str -> np.ndarray
        Every state array by dotted name (private copies).
    """

    class_name: str
    config: dict[str, Any]
    dtype: str
    trainable: frozenset[str]
    arrays: dict[str, np.ndarray]


#: The neutral state protocol: ``module.__nnaudio_state__()`` returns its :class:`ModuleState`.
STATE_PROTOCOL = "__nnaudio_state__"


def foreign_state(module: Any, package: str) -> ModuleState:
    """Return the :class:`ModuleState` of a transform of another backend through the state protocol.

    A backend converts the other's modules with this, without importing it: every transform class
    implements ``__nnaudio_state__()``, as arrays implement ``__dlpack__``.

    Parameters
    ----------
    module : object
        The module to convert.
    package : str
        The backend it must come from, ``'nnaudio_torch'`` or ``'nnaudio_jax'``.

    Raises
    ------
    ParameterError
        If ``module`` is not a transform of ``package`` implementing the protocol.
    """
    cls = type(module)
    if cls.__module__.split(".")[0] != package or not callable(getattr(cls, STATE_PROTOCOL, None)):
        raise ParameterError(
            f"module={cls.__module__}.{cls.__name__} is invalid: expected an {package} transform module"
        )
    state = getattr(module, STATE_PROTOCOL)()
    if not isinstance(state, ModuleState):
        raise ParameterError(f"{cls.__name__}.{STATE_PROTOCOL}() returned {type(state).__name__}, not a ModuleState")
    return state


def jsonable(value: Any) -> Any:
    """``value`` with NumPy arrays/scalars and tuples turned into JSON types (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf' / 'nan'; strict JSON has no such numbers
    return value


def config_dict(module: Any) -> dict[str, Any]:
    """JSON-ready configuration of ``module`` (its ``config.to_dict()``)."""
    cfg = getattr(module, "config", None)
    if cfg is None or not hasattr(cfg, "to_dict"):
        raise ParameterError(f"{type(module).__name__} has no .config with to_dict(): not an nnaudio module")
    out = jsonable(cfg.to_dict())
    assert isinstance(out, dict)
    return out


def _is_float(arr: np.ndarray) -> bool:
    return bool(np.issubdtype(arr.dtype, np.floating))


def dtype_of(arrays: Mapping[str, np.ndarray], what: str) -> str:
    """Return the one kernel dtype of the floating-point ``arrays`` (``'float32'``/``'float64'``).

    Non-floating state (integer indices, ...) is allowed and ignored here.

    Raises
    ------
    ParameterError
        If the floating-point state has several dtypes or another one.
    """
    kinds = sorted({np.dtype(a.dtype).name for a in arrays.values() if _is_float(a)}) or ["float32"]
    if len(kinds) != 1 or kinds[0] not in DTYPES:
        raise ParameterError(
            f"{what} has state of dtype(s) {kinds}: the interop layer needs one kernel dtype, float32 "
            "or float64 (convert the module with .float() / .double() or rebuild it with dtype=...)"
        )
    return kinds[0]


def frozen_mismatches(state: ModuleState, reference: Mapping[str, np.ndarray], trainable: Iterable[str]) -> list[str]:
    """Describe every frozen array of ``state`` that differs from the design in ``reference``.

    A frozen (non-trainable) array must equal the value a module freshly built from the
    configuration holds: ``max|a - design| <= FILE_DESIGN_RTOL * max|design|`` (exact equality
    for a zero or non-floating design). Arrays whose shape or dtype differ are left to
    :func:`check_state`.
    """
    trainable = set(trainable)
    out = []
    for name in sorted(set(state.arrays) & set(reference) - trainable):
        arr, ref = state.arrays[name], np.asarray(reference[name])
        if tuple(arr.shape) != tuple(ref.shape) or arr.dtype != ref.dtype:
            continue
        if not _is_float(ref):
            if not np.array_equal(arr, ref):
                out.append(f"{name} differs from the design")
            continue
        a, b = arr.astype(np.float64), ref.astype(np.float64)
        peak = float(np.max(np.abs(b))) if b.size else 0.0
        err = float(np.max(np.abs(a - b))) if b.size else 0.0
        if not err <= FILE_DESIGN_RTOL * peak and not (peak == 0.0 and err == 0.0):
            rel = err / peak if peak > 0 else math.inf
            out.append(
                f"the frozen {name} differs from the design of the configuration (relative max error "
                f"{rel:.2g} > {FILE_DESIGN_RTOL:g})"
            )
    return out


def check_state(
    state: ModuleState,
    *,
    reference: Mapping[str, np.ndarray],
    trainable: Iterable[str],
    what: str,
    design: bool = False,
) -> None:
    """Check ``state`` against a freshly built module's state (names, shapes, dtypes, trainability).

    Parameters
    ----------
    state : ModuleState
        What is to be loaded.
    reference : mapping of name -> array
        The state of a module freshly built from ``state.config`` with ``state.dtype``.
    trainable : iterable of str
        That module's trainable names.
    what : str
        Prefix of the error message.
    design : bool
        Also require every frozen array to equal the design (:func:`frozen_mismatches`): state
        files, whose frozen tensors must be what their configuration says. Conversions of live
        modules (``from_torch``/``from_jax``) copy the state as it is.

    Raises
    ------
    ParameterError
        Listing missing and unexpected names, shape mismatches, dtype mismatches,
        trainability mismatches and (``design=True``) frozen arrays that differ from the design.
    """
    problems = []
    missing, extra = sorted(set(reference) - set(state.arrays)), sorted(set(state.arrays) - set(reference))
    if missing:
        problems.append(f"missing state {missing}")
    if extra:
        problems.append(f"unexpected state {extra}")
    for name in sorted(set(reference) & set(state.arrays)):
        arr, ref = state.arrays[name], reference[name]
        if tuple(arr.shape) != tuple(ref.shape):
            problems.append(f"{name} has shape {tuple(arr.shape)}, the configuration gives {tuple(ref.shape)}")
        if arr.dtype != ref.dtype:
            problems.append(f"{name} has dtype {arr.dtype.name}, the module has {ref.dtype.name}")
    trainable = set(trainable)
    if set(state.trainable) != trainable:
        problems.append(
            f"trainable state {sorted(state.trainable)} differs from the configuration's {sorted(trainable)}"
        )
    if design and not problems:
        problems += frozen_mismatches(state, reference, trainable)
    if problems:
        raise ParameterError(f"{what}: " + "; ".join(problems))


def canonical_config(config: Mapping[str, Any]) -> str:
    """Return the JSON text of a configuration (sorted keys): equal texts mean equal values and types."""
    return json.dumps(jsonable(config), sort_keys=True, allow_nan=False)


def build_config(spec: TransformSpec, config: Mapping[str, Any], *, what: str) -> Any:
    """Build the configuration object of ``spec`` from a JSON configuration (no kernel is designed).

    Raises
    ------
    ParameterError
        If the configuration is invalid (any error of the configuration class becomes one).
    """
    if spec.config is None:
        raise ParameterError(f"{what}: {spec.name} declares no configuration class")
    kwargs = {k: (math.inf if k == "norm" and v == "inf" else v) for k, v in config.items()}
    try:
        return spec.config(**kwargs)
    except ParameterError as e:
        raise ParameterError(f"{what}: the configuration does not build a {spec.name}: {e}") from None
    except Exception as e:  # untrusted values: TypeError, OverflowError, ... all mean "invalid"
        raise ParameterError(
            f"{what}: the configuration does not build a {spec.name}: {type(e).__name__}: {e}"
        ) from None


def _integers(config: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``(dotted key, value)`` of every integer (not bool) in a JSON configuration, without recursion."""
    out = []
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{key}.{k}" if key else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
        elif type(value) is int:
            out.append((key, value))
    return out


def check_file_config(
    spec: TransformSpec, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]], *, what: str
) -> None:
    """Check a state file's configuration against its declared tensor shapes before designing anything.

    In order, each step bounded by the previous one:

    1. every integer of the configuration that sizes an array (all but ``spec.free_ints``) is at
       most ``max(elements of the declared state, 1024)``, and ``n_iter`` at most
       :data:`MAX_FILE_N_ITER` (so validating the configuration allocates little);
    2. the configuration object is built (validation only) and its ``state_shapes()`` equal the
       declared names and shapes (``-1``: any length);
    3. its ``design_size()`` is within ``max(DESIGN_BUDGET_FACTOR * declared elements,
       DESIGN_BUDGET_FLOOR)``.

    Raises
    ------
    ParameterError
        Naming the field or tensor and the limit.
    """
    elements = sum(math.prod(s) for s in shapes.values())
    limit = max(elements, 1024)
    for key, value in _integers(config):
        field_name = key.rsplit(".", 1)[-1]
        if field_name == "n_iter" and value > MAX_FILE_N_ITER:
            raise ParameterError(
                f"{what}: n_iter={value} is invalid in a state file: at most {MAX_FILE_N_ITER} iterations "
                "(build the module in code for more)"
            )
        if field_name not in spec.free_ints and abs(value) > limit:
            raise ParameterError(
                f"{what}: the configuration's {key}={value} is invalid: larger than the {elements} elements of the "
                f"file's state (at most {limit}), so it cannot describe this state"
            )
    cfg = build_config(spec, config, what=what)
    want = cfg.state_shapes()
    problems = []
    missing, extra = sorted(set(want) - set(shapes)), sorted(set(shapes) - set(want))
    if missing:
        problems.append(f"missing state {missing}")
    if extra:
        problems.append(f"unexpected state {extra}")
    for name in sorted(set(want) & set(shapes)):
        w, got = tuple(want[name]), tuple(shapes[name])
        if len(w) != len(got) or any(a != -1 and a != b for a, b in zip(w, got, strict=False)):
            problems.append(f"{name} has shape {got}, the configuration gives {w}")
    if problems:
        raise ParameterError(f"{what}: " + "; ".join(problems))
    cost, budget = cfg.design_size(), max(DESIGN_BUDGET_FACTOR * elements, DESIGN_BUDGET_FLOOR)
    if cost > budget:
        raise ParameterError(
            f"{what}: the configuration's design needs about {cost} float64 values, more than the budget of "
            f"{budget} for a state of {elements} elements (max({DESIGN_BUDGET_FACTOR} x state, "
            f"{DESIGN_BUDGET_FLOOR})): refused before designing"
        )


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def write_state_file(path: str | os.PathLike[str], state: ModuleState, *, version: str = "") -> None:
    """Write ``state`` as a safetensors file with JSON metadata, atomically.

    The file is serialised in memory, written to a unique temporary file in the target's
    directory, flushed to disk (``fsync``) and renamed over ``path`` (``os.replace``): readers
    see the old file or the new one, never a torn one; of concurrent writers the last rename wins.

    Raises
    ------
    ParameterError
        If ``state`` would make a file that :func:`read_state_file` refuses (its configuration
        exceeds a file limit, see :func:`check_file_config`).
    """
    from safetensors.numpy import save

    spec = get_spec(state.class_name)
    arrays = {k: np.ascontiguousarray(v) for k, v in state.arrays.items()}
    path = os.fspath(path)
    check_file_config(
        spec, jsonable(state.config), {k: tuple(v.shape) for k, v in arrays.items()}, what=f"cannot save {path!r}"
    )
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": version,
        "class": state.class_name,
        "config": jsonable(state.config),
        "dtype": state.dtype,
        "trainable": sorted(state.trainable),
        "state": {
            k: {"shape": list(v.shape), "dtype": np.dtype(v.dtype).name, "sha256": _sha256(v)}
            for k, v in sorted(arrays.items())
        },
    }
    text = json.dumps(meta, sort_keys=True, allow_nan=False)
    if len(text) > MAX_METADATA_BYTES:
        raise ParameterError(
            f"cannot save {path!r}: the metadata has {len(text)} characters, more than the "
            f"{MAX_METADATA_BYTES} a state file may have (a custom window too long?)"
        )
    data = save(arrays, metadata={METADATA_KEY: text})
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename durable (POSIX; not possible on Windows)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _fail(path: str, reason: str) -> ParameterError:
    return ParameterError(f"cannot load {path!r}: {reason}")


def _expect(cond: bool, path: str, reason: str) -> None:
    if not cond:
        raise _fail(path, reason)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in a JSON text (strings skipped), computed without recursion."""
    skeleton = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    b = np.frombuffer(skeleton, dtype=np.uint8)
    step = np.isin(b, (ord("["), ord("{"))).astype(np.int64) - np.isin(b, (ord("]"), ord("}")))
    return int(np.max(np.cumsum(step), initial=0))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float64")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(int(text)) > 2**63 - 1:
        raise ValueError(f"the integer {text[:30]}{'...' if len(text) > 30 else ''} exceeds 64 bits")
    return int(text)


def parse_metadata(text: Any, path: str) -> dict[str, Any]:
    """Parse the JSON metadata of a state file with bounded size, depth and numbers; check its schema.

    Every field's type is checked exactly (``true`` is not an integer, shapes are lists of
    non-negative integers, names are strings) and no field may be missing or unknown.
    """
    _expect(isinstance(text, str), path, "the metadata is not a string")
    _expect(
        len(text) <= MAX_METADATA_BYTES,
        path,
        f"the metadata has {len(text)} characters, more than the {MAX_METADATA_BYTES} allowed",
    )
    depth = _json_depth(text)
    _expect(depth <= MAX_JSON_DEPTH, path, f"the metadata nests {depth} levels deep, more than {MAX_JSON_DEPTH}")
    try:
        meta = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except (ValueError, RecursionError) as e:
        raise _fail(path, f"the metadata is not valid JSON ({e})") from None
    _expect(
        isinstance(meta, dict) and meta.get("format") == FORMAT, path, f"the metadata is not in the {FORMAT!r} format"
    )
    version = meta.get("format_version")
    _expect(
        type(version) is int and version == FORMAT_VERSION,
        path,
        f"format_version={version!r} is not supported (this library reads version {FORMAT_VERSION})",
    )
    schema = {
        "format": str,
        "format_version": int,
        "library_version": str,
        "class": str,
        "config": dict,
        "dtype": str,
        "trainable": list,
        "state": dict,
    }
    unknown = sorted(set(meta) - set(schema))
    _expect(not unknown, path, f"unknown metadata fields {unknown}")
    for key, kind in schema.items():
        _expect(type(meta.get(key)) is kind, path, f"metadata field {key!r} is missing or not a {kind.__name__}")
    trainable = meta["trainable"]
    _expect(
        all(type(t) is str for t in trainable) and len(set(trainable)) == len(trainable),
        path,
        "metadata field 'trainable' must list distinct state names (strings)",
    )
    for key, entry in meta["state"].items():
        _expect(type(entry) is dict, path, f"metadata of {key!r} is not an object")
        _expect(
            set(entry) == {"shape", "dtype", "sha256"},
            path,
            f"metadata of {key!r} must have exactly the fields shape, dtype, sha256 (has {sorted(entry)})",
        )
        shape = entry["shape"]
        _expect(
            type(shape) is list and all(type(d) is int and d >= 0 for d in shape),
            path,
            f"metadata of {key!r}: shape={shape!r} is not a list of non-negative integers",
        )
        _expect(type(entry["dtype"]) is str, path, f"metadata of {key!r}: dtype is not a string")
        sha = entry["sha256"]
        _expect(
            type(sha) is str and re.fullmatch(r"[0-9a-f]{64}", sha) is not None,
            path,
            f"metadata of {key!r}: sha256 is not 64 lowercase hex digits",
        )
    return meta


def read_state_file(path: str | os.PathLike[str], *, expected: str | None = None) -> ModuleState:
    """Read and validate a state file (format, metadata schema, tensors against metadata, hashes).

    Parameters
    ----------
    path : str or path-like
    expected : str or None
        Class name the file must hold.

    Returns
    -------
    ModuleState

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ParameterError
        If the file is not a complete, consistent state file of this format (truncated, corrupt,
        foreign, edited metadata or tensors), holds another class than ``expected``, or its
        configuration does not describe its tensors or exceeds a file limit
        (:func:`check_file_config`). Nothing is designed before these checks pass.

    Notes
    -----
    Files are untrusted input: the metadata is bounded (:data:`MAX_METADATA_BYTES`,
    :data:`MAX_JSON_DEPTH`, 64-bit integers, finite numbers) and typed exactly; the tensors
    must match their declared shapes, dtypes and SHA-256. The frozen tensors are compared with
    the configuration's design by the backends' ``load`` (:func:`check_state` with ``design``).
    """
    from safetensors import safe_open

    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"no such state file: {p!r}")
    try:
        with safe_open(p, framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except Exception as e:  # safetensors raises its own SafetensorError, OSError, ValueError...
        raise _fail(p, f"not a readable safetensors file ({e})") from None
    _expect(METADATA_KEY in metadata, p, f"no {METADATA_KEY!r} metadata: not written by nnaudio save()")
    meta = parse_metadata(metadata[METADATA_KEY], p)
    name = meta["class"]
    try:
        spec = get_spec(name)
    except ParameterError as e:
        raise _fail(p, str(e)) from None
    if expected is not None and name != expected:
        raise _fail(p, f"the file holds a {name}, not a {expected}")
    dtype = meta["dtype"]
    _expect(dtype in DTYPES, p, f"dtype={dtype!r} is invalid: must be one of {DTYPES}")
    trainable = meta["trainable"]
    declared: dict[str, Any] = meta["state"]
    missing, extra = sorted(set(declared) - set(tensors)), sorted(set(tensors) - set(declared))
    _expect(not missing, p, f"tensors {missing} are declared in the metadata but missing")
    _expect(not extra, p, f"tensors {extra} are not declared in the metadata")
    _expect(
        set(trainable) <= set(declared),
        p,
        f"trainable names {sorted(set(trainable) - set(declared))} are not in the state",
    )
    for key, arr in tensors.items():
        entry = declared[key]
        _expect(
            list(arr.shape) == entry["shape"],
            p,
            f"{key} has shape {list(arr.shape)}, metadata says {entry['shape']}",
        )
        _expect(
            arr.dtype.name == entry["dtype"], p, f"{key} has dtype {arr.dtype.name}, metadata says {entry['dtype']}"
        )
        _expect(
            not _is_float(arr) or arr.dtype.name == dtype, p, f"{key} has dtype {arr.dtype.name}, the module {dtype}"
        )
        _expect(_sha256(arr) == entry["sha256"], p, f"{key} does not match its SHA-256 (corrupted data)")
        _expect(not _is_float(arr) or bool(np.all(np.isfinite(arr))), p, f"{key} contains NaN or Inf")
    check_file_config(spec, meta["config"], {k: tuple(v.shape) for k, v in tensors.items()}, what=f"cannot load {p!r}")
    return ModuleState(name, meta["config"], dtype, frozenset(trainable), {k: np.array(v) for k, v in tensors.items()})


# ------------------------------------------------------------------------------------------------
# The registered classes. A new class: register(TransformSpec("Name", example={...}, ...)).
# ------------------------------------------------------------------------------------------------
register(TransformSpec("STFT", example=dict(n_fft=256, hop_length=64), nnaudio2=_nn2_stft, config=STFTConfig))
register(
    TransformSpec(
        "iSTFT",
        example=dict(n_fft=256, hop_length=64),
        check_kind="waveform",
        make_input=_stft_input,
        config=ISTFTConfig,
    )
)
register(
    TransformSpec(
        "MelSpectrogram",
        example=dict(sr=8000, n_fft=256, hop_length=64, n_mels=32),
        aliases=("mel",),
        nnaudio2=_nn2_mel,
        config=MelSpectrogramConfig,
    )
)
register(
    TransformSpec(
        "MFCC",
        example=dict(sr=8000, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13),
        nnaudio2=_nn2_mfcc,
        check_kind="db",
        config=MFCCConfig,
    )
)
register(
    TransformSpec(
        "Gammatonegram",
        example=dict(sr=8000, n_fft=256, hop_length=64, n_bins=32),
        aliases=("gammatone",),
        nnaudio2=_nn2_gammatone,
        config=GammatonegramConfig,
    )
)
register(
    TransformSpec(
        "Griffin_Lim",
        example=dict(n_fft=256, hop_length=64, n_iter=4),
        aliases=("griffinlim",),
        check_kind="iterative",
        make_input=_magnitude_input,
        sr_arg=None,
        config=GriffinLimConfig,
        free_ints=("hop_length", "n_iter", "random_state"),
    )
)
register(
    TransformSpec(
        "CFP", example=dict(fs=8000, hop_length=80, window_size=513), sr_arg="fs", check_kind="cfp", config=CFPConfig
    )
)
register(
    TransformSpec(
        "Combined_Frequency_Periodicity",
        example=dict(fs=8000, hop_length=80, window_size=513),
        sr_arg="fs",
        check_kind="cfp",
        config=CFPConfig,
    )
)
register(
    TransformSpec(
        "CQT1992v2",
        example=dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24),
        aliases=("cqt",),
        outputs=octave_outputs,
        config=CQT1992v2Config,
    )
)
register(
    TransformSpec(
        "CQT1992",
        example=dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24),
        outputs=octave_outputs,
        config=CQT1992Config,
    )
)
for _name, _config in (("CQT2010", CQT2010Config), ("CQT2010v2", CQT2010v2Config), ("VQT", VQTConfig)):
    register(
        TransformSpec(
            _name,
            example=dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24),
            outputs=octave_outputs,
            config=_config,
        )
    )
register(
    TransformSpec(
        "iCQT",
        example=dict(sr=8000, hop_length=64, fmin=200.0, n_bins=24, n_iter=4),
        check_kind="iterative",
        make_input=_cqt_input,
        config=ICQTConfig,
        free_ints=("hop_length", "n_iter"),
    )
)
