"""Combined_Frequency_Periodicity and CFP modules (Flax NNX)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import CFPConfig

from . import functional as F
from ._checks import as_audio, resolve_dtype
from ._frozen import frozen_in
from ._shell import Transform
from ._variables import Buffer

__all__ = ["CFP", "Combined_Frequency_Periodicity"]


def _freq(cfg: CFPConfig) -> Callable[[], np.ndarray]:
    return lambda: cfg.matrices()[0]


def _quef(cfg: CFPConfig) -> Callable[[], np.ndarray]:
    return lambda: cfg.matrices()[1]


class _CFPBase(Transform):
    """Shared construction and computation of the two CFP modules."""

    _trim_edges = False

    def __init__(
        self,
        fr: float,
        fs: float,
        hop_length: int,
        window_size: int,
        fc: float,
        tc: float,
        g: Sequence[float],
        NumPerOct: int,  # noqa: N803
        dtype: Any,
    ) -> None:
        cfg = CFPConfig(
            fr=fr, fs=fs, hop_length=hop_length, window_size=window_size, fc=fc, tc=tc, g=g, NumPerOct=NumPerOct
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.N, self.hop_length, self.window_size = cfg.n_fft, cfg.hop_length, cfg.window_size
        self.g, self.tc_idx, self.fc_idx = tuple(cfg.g), cfg.tc_idx, cfg.fc_idx
        freq, quef = cfg.matrices()
        self.h = Buffer(jnp.asarray(cfg.window(), dtype=dt))
        self.freq2logfreq_matrix = Buffer(jnp.asarray(freq, dtype=dt))
        self.quef2logfreq_matrix = Buffer(jnp.asarray(quef, dtype=dt))

    def _compute(self, x: Any) -> tuple[tuple[Array, ...], Any]:
        x, out_dtype = as_audio(x)
        self.config.check_length(x.shape[-1], trim_edges=self._trim_edges)
        cfg = self.config
        out = F.cfp(
            x,
            frozen_in(self.h[...], x.dtype, key=(cfg, "h"), design=cfg.window),
            frozen_in(self.freq2logfreq_matrix[...], x.dtype, key=(cfg, "freq2logfreq_matrix"), design=_freq(cfg)),
            frozen_in(self.quef2logfreq_matrix[...], x.dtype, key=(cfg, "quef2logfreq_matrix"), design=_quef(cfg)),
            n_fft=self.N,
            hop_length=self.hop_length,
            g=self.g,
            tc_idx=self.tc_idx,
            fc_idx=self.fc_idx,
            trim_edges=self._trim_edges,
        )
        return out, out_dtype


class Combined_Frequency_Periodicity(_CFPBase):  # noqa: N801 - nnAudio2's name
    """Combined frequency and periodicity (CFP) representation of Su & Yang (2015).

    A generalised cepstrum: the STFT magnitude ``tfr0`` is raised to ``g[0]``, then Fourier
    transforms alternate between the cepstral (periodicity) and spectral domains, each followed
    by rectification, high-pass liftering and a power ``g[k]``; the last spectral layer
    ``tfrLF`` and the last cepstral layer ``tfrLQ`` are mapped onto one log-frequency axis and
    multiplied: ``Z = tfrLF * tfrLQ`` keeps pitches supported by both a harmonic series in
    frequency and a period in quefrency.

    Parameters
    ----------
    fr : float > 0
        Frequency resolution in Hz; the FFT size is ``N = int(fs / fr)``. Default 2.
    fs : float > 0
        Sampling rate in Hz. Default 16000.
    hop_length : int > 0
        Hop between frames. Default 320.
    window_size : int in [1, N]
        Length of the (symmetric Blackman-Harris) analysis window. Default 2049.
    fc : float > 0
        Lowest frequency of the log-frequency axis in Hz (spectral lifter cut-off
        ``round(fc / fr)`` bins). Default 80.
    tc : float > 0
        Inverse of the highest frequency (``1 / tc <= fs / 2``; cepstral lifter cut-off
        ``round(fs tc)`` samples). Default 1/1000.
    g : sequence of float
        Exponents of the layers, ``len(g) >= 2``, ``g[0] > 0``, the others >= 0 (0 means a
        logarithm). Default ``(0.24, 0.6, 1)`` (nnAudio2's list ``[0.24, 0.6, 1]``).
    NumPerOct : int > 0
        Log-frequency bands per octave. Default 48.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).

    Attributes
    ----------
    h : Buffer [shape=(window_size,)]
        The analysis window.
    freq2logfreq_matrix : Buffer [shape=(n_bins, round(1 / (tc fr)) + 1)]
        Spectrum -> log-frequency triangles.
    quef2logfreq_matrix : Buffer [shape=(n_bins, round(fs / fc) + 1)]
        Cepstrum -> log-frequency triangles.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal (fewer than 3 frames included).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``h`` and the two log-frequency matrices) while each stored kernel
    is that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. float16/bfloat16 inputs are computed in float32, with no
    intermediate in the half type, and only the output is cast back.

    Input ``(..., time)``; four outputs ``(Z, tfrL0, tfrLF, tfrLQ)``, each ``(..., n_bins,
    frames - 2)``: frames are centred at ``t * hop_length`` with zero padding and, as in
    nnAudio2 and Su's reference code (whose frames start at ``hop_length``), the first and last
    frames are dropped. ``tfrL0`` maps ``|STFT| / ||h||`` (nnAudio2's definition; Su's code maps
    ``|STFT| ** g[0]``). Row 0 of every output is zero and the log-frequency triangles are
    sampled on the reference code's frequency grid ``fs * linspace(0, 0.5, N // 2)`` (see
    :func:`nnaudio_shared.cfp_logfreq_matrices`), both kept for compatibility.
    Differences from nnAudio2: vectorised kernel construction (no divide-by-zero warning),
    real FFTs, any leading dimensions, float64, finite gradients at digital silence.

    Examples
    --------
    >>> import jax, nnaudio_jax
    >>> cfp = nnaudio_jax.Combined_Frequency_Periodicity()
    >>> Z, tfrL0, tfrLF, tfrLQ = cfp(jax.numpy.zeros((2, 16000)))
    >>> Z.shape
    (2, 174, 49)
    """

    _trim_edges = True

    def __init__(
        self,
        fr: float = 2,
        *,
        fs: float = 16000,
        hop_length: int = 320,
        window_size: int = 2049,
        fc: float = 80,
        tc: float = 1 / 1000,
        g: Sequence[float] = (0.24, 0.6, 1),
        NumPerOct: int = 48,  # noqa: N803 - nnAudio2's name
        dtype: Any = None,
    ) -> None:
        super().__init__(fr, fs, hop_length, window_size, fc, tc, g, NumPerOct, dtype)

    def __call__(self, x: Any) -> tuple[Array, Array, Array, Array]:
        """Compute the CFP representation.

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]

        Returns
        -------
        Z, tfrL0, tfrLF, tfrLQ : Array [shape=(..., n_bins, frames - 2)]
        """
        out, out_dtype = self._compute(x)
        Z, tfrL0, tfrLF, tfrLQ = (o.astype(out_dtype) for o in out)
        return Z, tfrL0, tfrLF, tfrLQ


class CFP(_CFPBase):
    """Combined frequency and periodicity feature ``Z`` on every frame (nnAudio2's ``CFP``).

    :class:`Combined_Frequency_Periodicity` without dropping the first and last frames, so the
    frame count matches the other spectrograms (``1 + time // hop_length`` for even ``N``), and
    returning only ``Z``.

    Parameters
    ----------
    fr : float > 0
        Frequency resolution in Hz; the FFT size is ``N = int(fs / fr)``. Default 2.
    fs : float > 0
        Sampling rate in Hz. Default 16000.
    hop_length : int > 0
        Hop between frames. Default 320.
    window_size : int in [1, N]
        Length of the (symmetric Blackman-Harris) analysis window. Default 2049.
    fc : float > 0
        Lowest frequency of the log-frequency axis in Hz. Default 80.
    tc : float > 0
        Inverse of the highest frequency (``1 / tc <= fs / 2``). Default 1/1000.
    g : sequence of float
        Exponents of the layers, ``len(g) >= 2``, ``g[0] > 0``, the others >= 0 (0 means a
        logarithm). Default ``(0.24, 0.6, 1)`` (nnAudio2's list ``[0.24, 0.6, 1]``).
    NumPerOct : int > 0
        Log-frequency bands per octave. Default 48.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).

    Attributes
    ----------
    h, freq2logfreq_matrix, quef2logfreq_matrix : Buffer
        As in :class:`Combined_Frequency_Periodicity`.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal.

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``h`` and the two log-frequency matrices) while each stored kernel
    is that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. float16/bfloat16 inputs are computed in float32, with no
    intermediate in the half type, and only the output is cast back.

    Input ``(..., time)``; output ``Z`` ``(..., n_bins, frames)``. See
    :class:`Combined_Frequency_Periodicity` for the definition.

    Examples
    --------
    >>> import jax, nnaudio_jax
    >>> nnaudio_jax.CFP()(jax.numpy.zeros((2, 16000))).shape
    (2, 174, 51)
    """

    def __init__(
        self,
        fr: float = 2,
        *,
        fs: float = 16000,
        hop_length: int = 320,
        window_size: int = 2049,
        fc: float = 80,
        tc: float = 1 / 1000,
        g: Sequence[float] = (0.24, 0.6, 1),
        NumPerOct: int = 48,  # noqa: N803 - nnAudio2's name
        dtype: Any = None,
    ) -> None:
        super().__init__(fr, fs, hop_length, window_size, fc, tc, g, NumPerOct, dtype)

    def __call__(self, x: Any) -> Array:
        """Compute the CFP feature ``Z``.

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]

        Returns
        -------
        Array [shape=(..., n_bins, frames)]
        """
        out, out_dtype = self._compute(x)
        return out[0].astype(out_dtype)
