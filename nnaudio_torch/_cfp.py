"""Combined_Frequency_Periodicity and CFP modules (PyTorch)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import torch
from nnaudio_shared import CFPConfig
from torch import Tensor

from . import functional as F
from ._checks import as_audio, autocast_off, resolve_dtype
from ._frozen import frozen_in_eager
from ._shell import Transform

__all__ = ["CFP", "Combined_Frequency_Periodicity"]


def _design(cfg: CFPConfig, name: str) -> np.ndarray:
    """Return the float64 design of the state ``name`` (``h``, ``freq2logfreq_matrix``, ``quef2logfreq_matrix``)."""
    if name == "h":
        return cfg.window()
    freq, quef = cfg.matrices()
    return {"freq2logfreq_matrix": freq, "quef2logfreq_matrix": quef}[name]


class _CFPBase(Transform):
    """Shared construction and computation of the two CFP modules."""

    h: Tensor
    freq2logfreq_matrix: Tensor
    quef2logfreq_matrix: Tensor
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
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        cfg = CFPConfig(
            fr=fr, fs=fs, hop_length=hop_length, window_size=window_size, fc=fc, tc=tc, g=g, NumPerOct=NumPerOct
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.N, self.hop_length, self.window_size = cfg.n_fft, cfg.hop_length, cfg.window_size
        self.g, self.tc_idx, self.fc_idx = tuple(cfg.g), cfg.tc_idx, cfg.fc_idx
        freq, quef = cfg.matrices()
        self.register_buffer("h", torch.tensor(cfg.window(), dtype=dt))
        self.register_buffer("freq2logfreq_matrix", torch.tensor(freq, dtype=dt))
        self.register_buffer("quef2logfreq_matrix", torch.tensor(quef, dtype=dt))

    def _compute(self, x: Any) -> tuple[tuple[Tensor, ...], torch.dtype]:
        x, out_dtype = as_audio(x, device=self.h.device)
        self.config.check_length(x.shape[-1], trim_edges=self._trim_edges)
        out = F.cfp(
            x,
            self._frozen("h", x.dtype),
            self._frozen("freq2logfreq_matrix", x.dtype),
            self._frozen("quef2logfreq_matrix", x.dtype),
            n_fft=self.N,
            hop_length=self.hop_length,
            g=self.g,
            tc_idx=self.tc_idx,
            fc_idx=self.fc_idx,
            trim_edges=self._trim_edges,
        )
        return out, out_dtype

    def _frozen(self, name: str, dtype: torch.dtype) -> Tensor:
        state = getattr(self, name)
        return frozen_in_eager(state, dtype, key=(self.config, name), design=partial(_design, self.config, name))

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"fr={c.fr}, fs={c.fs}, hop_length={c.hop_length}, window_size={c.window_size}, fc={c.fc}, "
            f"tc={c.tc}, g={list(c.g)}, NumPerOct={c.NumPerOct}"
        )


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
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    h : Tensor [shape=(window_size,)]
        Buffer: the analysis window.
    freq2logfreq_matrix : Tensor [shape=(n_bins, round(1 / (tc fr)) + 1)]
        Buffer: spectrum -> log-frequency triangles.
    quef2logfreq_matrix : Tensor [shape=(n_bins, round(fs / fc) + 1)]
        Buffer: cepstrum -> log-frequency triangles.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal (fewer than 3 frames included).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``h`` and the two log-frequency matrices) while each stored kernel
    is that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. Under ``torch.compile`` / ``torch.export`` the stored
    kernels are used (float32-accurate for a float32 module). float16/bfloat16 inputs are computed
    in float32, with no intermediate in the half type, and only the output is cast back.

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
    >>> import torch, nnaudio_torch
    >>> cfp = nnaudio_torch.Combined_Frequency_Periodicity()
    >>> Z, tfrL0, tfrLF, tfrLQ = cfp(torch.randn(2, 16000))
    >>> Z.shape
    torch.Size([2, 174, 49])
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
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(fr, fs, hop_length, window_size, fc, tc, g, NumPerOct, dtype)

    @autocast_off
    def forward(self, x: Any) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Compute the CFP representation.

        Parameters
        ----------
        x : Tensor or np.ndarray [shape=(..., time)]

        Returns
        -------
        Z, tfrL0, tfrLF, tfrLQ : Tensor [shape=(..., n_bins, frames - 2)]
        """
        out, out_dtype = self._compute(x)
        Z, tfrL0, tfrLF, tfrLQ = (o.to(out_dtype) for o in out)
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
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    h, freq2logfreq_matrix, quef2logfreq_matrix : Tensor
        Buffers, as in :class:`Combined_Frequency_Periodicity`.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal.

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``h`` and the two log-frequency matrices) while each stored kernel
    is that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. Under ``torch.compile`` / ``torch.export`` the stored
    kernels are used (float32-accurate for a float32 module). float16/bfloat16 inputs are computed
    in float32, with no intermediate in the half type, and only the output is cast back.

    Input ``(..., time)``; output ``Z`` ``(..., n_bins, frames)``. See
    :class:`Combined_Frequency_Periodicity` for the definition.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> nnaudio_torch.CFP()(torch.randn(2, 16000)).shape
    torch.Size([2, 174, 51])
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
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(fr, fs, hop_length, window_size, fc, tc, g, NumPerOct, dtype)

    @autocast_off
    def forward(self, x: Any) -> Tensor:
        """Compute the CFP feature ``Z``.

        Parameters
        ----------
        x : Tensor or np.ndarray [shape=(..., time)]

        Returns
        -------
        Tensor [shape=(..., n_bins, frames)]
        """
        out, out_dtype = self._compute(x)
        return out[0].to(out_dtype)
