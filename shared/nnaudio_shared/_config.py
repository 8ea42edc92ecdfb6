"""Validated, resolved configurations of every transform.

Each backend's module builds one of these from its constructor arguments, so argument checking,
default resolution (``win_length=None`` -> ``n_fft`` ...) and error messages are written once.
The configurations are frozen dataclasses; :meth:`to_dict` gives JSON-ready metadata.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import scipy.signal

from ._dct import dct_matrix
from ._errors import ParameterError
from ._fourier import FourierKernels, fourier_kernels, istft_kernels
from ._mel import mel_filterbank
from ._validate import check_bool, check_choice, check_float, check_int, check_optional_float
from ._windows import WindowSpec, check_window_spec, get_window, pad_center

if TYPE_CHECKING:
    from ._chunks import FrameGeometry

__all__ = [
    "ISTFTConfig",
    "MFCCConfig",
    "MelSpectrogramConfig",
    "OutputFormat",
    "PadMode",
    "STFTConfig",
    "StateEntry",
    "check_signal_length",
    "n_frames",
]

OutputFormat = Literal["Magnitude", "Complex", "Phase"]
PadMode = Literal["constant", "reflect"]
_OUTPUT_FORMATS = ("Magnitude", "Complex", "Phase")
_PAD_MODES = ("constant", "reflect")
_FREQ_SCALES = ("no", "linear", "log", "log2")


def _window_for_json(window: Any) -> Any:
    if isinstance(window, np.ndarray):
        return window.tolist()
    if isinstance(window, tuple):
        return list(window)
    return window


def _check_window(window: Any, win_length: int) -> WindowSpec:
    window = check_window_spec(window)  # a list becomes a tuple (JSON form) or a float64 array
    get_window(window, win_length)  # raises ParameterError if unusable
    if isinstance(window, np.ndarray):
        window = np.array(window, dtype=np.float64)
        window.setflags(write=False)
    return window


def _resolve_hop(hop_length: Any, win_length: int) -> int:
    if hop_length is None:
        hop = win_length // 4
        if hop < 1:
            raise ParameterError(
                f"hop_length=None resolves to win_length // 4 = {hop} for win_length={win_length}; "
                "pass hop_length >= 1 explicitly"
            )
        return hop
    return check_int("hop_length", hop_length, minimum=1)


def _check_band(name_lo: str, fmin: Any, name_hi: str, fmax: Any, sr: float, *, positive: bool) -> tuple[float, float]:
    fmin = check_float(name_lo, fmin, minimum=0.0, strict_min=positive)
    fmax = check_float(name_hi, fmax, minimum=0.0, strict_min=True)
    if fmax > sr / 2:
        raise ParameterError(f"{name_hi}={fmax!r} is invalid: must be <= sr / 2 = {sr / 2} (Nyquist)")
    if fmin >= fmax:
        raise ParameterError(f"{name_lo}={fmin!r} is invalid: must be < {name_hi}={fmax!r}")
    return fmin, fmax


def prefixed(prefix: str, shapes: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """``shapes`` with ``prefix`` before every name (the state of a nested module)."""
    return {prefix + k: v for k, v in shapes.items()}


@dataclass(frozen=True)
class StateEntry:
    """One array of a module's state, as its configuration declares it (see :meth:`_Config.state_spec`).

    Attributes
    ----------
    name : str
        Dotted state name, the checkpoint key: torch ``state_dict()`` key and ``nnx.state`` path
        (``'mel_basis'``, ``'stft.wcos'``).
    shape : tuple of int
        Its shape; a dimension of ``-1`` is known only after the design (packed kernels).
    trainable : bool
        ``nn.Parameter`` / ``nnx.Param`` when ``True``; a buffer / ``nnaudio_jax.Buffer`` otherwise.
    nonnegative : bool
        Non-negative by construction (a filterbank of a power spectrogram): training helpers
        (``project_nonnegative``) clamp it at zero when it is trainable.
    dtype_kind : {'f'}
        NumPy dtype kind: every state array is floating point, in the module's kernel dtype.
    design : callable () -> np.ndarray or None
        The float64 design of the initial value (computed when called; compared by name only).
    """

    name: str
    shape: tuple[int, ...]
    trainable: bool = False
    nonnegative: bool = False
    dtype_kind: Literal["f"] = "f"
    design: Callable[[], np.ndarray] | None = field(default=None, compare=False, repr=False)


def prefixed_spec(prefix: str, entries: Sequence[StateEntry]) -> tuple[StateEntry, ...]:
    """``entries`` with ``prefix`` before every name (the declaration of a nested module)."""
    return tuple(dataclasses.replace(e, name=prefix + e.name) for e in entries)


def frames_of(
    hop_length: int, n_fft: int, center: bool, output_format: str, global_top_db: float | None = None
) -> FrameGeometry:
    """Return the :class:`~nnaudio_shared._chunks.FrameGeometry` of a framewise output (``'Complex'``: frames at axis -2)."""
    from ._chunks import FrameGeometry  # _chunks imports this module

    frame_axis = -2 if output_format == "Complex" else -1
    return FrameGeometry(int(hop_length), int(n_fft), bool(center), frame_axis, global_top_db)


def n_frames(n_samples: int, *, n_fft: int, hop_length: int, center: bool) -> int:
    """Return the number of STFT frames for a signal of ``n_samples`` samples."""
    padded = n_samples + 2 * (n_fft // 2) if center else n_samples
    return 1 + (padded - n_fft) // hop_length


def check_signal_length(n_samples: int, *, n_fft: int, center: bool, pad_mode: str, name: str = "x") -> None:
    """Raise :class:`ParameterError` if a signal of ``n_samples`` cannot be framed.

    Empty signals are always rejected; ``center=False`` needs at least ``n_fft`` samples;
    ``pad_mode='reflect'`` needs more than ``n_fft // 2`` samples (reflection cannot pad wider
    than the signal).
    """
    if n_samples < 1:
        raise ParameterError(f"{name} is empty (0 samples along the last axis): nothing to transform")
    if not center and n_samples < n_fft:
        raise ParameterError(
            f"{name} has {n_samples} samples, fewer than n_fft={n_fft}, and center=False: "
            "pass a longer signal or use center=True"
        )
    if center and pad_mode == "reflect" and n_samples <= n_fft // 2:
        raise ParameterError(
            f"{name} has {n_samples} samples: pad_mode='reflect' needs more than n_fft // 2 = "
            f"{n_fft // 2} samples; pass a longer signal or pad_mode='constant'"
        )


class _Config:
    """Mixin: JSON-ready metadata, and equality/hash by value.

    Modules keep their configuration as static pytree metadata, so two identically built
    modules must compare equal (and hash alike) for ``jax.jit`` to reuse one compilation.
    """

    def _key(self) -> str:
        return type(self).__name__ + json.dumps(self.to_dict(), sort_keys=True, default=repr)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Config) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def state_spec(self) -> tuple[StateEntry, ...]:
        """Declare, once, the module state this configuration builds (without designing it).

        One :class:`StateEntry` per state array: name (checkpoint key), shape, trainable or not
        (from the configuration's ``trainable*`` flags), non-negative or not, and its design
        (a callable, evaluated only when called). Modules, interop, state files, training helpers
        and the tests read this declaration instead of matching class names or attribute paths.
        """
        raise NotImplementedError(f"{type(self).__name__} does not declare its state")

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """Names and shapes of the module state this configuration builds, without designing it.

        Cheap (no kernel is designed): state files are checked against it before anything is
        built. A dimension of ``-1`` is known only after the design (multirate packed kernels).
        Derived from :meth:`state_spec`.
        """
        return {e.name: e.shape for e in self.state_spec()}

    @classmethod
    def framewise(cls) -> bool:
        """Whether modules of this configuration frame a signal (``frame_geometry`` is not ``None``)."""
        return cls.frame_geometry is not _Config.frame_geometry

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry | None:
        """How the module cuts its input signal into frames, for chunked processing.

        Parameters
        ----------
        output_format : str or None
            The call's ``output_format`` (validated by the caller); ``None``: the configuration's.

        Returns
        -------
        FrameGeometry or None
            ``None`` when the module is not a framewise transform of a signal (inverses,
            Griffin-Lim, CFP): it cannot be chunked.
        """
        return None

    def design_size(self) -> int:
        """Upper estimate of the float64 elements that designing (and calling) this module allocates.

        Computed without designing: :func:`nnaudio_shared.read_state_file` refuses a
        configuration whose estimate exceeds its budget before building it. The default, eight
        times the state, covers designs whose intermediates have the size of their output.
        """
        return 8 * sum(math.prod(max(d, 1) for d in s) for s in self.state_shapes().values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, _Config):
                value = value.to_dict()
            elif f.name == "window":
                value = _window_for_json(value)
            out[f.name] = value
        return out


@dataclass(frozen=True, eq=False)
class STFTConfig(_Config):
    """Validated STFT configuration (nnAudio2's arguments and defaults).

    ``win_length``, ``hop_length`` and ``freq_bins`` are resolved: ``None`` becomes ``n_fft``,
    ``win_length // 4`` and ``n_fft // 2 + 1``.
    """

    n_fft: int = 2048
    win_length: int | None = None
    freq_bins: int | None = None
    hop_length: int | None = None
    window: Any = "hann"
    freq_scale: str = "no"
    center: bool = True
    pad_mode: str = "reflect"
    iSTFT: bool = False
    fmin: float = 50.0
    fmax: float = 6000.0
    sr: float = 22050.0
    trainable: bool = False
    output_format: str = "Complex"

    def __post_init__(self) -> None:
        s = object.__setattr__
        n_fft = check_int("n_fft", self.n_fft, minimum=1)
        s(self, "n_fft", n_fft)
        win_length = n_fft if self.win_length is None else check_int("win_length", self.win_length, minimum=1)
        if win_length > n_fft:
            raise ParameterError(f"win_length={win_length} is invalid: must be <= n_fft={n_fft}")
        s(self, "win_length", win_length)
        s(self, "hop_length", _resolve_hop(self.hop_length, win_length))
        s(self, "window", _check_window(self.window, win_length))
        s(self, "freq_scale", check_choice("freq_scale", self.freq_scale, _FREQ_SCALES))
        s(self, "sr", check_float("sr", self.sr, minimum=0.0, strict_min=True))
        n_onesided = n_fft // 2 + 1
        if self.freq_bins is None:
            freq_bins = n_onesided
        else:
            freq_bins = check_int("freq_bins", self.freq_bins, minimum=1)
            if self.freq_scale == "no" and freq_bins > n_onesided:
                raise ParameterError(
                    f"freq_bins={freq_bins} is invalid: with freq_scale='no' at most n_fft // 2 + 1 = "
                    f"{n_onesided} bins exist"
                )
        s(self, "freq_bins", freq_bins)
        if self.freq_scale == "no":
            s(self, "fmin", check_float("fmin", self.fmin))
            s(self, "fmax", check_float("fmax", self.fmax))
        else:
            fmin, fmax = _check_band(
                "fmin", self.fmin, "fmax", self.fmax, self.sr, positive=self.freq_scale != "linear"
            )
            s(self, "fmin", fmin)
            s(self, "fmax", fmax)
        s(self, "center", check_bool("center", self.center))
        s(self, "pad_mode", check_choice("pad_mode", self.pad_mode, _PAD_MODES))
        s(self, "iSTFT", check_bool("iSTFT", self.iSTFT))
        s(self, "trainable", check_bool("trainable", self.trainable))
        s(self, "output_format", check_choice("output_format", self.output_format, _OUTPUT_FORMATS))
        if self.iSTFT:
            if self.freq_scale != "no":
                raise ParameterError(
                    f"iSTFT=True with freq_scale={self.freq_scale!r} is invalid: only the uniform "
                    "scale freq_scale='no' can be inverted"
                )
            if freq_bins != n_onesided:
                raise ParameterError(
                    f"iSTFT=True with freq_bins={freq_bins} is invalid: the inverse needs all "
                    f"n_fft // 2 + 1 = {n_onesided} bins"
                )
            _check_nola(self.window_array(), n_fft, cast(int, self.hop_length))

    @property
    def uses_fft(self) -> bool:
        """Whether frozen kernels can be evaluated with an FFT (uniform bins 0..freq_bins-1)."""
        return self.freq_scale == "no"

    def window_array(self) -> np.ndarray:
        """Return the analysis window centre-padded to ``n_fft`` (float64)."""
        return pad_center(get_window(self.window, cast(int, self.win_length)), size=self.n_fft)

    def kernels(self) -> FourierKernels:
        """Windowed Fourier kernels ``wcos``/``wsin`` of shape ``(freq_bins, n_fft)``."""
        return fourier_kernels(
            n_fft=self.n_fft,
            win_length=cast(int, self.win_length),
            freq_bins=cast(int, self.freq_bins),
            window=self.window,
            freq_scale=self.freq_scale,  # type: ignore[arg-type]
            fmin=self.fmin,
            fmax=self.fmax,
            sr=self.sr,  # type: ignore[arg-type]
        )

    def check_length(self, n_samples: int) -> None:
        """Raise :class:`ParameterError` if ``n_samples`` is too short for this configuration."""
        check_signal_length(n_samples, n_fft=self.n_fft, center=self.center, pad_mode=self.pad_mode)

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``window`` ``(n_fft,)``; ``wcos``/``wsin`` ``(freq_bins, n_fft)`` when trainable or not uniform."""
        out = [StateEntry("window", (self.n_fft,), design=self.window_array)]
        if self.trainable or not self.uses_fft:
            shape = (cast(int, self.freq_bins), self.n_fft)
            out += [
                StateEntry("wcos", shape, self.trainable, design=lambda: self.kernels().wcos),
                StateEntry("wsin", shape, self.trainable, design=lambda: self.kernels().wsin),
            ]
        return tuple(out)

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Frames of ``n_fft`` samples every ``hop_length``; a complex output has a trailing (real, imag) axis."""
        fmt = self.output_format if output_format is None else output_format
        return frames_of(cast(int, self.hop_length), self.n_fft, self.center, fmt)


def _check_nola(window: np.ndarray, n_fft: int, hop_length: int) -> None:
    if hop_length > n_fft or not scipy.signal.check_NOLA(window, n_fft, n_fft - hop_length):
        raise ParameterError(
            f"hop_length={hop_length} is invalid for an inverse STFT: the window (length n_fft={n_fft}) "
            "overlap-added at this hop has zeros, so the signal there cannot be recovered "
            "(NOLA condition); use a smaller hop_length"
        )


@dataclass(frozen=True, eq=False)
class ISTFTConfig(_Config):
    """Validated inverse-STFT configuration (nnAudio2's arguments and defaults).

    Only the uniform frequency scale can be inverted, so ``freq_scale`` must be ``'no'`` and
    ``freq_bins`` ``None`` or ``n_fft // 2 + 1`` (the one-sided bin count); ``fmin``/``fmax``
    are accepted for signature compatibility and must be finite numbers.
    """

    n_fft: int = 2048
    win_length: int | None = None
    freq_bins: int | None = None
    hop_length: int | None = None
    window: Any = "hann"
    freq_scale: str = "no"
    center: bool = True
    fmin: float = 50.0
    fmax: float = 6000.0
    sr: float = 22050.0
    trainable_kernels: bool = False
    trainable_window: bool = False
    refresh_win: bool = True

    def __post_init__(self) -> None:
        s = object.__setattr__
        n_fft = check_int("n_fft", self.n_fft, minimum=1)
        s(self, "n_fft", n_fft)
        win_length = n_fft if self.win_length is None else check_int("win_length", self.win_length, minimum=1)
        if win_length > n_fft:
            raise ParameterError(f"win_length={win_length} is invalid: must be <= n_fft={n_fft}")
        s(self, "win_length", win_length)
        s(self, "hop_length", _resolve_hop(self.hop_length, win_length))
        s(self, "window", _check_window(self.window, win_length))
        if self.freq_scale != "no":
            check_choice("freq_scale", self.freq_scale, _FREQ_SCALES)
            raise ParameterError(
                f"freq_scale={self.freq_scale!r} is invalid for iSTFT: only the uniform scale 'no' can be inverted"
            )
        n_onesided = n_fft // 2 + 1
        if self.freq_bins is not None and check_int("freq_bins", self.freq_bins) != n_onesided:
            raise ParameterError(
                f"freq_bins={self.freq_bins!r} is invalid for iSTFT: the inverse needs all "
                f"n_fft // 2 + 1 = {n_onesided} bins (or None)"
            )
        s(self, "freq_bins", n_onesided)
        s(self, "fmin", check_float("fmin", self.fmin))
        s(self, "fmax", check_float("fmax", self.fmax))
        s(self, "sr", check_float("sr", self.sr, minimum=0.0, strict_min=True))
        s(self, "center", check_bool("center", self.center))
        s(self, "trainable_kernels", check_bool("trainable_kernels", self.trainable_kernels))
        s(self, "trainable_window", check_bool("trainable_window", self.trainable_window))
        s(self, "refresh_win", check_bool("refresh_win", self.refresh_win))
        _check_nola(self.window_array(), n_fft, cast(int, self.hop_length))

    def window_array(self) -> np.ndarray:
        """Return the synthesis window centre-padded to ``n_fft`` (float64)."""
        return pad_center(get_window(self.window, cast(int, self.win_length)), size=self.n_fft)

    def kernels(self) -> tuple[np.ndarray, np.ndarray]:
        """One-sided inverse DFT kernels ``kernel_cos``, ``kernel_sin`` of shape ``(n_fft//2+1, n_fft)``."""
        return istft_kernels(n_fft=self.n_fft)

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``window`` ``(n_fft,)``; ``kernel_cos``/``kernel_sin`` ``(n_fft // 2 + 1, n_fft)`` when trainable."""
        out = [StateEntry("window", (self.n_fft,), self.trainable_window, design=self.window_array)]
        if self.trainable_kernels:
            shape = (self.n_fft // 2 + 1, self.n_fft)
            out += [
                StateEntry("kernel_cos", shape, True, design=lambda: self.kernels()[0]),
                StateEntry("kernel_sin", shape, True, design=lambda: self.kernels()[1]),
            ]
        return tuple(out)


def _check_mel_norm(norm: Any) -> Any:
    if norm is None or norm == "slaney":
        return norm
    if not isinstance(norm, bool) and isinstance(norm, (int, float)) and (norm == 1 or norm == math.inf):
        return norm
    raise ParameterError(
        f"norm={norm!r} is invalid for the mel filterbank: must be 1 or 'slaney' (area normalisation), "
        "or None or inf (unit-peak triangles)"
    )


@dataclass(frozen=True, eq=False)
class MelSpectrogramConfig(_Config):
    """Validated mel-spectrogram configuration (nnAudio2's arguments and defaults)."""

    sr: float = 22050.0
    n_fft: int = 2048
    win_length: int | None = None
    n_mels: int = 128
    hop_length: int = 512
    window: Any = "hann"
    center: bool = True
    pad_mode: str = "reflect"
    power: float = 2.0
    htk: bool = False
    fmin: float = 0.0
    fmax: float | None = None
    norm: Any = 1
    trainable_mel: bool = False
    trainable_STFT: bool = False  # noqa: N815 - nnAudio2's name
    stft: STFTConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "trainable_mel", check_bool("trainable_mel", self.trainable_mel))
        s(self, "trainable_STFT", check_bool("trainable_STFT", self.trainable_STFT))
        stft = STFTConfig(
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            window=self.window,
            center=self.center,
            pad_mode=self.pad_mode,
            sr=self.sr,
            trainable=self.trainable_STFT,
            output_format="Magnitude",
        )
        s(self, "stft", stft)
        for name in ("sr", "n_fft", "win_length", "hop_length", "window", "center", "pad_mode"):
            s(self, name, getattr(stft, name))
        s(self, "n_mels", check_int("n_mels", self.n_mels, minimum=1))
        s(self, "power", check_float("power", self.power, minimum=0.0, strict_min=True))
        s(self, "htk", check_bool("htk", self.htk))
        fmax = self.sr / 2 if self.fmax is None else self.fmax
        fmin, fmax = _check_band("fmin", self.fmin, "fmax", fmax, self.sr, positive=False)
        s(self, "fmin", fmin)
        s(self, "fmax", None if self.fmax is None else fmax)
        s(self, "norm", _check_mel_norm(self.norm))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("stft")
        if out["norm"] == math.inf:
            out["norm"] = "inf"
        return out

    def mel_basis(self) -> np.ndarray:
        """Mel filterbank of shape ``(n_mels, n_fft // 2 + 1)`` (float64)."""
        return mel_filterbank(
            sr=self.sr,
            n_fft=self.n_fft,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
            htk=self.htk,
            norm=self.norm,
        )

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``mel_basis`` ``(n_mels, n_fft // 2 + 1)`` (non-negative) and the STFT's state under ``stft.``."""
        mel = StateEntry(
            "mel_basis", (self.n_mels, self.n_fft // 2 + 1), self.trainable_mel, nonnegative=True, design=self.mel_basis
        )
        return (mel, *prefixed_spec("stft.", self.stft.state_spec()))

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Return the STFT's frames (the call takes no ``output_format``)."""
        return self.stft.frame_geometry()


_MEL_KWARGS = {f.name for f in dataclasses.fields(MelSpectrogramConfig) if f.init} - {"sr", "norm"}


@dataclass(frozen=True, eq=False)
class MFCCConfig(_Config):
    """Validated MFCC configuration; ``mel_kwargs`` go to :class:`MelSpectrogramConfig`.

    The mel filterbank of an MFCC always uses nnAudio2's default ``norm=1`` (Slaney area
    normalisation): ``norm`` here is the DCT normalisation, as in nnAudio2.
    """

    sr: float = 22050.0
    n_mfcc: int = 20
    norm: str | None = "ortho"
    ref: float = 1.0
    amin: float = 1e-10
    top_db: float | None = 80.0
    mel_kwargs: dict[str, Any] = field(default_factory=dict)
    mel: MelSpectrogramConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        unknown = sorted(set(self.mel_kwargs) - _MEL_KWARGS)
        if unknown:
            raise ParameterError(
                f"unexpected keyword argument(s) {unknown} for MFCC: allowed are sr, n_mfcc, norm, ref, "
                f"amin, top_db, verbose and the MelSpectrogram arguments {sorted(_MEL_KWARGS)}"
            )
        mel = MelSpectrogramConfig(sr=self.sr, **self.mel_kwargs)
        s(self, "mel", mel)
        s(self, "sr", mel.sr)
        s(self, "n_mfcc", check_int("n_mfcc", self.n_mfcc, minimum=1, maximum=mel.n_mels))
        if self.norm is not None:
            check_choice("norm", self.norm, ("ortho", None))
        s(self, "ref", check_float("ref", self.ref, minimum=0.0, strict_min=True))
        s(self, "amin", check_float("amin", self.amin, minimum=0.0, strict_min=True))
        s(self, "top_db", check_optional_float("top_db", self.top_db, minimum=0.0))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("mel")
        return out

    def dct(self) -> np.ndarray:
        """DCT-II matrix of shape ``(n_mfcc, n_mels)`` (float64)."""
        return dct_matrix(n_mfcc=self.n_mfcc, n_mels=self.mel.n_mels, norm=self.norm)  # type: ignore[arg-type]

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``dct`` ``(n_mfcc, n_mels)`` and the mel spectrogram's state under ``melspec_layer.``."""
        dct = StateEntry("dct", (self.n_mfcc, self.mel.n_mels), design=self.dct)
        return (dct, *prefixed_spec("melspec_layer.", self.mel.state_spec()))

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Return the mel spectrogram's frames; ``top_db`` clips against the peak of all frames (``global_top_db``)."""
        g = self.mel.frame_geometry()
        return frames_of(g.hop_length, g.n_fft, g.center, "Magnitude", self.top_db)
