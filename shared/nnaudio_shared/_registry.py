"""The transform registry (:data:`REGISTRY`), framework-free half of the interop layer.

One :class:`TransformSpec` per module class that exists in both backends: how a configuration
becomes constructor arguments, how an nnAudio2 ``state_dict`` maps onto the module's state
(:mod:`._nnaudio2_keys`), and how ``nnaudio check`` feeds and compares the class. The module
state and its validation are in :mod:`._module_state`, the state-file format in
:mod:`._state_file`, the ``nnaudio check`` tolerances in ``nnaudio_cli._tolerances``.

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
   ``outputs`` (:func:`octave_outputs` for constant-Q), ``check_kind`` (one of
   :data:`CHECK_KINDS`), ``sr_arg`` and ``nnaudio2`` (the nnAudio2 state-dict layout).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
from ._nnaudio2_keys import Nnaudio2Key, _nn2_gammatone, _nn2_mel, _nn2_mfcc, _nn2_stft

__all__ = [
    "CHECK_KINDS",
    "REGISTRY",
    "TransformSpec",
    "constructor_kwargs",
    "find_spec",
    "get_spec",
    "octave_outputs",
    "register",
]

#: Kinds of output a class declares (``TransformSpec.check_kind``); ``nnaudio check`` has a row
#: of tolerances for each (``nnaudio_cli._tolerances.CHECK_TOLERANCES``): ``'spectral'``
#: (spectrogram-like, relative), ``'db'`` (MFCC, absolute dB), ``'waveform'`` (iSTFT, relative to
#: the signal), ``'iterative'`` (Griffin-Lim, iCQT: iterations amplify rounding), ``'cfp'``
#: (powers and thresholds of the spectrum and cepstrum).
CHECK_KINDS = ("spectral", "db", "waveform", "iterative", "cfp")


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
        Kind of output, one of :data:`CHECK_KINDS` (its row of ``nnaudio check``'s tolerances).
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
    if spec.check_kind not in CHECK_KINDS:
        raise ParameterError(f"check_kind={spec.check_kind!r} is invalid: must be one of {sorted(CHECK_KINDS)}")
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
