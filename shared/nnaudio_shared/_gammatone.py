"""ERB-spaced gammatone weights for FFT bins (Ellis' ``fft2gammatonemx``), float64.

Also the validated :class:`GammatonegramConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._chunks import FrameGeometry
from ._config import StateEntry, STFTConfig, _check_band, _Config, prefixed_spec
from ._errors import ParameterError
from ._validate import check_bool, check_float, check_int

__all__ = ["GammatonegramConfig", "erb_frequencies", "gammatone_filterbank"]

#: Glasberg & Moore's ERB parameters, as in Slaney's ``MakeERBFilters`` and Ellis' code:
#: ``ERB(f) = f / EAR_Q + MIN_BW``.
EAR_Q = 9.26449
MIN_BW = 24.7


def erb_frequencies(n_bins: int, *, fmin: float, fmax: float) -> np.ndarray:
    """``n_bins`` centre frequencies (Hz) uniformly spaced on the ERB-rate scale, ascending.

    Slaney's ``ERBSpace``: ``cf[k] = (fmax + E) exp(-k/n log((fmax + E)/(fmin + E))) - E`` with
    ``E = EAR_Q * MIN_BW`` for ``k = 1 .. n``, reversed. The lowest centre is exactly ``fmin``;
    the highest lies one ERB step below ``fmax`` (``fmax`` itself is not reached).

    Returns
    -------
    np.ndarray [shape=(n_bins,)], float64
    """
    em = EAR_Q * MIN_BW
    k = np.arange(1, n_bins + 1, dtype=np.float64)
    cf = (fmax + em) * np.exp(k * (np.log(fmin + em) - np.log(fmax + em)) / n_bins) - em
    return cf[::-1].copy()


def _response(z: np.ndarray, pole: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    """``prod_k |z - zero_k| / |(z - p)(z - conj p)| ** 4`` (the gammatone cascade, up to ``T**4``)."""
    num = np.prod(np.abs(z[None] - zeros), axis=0)
    den = np.abs((z - pole) * (z - np.conj(pole))) ** 4
    return num / den  # type: ignore[no-any-return]


def gammatone_filterbank(
    *,
    sr: float,
    n_fft: int,
    n_bins: int = 64,
    fmin: float = 0.0,
    fmax: float | None = None,
    width: float = 1.0,
) -> np.ndarray:
    """Gammatone weights for the ``n_fft // 2 + 1`` one-sided DFT bins (Ellis' ``fft2gammatonemx``).

    Each row is the magnitude response of Slaney's 4th-order gammatone filter (four second-order
    sections sharing the pole pair ``p = exp(-B/sr + 2j pi cf/sr)``, ``B = 1.019 * 2 pi * width *
    ERB(cf)``) evaluated on the unit circle at the DFT bin frequencies and divided by its value
    at the centre frequency ``cf`` (unit gain there), then scaled by ``1 / n_fft`` as in
    nnAudio2's ``get_gammatone`` (and Ellis' ``fft2gammatonegram``). Rows are in ascending
    centre frequency (:func:`erb_frequencies`).

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz.
    n_fft : int > 0
        FFT size.
    n_bins : int > 0
        Number of gammatone filters.
    fmin, fmax : float
        Centre-frequency range in Hz (``fmax=None``: ``sr / 2``); arguments are assumed validated
        (see :class:`GammatonegramConfig`).
    width : float > 0
        Bandwidth in ERBs (1 in Ellis' and nnAudio2's code).

    Returns
    -------
    np.ndarray [shape=(n_bins, n_fft // 2 + 1)], float64, read-only
        Equal to ``gammatone.fftweight.fft_weights(n_fft, sr, n_bins, width, fmin, fmax,
        n_fft // 2 + 1)[0] / n_fft`` (an independent implementation of the same formulas).
    """
    if fmax is None:
        fmax = sr / 2.0
    cf = erb_frequencies(n_bins, fmin=fmin, fmax=fmax)
    bt = 1.019 * 2.0 * np.pi * width * (cf / EAR_Q + MIN_BW) / sr  # bandwidth * T
    theta = 2.0 * np.pi * cf / sr
    decay = np.exp(-bt)
    pole = decay * np.exp(1j * theta)
    c, s = np.cos(theta), np.sin(theta)
    r_pos, r_neg = np.sqrt(3.0 + 2.0**1.5), np.sqrt(3.0 - 2.0**1.5)
    # the four real zeros of the second-order sections: exp(-BT) (cos(theta) +- r sin(theta))
    zeros = decay * np.stack([c + r_pos * s, c - r_pos * s, c + r_neg * s, c - r_neg * s])  # (4, n_bins)
    ucirc = np.exp(2j * np.pi * np.arange(n_fft // 2 + 1, dtype=np.float64) / n_fft)
    resp = _response(ucirc[None, :], pole[:, None], zeros[:, :, None])
    gain = _response(np.exp(1j * theta), pole, zeros)
    weights = resp / (gain[:, None] * n_fft)
    weights.setflags(write=False)
    return weights  # type: ignore[no-any-return]


def _check_htk(htk: Any) -> bool:
    htk = check_bool("htk", htk)
    if htk:
        raise ParameterError(
            "htk=True is invalid for Gammatonegram: the gammatone centre frequencies are ERB-spaced "
            "(Glasberg & Moore), there is no HTK variant; nnAudio2 accepts htk and silently ignores it. "
            "Use htk=False (the default)"
        )
    return htk


def _check_gammatone_norm(norm: Any) -> int:
    if not isinstance(norm, bool) and isinstance(norm, (int, float)) and norm == 1:
        return 1
    raise ParameterError(
        f"norm={norm!r} is invalid for Gammatonegram: only norm=1 (the default) is supported, meaning "
        "each gammatone filter has unit gain at its centre frequency (Ellis' fft2gammatonemx; the basis "
        "is scaled by 1 / n_fft as in nnAudio2). nnAudio2 accepts other values and silently ignores them"
    )


@dataclass(frozen=True, eq=False)
class GammatonegramConfig(_Config):
    """Validated gammatonegram configuration (nnAudio2's arguments and defaults).

    ``htk`` must be ``False`` and ``norm`` must be ``1``: nnAudio2 accepts other values and
    ignores them; here they raise :class:`ParameterError` (see :func:`gammatone_filterbank` for
    what ``norm=1`` means).
    """

    sr: float = 22050.0
    n_fft: int = 2048
    win_length: int | None = None
    n_bins: int = 64
    hop_length: int = 512
    window: Any = "hann"
    center: bool = True
    pad_mode: str = "reflect"
    power: float = 2.0
    htk: bool = False
    fmin: float = 0.0
    fmax: float | None = None
    norm: Any = 1
    trainable_bins: bool = False
    trainable_STFT: bool = False  # noqa: N815 - nnAudio2's name
    stft: STFTConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "trainable_bins", check_bool("trainable_bins", self.trainable_bins))
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
        s(self, "n_bins", check_int("n_bins", self.n_bins, minimum=1))
        s(self, "power", check_float("power", self.power, minimum=0.0, strict_min=True))
        s(self, "htk", _check_htk(self.htk))
        fmax = self.sr / 2 if self.fmax is None else self.fmax
        fmin, fmax = _check_band("fmin", self.fmin, "fmax", fmax, self.sr, positive=False)
        s(self, "fmin", fmin)
        s(self, "fmax", None if self.fmax is None else fmax)
        s(self, "norm", _check_gammatone_norm(self.norm))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("stft")
        return out

    def gammatone_basis(self) -> np.ndarray:
        """Gammatone weights of shape ``(n_bins, n_fft // 2 + 1)`` (float64)."""
        return gammatone_filterbank(sr=self.sr, n_fft=self.n_fft, n_bins=self.n_bins, fmin=self.fmin, fmax=self.fmax)

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``gammatone_basis`` ``(n_bins, n_fft // 2 + 1)`` (non-negative) and the STFT's state under ``stft.``."""
        basis = StateEntry(
            "gammatone_basis",
            (self.n_bins, self.n_fft // 2 + 1),
            self.trainable_bins,
            nonnegative=True,
            design=self.gammatone_basis,
        )
        return (basis, *prefixed_spec("stft.", self.stft.state_spec()))

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Return the STFT's frames (the call takes no ``output_format``)."""
        return self.stft.frame_geometry()

    def center_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each row of :meth:`gammatone_basis`."""
        fmax = self.sr / 2 if self.fmax is None else self.fmax
        return erb_frequencies(self.n_bins, fmin=self.fmin, fmax=fmax)
