"""Combined frequency and periodicity (CFP, Su & Yang 2015): log-frequency mappings, float64.

Also the validated :class:`CFPConfig`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.signal

from ._config import StateEntry, _Config, n_frames
from ._errors import ParameterError
from ._validate import check_float, check_int

__all__ = ["CFPConfig", "cfp_central_frequencies", "cfp_logfreq_matrices"]


def cfp_central_frequencies(*, fc: float, tc: float, NumPerOct: int) -> np.ndarray:  # noqa: N803
    """Log-spaced centre frequencies ``fc * 2 ** (i / NumPerOct)`` below ``1 / tc`` (Hz).

    As in Su's reference code: at most ``ceil(log2(1 / (tc fc))) * NumPerOct`` of them.

    Returns
    -------
    np.ndarray [shape=(n,)], float64
    """
    stop = 1.0 / tc
    n_max = int(math.ceil(math.log2(stop / fc)) * NumPerOct)
    cf = fc * 2.0 ** (np.arange(n_max, dtype=np.float64) / NumPerOct)
    return cf[cf < stop]  # type: ignore[no-any-return]


def _triangles(freqs: np.ndarray, cf: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sample the triangles ``cf[i-1] -> cf[i] -> cf[i+1]`` (rows ``i = 1 .. n-2``) at ``freqs``.

    Only columns in ``[lo, hi)`` are filled; strict inequalities, as in the reference code.
    """
    a, b, c = cf[:-2, None], cf[1:-1, None], cf[2:, None]
    f = freqs[None, :]
    j = np.arange(freqs.shape[0])[None, :]
    inside = (j >= lo[:, None]) & (j < hi[:, None])
    with np.errstate(invalid="ignore", over="ignore"):  # masked columns may hold f = inf
        rise = np.where((f > a) & (f < b), (f - a) / (b - a), 0.0)
        fall = np.where((f > b) & (f < c), (c - f) / (c - b), 0.0)
    return np.where(inside, rise + fall, 0.0)  # type: ignore[no-any-return]


def cfp_logfreq_matrices(
    *,
    fr: float,
    fs: float,
    fc: float,
    tc: float,
    NumPerOct: int,  # noqa: N803
) -> tuple[np.ndarray, np.ndarray]:
    """Frequency -> log-frequency and quefrency -> log-frequency mappings of CFP.

    The definitions of Su's reference code (``Freq2LogFreqMapping``, ``Quef2LogFreqMapping`` of
    ``VocalMelodyExtPatchCNN``) and nnAudio2, vectorised: with centre frequencies ``cf`` from
    :func:`cfp_central_frequencies`, row ``i`` (``1 <= i <= n - 2``; row 0 is all zero, as there)
    is the triangle ``cf[i-1] -> cf[i] -> cf[i+1]`` (strict inequalities: a column exactly at
    ``cf[i]`` gets 0) sampled

    - for the spectrum, at the grid ``f = fs * linspace(0, 0.5, N // 2)[:HighFreqIdx]`` of the
      reference code (``N = int(fs / fr)``; note this grid spaces columns ``fs / (2 (N//2 - 1))``
      apart, not exactly ``fr``), on columns ``round(cf[i-1]/fr) <= j <= round(cf[i+1]/fr)``; a
      band narrower than one column is a one-hot row at ``round(cf[i-1]/fr)``;
    - for the cepstrum, at the quefrency frequencies ``fs / j`` (``j >= 1``), on columns
      ``round(fs/cf[i+1]) <= j <= round(fs/cf[i-1])``.

    Returns
    -------
    freq2logfreq : np.ndarray [shape=(n - 1, HighFreqIdx)], float64, read-only
        ``HighFreqIdx = round(1 / (tc fr)) + 1``.
    quef2logfreq : np.ndarray [shape=(n - 1, HighQuefIdx)], float64, read-only
        ``HighQuefIdx = round(fs / fc) + 1``.
    """
    n_fft = int(fs / float(fr))
    high_freq = int(round((1.0 / tc) / fr) + 1)
    high_quef = int(round(fs / fc) + 1)
    cf = cfp_central_frequencies(fc=fc, tc=tc, NumPerOct=NumPerOct)
    f = (fs * np.linspace(0.0, 0.5, n_fft // 2, endpoint=True))[:high_freq]
    lo = np.round(cf[:-2] / fr).astype(np.int64)
    hi = np.round(cf[2:] / fr).astype(np.int64) + 1
    freq = np.zeros((cf.shape[0] - 1, f.shape[0]))
    freq[1:] = _triangles(f, cf, lo, hi)
    narrow = np.nonzero(lo >= hi - 1)[0]
    freq[1 + narrow] = 0.0
    freq[1 + narrow, lo[narrow]] = 1.0
    j = np.arange(high_quef, dtype=np.float64)
    fq = np.where(j > 0, fs / np.maximum(j, 1.0), np.inf)
    qlo = np.round(fs / cf[2:]).astype(np.int64)
    qhi = np.round(fs / cf[:-2]).astype(np.int64) + 1
    quef = np.zeros((cf.shape[0] - 1, high_quef))
    quef[1:] = _triangles(fq, cf, qlo, qhi)
    for a in (freq, quef):
        a.setflags(write=False)
    return freq, quef


def _check_g(g: Any) -> tuple[float, ...]:
    if isinstance(g, (str, bytes)) or not isinstance(g, (Sequence, np.ndarray)):
        raise ParameterError(f"g={g!r} is invalid: expected a sequence of exponents such as [0.24, 0.6, 1]")
    values = tuple(g)
    if len(values) < 2:
        raise ParameterError(
            f"g={g!r} is invalid: needs at least 2 exponents (the spectrum's and the cepstrum's); with one "
            "layer there is no periodicity feature (nnAudio2 crashes there)"
        )
    out = []
    for k, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ParameterError(f"g={g!r} is invalid: g[{k}]={v!r} is not a real number")
        out.append(check_float(f"g[{k}]", v, minimum=0.0, strict_min=k == 0))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class CFPConfig(_Config):
    """Validated CFP configuration (nnAudio2's ``Combined_Frequency_Periodicity`` / ``CFP``).

    Derived sizes: ``N = int(fs / fr)`` (FFT size), ``tc_idx = round(fs tc)`` and
    ``fc_idx = round(fc / fr)`` (cut-offs of the high-pass liftering), ``HighFreqIdx`` and
    ``HighQuefIdx`` (see :func:`cfp_logfreq_matrices`).
    """

    fr: float = 2.0
    fs: float = 16000.0
    hop_length: int = 320
    window_size: int = 2049
    fc: float = 80.0
    tc: float = 1 / 1000
    g: Sequence[float] = (0.24, 0.6, 1.0)  # validated into a tuple of floats
    NumPerOct: int = 48  # noqa: N815 - nnAudio2's name

    def __post_init__(self) -> None:
        s = object.__setattr__
        fr = check_float("fr", self.fr, minimum=0.0, strict_min=True)
        fs = check_float("fs", self.fs, minimum=0.0, strict_min=True)
        s(self, "fr", fr)
        s(self, "fs", fs)
        n_fft = int(fs / fr)
        if n_fft < 4:
            raise ParameterError(f"fs={fs!r}, fr={fr!r} are invalid: the FFT size int(fs / fr) = {n_fft} must be >= 4")
        s(self, "hop_length", check_int("hop_length", self.hop_length, minimum=1))
        s(self, "window_size", check_int("window_size", self.window_size, minimum=1, maximum=n_fft))
        fc = check_float("fc", self.fc, minimum=0.0, strict_min=True)
        tc = check_float("tc", self.tc, minimum=0.0, strict_min=True)
        s(self, "fc", fc)
        s(self, "tc", tc)
        s(self, "NumPerOct", check_int("NumPerOct", self.NumPerOct, minimum=1))
        s(self, "g", _check_g(self.g))
        if 1.0 / tc > fs / 2:
            raise ParameterError(
                f"tc={tc!r} is invalid: the top frequency 1 / tc = {1 / tc} must be <= fs / 2 = {fs / 2}"
            )
        if fc >= 1.0 / tc:
            raise ParameterError(f"fc={fc!r} is invalid: must be < 1 / tc = {1 / tc}")
        if self.fc_idx < 1:
            raise ParameterError(
                f"fc={fc!r} is invalid with fr={fr!r}: the liftering cut-off round(fc / fr) = {self.fc_idx} must be "
                ">= 1 (0 would zero the whole spectrum in the reference code)"
            )
        if self.high_freq_idx > n_fft // 2:
            raise ParameterError(
                f"tc={tc!r} is invalid: round(1 / (tc fr)) + 1 = {self.high_freq_idx} frequency columns exceed the "
                f"N // 2 = {n_fft // 2} of the frequency grid (N = int(fs / fr)); use a larger tc"
            )
        if self.high_quef_idx > int(round(n_fft / 2)):
            raise ParameterError(
                f"fc={fc!r} is invalid: round(fs / fc) + 1 = {self.high_quef_idx} quefrency columns exceed "
                f"round(N / 2) = {int(round(n_fft / 2))} (N = int(fs / fr)); use fc >= 2 fr"
            )
        n_cf = cfp_central_frequencies(fc=fc, tc=tc, NumPerOct=self.NumPerOct).shape[0]
        if n_cf < 3:
            raise ParameterError(
                f"fc={fc!r}, tc={tc!r}, NumPerOct={self.NumPerOct!r} give {n_cf} centre frequencies below 1 / tc: "
                "at least 3 are needed for one log-frequency band"
            )

    @property
    def n_fft(self) -> int:
        """FFT size ``N = int(fs / fr)``."""
        return int(self.fs / float(self.fr))

    @property
    def tc_idx(self) -> int:
        """Cepstral cut-off ``round(fs * tc)``: the first and last ``tc_idx`` quefrencies are zeroed."""
        return int(round(self.fs * self.tc))

    @property
    def fc_idx(self) -> int:
        """Spectral cut-off ``round(fc / fr)``: the first and last ``fc_idx`` bins are zeroed."""
        return int(round(self.fc / self.fr))

    @property
    def high_freq_idx(self) -> int:
        """Number of frequency columns kept, ``round(1 / (tc fr)) + 1``."""
        return int(round((1.0 / self.tc) / self.fr) + 1)

    @property
    def high_quef_idx(self) -> int:
        """Number of quefrency columns kept, ``round(fs / fc) + 1``."""
        return int(round(self.fs / self.fc) + 1)

    @property
    def n_bins(self) -> int:
        """Number of output rows (log-frequency bands, the first of which is all zero)."""
        return int(cfp_central_frequencies(fc=self.fc, tc=self.tc, NumPerOct=self.NumPerOct).shape[0]) - 1

    def window(self) -> np.ndarray:
        """Return the analysis window: a symmetric Blackman-Harris window of ``window_size`` samples."""
        h = np.asarray(scipy.signal.windows.blackmanharris(self.window_size), dtype=np.float64)
        h.setflags(write=False)
        return h

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """``freq2logfreq_matrix`` and ``quef2logfreq_matrix`` (see :func:`cfp_logfreq_matrices`)."""
        return cfp_logfreq_matrices(fr=self.fr, fs=self.fs, fc=self.fc, tc=self.tc, NumPerOct=self.NumPerOct)

    def state_spec(self) -> tuple[StateEntry, ...]:
        """``h`` ``(window_size,)`` and the two log-frequency matrices ``(n_bins, HighFreqIdx / HighQuefIdx)``."""
        return (
            StateEntry("h", (self.window_size,), design=self.window),
            StateEntry("freq2logfreq_matrix", (self.n_bins, self.high_freq_idx), design=lambda: self.matrices()[0]),
            StateEntry("quef2logfreq_matrix", (self.n_bins, self.high_quef_idx), design=lambda: self.matrices()[1]),
        )

    def design_size(self) -> int:
        """Add the ``N // 2`` frequency grid of the matrices' design and the ``N``-point FFT of every call."""
        return super().design_size() + 4 * self.n_fft

    def check_length(self, n_samples: int, *, trim_edges: bool) -> None:
        """Raise :class:`ParameterError` if ``n_samples`` gives no frame (or none after trimming the edges)."""
        if n_samples < 1:
            raise ParameterError("x is empty (0 samples along the last axis): nothing to transform")
        n = self.n_frames(n_samples, trim_edges=trim_edges)
        if n < 1:
            raise ParameterError(
                f"x has {n_samples} samples: Combined_Frequency_Periodicity drops the first and last frames, so it "
                f"needs at least 3 frames (more than 2 * hop_length = {2 * self.hop_length} samples)"
            )

    def n_frames(self, n_samples: int, *, trim_edges: bool = False) -> int:
        """Return the number of output frames (centred frames at ``t * hop_length``, zero padding)."""
        n = n_frames(n_samples, n_fft=self.n_fft, hop_length=self.hop_length, center=True)
        return n - 2 if trim_edges else n
