"""Validated :class:`GriffinLimConfig` (fast Griffin-Lim phase reconstruction)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np

from ._config import StateEntry, STFTConfig, _Config, n_frames
from ._errors import ParameterError
from ._validate import check_choice, check_float, check_int, check_optional_int

__all__ = ["GriffinLimConfig", "GriffinLimInit", "random_phase"]

#: Initial phase of Griffin-Lim: ``'random'`` (uniform in ``[0, 2 pi)``, seeded) or ``None``
#: (zero phase), librosa's ``init`` values.
GriffinLimInit = Literal["random"] | None


@functools.lru_cache(maxsize=8)
def random_phase(seed: int, n_freq: int, n_frames: int) -> np.ndarray:
    """Return the initial phase of ``init='random'``: librosa's draw for one spectrogram.

    ``2 pi * np.random.RandomState(seed).random((n_freq, n_frames))``, exactly what
    ``librosa.griffinlim(S, init='random', random_state=seed)`` draws for ``S`` of that shape, so
    both backends and librosa start from the same phase. A NumPy constant of the configuration
    and the spectrogram shape (cached, read-only): under ``jax.jit``, ``torch.compile`` and
    ``torch.export`` it is evaluated once at trace time, with no random state in the program.

    Parameters
    ----------
    seed : int in [0, 2**32)
    n_freq, n_frames : int >= 1

    Returns
    -------
    np.ndarray [shape=(n_freq, n_frames)], float64, read-only
    """
    seed = check_int("random_state", seed, minimum=0, maximum=2**32 - 1)
    n_freq = check_int("n_freq", n_freq, minimum=1)
    n_frames = check_int("n_frames", n_frames, minimum=1)
    out = 2.0 * np.pi * np.random.RandomState(seed).random(size=(n_freq, n_frames))
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class GriffinLimConfig(_Config):
    """Validated Griffin-Lim configuration (nnAudio2's arguments, librosa's ``init``, ``random_state``).

    ``win_length=None`` resolves to ``n_fft`` and ``hop_length=None`` to ``win_length // 4``
    (librosa's and our STFT's rule; nnAudio2's Griffin_Lim uses ``n_fft // 4``, which differs
    only when ``win_length < n_fft``). The window and hop must satisfy the NOLA condition.
    ``momentum`` must be >= 0 (values above 1 are allowed but can diverge, as librosa warns).
    """

    n_fft: int = 2048
    n_iter: int = 32
    hop_length: int | None = None
    win_length: int | None = None
    window: Any = "hann"
    center: bool = True
    pad_mode: str = "reflect"
    momentum: float = 0.99
    init: GriffinLimInit = "random"
    random_state: int = 0
    stft: STFTConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        stft = STFTConfig(
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            window=self.window,
            center=self.center,
            pad_mode=self.pad_mode,
            iSTFT=True,
        )
        s(self, "stft", stft)
        for name in ("n_fft", "win_length", "hop_length", "window", "center", "pad_mode"):
            s(self, name, getattr(stft, name))
        s(self, "n_iter", check_int("n_iter", self.n_iter, minimum=0))
        s(self, "momentum", check_float("momentum", self.momentum, minimum=0.0))
        if self.init is not None:
            check_choice("init", self.init, ("random", None))
        # NumPy's RandomState (librosa's draw) takes seeds in [0, 2**32): checked here, not on the first call
        s(self, "random_state", check_int("random_state", self.random_state, minimum=0, maximum=2**32 - 1))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("stft")
        return out

    @property
    def n_bins(self) -> int:
        """Number of one-sided frequency bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def window_array(self) -> np.ndarray:
        """Return the analysis/synthesis window centre-padded to ``n_fft`` (float64)."""
        return self.stft.window_array()

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``window`` ``(n_fft,)``."""
        return (StateEntry("window", (self.n_fft,), design=self.window_array),)

    def check_spectrogram(self, n_bins: int, n_frames_in: int, length: int | None) -> int | None:
        """Validate the spectrogram's shape and ``length``; return the validated ``length``.

        Raises :class:`ParameterError` if the bin count is not ``n_fft // 2 + 1``, if there are
        no frames, if the reconstructed signal is too short to be re-analysed with ``pad_mode``,
        or if ``length`` would give a different number of frames than the input has.
        """
        hop = cast(int, self.hop_length)
        if n_bins != self.n_bins:
            raise ParameterError(
                f"S has {n_bins} frequency bins: expected n_fft // 2 + 1 = {self.n_bins} (a one-sided "
                "magnitude spectrogram of shape (..., n_fft // 2 + 1, frames))"
            )
        if n_frames_in < 1:
            raise ParameterError("S has no frames")
        length = check_optional_int("length", length, minimum=1)
        if length is None:  # what the inverse STFT returns: the overlap-added length, trimmed when centred
            n_samples = self.n_fft + hop * (n_frames_in - 1) - (2 * (self.n_fft // 2) if self.center else 0)
        else:
            n_samples = length
        if n_samples < 1 or (self.center and self.pad_mode == "reflect" and n_samples <= self.n_fft // 2):
            raise ParameterError(
                f"S has {n_frames_in} frames: the signal they describe ({n_samples} samples) is too short to be "
                f"re-analysed with pad_mode={self.pad_mode!r} (needs more than n_fft // 2 = {self.n_fft // 2} "
                "samples); pass more frames, a longer length, or pad_mode='constant'"
            )
        if length is not None:
            got = n_frames(length, n_fft=self.n_fft, hop_length=hop, center=self.center)
            if got != n_frames_in:
                raise ParameterError(
                    f"length={length} is invalid for S with {n_frames_in} frames: a signal of that length has "
                    f"{got} frames at hop_length={hop}, n_fft={self.n_fft}, center={self.center}"
                )
        return length
