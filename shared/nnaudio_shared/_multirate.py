"""Multirate constant-Q design: anti-aliasing half-band filter, octave plan, per-rate kernels.

The multirate transforms (``CQT2010``, ``CQT2010v2``, ``VQT``) compute each octave of a
constant-Q transform at the lowest sampling rate its filters allow, and must give the same
numbers as the full-rate definition (``CQT1992v2``):

``X[k, t] = sum_j x[t * hop + offsets[k] + j] * conj(kernels[k][j])``

with the full-rate kernels of :func:`nnaudio_shared.wavelet_kernels` and frame ``t`` centred at
sample ``t * hop``. Here is how each piece keeps that promise.

Decimation filter (:func:`halfband_lowpass`)
    A zero-phase Kaiser-windowed half-band FIR (every other tap zero, centre tap 1/2), float64.
    Halving the rate keeps the band ``[0, passband * new_nyquist]`` with a ripple of at most
    ``10 ** (-attenuation_db / 20)`` (1e-5 at the default 100 dB) and attenuates everything that
    aliases into it by ``attenuation_db``. Output sample ``m`` sits exactly on input sample ``2m``.

Octave plan (:func:`multirate_plan`)
    Octaves are counted from the top (librosa's grouping: the top ``bins_per_octave`` bins, then
    the next, the lowest possibly partial). Octave ``i`` is computed after ``level`` halvings,
    the largest ``level`` that satisfies all of

    * the hop: ``hop_length`` divisible by ``2 ** level``, so every frame centre ``t * hop`` is a
      sample of the decimated signal (frames are never interpolated; any hop works, odd hops
      simply stay at the full rate -- nnAudio2 issue #139);
    * the frequency content: every kernel of the octave has at most ``tolerance ** 2`` (1e-6)
      of its energy outside ``[-f_p, f_p]``, ``f_p = passband * sr / 2 ** (level + 1)``, the band
      the decimation filters keep exact (the lowered Nyquist frequency minus the filters'
      transition band). Measured on each kernel's spectrum, so the rule adapts to ``window``,
      ``filter_scale`` and ``gamma``: a Hann kernel keeps about 7 of its frequency resolutions
      (``sr / length``) below ``f_p``; a window with slowly decaying side lobes (Hamming,
      boxcar) keeps its octaves at the full rate, where the multirate shortcut would be wrong;
    * without ``earlydownsample`` the top octave stays at the full rate and each octave below
      goes down at most one level (``level <= i``).

Kernels at a lower rate
    The kernel of bin ``k`` at level ``d`` is the full-rate kernel sampled at the positions
    (relative to the frame centre) that are multiples of ``s = 2 ** d``, times ``s``:
    ``sum_m y[c/s + m] conj(s * h_k[m s])`` is the Riemann sum of the full-rate inner product with
    step ``s``, exact for band-limited products (up to the filter's ripple and the kernel's
    out-of-band tail). So L1-normalised (``basis_norm=1``) or any other kernel normalisation
    carries over unchanged, and the ``'librosa'`` output scaling uses the full-rate (original)
    lengths: the multirate output equals the full-rate one, there is no per-octave or
    early-downsampling factor to get wrong (nnAudio2's x2.83 / x0.35 / 22 % errors).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import scipy.signal

from ._arrays import readonly
from ._chunks import FrameGeometry
from ._config import _OUTPUT_FORMATS, _PAD_MODES, StateEntry, _Config, _window_for_json, frames_of
from ._cqt import (
    CQTKernels,
    _alpha_for,
    _check_cqt_window,
    _check_kernel_norm,
    _check_nyquist,
    _resolve_n_bins,
    cqt_frequencies,
    kernel_size_bound,
    wavelet_kernels,
    wavelet_lengths,
)
from ._errors import ParameterError
from ._validate import check_bool, check_choice, check_float, check_int

__all__ = [
    "CQT2010Config",
    "CQT2010v2Config",
    "HalfbandFilter",
    "MultiratePlan",
    "OctavePlan",
    "VQTConfig",
    "halfband_lowpass",
    "multirate_plan",
]

#: Default passband of the decimation filters, as a fraction of the lowered Nyquist frequency.
PASSBAND = 0.9
#: Default stop-band attenuation (and passband ripple ``10 ** (-dB / 20)``) of the filters.
ATTENUATION_DB = 100.0
#: Default bound on the RMS share of a kernel outside the band kept exact at its octave's rate
#: (its out-of-band energy fraction is at most ``TOLERANCE ** 2``).
TOLERANCE = 1e-4


# ---------------------------------------------------------------------------------------------
# Decimation filter
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HalfbandFilter:
    """A zero-phase half-band lowpass for decimation by two.

    Attributes
    ----------
    taps : np.ndarray [shape=(2 * half_length + 1,)], float64, read-only
        Symmetric impulse response, centre tap at index ``half_length``; every tap at an even
        distance from the centre (other than the centre) is exactly zero. Unit gain at DC.
    passband : float
        Passband edge as a fraction of the lowered Nyquist frequency (``rate / 4``).
    attenuation_db : float
        Design stop-band attenuation; passband ripple is ``10 ** (-attenuation_db / 20)``.
    """

    taps: np.ndarray
    passband: float
    attenuation_db: float
    #: :attr:`odd_taps` as Python floats, and the centre tap (plain values: constants under tracing).
    odd_values: tuple[float, ...] = field(init=False, repr=False)
    centre_value: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "odd_values", tuple(float(v) for v in self.taps[0::2]))
        object.__setattr__(self, "centre_value", float(self.taps[(self.taps.shape[0] - 1) // 2]))

    @property
    def half_length(self) -> int:
        """``K``: the filter spans input samples ``2m - K .. 2m + K`` for output ``m`` (odd)."""
        return (self.taps.shape[0] - 1) // 2

    @property
    def odd_taps(self) -> np.ndarray:
        """Taps acting on the odd samples, shape ``(2 J,)`` with ``J = (half_length + 1) // 2``.

        With ``xe[m] = x[2m]`` and ``xo[m] = x[2m + 1]`` the decimated signal is
        ``y[m] = centre * xe[m] + sum_{i=-J}^{J-1} odd_taps[i + J] * xo[m + i]``.
        """
        # half_length K is odd, so taps[0::2] are the odd offsets -K, -K + 2, ..., K (i = -J .. J-1)
        return readonly(self.taps[0::2].copy())


def _windowed_halfband(k: int, beta: float) -> np.ndarray:
    m = np.arange(-k, k + 1, dtype=np.float64)
    taps = 0.5 * np.sinc(m / 2.0) * np.kaiser(2 * k + 1, beta)
    taps[m % 2 == 0] = 0.0
    taps[k] = 0.5
    return taps / taps.sum()


def halfband_lowpass(*, passband: float = PASSBAND, attenuation_db: float = ATTENUATION_DB) -> HalfbandFilter:
    """Design the zero-phase half-band decimation filter (Kaiser-windowed sinc).

    Parameters
    ----------
    passband : float in (0, 1)
        Passband edge as a fraction of the Nyquist frequency *after* decimation (``rate / 4``);
        the stop band starts at ``(2 - passband)`` times it, so every component that aliases into
        ``[0, passband * rate / 4]`` is attenuated by ``attenuation_db``.
    attenuation_db : float in [40, 200]
        Stop-band attenuation in dB; the passband deviates from 1 by at most
        ``10 ** (-attenuation_db / 20)`` (the Kaiser design has equal ripples).

    Returns
    -------
    HalfbandFilter
        Length ``4 J - 1`` (end taps non-zero): the Kaiser length estimate, lengthened until the
        response (checked on a 8192-point grid) meets both bounds.

    Raises
    ------
    ParameterError
        If an argument is out of range.
    """
    passband = check_float("passband", passband, minimum=0.0, strict_min=True, maximum=0.999)
    attenuation_db = check_float("attenuation_db", attenuation_db, minimum=40.0, maximum=200.0)
    # transition band (2 - 2 passband) * rate / 4 wide: pi * (1 - passband) rad/sample at the input rate
    width = math.pi * (1.0 - passband)
    beta = float(scipy.signal.kaiser_beta(attenuation_db))
    n_taps = int(math.ceil((attenuation_db - 7.95) / (2.285 * width))) + 1
    k = (n_taps - 1) // 2
    if k % 2 == 0:  # K odd: the outermost taps are non-zero (even offsets are the sinc's zeros)
        k += 1
    ripple = 10.0 ** (-attenuation_db / 20.0)
    while True:  # the Kaiser length estimate is approximate: lengthen until the response meets it
        taps = _windowed_halfband(k, beta)
        w, response = scipy.signal.freqz(taps, worN=8192)
        nu = w / math.pi  # fraction of the input Nyquist (the lowered Nyquist is 0.5)
        passband_error = np.max(np.abs(np.abs(response[nu <= passband / 2]) - 1.0))
        stopband_gain = np.max(np.abs(response[nu >= 1.0 - passband / 2]))
        if max(passband_error, stopband_gain) <= ripple:
            break
        k += 2
    return HalfbandFilter(taps=readonly(taps), passband=passband, attenuation_db=attenuation_db)


# ---------------------------------------------------------------------------------------------
# Octave plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OctavePlan:
    """One octave of the multirate transform.

    Attributes
    ----------
    start, stop : int
        Bins ``start .. stop - 1`` (ascending frequency).
    level : int
        The octave is computed at ``sr / 2 ** level`` from the signal halved ``level`` times.
    hop : int
        Hop length at that rate, ``hop_length // 2 ** level``.
    kernels : CQTKernels
        The octave's kernels at that rate (sampled full-rate kernels times ``2 ** level``),
        offsets in samples of that rate; ``lengths`` and ``freqs`` are the full-rate values.
    packed_start : int
        Start of the octave's kernels in the packed arrays of all bins.
    frame_start, frame_size : int
        The octave's frame: ``frame_size`` samples from ``frame_start`` (< 0) relative to the frame
        centre, the union of its kernels' supports.
    frame_index : np.ndarray [shape=(frame_size, n_bins)], int64, read-only
        Index into the packed arrays of all bins of the kernel sample that multiplies frame
        sample ``s`` for bin ``start + i``; -1 where the kernel is zero.
    """

    start: int
    stop: int
    level: int
    hop: int
    kernels: CQTKernels
    packed_start: int
    frame_start: int
    frame_size: int
    frame_index: np.ndarray = field(repr=False)

    @property
    def n_bins(self) -> int:
        """Bins in the octave."""
        return self.stop - self.start

    @property
    def first_block(self) -> int:
        """Block (of ``hop`` samples) holding the frame's first sample, relative to the centre's block."""
        return self.frame_start // self.hop

    @property
    def n_blocks(self) -> int:
        """Blocks of ``hop`` samples the frame touches."""
        lead = self.frame_start - self.first_block * self.hop
        return -(-(lead + self.frame_size) // self.hop)


@dataclass(frozen=True, eq=False)
class MultiratePlan:
    """Static layout of a multirate constant-Q transform.

    Attributes
    ----------
    octaves : tuple of OctavePlan
        In ascending bin order (the lowest octave first), covering every bin once.
    filter : HalfbandFilter
        The decimation filter applied at every halving.
    hop_length : int
        Full-rate hop.
    full : CQTKernels
        The full-rate kernels (the definition the plan reproduces).
    """

    octaves: tuple[OctavePlan, ...]
    filter: HalfbandFilter
    hop_length: int
    full: CQTKernels = field(repr=False)
    #: Full-rate samples the kernels reach before / after the frame centre (plain ints, so that
    #: the framing arithmetic traces as constants under ``torch.compile``).
    kernel_left: int = field(init=False, repr=False)
    kernel_right: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel_left", max(0, int(-np.min(self.full.offsets))))
        object.__setattr__(self, "kernel_right", int(np.max(self.full.offsets + self.full.sizes - 1)))

    @property
    def n_levels(self) -> int:
        """Number of halvings performed (the deepest octave's level)."""
        return max(o.level for o in self.octaves)

    @property
    def levels(self) -> tuple[int, ...]:
        """Level of every octave, lowest octave first."""
        return tuple(o.level for o in self.octaves)

    @property
    def sizes(self) -> np.ndarray:
        """Kernel sizes at their own rates, in bin order (the packed layout of the state)."""
        return readonly(np.concatenate([o.kernels.sizes for o in self.octaves]).astype(np.int64))

    @property
    def packed_real(self) -> np.ndarray:
        """Real parts of every bin's own-rate kernel, concatenated in bin order."""
        return readonly(np.concatenate([o.kernels.packed_real for o in self.octaves]))

    @property
    def packed_imag(self) -> np.ndarray:
        """Imaginary parts of every bin's own-rate kernel, concatenated in bin order."""
        return readonly(np.concatenate([o.kernels.packed_imag for o in self.octaves]))

    def n_frames(self, n_samples: int) -> int:
        """Frames for ``n_samples`` samples: ``1 + n_samples // hop_length`` (centred, as CQT1992v2)."""
        return 1 + n_samples // self.hop_length

    def padding(self, n_samples: int) -> tuple[int, int]:
        """Return the padding of a signal of ``n_samples`` samples before the decimation chain.

        Returns
        -------
        left, right : int
            Samples added at each end with the ``pad_mode`` (reflection, repeated for pads wider
            than the signal, or zeros): what the full-rate kernels of the first and last frames
            reach beyond the signal (the definition), plus the decimation filters' reach (so
            they see the padded signal continue, not a jump to zero), rounded up so that the
            original sample 0 and the padded length are multiples of ``hop_length``. At every
            level the signal is then a whole number of blocks of ``hop`` samples, frame ``t``
            centred at the start of block :meth:`first_frame_block` ``+ t``.
        """
        n_samples = check_int("n_samples", n_samples, minimum=1)
        hop = self.hop_length
        last = (self.n_frames(n_samples) - 1) * hop
        right = max(0, last + self.kernel_right - (n_samples - 1))
        t0 = self.first_frame_block(n_samples)
        n_blocks = max(
            t0 + self.n_frames(n_samples) + max(o.first_block + o.n_blocks - 1 for o in self.octaves),
            -(-(t0 * hop + n_samples + right + self.filter_reach) // hop),
        )
        return t0 * hop, n_blocks * hop - t0 * hop - n_samples

    @property
    def filter_reach(self) -> int:
        """Full-rate samples on each side that the decimation chain mixes into a decimated sample."""
        return self.filter.half_length * (2**self.n_levels - 1)

    def first_frame_block(self, n_samples: int) -> int:
        """Block (of ``hop`` samples at every level) that starts at frame 0's centre."""
        left = self.kernel_left + self.filter_reach
        return max(-(-left // self.hop_length), max(-o.first_block for o in self.octaves))


def _octave_slices(n_bins: int, bins_per_octave: int) -> list[tuple[int, int]]:
    """Group bins into octaves as librosa does, top octave first: ``(max(0, n - (i+1) bpo), n - i bpo)``."""
    n_octaves = int(math.ceil(n_bins / bins_per_octave))
    return [(max(0, n_bins - bins_per_octave * (i + 1)), n_bins - bins_per_octave * i) for i in range(n_octaves)]


def _twos(n: int) -> int:
    d = 0
    while n % 2 == 0:
        n //= 2
        d += 1
    return d


def _band_levels(kernels: CQTKernels, *, sr: float, passband: float, max_level: int, tolerance: float) -> np.ndarray:
    """Return the deepest level allowed for every kernel.

    That is the largest ``level`` for which the kernel's energy beyond
    ``passband * sr / 2 ** (level + 1)`` (both signs of frequency) is at most ``tolerance ** 2``
    of its total energy.
    """
    out = np.zeros(len(kernels.kernels), dtype=np.int64)
    if max_level == 0:
        return out
    edges = passband * sr / 2.0 ** (np.arange(1, max_level + 1) + 1)
    for k, kern in enumerate(kernels.kernels):
        n_fft = 1 << int(math.ceil(math.log2(2 * kern.shape[0])))
        energy = np.abs(np.fft.fft(kern, n_fft)) ** 2
        freq = np.abs(np.fft.fftfreq(n_fft, d=1.0 / sr))
        total = float(np.sum(energy))
        if total <= 0:
            out[k] = max_level
            continue
        order = np.argsort(freq)
        # out-of-band energy above each edge: cumulative sum from the top of |f|
        tail = np.cumsum(energy[order][::-1])[::-1] / total
        pos = np.searchsorted(freq[order], edges, side="right")
        beyond = np.where(pos < n_fft, tail[np.minimum(pos, n_fft - 1)], 0.0)
        ok = beyond <= tolerance**2
        out[k] = int(np.argmin(ok)) if not ok.all() else max_level
    return out


def _subsample(kernels: CQTKernels, start: int, stop: int, step: int) -> CQTKernels:
    """Kernels ``start .. stop - 1`` sampled at the positions divisible by ``step``, times ``step``."""
    ks, offs = [], []
    for k in range(start, stop):
        kern, off = kernels.kernels[k], int(kernels.offsets[k])
        first = -(-off // step) * step  # first position >= off divisible by step
        sub = kern[first - off :: step] * step
        ks.append(readonly(np.array(sub)))
        offs.append(first // step)
    return CQTKernels(
        kernels=tuple(ks),
        offsets=readonly(np.array(offs, dtype=np.int64)),
        lengths=readonly(np.array(kernels.lengths[start:stop])),
        freqs=readonly(np.array(kernels.freqs[start:stop])),
    )


def multirate_plan(
    kernels: CQTKernels,
    *,
    sr: float,
    hop_length: int,
    bins_per_octave: int,
    earlydownsample: bool = True,
    passband: float = PASSBAND,
    attenuation_db: float = ATTENUATION_DB,
    tolerance: float = TOLERANCE,
) -> MultiratePlan:
    """Choose the rate of every octave and build its kernels (see the module notes).

    Parameters
    ----------
    kernels : CQTKernels
        Full-rate kernels (:func:`wavelet_kernels`), bins in ascending frequency.
    sr : float > 0
        Sampling rate of the input in Hz.
    hop_length : int > 0
        Full-rate hop; an octave is computed after ``d`` halvings only if ``2 ** d`` divides it.
    bins_per_octave : int > 0
        Bins per octave (octaves grouped from the top bin down, as librosa does).
    earlydownsample : bool
        ``True``: the top octave too is computed at the lowest rate its content allows.
        ``False``: the top octave at the full rate, each lower octave at most one halving further.
        Both give the same result (to the filter's accuracy); ``True`` is faster.
    passband, attenuation_db : float
        Of the decimation filter (:func:`halfband_lowpass`).
    tolerance : float in (0, 1]
        A bin goes down to a level only if the fraction of its kernel's energy outside the band
        the decimation filters keep exact is at most ``tolerance ** 2``.

    Returns
    -------
    MultiratePlan
    """
    sr = check_float("sr", sr, minimum=0.0, strict_min=True)
    hop_length = check_int("hop_length", hop_length, minimum=1)
    bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
    earlydownsample = check_bool("earlydownsample", earlydownsample)
    tolerance = check_float("tolerance", tolerance, minimum=0.0, strict_min=True, maximum=1.0)
    filt = halfband_lowpass(passband=passband, attenuation_db=attenuation_db)
    n_bins = len(kernels.kernels)
    d_hop = _twos(hop_length)
    max_level = _band_levels(kernels, sr=sr, passband=filt.passband, max_level=d_hop, tolerance=tolerance)
    levels = []
    for i, (start, stop) in enumerate(_octave_slices(n_bins, bins_per_octave)):
        level = int(np.min(max_level[start:stop]))
        if not earlydownsample:
            level = min(level, i)
        levels.append((start, stop, level))
    octaves = []
    packed = 0
    for start, stop, level in reversed(levels):
        step = 2**level
        hop = hop_length // step
        sub = _subsample(kernels, start, stop, step)
        off, size = sub.offsets, sub.sizes
        frame_start = int(np.min(off))
        frame_size = int(np.max(off + size)) - frame_start
        j = np.arange(frame_size)[:, None] + frame_start - off[None, :]  # sample of each kernel
        kstart = packed + np.concatenate(([0], np.cumsum(size)[:-1]))
        index = np.where((j >= 0) & (j < size[None, :]), kstart[None, :] + j, -1).astype(np.int64)
        octaves.append(
            OctavePlan(
                start=start,
                stop=stop,
                level=level,
                hop=hop,
                kernels=sub,
                packed_start=packed,
                frame_start=frame_start,
                frame_size=frame_size,
                frame_index=readonly(index),
            )
        )
        packed += int(np.sum(sub.sizes))
    return MultiratePlan(octaves=tuple(octaves), filter=filt, hop_length=hop_length, full=kernels)


# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------


def _check_basis_norm(basis_norm: Any) -> float | None:
    try:
        return _check_kernel_norm(basis_norm)
    except ParameterError:
        raise ParameterError(
            f"basis_norm={basis_norm!r} is invalid: the kernel normalisation must be None (none), a number "
            "p > 0 (L_p norm; 1 = librosa's default) or inf (peak)"
        ) from None


@functools.lru_cache(maxsize=32)
def _cached_kernels(cfg: _MultirateCQT) -> CQTKernels:
    freqs = cfg.freqs()
    return wavelet_kernels(
        freqs,
        sr=cfg.sr,
        window=cfg.window,
        filter_scale=cfg.filter_scale,
        norm=cfg.basis_norm,
        gamma=cfg._gamma(),
        alpha=_alpha_for(freqs, cfg.bins_per_octave),
    )


@functools.lru_cache(maxsize=32)
def _cached_plan(cfg: _MultirateCQT) -> MultiratePlan:
    # configurations hash and compare by value: identical modules share one plan
    return multirate_plan(
        cfg.kernels(),
        sr=cfg.sr,
        hop_length=cfg.hop_length,
        bins_per_octave=cfg.bins_per_octave,
        earlydownsample=cfg.earlydownsample,
    )


#: Output scaling applied when ``norm=True`` (``'librosa'``) and ``norm=False`` (``'convolutional'``).
_NORM_TO_SCALING = {True: "librosa", False: "convolutional"}


class _MultirateCQT(_Config):
    """Shared resolution of the CQT2010 / CQT2010v2 / VQT arguments."""

    sr: float
    hop_length: int
    fmin: float
    fmax: float | None
    n_bins: int
    bins_per_octave: int
    filter_scale: float
    norm: bool
    basis_norm: Any
    window: Any
    pad_mode: str
    earlydownsample: bool
    output_format: str

    def _gamma(self) -> float | None:
        return 0.0

    def _resolve(self) -> None:
        s = object.__setattr__
        s(self, "sr", check_float("sr", self.sr, minimum=0.0, strict_min=True))
        s(self, "hop_length", check_int("hop_length", self.hop_length, minimum=1))
        s(self, "fmin", check_float("fmin", self.fmin, minimum=0.0, strict_min=True))
        s(self, "bins_per_octave", check_int("bins_per_octave", self.bins_per_octave, minimum=1))
        n_bins, fmax = _resolve_n_bins(self.n_bins, self.fmin, self.fmax, self.bins_per_octave)
        s(self, "n_bins", n_bins)
        s(self, "fmax", fmax)
        s(self, "filter_scale", check_float("filter_scale", self.filter_scale, minimum=0.0, strict_min=True))
        s(self, "norm", check_bool("norm", self.norm))
        s(self, "basis_norm", _check_basis_norm(self.basis_norm))
        s(self, "window", _check_cqt_window(self.window))
        s(self, "pad_mode", check_choice("pad_mode", self.pad_mode, _PAD_MODES))
        s(self, "earlydownsample", check_bool("earlydownsample", self.earlydownsample))
        s(self, "output_format", check_choice("output_format", self.output_format, _OUTPUT_FORMATS))
        freqs = self.freqs()
        _, f_cutoff = wavelet_lengths(
            freqs,
            sr=self.sr,
            window=self.window,
            filter_scale=self.filter_scale,
            gamma=self._gamma(),
            alpha=_alpha_for(freqs, self.bins_per_octave),
        )
        _check_nyquist(freqs, f_cutoff, self.sr)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["window"] = _window_for_json(self.window)
        if out["basis_norm"] is not None and math.isinf(out["basis_norm"]):
            out["basis_norm"] = "inf"
        return out

    @property
    def normalization_type(self) -> str:
        """The output scaling ``norm`` selects: ``'librosa'`` (True) or ``'convolutional'`` (False)."""
        return _NORM_TO_SCALING[bool(self.norm)]

    def freqs(self) -> np.ndarray:
        """Centre frequencies in Hz, shape ``(n_bins,)``."""
        return cqt_frequencies(self.n_bins, fmin=self.fmin, bins_per_octave=self.bins_per_octave)

    def kernels(self) -> CQTKernels:
        """Full-rate kernels (librosa's ``filters.wavelet`` at its own lengths): the definition; cached."""
        return _cached_kernels(self)

    def plan(self) -> MultiratePlan:
        """Return the multirate layout (octave rates, own-rate kernels, decimation filter); cached."""
        return _cached_plan(self)

    def n_frames(self, n_samples: int) -> int:
        """``1 + n_samples // hop_length``: frame ``t`` is centred at sample ``t * hop_length``."""
        return 1 + n_samples // self.hop_length

    def check_length(self, n_samples: int) -> None:
        """Raise :class:`ParameterError` for an empty signal (any non-empty signal works)."""
        if n_samples < 1:
            raise ParameterError("x is empty (0 samples along the last axis): nothing to transform")

    def state_spec(self) -> tuple[StateEntry, ...]:
        """Packed own-rate ``cqt_kernels_real``/``_imag`` (length set by the plan: ``-1``), ``lengths``."""
        trainable = bool(getattr(self, "trainable", False))
        return (
            StateEntry("cqt_kernels_real", (-1,), trainable, design=lambda: self.plan().packed_real),
            StateEntry("cqt_kernels_imag", (-1,), trainable, design=lambda: self.plan().packed_imag),
            StateEntry("lengths", (self.n_bins,), design=lambda: self.plan().full.lengths),
        )

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Centred frames whose support is the kernels plus the decimation chain.

        The signal is decimated on a grid anchored at frame centres (sample 0 and every hop
        multiple sit on it at every level, since a level ``l`` is used only when ``2 ** l``
        divides the hop), so a segment that starts on a hop multiple is decimated on the one-shot
        grid. Frame ``t`` reads the full-rate samples within ``kernel_left`` / ``kernel_right`` of
        its centre, widened by the decimation filters' reach; a symmetric support of twice the
        larger side (+ 2) covers it.
        """
        plan = self.plan()
        side = max(plan.kernel_left, plan.kernel_right) + plan.filter_reach + 1
        fmt = self.output_format if output_format is None else output_format
        return frames_of(self.hop_length, 2 * side, True, fmt)

    def design_size(self) -> int:
        """Full-rate kernels, their zero-padded spectra and per-octave sample grids (``bins x longest kernel``)."""
        freqs = self.freqs()
        sizes = kernel_size_bound(
            freqs,
            sr=self.sr,
            window=self.window,
            filter_scale=self.filter_scale,
            bins_per_octave=self.bins_per_octave,
            gamma=self._gamma(),
        )
        longest = sizes if freqs.size == 1 else 2 * sizes // freqs.size + 1
        return 32 * sizes + 4 * self.n_bins * min(longest, sizes)


@dataclass(frozen=True, eq=False)
class CQT2010v2Config(_MultirateCQT):
    """Validated CQT2010v2 configuration (nnAudio2's arguments and defaults).

    ``norm`` (bool) selects the output scaling (True: ``'librosa'``, x ``sqrt(lengths)``; False:
    ``'convolutional'``, the plain inner products); ``basis_norm`` is the kernel normalisation
    (1 = L1, librosa's). ``fmax`` given -> ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))``.
    """

    sr: float = 22050.0
    hop_length: int = 512
    fmin: float = 32.7
    fmax: float | None = None
    n_bins: int = 84
    filter_scale: float = 1.0
    bins_per_octave: int = 12
    norm: bool = True
    basis_norm: Any = 1
    window: Any = "hann"
    pad_mode: str = "reflect"
    earlydownsample: bool = True
    trainable: bool = False
    output_format: str = "Magnitude"

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable", check_bool("trainable", self.trainable))
        self._resolve()


@dataclass(frozen=True, eq=False)
class CQT2010Config(_MultirateCQT):
    """Validated CQT2010 configuration (nnAudio2's arguments and defaults).

    As :class:`CQT2010v2Config`; ``trainable_CQT`` makes the kernels trainable. ``trainable_STFT``
    must be False: this implementation has no STFT stage (the kernels act in the time domain at
    each octave's rate), so there are no Fourier kernels to train; ``trainable_CQT=True`` trains
    the equivalent (and only) linear map.
    """

    sr: float = 22050.0
    hop_length: int = 512
    fmin: float = 32.7
    fmax: float | None = None
    n_bins: int = 84
    bins_per_octave: int = 12
    norm: bool = True
    basis_norm: Any = 1
    window: Any = "hann"
    pad_mode: str = "reflect"
    trainable_STFT: bool = False  # noqa: N815 - nnAudio2's name
    filter_scale: float = 1.0
    trainable_CQT: bool = False  # noqa: N815 - nnAudio2's name
    output_format: str = "Magnitude"
    earlydownsample: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable_STFT", check_bool("trainable_STFT", self.trainable_STFT))
        object.__setattr__(self, "trainable_CQT", check_bool("trainable_CQT", self.trainable_CQT))
        if self.trainable_STFT:
            raise ParameterError(
                "trainable_STFT=True is invalid for CQT2010: this implementation applies the constant-Q "
                "kernels in the time domain at each octave's rate, without an STFT stage whose Fourier "
                "kernels could be trained; use trainable_CQT=True to train the (equivalent) kernels"
            )
        self._resolve()

    @property
    def trainable(self) -> bool:
        """Whether the kernels are trainable (``trainable_CQT``)."""
        return cast(bool, self.trainable_CQT)


@dataclass(frozen=True, eq=False)
class VQTConfig(_MultirateCQT):
    """Validated VQT configuration (nnAudio2's arguments and defaults).

    ``gamma`` >= 0 widens every filter by ``gamma`` Hz (``lengths = Q sr / (f + gamma / alpha)``,
    librosa's definition); ``gamma=0`` is the constant-Q transform (identical to CQT2010v2);
    ``gamma=None`` is librosa's ERB-proportional choice ``24.7 * alpha / 0.108``.
    """

    sr: float = 22050.0
    hop_length: int = 512
    fmin: float = 32.7
    fmax: float | None = None
    n_bins: int = 84
    filter_scale: float = 1.0
    bins_per_octave: int = 12
    norm: bool = True
    basis_norm: Any = 1
    gamma: float | None = 0.0
    window: Any = "hann"
    pad_mode: str = "reflect"
    earlydownsample: bool = True
    trainable: bool = False
    output_format: str = "Magnitude"

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable", check_bool("trainable", self.trainable))
        if self.gamma is not None:
            object.__setattr__(self, "gamma", check_float("gamma", self.gamma, minimum=0.0))
        self._resolve()

    def _gamma(self) -> float | None:
        return cast("float | None", self.gamma)
