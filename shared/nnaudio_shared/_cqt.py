"""Constant-Q kernel design (librosa's ``filters.wavelet``) and the polyphase layout of the CQT.

Public API (float64, validated, read-only results; no prints)
--------------------------------------------------------------
``cqt_frequencies(n_bins, *, fmin, bins_per_octave=12)``
    ``fmin * 2 ** (k / bins_per_octave)``, ``k = 0 .. n_bins - 1``.
``relative_bandwidth(bins_per_octave)``
    librosa's alpha for a geometric series, ``(2**(2/bpo) - 1) / (2**(2/bpo) + 1)``.
``wavelet_lengths(freqs, *, sr, window, filter_scale, gamma, alpha) -> (lengths, f_cutoff)``
    Exactly ``librosa.filters.wavelet_lengths``: fractional lengths
    ``Q * sr / (freqs + gamma / alpha)`` with ``Q = filter_scale / alpha`` and the frequency at
    which the top filter's main lobe has decayed by 3 dB (for the Nyquist check).
``wavelet_kernels(freqs, *, sr, window, filter_scale, norm, gamma, alpha) -> CQTKernels``
    The filters of ``librosa.filters.wavelet`` at their own integer lengths ``n_k``, conjugated
    and reversed in time so that correlating with them is the convolution ``librosa.cqt``
    computes, for every window (see :func:`wavelet_kernels`); ``offsets[k]`` is the index of the
    first sample relative to the frame centre. The full-rate transform is
    ``X[k, t] = sum_j x[c_t + offsets[k] + j] * conj(kernels[k][j])`` (``c_t`` the frame centre);
    ``CQTKernels.packed_real/packed_imag`` concatenate all kernels (``starts`` indexes them).
``polyphase_plan(offsets, sizes, hop, *, group_size) -> tuple[PolyphaseGroup, ...]``
    Static layout of the polyphase GEMM (independent of ``sr``): the signal is cut into
    non-overlapping blocks of ``hop`` samples with every frame centre on a block start; for a group
    of adjacent bins, block ``q`` of the group's support (``first_block + q`` blocks after the
    frame's own block) multiplies weight ``W[:, q, :]`` of shape ``(hop, n_g)``, so
    ``y[t, k] = sum_q (blocks[t + first_block + q] @ W[:, q, :])[k]``. Each group says how to
    build ``W`` from the packed kernels, either with ``gather_index`` (-1 = zero) or by zero-padding
    each kernel by ``lead[i]`` / ``trail[i]`` samples and reshaping to ``(n_blocks, hop)``.
``polyphase_layout(offsets, sizes, hop, *, group_size, phase=0) -> PolyphaseLayout``
    The same weights flattened into one ``(hop, 2 * n_cols)`` GEMM matrix with the all-zero
    columns dropped, plus the list of shifted adds (``taps``) that finish the sum. ``phase`` puts
    the frame centre at sample ``phase`` of its block; ``best_phase`` picks the cheapest.
``factored_plan(kernels, hop, *, group_size, phase, tolerance) -> FactoredPlan``
    For fixed kernels: groups of long kernels whose block weights span few singular vectors
    (truncated at ``tolerance`` of each kernel's norm) are evaluated as one GEMM with the
    bases and a small convolution per group; the short kernels stay on the direct layout.
``reflect_indices(n_samples, left, right)``
    Source index of every sample of a reflect-padded signal, repeated reflection like ``np.pad``
    (so a pad wider than the signal works).
``CQT1992v2Config``, ``CQT1992Config``
    Validated configurations of the full-rate transforms (nnAudio2's arguments and defaults).
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._arrays import readonly
from ._chunks import FrameGeometry
from ._config import _OUTPUT_FORMATS, _PAD_MODES, StateEntry, _Config, _window_for_json, frames_of, n_frames
from ._errors import ParameterError
from ._fourier import FourierKernels, fourier_kernels
from ._validate import check_bool, check_choice, check_float, check_int, check_optional_float
from ._windows import WindowSpec, get_window

__all__ = [
    "CQT1992Config",
    "CQT1992v2Config",
    "CQTKernels",
    "CQTNormalization",
    "FactoredGroup",
    "FactoredPlan",
    "KernelNorm",
    "PolyphaseGroup",
    "PolyphaseGeometry",
    "PolyphaseLayout",
    "best_phase",
    "cqt_frequencies",
    "factored_plan",
    "polyphase_geometry",
    "polyphase_layout",
    "polyphase_plan",
    "reflect_indices",
    "relative_bandwidth",
    "wavelet_kernels",
    "wavelet_lengths",
    "window_bandwidth",
]

#: Scaling of the CQT output (nnAudio2's ``normalization_type``): ``'librosa'`` multiplies by
#: ``sqrt(lengths)`` (matches ``librosa.cqt``), ``'convolutional'`` leaves the inner products,
#: ``'wrap'`` doubles them (a unit-amplitude sinusoid gives ~1 in its bin).
CQTNormalization = Literal["librosa", "convolutional", "wrap"]
NORMALIZATION_TYPES = ("librosa", "convolutional", "wrap")
#: Kernel normalisation (``librosa.util.normalize``): ``None`` (none), ``p > 0`` (L_p, ``inf``
#: = peak).
KernelNorm = float | None

# librosa.filters.WINDOW_BANDWIDTHS (librosa 0.11): equivalent noise bandwidth in FFT bins.
_WINDOW_BANDWIDTHS = {
    "bart": 1.3334961334912805,
    "barthann": 1.4560255965133932,
    "bartlett": 1.3334961334912805,
    "bkh": 2.0045975283585014,
    "black": 1.7269681554262326,
    "blackharr": 2.0045975283585014,
    "blackman": 1.7269681554262326,
    "blackmanharris": 2.0045975283585014,
    "blk": 1.7269681554262326,
    "bman": 1.7859588613860062,
    "bmn": 1.7859588613860062,
    "bohman": 1.7859588613860062,
    "box": 1.0,
    "boxcar": 1.0,
    "brt": 1.3334961334912805,
    "brthan": 1.4560255965133932,
    "bth": 1.4560255965133932,
    "cosine": 1.2337005350199792,
    "flat": 2.7762255046484143,
    "flattop": 2.7762255046484143,
    "flt": 2.7762255046484143,
    "halfcosine": 1.2337005350199792,
    "ham": 1.3629455320350348,
    "hamm": 1.3629455320350348,
    "hamming": 1.3629455320350348,
    "han": 1.50018310546875,
    "hann": 1.50018310546875,
    "nut": 1.9763500280946082,
    "nutl": 1.9763500280946082,
    "nuttall": 1.9763500280946082,
    "ones": 1.0,
    "par": 1.917460317460319,
    "parz": 1.917460317460319,
    "parzen": 1.917460317460319,
    "rect": 1.0,
    "rectangular": 1.0,
    "tri": 1.333170652355585,
    "triang": 1.333170652355585,
    "triangle": 1.333170652355585,
}


def _check_cqt_window(window: Any) -> WindowSpec:
    """Return ``window`` if it is usable at every kernel length: a name or a (name, params...) tuple."""
    if isinstance(window, list) and window and isinstance(window[0], str):
        window = tuple(window)  # JSON round trip of ('kaiser', 4.0)
    if isinstance(window, (np.ndarray, list)) or callable(window) or not isinstance(window, (str, tuple, float)):
        raise ParameterError(
            f"window={window!r} is invalid for a constant-Q transform: every bin has its own length, "
            "so pass a scipy window name such as 'hann' or a tuple such as ('kaiser', 4.0)"
        )
    get_window(window, 16)  # raises ParameterError if scipy cannot build it
    return window


def window_bandwidth(window: WindowSpec) -> float:
    """Equivalent noise bandwidth of ``window`` in FFT bins (``librosa.filters.window_bandwidth``)."""
    window = _check_cqt_window(window)
    if isinstance(window, str) and window in _WINDOW_BANDWIDTHS:
        return _WINDOW_BANDWIDTHS[window]
    n = 1000
    win = get_window(window, n)
    return float(n * np.sum(win**2) / (np.sum(win) ** 2 + np.finfo(np.float64).tiny))


def cqt_frequencies(n_bins: int, *, fmin: float, bins_per_octave: int = 12) -> np.ndarray:
    """Centre frequencies of a constant-Q filterbank.

    Parameters
    ----------
    n_bins : int > 0
    fmin : float > 0
        Frequency of the lowest bin in Hz.
    bins_per_octave : int > 0

    Returns
    -------
    np.ndarray [shape=(n_bins,)], float64, read-only
        ``fmin * 2 ** (k / bins_per_octave)`` (``librosa.cqt_frequencies``).
    """
    n_bins = check_int("n_bins", n_bins, minimum=1)
    fmin = check_float("fmin", fmin, minimum=0.0, strict_min=True)
    bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
    return readonly(fmin * 2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave))


def relative_bandwidth(bins_per_octave: int) -> float:
    """Relative bandwidth alpha of a geometric series with ``bins_per_octave`` bins per octave.

    ``alpha = (r**2 - 1) / (r**2 + 1)`` with ``r = 2 ** (1 / bins_per_octave)``, so that
    ``(1 + alpha) f[k-1] = (1 - alpha) f[k+1]``; the constant-Q factor is
    ``Q = filter_scale / alpha`` (librosa >= 0.10; 17.31 at 12 bins per octave, where nnAudio2 uses
    ``1 / (2 ** (1/12) - 1) = 16.82``).
    """
    bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
    r2 = 2.0 ** (2.0 / bins_per_octave)
    return (r2 - 1.0) / (r2 + 1.0)


def _relative_bandwidth_array(freqs: np.ndarray) -> np.ndarray:
    # librosa.filters._relative_bandwidth, operation for operation (same rounding).
    bpo = np.empty_like(freqs)
    logf = np.log2(freqs)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[-1] = 1 / (logf[-1] - logf[-2])
    bpo[1:-1] = 2 / (logf[2:] - logf[:-2])
    return (2.0 ** (2 / bpo) - 1) / (2.0 ** (2 / bpo) + 1)


def _check_freqs(freqs: Any) -> np.ndarray:
    try:
        f = np.array(freqs, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"freqs={freqs!r} is invalid: expected a 1-D array of frequencies in Hz") from None
    if f.ndim != 1 or f.size == 0:
        raise ParameterError(f"freqs has shape {f.shape}: expected a non-empty 1-D array of frequencies in Hz")
    if not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise ParameterError(f"freqs={f} is invalid: every frequency must be finite and > 0")
    if f.size > 1 and np.any(f[:-1] >= f[1:]):
        raise ParameterError(f"freqs={f} is invalid: frequencies must be strictly ascending")
    return f


def _check_alpha(alpha: Any, freqs: np.ndarray) -> np.ndarray:
    if alpha is None:
        if freqs.size < 2:
            raise ParameterError(
                "alpha=None is invalid for a single frequency: the relative bandwidth cannot be inferred "
                "from one bin; pass alpha=relative_bandwidth(bins_per_octave)"
            )
        return _relative_bandwidth_array(freqs)
    try:
        a = np.array(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"alpha={alpha!r} is invalid: expected a positive number or array") from None
    if a.ndim > 1 or (a.ndim == 1 and a.size != freqs.size):
        raise ParameterError(f"alpha has shape {a.shape}: expected a scalar or one value per frequency ({freqs.size})")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ParameterError(f"alpha={alpha!r} is invalid: must be finite and > 0")
    return np.broadcast_to(a, freqs.shape).copy()


def _check_gamma(gamma: Any) -> float | None:
    if gamma is None:
        return None
    return check_float("gamma", gamma, minimum=0.0)


def wavelet_lengths(
    freqs: Any,
    *,
    sr: float,
    window: WindowSpec = "hann",
    filter_scale: float = 1.0,
    gamma: float | None = 0.0,
    alpha: Any = None,
) -> tuple[np.ndarray, float]:
    """Fractional filter lengths of a wavelet (constant/variable-Q) basis.

    Identical to ``librosa.filters.wavelet_lengths``.

    Parameters
    ----------
    freqs : array_like [shape=(n_bins,)]
        Centre frequencies in Hz, positive and strictly ascending.
    sr : float > 0
    window : str or tuple
        Window of the filters (its noise bandwidth enters ``f_cutoff``).
    filter_scale : float > 0
        Multiplies every length (``Q = filter_scale / alpha``).
    gamma : float >= 0 or None
        Bandwidth offset of the variable-Q transform (0: constant Q). ``None``: ERB-proportional,
        ``gamma = 24.7 * alpha / 0.108``.
    alpha : float, array or None
        Relative bandwidth; ``None`` derives it from ``freqs`` as librosa does (needs 2+ bins).

    Returns
    -------
    lengths : np.ndarray [shape=(n_bins,)], float64, read-only
        ``Q * sr / (freqs + gamma / alpha)``.
    f_cutoff : float
        ``max(freqs * (1 + 0.5 * window_bandwidth / Q) + 0.5 * gamma)``: the highest frequency
        reached by a main lobe (must stay below ``sr / 2``).
    """
    f = _check_freqs(freqs)
    sr = check_float("sr", sr, minimum=0.0, strict_min=True)
    filter_scale = check_float("filter_scale", filter_scale, minimum=0.0, strict_min=True)
    g = _check_gamma(gamma)
    a = _check_alpha(alpha, f)
    gamma_arr = a * 24.7 / 0.108 if g is None else g
    Q = filter_scale / a
    f_cutoff = float(np.max(f * (1 + 0.5 * window_bandwidth(window) / Q) + 0.5 * gamma_arr))
    lengths = Q * sr / (f + gamma_arr / a)
    return readonly(np.asarray(lengths, dtype=np.float64)), f_cutoff


def _check_kernel_norm(norm: Any) -> float | None:
    if norm is None:
        return None
    if norm == "inf":  # JSON round trip of to_dict()
        return math.inf
    if isinstance(norm, bool) or not isinstance(norm, numbers.Real) or math.isnan(norm) or norm <= 0:
        raise ParameterError(
            f"norm={norm!r} is invalid: the kernel normalisation must be None (none), a number p > 0 "
            "(L_p norm; 1 = librosa's default) or inf (peak)"
        )
    return float(norm)


@dataclass(frozen=True, eq=False)
class CQTKernels:
    """Time-domain constant-Q kernels at their own lengths.

    Attributes
    ----------
    kernels : tuple of np.ndarray, complex128
        ``kernels[k]`` has ``sizes[k]`` samples: librosa's ``filters.wavelet`` filter ``k`` before
        ``pad_center``, conjugated and reversed in time, so that correlating with it is
        ``librosa.cqt``'s convolution with the filter (see :func:`wavelet_kernels`).
    offsets : np.ndarray [shape=(n_bins,)], int64
        Index of each kernel's first sample relative to the frame centre (``1 - n_k // 2``, or
        ``-(n_k // 2)`` when the window's ``w[0] = 0``);
        ``X[k, t] = sum_j x[c_t + offsets[k] + j] conj(kernels[k][j])``.
    lengths : np.ndarray [shape=(n_bins,)], float64
        Fractional lengths (``wavelet_lengths``), used by the ``'librosa'`` output scaling.
    freqs : np.ndarray [shape=(n_bins,)], float64
        Centre frequencies in Hz.
    """

    kernels: tuple[np.ndarray, ...]
    offsets: np.ndarray
    lengths: np.ndarray
    freqs: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        """Integer length of each kernel, shape ``(n_bins,)``."""
        return readonly(np.array([k.shape[0] for k in self.kernels], dtype=np.int64))

    @property
    def starts(self) -> np.ndarray:
        """Start of each kernel in the packed arrays, shape ``(n_bins,)``."""
        sizes = self.sizes
        return readonly(np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64))

    @property
    def packed_real(self) -> np.ndarray:
        """Real parts of all kernels concatenated, shape ``(sum(sizes),)``."""
        return readonly(np.concatenate([k.real for k in self.kernels]))

    @property
    def packed_imag(self) -> np.ndarray:
        """Imaginary parts of all kernels concatenated, shape ``(sum(sizes),)``."""
        return readonly(np.concatenate([k.imag for k in self.kernels]))

    @property
    def width(self) -> int:
        """Frame width of librosa: the smallest power of two >= every fractional length."""
        return int(2.0 ** np.ceil(np.log2(np.max(self.lengths))))

    def dense(self, width: int | None = None) -> np.ndarray:
        """Kernels centre-padded into frames of ``width`` samples (librosa's layout), complex128.

        The frame centre is sample ``width // 2``; ``width`` defaults to :attr:`width`.
        """
        width = self.width if width is None else width
        out = np.zeros((len(self.kernels), width), dtype=np.complex128)
        for k, (kern, off) in enumerate(zip(self.kernels, self.offsets, strict=True)):
            start = width // 2 + int(off)
            if start < 0 or start + kern.shape[0] > width:
                raise ParameterError(f"width={width} is invalid: kernel {k} ({kern.shape[0]} samples) does not fit")
            out[k, start : start + kern.shape[0]] = kern
        return readonly(out)


def wavelet_kernels(
    freqs: Any,
    *,
    sr: float,
    window: WindowSpec = "hann",
    filter_scale: float = 1.0,
    norm: KernelNorm = 1,
    gamma: float | None = 0.0,
    alpha: Any = None,
) -> CQTKernels:
    """Correlation kernels of the convolution with ``librosa.filters.wavelet``'s filters.

    ``librosa.cqt`` multiplies the DFT of each filter with the STFT of the signal, so it
    *convolves* the signal with the filter: ``X[k, t] = sum_m frame_t[m] h_k[-m]``, where
    ``frame_t[m]`` is sample ``m`` from the frame centre (``m = -(width // 2) ..``, ``width``
    the smallest power of two >= every fractional length ``L_k``, librosa's ``pad_fft`` frame)
    and ``h_k`` is filter ``k`` centre-padded to ``width`` (indices circular in the frame). A
    convolution is a correlation with the filter conjugated and reversed in time, so
    ``kernels[k]`` is librosa's unpadded filter ``g_k`` (``n_k`` samples) conjugated and
    reversed, ``conj(g_k[::-1])``, with its first sample at ``offsets[k] = 1 - n_k // 2`` from the
    frame centre, where its phase is zero: the tap at position ``p`` is
    ``exp(2j pi freqs[k] p / sr) * w[(p + n_k // 2) mod n_k]`` (``w`` the periodic window of
    ``n_k`` samples, ``w[n - m] = w[m]``), normalised like ``librosa.util.normalize``. librosa's
    ``g_k`` is ``phasor(2 pi freqs[k] / sr * arange(-L_k // 2, L_k // 2)) * w`` (so
    ``n_k = len(arange(-L_k // 2, L_k // 2))``); its first sample, weighted by ``w[0]``, is the
    kernel's last tap, at ``n_k - n_k // 2``. Two exact re-arrangements of the same function:

    * ``w[0] = 0`` (hann, the default): the zero tap is stored first instead of last,
      ``offsets[k] = -(n_k // 2)`` and the tap at ``p`` is ``exp(2j pi freqs[k] p / sr) *
      w[p + n_k // 2]`` (the design of earlier versions, bitwise).
    * ``w[0] != 0`` and the last tap would fall outside librosa's frame (``n_k >= width - 1``,
      only when ``L_k`` is within 2 samples of ``width``): librosa's circular frame moves it to
      the frame's first sample, and so does this design (the kernel then spans the ``width``
      samples of the frame, zeros between).

    Correlating with librosa's filters as they are (first tap at ``-(n_k // 2)``) is one sample
    off the convolution for odd ``n_k``: complex values about 7 % off ``librosa.cqt``. Kernels
    that only re-reference the phase to sample ``n_k // 2`` (this function before) put the
    ``w[0]`` tap at the wrong end: exact only when ``w[0] = 0`` (hamming: 1.5e-2 complex error
    in the top octave, kaiser 1.6e-2, boxcar 1.2e-1). The conjugated, reversed filter gives the
    convolution for every window: measured <= 8e-16 (relative L2 over all 84 bins from C1)
    against the float64 definition for hann, hamming, blackman, kaiser, tukey and boxcar.
    What remains between us and ``librosa.cqt`` is librosa's own approximation: it keeps only
    the non-negative frequencies of each filter's DFT (its top octave is the definition plus
    that truncation: 6e-5 for hann, 7e-3 for hamming, whose side lobes reach the negative
    frequencies), and resamples the lower octaves.

    Parameters
    ----------
    freqs, sr, window, filter_scale, gamma, alpha
        As in :func:`wavelet_lengths`.
    norm : float > 0, inf or None
        L_p normalisation of each filter (``librosa.util.normalize``); ``None``: none.

    Returns
    -------
    CQTKernels
    """
    lengths, _ = wavelet_lengths(freqs, sr=sr, window=window, filter_scale=filter_scale, gamma=gamma, alpha=alpha)
    f = _check_freqs(freqs)
    p_norm = _check_kernel_norm(norm)
    width = int(2.0 ** np.ceil(np.log2(np.max(lengths))))  # librosa's frame (pad_fft=True)
    end = width - width // 2  # first position past the frame, relative to its centre
    kernels = []
    offsets = []
    windows: dict[int, np.ndarray] = {}
    for ilen, freq in zip(lengths, f, strict=True):
        n = np.arange(-ilen // 2, ilen // 2).shape[0]  # librosa's integer length
        if n not in windows:
            windows[n] = get_window(window, n, fftbins=True)
        win = windows[n]
        # conj(g[::-1]) sits at positions p = 1 - n // 2 .. n - n // 2 with the value
        # exp(2j pi freq p / sr) * w[n - n // 2 - p], and w[n - m] = w[m] (periodic windows):
        # the window index is (p + n // 2) mod n, the last tap carries w[0]
        first = 1 - n // 2
        if win[0] == 0:  # the same function with the zero tap in front
            first -= 1
        p = np.arange(n, dtype=np.float64) + first
        phase = p * 2 * np.pi * freq / sr
        kern = (np.cos(phase) + 1j * np.sin(phase)) * win[(np.arange(n) + first + n // 2) % n]
        if p_norm is not None:
            mag = np.abs(kern)
            scale = np.max(mag) if math.isinf(p_norm) else np.sum(mag**p_norm) ** (1.0 / p_norm)
            if scale >= np.finfo(np.float64).tiny:
                kern = kern / scale
        if first + n > end:  # the w[0] tap wraps around librosa's circular frame to its start
            kern = np.concatenate((kern[-1:], np.zeros(width - n, dtype=kern.dtype), kern[:-1]))
            first = -(width // 2)
        offsets.append(first)
        kernels.append(readonly(kern))
    return CQTKernels(
        kernels=tuple(kernels),
        offsets=readonly(np.array(offsets, dtype=np.int64)),
        lengths=lengths,
        freqs=readonly(f),
    )


@dataclass(frozen=True, eq=False)
class PolyphaseGroup:
    """One group of adjacent bins of the polyphase CQT (see :func:`polyphase_plan`).

    Attributes
    ----------
    start, stop : int
        The group holds bins ``start .. stop - 1``.
    first_block : int
        Index of the group's first block relative to the block holding the frame centre
        (usually negative).
    n_blocks : int
        Number of blocks ``Q_g`` the group's kernels span.
    lead, trail : np.ndarray [shape=(n_g,)], int64
        Zeros before / after kernel ``start + i`` inside the span of ``n_blocks * hop`` samples:
        ``pad(kernel, (lead[i], trail[i])).reshape(n_blocks, hop)`` is its ``W[:, :, i].T``.
    gather_index : np.ndarray [shape=(hop, n_blocks, n_g)], int64
        Index into the packed kernel arrays of every weight, -1 where the weight is zero.
    bin_ranges : np.ndarray [shape=(n_blocks, 2)], int64
        For block ``q``, the bins ``[lo, hi)`` (absolute indices) whose kernels reach it; the
        other columns of ``W[:, q, :]`` are zero.
    """

    start: int
    stop: int
    first_block: int
    n_blocks: int
    lead: np.ndarray
    trail: np.ndarray
    gather_index: np.ndarray = field(repr=False)
    bin_ranges: np.ndarray = field(repr=False)

    @property
    def n_bins(self) -> int:
        """Number of bins in the group."""
        return self.stop - self.start


def _check_offsets_sizes(offsets: Any, sizes: Any) -> tuple[np.ndarray, np.ndarray]:
    off = np.asarray(offsets)
    size = np.asarray(sizes)
    if off.ndim != 1 or size.shape != off.shape or off.size == 0:
        raise ParameterError(
            f"offsets and sizes have shapes {off.shape} and {size.shape}: expected equal non-empty 1-D arrays"
        )
    if not (np.issubdtype(off.dtype, np.integer) and np.issubdtype(size.dtype, np.integer)):
        raise ParameterError("offsets and sizes must be integer arrays")
    if np.any(size < 1):
        raise ParameterError(f"sizes={size} is invalid: every kernel needs at least one sample")
    return off.astype(np.int64), size.astype(np.int64)


def polyphase_plan(
    offsets: Any, sizes: Any, hop: int, *, group_size: int, phase: int = 0
) -> tuple[PolyphaseGroup, ...]:
    """Plan the static layout of the polyphase (block) evaluation of a full-rate CQT.

    The signal is padded so that every frame centre is sample ``phase`` of a block of ``hop``
    samples, and cut into blocks ``B[m] = x[m*hop : (m+1)*hop]`` (no overlapping frames). For a
    group ``g`` with weights ``W_g`` of shape ``(hop, n_blocks, n_g)``::

        y[t, start + i] = sum_q sum_r B[t0 + t + first_block + q, r] * W_g[r, q, i]

    with ``t0`` the block holding frame 0's centre and ``W_g[r, q, i]`` the conjugated kernel
    sample ``j = (first_block + q) * hop + r - phase - offsets[start + i]`` (zero outside
    ``0 <= j < sizes``): one GEMM of the blocks with ``W_g`` reshaped to ``(hop, n_blocks * n_g)``
    followed by a sum of ``n_blocks`` shifted diagonals, or a 1-D convolution with ``hop`` input
    channels.

    Parameters
    ----------
    offsets : array_like of int [shape=(n_bins,)]
        First sample of each kernel relative to the frame centre (:attr:`CQTKernels.offsets`).
    sizes : array_like of int [shape=(n_bins,)]
        Kernel lengths; kernels are packed in bin order (``starts = cumsum(sizes) - sizes``).
    hop : int > 0
        Hop length at the rate of the kernels.
    group_size : int > 0
        Adjacent bins per group (each group is zero-padded only to its own longest kernel).
    phase : int in [0, hop)
        Position of the frame centre inside its block (``hop // 2`` lets kernels shorter than
        ``hop`` fit in one block).

    Returns
    -------
    tuple of PolyphaseGroup
        Groups in bin order, covering every bin once.
    """
    off, size = _check_offsets_sizes(offsets, sizes)
    hop = check_int("hop", hop, minimum=1)
    group_size = check_int("group_size", group_size, minimum=1)
    phase = check_int("phase", phase, minimum=0, maximum=hop - 1)
    off = off + phase
    starts = np.concatenate(([0], np.cumsum(size)[:-1]))
    groups = []
    for g0 in range(0, off.size, group_size):
        g1 = min(g0 + group_size, off.size)
        o, n, s = off[g0:g1], size[g0:g1], starts[g0:g1]
        b0, b1 = o // hop, (o + n - 1) // hop
        first = int(np.min(b0))
        n_blocks = int(np.max(b1)) - first + 1
        lead = o - first * hop
        trail = n_blocks * hop - lead - n
        r = np.arange(hop)[:, None, None]
        q = np.arange(n_blocks)[None, :, None]
        j = (first + q) * hop + r - o[None, None, :]
        valid = (j >= 0) & (j < n[None, None, :])
        index = np.where(valid, s[None, None, :] + j, -1).astype(np.int64)
        ranges = np.zeros((n_blocks, 2), dtype=np.int64)
        for qq in range(n_blocks):
            hit = np.nonzero((b0 <= first + qq) & (b1 >= first + qq))[0]
            ranges[qq] = (g0 + hit[0], g0 + hit[-1] + 1)
        groups.append(
            PolyphaseGroup(
                start=g0,
                stop=g1,
                first_block=first,
                n_blocks=n_blocks,
                lead=readonly(lead),
                trail=readonly(trail),
                gather_index=readonly(index),
                bin_ranges=readonly(ranges),
            )
        )
    return tuple(groups)


@dataclass(frozen=True, eq=False)
class PolyphaseLayout:
    """Flattened, zero-trimmed weight layout of a polyphase plan: one GEMM plus shifted adds.

    ``G = blocks @ W`` with ``W`` of shape ``(hop, 2 * n_cols)`` whose column pair ``(2c, 2c+1)``
    holds ``(real, -imag)`` of the kernel sample ``index[:, c]`` (``-1``: zero); then for every tap
    ``(block, lo, hi, col)``: ``y[t, lo:hi] += G[t0 + t + block, col : col + hi - lo]`` (pairs).

    Attributes
    ----------
    hop, phase, n_bins : int
    first_block, last_block : int
        Block range touched by any kernel, relative to the block holding the frame centre.
    taps : tuple of (block, lo, hi, col)
        Column ``col`` starts the ``hi - lo`` bin columns of bins ``lo .. hi - 1`` at block
        offset ``block``. Taps of one group are consecutive.
    index : np.ndarray [shape=(hop, n_cols)], int64
        Position of each weight in the packed kernel arrays, -1 for zero.
    groups : tuple of PolyphaseGroup
        The plan the layout flattens: column block ``q`` of group ``g`` holds, for the bins
        ``g.bin_ranges[q]``, block ``q`` of ``pad(kernel, (g.lead[i], g.trail[i]))`` (an
        alternative to the gather ``index``).
    col_start, col_lo, col_hi : np.ndarray [shape=(n_cols,)], int64
        The gather ``index`` in closed form: ``index[r, c] = col_start[c] + r`` where
        ``col_lo[c] <= r < col_hi[c]``, else -1 (three small vectors instead of an index matrix).
    """

    hop: int
    phase: int
    n_bins: int
    first_block: int
    last_block: int
    taps: tuple[tuple[int, int, int, int], ...]
    index: np.ndarray = field(repr=False)
    groups: tuple[PolyphaseGroup, ...] = field(repr=False)
    col_start: np.ndarray = field(repr=False)
    col_lo: np.ndarray = field(repr=False)
    col_hi: np.ndarray = field(repr=False)

    @property
    def n_cols(self) -> int:
        """Number of bin columns (each is a (real, imag) pair in the GEMM)."""
        return int(self.index.shape[1])


def polyphase_layout(offsets: Any, sizes: Any, hop: int, *, group_size: int, phase: int = 0) -> PolyphaseLayout:
    """Zero-trimmed flat layout of :func:`polyphase_plan` (see :class:`PolyphaseLayout`)."""
    groups = polyphase_plan(offsets, sizes, hop, group_size=group_size, phase=phase)
    taps = []
    cols = []
    col = 0
    for g in groups:
        for q in range(g.n_blocks):
            lo, hi = (int(v) for v in g.bin_ranges[q])
            taps.append((g.first_block + q, lo, hi, col))
            cols.append(g.gather_index[:, q, lo - g.start : hi - g.start])
            col += hi - lo
    index = np.concatenate(cols, axis=1)
    # closed form: the valid rows of each column are one run [col_lo, col_hi) of consecutive samples
    valid = index >= 0
    has = valid.any(axis=0)
    col_lo = np.where(has, np.argmax(valid, axis=0), 0)
    col_hi = np.where(has, index.shape[0] - np.argmax(valid[::-1], axis=0), 0)
    col_start = np.where(has, index[col_lo, np.arange(index.shape[1])] - col_lo, 0)
    return PolyphaseLayout(
        hop=int(hop),
        phase=int(phase),
        n_bins=int(groups[-1].stop),
        first_block=min(g.first_block for g in groups),
        last_block=max(g.first_block + g.n_blocks - 1 for g in groups),
        taps=tuple(taps),
        index=readonly(index),
        groups=groups,
        col_start=readonly(col_start.astype(np.int64)),
        col_lo=readonly(col_lo.astype(np.int64)),
        col_hi=readonly(col_hi.astype(np.int64)),
    )


def best_phase(offsets: Any, sizes: Any, hop: int, *, group_size: int) -> int:
    """Return the block phase (of 0, hop/4, hop/2, 3hop/4) that needs the fewest weights."""
    off, size = _check_offsets_sizes(offsets, sizes)
    hop = check_int("hop", hop, minimum=1)
    best, best_cost = 0, None
    for phase in sorted({0, hop // 4, hop // 2, (3 * hop) // 4}):
        o = off + phase
        cost = int(np.sum((o + size - 1) // hop - o // hop + 1))
        if best_cost is None or cost < best_cost:
            best, best_cost = phase, cost
    return best


@dataclass(frozen=True)
class PolyphaseGeometry:
    """Framing of one signal length for a :class:`PolyphaseLayout`.

    Attributes
    ----------
    n_frames : int
        Output frames.
    left, right : int
        Samples to pad (``> 0``) or crop (``< 0``) at each end so that the result is ``n_blocks``
        whole blocks with frame 0's centre at sample ``phase`` of block ``t0``.
    t0 : int
        Block holding frame 0's centre (``-layout.first_block``).
    n_blocks : int
        Number of blocks of the padded signal.
    """

    n_frames: int
    left: int
    right: int
    t0: int
    n_blocks: int


def polyphase_geometry(
    n_samples: int, *, layout: PolyphaseLayout | FactoredPlan, width: int, center: bool
) -> PolyphaseGeometry:
    """Return the padding and block count for a signal of ``n_samples`` samples.

    ``center=True``: frame ``t`` is centred at sample ``t * hop`` (``1 + n_samples // hop``
    frames); ``center=False``: frame ``t`` covers ``[t * hop, t * hop + width)`` and is centred at
    ``t * hop + width // 2`` (``1 + (n_samples - width) // hop`` frames; needs
    ``n_samples >= width``). ``width`` is the librosa frame (the longest kernel rounded up to a
    power of two).
    """
    hop = layout.hop
    if center:
        t, c0 = 1 + n_samples // hop, 0
    else:
        if n_samples < width:
            raise ParameterError(f"x has {n_samples} samples, fewer than the frame width {width} with center=False")
        t, c0 = 1 + (n_samples - width) // hop, width // 2
    t0 = -layout.first_block
    left = t0 * hop + layout.phase - c0
    n_blocks = t + t0 + layout.last_block
    right = n_blocks * hop - left - n_samples
    return PolyphaseGeometry(n_frames=t, left=left, right=right, t0=t0, n_blocks=n_blocks)


@dataclass(frozen=True, eq=False)
class FactoredGroup:
    """Adjacent bins whose block weights are evaluated through an orthonormal basis.

    The group's rectangular weights ``W[r, q, i, c]`` (``c``: real part, minus imaginary part) are
    ``kernel_i[j]`` with ``j = shift[i] + q * hop + r`` where ``0 <= j < size[i]`` (else zero);
    their columns span (to ``tolerance``) the ``rank`` columns of ``basis``, so
    ``blocks @ W = (blocks @ basis) @ (basis.T @ W)``: a GEMM of ``hop x rank`` and a small
    convolution of ``rank`` channels with ``n_blocks`` taps instead of ``hop`` channels.

    Attributes
    ----------
    start, stop : int
        Bins ``start .. stop - 1``.
    first_block, n_blocks : int
        As in :class:`PolyphaseGroup`.
    kernel_start, shift, size : np.ndarray [shape=(n_g,)], int64
        Packed start of each kernel, the kernel sample at row 0 of the group's first block, and
        the kernel length.
    basis : np.ndarray [shape=(hop, rank)], float64
        Orthonormal columns.
    """

    start: int
    stop: int
    first_block: int
    n_blocks: int
    kernel_start: np.ndarray
    shift: np.ndarray
    size: np.ndarray
    basis: np.ndarray = field(repr=False)

    @property
    def n_bins(self) -> int:
        """Number of bins in the group."""
        return self.stop - self.start

    @property
    def rank(self) -> int:
        """Number of basis columns."""
        return int(self.basis.shape[1])


@dataclass(frozen=True, eq=False)
class FactoredPlan:
    """Evaluation plan of a frozen full-rate CQT: low-rank groups for the long kernels, direct rest.

    Bins ``0 .. n_factored - 1`` form :attr:`groups` (one convolution each after one shared GEMM
    with the concatenated bases); bins ``n_factored ..`` use the zero-trimmed GEMM :attr:`direct`
    (a :class:`PolyphaseLayout` of those bins, packed from ``direct_offset``). Frame geometry as
    :func:`polyphase_geometry` (``hop``, ``phase``, ``first_block``, ``last_block``).
    """

    hop: int
    phase: int
    n_bins: int
    first_block: int
    last_block: int
    tolerance: float
    groups: tuple[FactoredGroup, ...]
    direct: PolyphaseLayout | None
    n_factored: int
    direct_offset: int

    @property
    def rank(self) -> int:
        """Total number of basis columns (columns of the shared GEMM)."""
        return sum(g.rank for g in self.groups)

    @functools.cached_property
    def basis(self) -> np.ndarray:
        """The groups' bases side by side, shape ``(hop, rank)`` (the shared GEMM's matrix; read-only)."""
        if not self.groups:
            return readonly(np.zeros((self.hop, 0)))
        return readonly(np.concatenate([g.basis for g in self.groups], axis=1))


def factored_plan(
    kernels: CQTKernels, hop: int, *, group_size: int, phase: int = 0, tolerance: float = 1e-7, gain: float = 0.8
) -> FactoredPlan:
    """Low-rank evaluation plan of fixed kernels (see :class:`FactoredPlan`).

    Each group of ``group_size`` adjacent bins is factored while that saves at least
    ``1 - gain`` of its multiply-adds: its weights, each bin scaled to unit kernel norm, keep the
    singular vectors with singular value above ``tolerance`` (so every bin's weights are
    reproduced to ``tolerance`` of its kernel norm). The remaining bins are evaluated directly.

    Parameters
    ----------
    kernels : CQTKernels
        Kernels in order of decreasing length (as a constant-Q filterbank).
    hop, group_size, phase
        As in :func:`polyphase_plan`.
    tolerance : float > 0
        Truncation level in units of each kernel's L2 norm.
    gain : float in (0, 1]
        Factor a group only if its cost falls below ``gain`` times the direct cost.
    """
    hop = check_int("hop", hop, minimum=1)
    tolerance = check_float("tolerance", tolerance, minimum=0.0, strict_min=True)
    gain = check_float("gain", gain, minimum=0.0, maximum=1.0, strict_min=True)
    plan = polyphase_plan(kernels.offsets, kernels.sizes, hop, group_size=group_size, phase=phase)
    starts, sizes, offsets = kernels.starts, kernels.sizes, kernels.offsets
    norms = np.array([np.linalg.norm(k) for k in kernels.kernels])
    packed = np.concatenate([kernels.packed_real, [0.0]]), np.concatenate([-kernels.packed_imag, [0.0]])
    groups = []
    for g in plan:
        w = np.stack([packed[0][g.gather_index], packed[1][g.gather_index]], axis=-1)  # (hop, Q, n_g, 2)
        w = w / np.where(norms[g.start : g.stop] > 0, norms[g.start : g.stop], 1.0)[None, None, :, None]
        u, sv, _ = np.linalg.svd(w.reshape(hop, -1), full_matrices=False)
        rank = max(1, int(np.sum(sv > tolerance)))
        cols = w[0].size
        if hop * rank + rank * cols >= gain * hop * cols:
            break
        sl = slice(g.start, g.stop)
        groups.append(
            FactoredGroup(
                start=g.start,
                stop=g.stop,
                first_block=g.first_block,
                n_blocks=g.n_blocks,
                kernel_start=readonly(starts[sl].copy()),
                shift=readonly(g.first_block * hop - phase - offsets[sl]),
                size=readonly(sizes[sl].copy()),
                basis=readonly(np.ascontiguousarray(u[:, :rank])),
            )
        )
    n_factored = groups[-1].stop if groups else 0
    direct = None
    if n_factored < kernels.offsets.size:
        rest = slice(n_factored, None)
        direct = polyphase_layout(offsets[rest], sizes[rest], hop, group_size=sizes.size - n_factored, phase=phase)
    blocks = [(g.first_block, g.first_block + g.n_blocks - 1) for g in groups]
    if direct is not None:
        blocks.append((direct.first_block, direct.last_block))
    return FactoredPlan(
        hop=hop,
        phase=phase,
        n_bins=int(sizes.size),
        first_block=min(b[0] for b in blocks),
        last_block=max(b[1] for b in blocks),
        tolerance=tolerance,
        groups=tuple(groups),
        direct=direct,
        n_factored=n_factored,
        direct_offset=int(starts[n_factored]) if n_factored < sizes.size else int(sizes.sum()),
    )


def reflect_indices(n_samples: int, left: int, right: int) -> np.ndarray:
    """Source index of each sample of ``np.pad(x, (left, right), mode='reflect')``.

    Works for pads wider than the signal (repeated reflection, period ``2 * (n_samples - 1)``);
    a one-sample signal is repeated.

    Returns
    -------
    np.ndarray [shape=(left + n_samples + right,)], int64
    """
    n = check_int("n_samples", n_samples, minimum=1)
    left = check_int("left", left, minimum=0)
    right = check_int("right", right, minimum=0)
    i = np.arange(-left, n + right, dtype=np.int64)
    if n == 1:
        return np.zeros_like(i)
    period = 2 * (n - 1)
    i = np.mod(i, period)
    return np.where(i < n, i, period - i)


# ---------------------------------------------------------------------------------------------
# Configurations of the full-rate transforms
# ---------------------------------------------------------------------------------------------


def kernel_size_bound(
    freqs: np.ndarray, *, sr: float, window: Any, filter_scale: float, bins_per_octave: int, gamma: float | None = 0.0
) -> int:
    """Upper bound of the packed length of :func:`wavelet_kernels` (twice the sum of the lengths), cheap.

    Used to bound a design before running it (state files); ``O(n_bins)``.
    """
    lengths, _ = wavelet_lengths(
        freqs, sr=sr, window=window, filter_scale=filter_scale, gamma=gamma, alpha=_alpha_for(freqs, bins_per_octave)
    )
    return int(2 * np.sum(np.ceil(lengths) + 2))


def _resolve_n_bins(n_bins: Any, fmin: float, fmax: Any, bins_per_octave: int) -> tuple[int, float | None]:
    """nnAudio2's rule: ``fmax`` given -> ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))``."""
    fmax = check_optional_float("fmax", fmax, minimum=0.0, strict_min=True)
    if fmax is None:
        return check_int("n_bins", n_bins, minimum=1), None
    if fmax <= fmin:
        raise ParameterError(f"fmax={fmax!r} is invalid: must be > fmin={fmin!r}")
    # round away float noise (fmax exactly k bins above fmin gives k, as in exact arithmetic)
    n = int(math.ceil(round(bins_per_octave * math.log2(fmax / fmin), 9)))
    return max(n, 1), fmax


def _alpha_for(freqs: np.ndarray, bins_per_octave: int) -> Any:
    # librosa.vqt: per-frequency alpha from the series, or the equal-temperament value for 1 bin
    return None if freqs.size > 1 else relative_bandwidth(bins_per_octave)


def _check_nyquist(freqs: np.ndarray, f_cutoff: float, sr: float) -> None:
    if f_cutoff > sr / 2:
        raise ParameterError(
            f"the top bin ({freqs[-1]:.2f} Hz of {freqs.size} bins) has a filter reaching "
            f"f_cutoff={f_cutoff:.2f} Hz, above the Nyquist frequency sr / 2 = {sr / 2:g} Hz; "
            "reduce n_bins or fmax, or lower fmin"
        )


class _FullRateCQT(_Config):
    """Shared resolution of the full-rate CQT arguments (the dataclass fields live in the subclasses)."""

    sr: float
    hop_length: int
    fmin: float
    fmax: float | None
    n_bins: int
    bins_per_octave: int
    filter_scale: float
    norm: Any
    window: Any
    center: bool
    pad_mode: str
    output_format: str

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
        s(self, "norm", _check_kernel_norm(self.norm))
        s(self, "window", _check_cqt_window(self.window))
        s(self, "center", check_bool("center", self.center))
        s(self, "pad_mode", check_choice("pad_mode", self.pad_mode, _PAD_MODES))
        s(self, "output_format", check_choice("output_format", self.output_format, _OUTPUT_FORMATS))
        freqs = self.freqs()
        lengths, f_cutoff = wavelet_lengths(
            freqs,
            sr=self.sr,
            window=self.window,
            filter_scale=self.filter_scale,
            gamma=0.0,
            alpha=_alpha_for(freqs, self.bins_per_octave),
        )
        _check_nyquist(freqs, f_cutoff, self.sr)
        s(self, "_width", int(2.0 ** np.ceil(np.log2(np.max(lengths)))))  # not a field: derived

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["window"] = _window_for_json(self.window)
        if out["norm"] is not None and math.isinf(out["norm"]):
            out["norm"] = "inf"
        return out

    def freqs(self) -> np.ndarray:
        """Centre frequencies in Hz, shape ``(n_bins,)``."""
        return cqt_frequencies(self.n_bins, fmin=self.fmin, bins_per_octave=self.bins_per_octave)

    def kernels(self) -> CQTKernels:
        """Time-domain kernels (librosa's ``filters.wavelet`` at its own lengths; cached, read-only)."""
        return _kernels_for(self)

    @property
    def width(self) -> int:
        """Frame width: smallest power of two >= the longest fractional kernel length (librosa's ``n_fft``)."""
        return self._width  # type: ignore[attr-defined, no-any-return]

    def n_frames(self, n_samples: int) -> int:
        """Return the number of output frames for a signal of ``n_samples`` samples."""
        return n_frames(n_samples, n_fft=self.width, hop_length=self.hop_length, center=self.center)

    def check_length(self, n_samples: int) -> None:
        """Raise :class:`ParameterError` if ``n_samples`` cannot be transformed.

        ``center=True`` accepts any non-empty signal (reflection repeats as ``np.pad`` does when
        the pad is wider than the signal); ``center=False`` needs at least :attr:`width` samples.
        """
        if n_samples < 1:
            raise ParameterError("x is empty (0 samples along the last axis): nothing to transform")
        if not self.center and n_samples < self.width:
            raise ParameterError(
                f"x has {n_samples} samples, fewer than the frame width {self.width} (the longest kernel "
                "rounded up to a power of two) with center=False: pass a longer signal or use center=True"
            )

    def state_spec(self) -> tuple[StateEntry, ...]:
        """Packed ``cqt_kernels_real``/``_imag`` (length known after the design: ``-1``), ``lengths``."""
        trainable = bool(getattr(self, "trainable", False))
        return (
            StateEntry("cqt_kernels_real", (-1,), trainable, design=lambda: self.kernels().packed_real),
            StateEntry("cqt_kernels_imag", (-1,), trainable, design=lambda: self.kernels().packed_imag),
            StateEntry("lengths", (self.n_bins,), design=lambda: self.kernels().lengths),
        )

    def frame_geometry(self, output_format: str | None = None) -> FrameGeometry:
        """Full-rate frames of the longest kernel (:attr:`width`), centred like the STFT."""
        fmt = self.output_format if output_format is None else output_format
        return frames_of(self.hop_length, self.width, self.center, fmt)

    def design_size(self) -> int:
        """Kernels (complex, about ``n_bins * width`` at most) and the polyphase layout at ``hop_length``."""
        sizes = kernel_size_bound(
            self.freqs(),
            sr=self.sr,
            window=self.window,
            filter_scale=self.filter_scale,
            bins_per_octave=self.bins_per_octave,
        )
        return 16 * sizes + 8 * self.n_bins * (self.width + 2 * self.hop_length)


@dataclass(frozen=True, eq=False)
class CQT1992v2Config(_FullRateCQT):
    """Validated CQT1992v2 / CQT configuration (nnAudio2's arguments and defaults).

    ``fmax`` given -> ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))`` (nnAudio2's rule; the
    ``n_bins`` argument is then ignored). The top filter's main lobe must stay below Nyquist.
    """

    sr: float = 22050.0
    hop_length: int = 512
    fmin: float = 32.7
    fmax: float | None = None
    n_bins: int = 84
    bins_per_octave: int = 12
    filter_scale: float = 1.0
    norm: Any = 1
    window: Any = "hann"
    center: bool = True
    pad_mode: str = "reflect"
    trainable: bool = False
    output_format: str = "Magnitude"

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable", check_bool("trainable", self.trainable))
        self._resolve()

    def layout(self) -> PolyphaseLayout:
        """Return the polyphase GEMM layout of this configuration's kernels (cached; one group of all bins)."""
        return _layout_for(self)

    def factored(self) -> FactoredPlan:
        """Low-rank plan of the designed kernels (cached; octave groups, tolerance 1e-7 of each kernel's norm).

        Used by frozen modules for float32 computations: the truncation sits at float32 rounding.
        """
        return _factored_for(self)


@functools.lru_cache(maxsize=32)
def _kernels_for(config: _FullRateCQT) -> CQTKernels:
    freqs = config.freqs()
    return wavelet_kernels(
        freqs,
        sr=config.sr,
        window=config.window,
        filter_scale=config.filter_scale,
        norm=config.norm,
        gamma=0.0,
        alpha=_alpha_for(freqs, config.bins_per_octave),
    )


@functools.lru_cache(maxsize=32)
def _factored_for(config: CQT1992v2Config) -> FactoredPlan:
    k = config.kernels()
    return factored_plan(
        k, config.hop_length, group_size=config.bins_per_octave, phase=config.layout().phase, tolerance=1e-7
    )


@functools.lru_cache(maxsize=32)
def _layout_for(config: CQT1992v2Config) -> PolyphaseLayout:
    k = config.kernels()
    group = config.n_bins  # one group: one tap (shifted add) per block offset
    phase = best_phase(k.offsets, k.sizes, config.hop_length, group_size=group)
    return polyphase_layout(k.offsets, k.sizes, config.hop_length, group_size=group, phase=phase)


@dataclass(frozen=True, eq=False)
class CQT1992Config(_FullRateCQT):
    """Validated CQT1992 configuration (nnAudio2's arguments and defaults: ``fmin=220``).

    nnAudio2's defaults (220 Hz, 84 bins) put the top bin at 28 kHz, above Nyquist at 22.05 kHz:
    they raise :class:`ParameterError` here (nnAudio2 crashes); pass fewer bins, e.g. ``n_bins=48``.
    """

    sr: float = 22050.0
    hop_length: int = 512
    fmin: float = 220.0
    fmax: float | None = None
    n_bins: int = 84
    trainable_STFT: bool = False  # noqa: N815 - nnAudio2's name
    trainable_CQT: bool = False  # noqa: N815 - nnAudio2's name
    bins_per_octave: int = 12
    filter_scale: float = 1.0
    output_format: str = "Magnitude"
    norm: Any = 1
    window: Any = "hann"
    center: bool = True
    pad_mode: str = "reflect"

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable_STFT", check_bool("trainable_STFT", self.trainable_STFT))
        object.__setattr__(self, "trainable_CQT", check_bool("trainable_CQT", self.trainable_CQT))
        self._resolve()

    def state_spec(self) -> tuple[StateEntry, ...]:
        """Spectral kernels ``(n_bins, width)``, ``lengths``; ``wcos``/``wsin`` ``(width // 2 + 1, width)`` if trainable."""
        w, cqt = self.width, self.trainable_CQT

        def fourier() -> FourierKernels:
            return fourier_kernels(n_fft=w, win_length=w, freq_bins=w // 2 + 1, window="boxcar")

        out = [
            StateEntry("cqt_kernels_real", (self.n_bins, w), cqt, design=lambda: self.spectral_kernels()[0]),
            StateEntry("cqt_kernels_imag", (self.n_bins, w), cqt, design=lambda: self.spectral_kernels()[1]),
            StateEntry("lengths", (self.n_bins,), design=lambda: self.kernels().lengths),
        ]
        if self.trainable_STFT:
            out += [
                StateEntry("wcos", (w // 2 + 1, w), True, design=lambda: fourier().wcos),
                StateEntry("wsin", (w // 2 + 1, w), True, design=lambda: fourier().wsin),
            ]
        return tuple(out)

    def design_size(self) -> int:
        """Dense complex kernels and their FFT (``n_bins * width`` each) besides the state."""
        return _Config.design_size(self) + 8 * self.n_bins * self.width

    def spectral_kernels(self) -> tuple[np.ndarray, np.ndarray]:
        """DFT of every kernel centre-padded to :attr:`width`, real and imaginary parts.

        Returns
        -------
        real, imag : np.ndarray [shape=(n_bins, width)], float64
            ``H[k, f] = sum_m h_k[m] exp(-2j pi f m / width)`` where ``h_k`` is kernel ``k`` placed
            at frame sample ``width // 2 + offsets[k]``. The transform of a frame ``x`` is
            ``X[k] = (1 / width) sum_f F[f] conj(H[k, f])`` with ``F`` the DFT of the frame.
        """
        dense = self.kernels().dense(self.width)
        spec = np.fft.fft(dense, axis=-1)
        return readonly(spec.real.copy()), readonly(spec.imag.copy())
