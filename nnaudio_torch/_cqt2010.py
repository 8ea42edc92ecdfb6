"""Multirate constant-Q transforms CQT2010, CQT2010v2 and the variable-Q transform VQT (PyTorch)."""

from __future__ import annotations

from typing import Any

import torch
from nnaudio_shared import (
    NORMALIZATION_TYPES,
    CQT2010Config,
    CQT2010v2Config,
    CQTNormalization,
    OutputFormat,
    VQTConfig,
    WindowSpec,
    check_bool,
    check_choice,
    resolve_output_format,
)
from torch import Tensor, nn

from ._checks import as_audio, autocast_off, resolve_dtype
from ._frozen import frozen_in_eager
from ._shell import Transform
from .functional import _cqt as FC
from .functional import _multirate as FM

__all__ = ["CQT2010", "CQT2010v2", "VQT"]

_Config = CQT2010Config | CQT2010v2Config | VQTConfig


class _MultirateModule(Transform):
    cqt_kernels_real: Tensor
    cqt_kernels_imag: Tensor
    lengths: Tensor

    def _build(self, cfg: _Config, dtype: Any) -> None:
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.hop_length, self.n_bins, self.pad_mode = cfg.hop_length, cfg.n_bins, cfg.pad_mode
        trainable = cfg.trainable
        self.output_format, self.trainable = cfg.output_format, trainable
        plan = cfg.plan()
        self.frequencies = plan.full.freqs
        real = torch.tensor(plan.packed_real, dtype=dt)
        imag = torch.tensor(plan.packed_imag, dtype=dt)
        if trainable:
            self.cqt_kernels_real = nn.Parameter(real)
            self.cqt_kernels_imag = nn.Parameter(imag)
        else:
            self.register_buffer("cqt_kernels_real", real)
            self.register_buffer("cqt_kernels_imag", imag)
        self.register_buffer("lengths", torch.tensor(plan.full.lengths, dtype=dt))
        # static layout, kept as plain attributes (not state): constants under torch.compile; the
        # gather indices follow .to() / .cuda() through _apply, so no call copies them to the device
        self._plan = plan
        self._indices = FM.octave_indices(plan)

    def _apply(self, fn: Any, recurse: bool = True) -> Any:
        self._indices = tuple(fn(i) for i in self._indices)  # like a buffer (integer: only moved)
        return super()._apply(fn, recurse)

    def complex_spectrum(
        self, x: Any, normalization_type: CQTNormalization | None = None
    ) -> tuple[Tensor, torch.dtype]:
        """Validate ``x`` and return the complex transform ``(..., n_bins, frames)`` and the output dtype."""
        nt = self.config.normalization_type if normalization_type is None else normalization_type
        check_choice("normalization_type", nt, NORMALIZATION_TYPES)
        x, out_dtype = as_audio(x, device=self.lengths.device)
        cfg, plan = self.config, self._plan
        cfg.check_length(x.shape[-1])
        dt = x.dtype
        scale = FC.normalization_scale(
            nt, frozen_in_eager(self.lengths, dt, key=(cfg, "lengths"), design=lambda: plan.full.lengths)
        )
        kr, ki = self.cqt_kernels_real, self.cqt_kernels_imag
        if not self.trainable:
            kr = frozen_in_eager(kr, dt, key=(cfg, "cqt_kernels_real"), design=lambda: plan.packed_real)
            ki = frozen_in_eager(ki, dt, key=(cfg, "cqt_kernels_imag"), design=lambda: plan.packed_imag)
        spec = FM.multirate_cqt_with_indices(
            x, kr.to(dt), ki.to(dt), plan, pad_mode=self.pad_mode, indices=self._indices
        )
        if scale is not None:
            spec = spec * scale.to(dt)[:, None]
        return spec, out_dtype

    @autocast_off
    def forward(
        self, x: Any, output_format: OutputFormat | None = None, normalization_type: CQTNormalization | None = None
    ) -> Tensor:
        """Compute the transform.

        Parameters
        ----------
        x : Tensor or np.ndarray [shape=(..., time)]
        output_format : {'Magnitude', 'Complex', 'Phase'} or None
            Overrides the constructor's ``output_format`` for this call.
        normalization_type : {'librosa', 'convolutional', 'wrap'} or None
            ``'librosa'``: multiply by ``sqrt(lengths)`` (the full-rate filter lengths; matches
            ``librosa.cqt``/``librosa.vqt``); ``'convolutional'``: the plain inner products with
            the normalised filters; ``'wrap'``: twice those. ``None`` (default): ``'librosa'``
            if the constructor's ``norm`` is True, else ``'convolutional'``.

        Returns
        -------
        Tensor [shape=(..., n_bins, frames)] or [shape=(..., n_bins, frames, 2)]
        """
        fmt = resolve_output_format(output_format, self.output_format)
        spec, out_dtype = self.complex_spectrum(x, normalization_type)
        return FC.format_cqt(spec, fmt, out_dtype)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"sr={c.sr}, hop_length={c.hop_length}, fmin={c.fmin}, n_bins={c.n_bins}, "
            f"bins_per_octave={c.bins_per_octave}, levels={self._plan.levels}, trainable={self.trainable}, "
            f"output_format={c.output_format!r}"
        )


class CQT2010v2(_MultirateModule):
    """Multirate constant-Q transform (nnAudio2's ``CQT2010v2``).

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    hop_length : int > 0
        Hop between frames (any value). Default 512.
    fmin : float > 0
        Centre frequency of the lowest bin in Hz. Default 32.7 (C1).
    fmax : float or None
        If given, ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))`` and ``n_bins`` is
        ignored (nnAudio2's rule).
    n_bins : int > 0
        Number of bins. Default 84 (7 octaves).
    filter_scale : float > 0
        Multiplies every filter length. Default 1.
    bins_per_octave : int > 0
        Default 12.
    norm : bool
        Output scaling when ``forward`` gets no ``normalization_type``: True (default):
        ``'librosa'`` (x ``sqrt(lengths)``, as ``librosa.cqt(scale=True)``); False:
        ``'convolutional'`` (the plain inner products). No option gives
        ``librosa.cqt(scale=False)``: that is the plain inner products times ``lengths``
        (librosa scales each filter's DFT by ``lengths / n_fft``), i.e. ``norm=False`` output
        times ``self.lengths[:, None]``, up to librosa's own approximation. nnAudio2 ignores it.
    basis_norm : float > 0, inf or None
        Kernel normalisation (``librosa.util.normalize``): ``1`` (L1, default), ``2``, ``inf``
        (peak) or ``None`` (none).
    window : str or tuple
        Window of the filters, any :func:`scipy.signal.get_window` name or tuple.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate. Default ``'reflect'`` (nnAudio2); ``librosa.cqt``
        uses ``'constant'``.
    earlydownsample : bool
        Compute the top octave too at the lowest rate its filters allow (faster; same result
        to about 1e-5). Default True.
    trainable : bool
        Make ``cqt_kernels_real``/``cqt_kernels_imag`` trainable parameters.
    output_format : {'Magnitude', 'Complex', 'Phase'}
        Default output (``'Complex'``: real, imag; ``'Phase'``: cos, sin of the phase, in a last
        axis of 2); can be overridden per call.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Tensor [shape=(sum(n_k),)]
        Real and imaginary parts of every bin's kernel **at its octave's rate**, packed one after
        the other in bin order (``config.plan().sizes`` gives the lengths ``n_k``; 11 396 values
        each at the defaults, where nnAudio2 stores one shared octave of ``(12, 1, 1024)``).
        Each bin has its own kernel, so training may change bins of different octaves
        differently. Buffers, or parameters when trainable.
    lengths : Tensor [shape=(n_bins,)]
        Buffer: full-rate fractional filter lengths (the ``'librosa'`` output scaling).
    frequencies : np.ndarray [shape=(n_bins,)]
        Centre frequencies in Hz.

    Raises
    ------
    ParameterError
        For any invalid argument (including a top filter reaching above Nyquist) or input.

    Notes
    -----
    The transform is the full-rate definition of :class:`CQT1992v2` (``center=True``),
    ``X[k, t] = sum_j x[t * hop + offsets[k] + j] * conj(kernel_k[j])`` with librosa's filters,
    computed one octave at a time at the lowest rate that octave's filters allow: the signal is
    padded at the full rate (``pad_mode``; reflection repeats for clips shorter than the
    filters), halved with a zero-phase half-band FIR (100 dB stop band, passband flat to 1e-5),
    and each octave correlated at its own rate with the full-rate kernels sampled at that rate
    (times the rate ratio, so no normalisation changes). An octave goes down a level only while
    ``hop_length`` is divisible by two (any hop works, e.g. 500 or 1148; frames are never
    interpolated) and its filters, with a margin of 8 frequency resolutions, stay in the
    filters' exact band. The result equals the full-rate transform to about 1e-5 relative.
    ``earlydownsample`` only changes the speed. ``frames = 1 + time // hop_length``, frame
    ``t`` centred at sample ``t * hop_length``, for any clip length (down to one sample).

    Precision: float64 input to a module with float32 frozen kernels computes with the float64
    design (kernels and ``lengths``) while the stored values equal the design rounded, and with
    the stored values upcast otherwise, so the output is float64-accurate (eagerly; under
    ``torch.compile`` / ``torch.export`` the stored values are upcast: float32-accurate).
    Trainable kernels carry the module's dtype; for float64-accurate output build with
    ``dtype=float64``.

    Differences from nnAudio2: the output scale is right whatever the downsampling (nnAudio2 is
    off by x2.83 (CQT2010v2), x0.35 (CQT2010) or up to 22 % (VQT) when early downsampling
    triggers); librosa's filters (``Q = 17.3`` at 12 bins per octave, fractional lengths) so the
    output matches ``librosa.cqt``/``librosa.vqt``; ``window``, ``fmax``, ``norm`` and
    ``trainable`` are honoured; any hop and any clip length work; gradients are finite at
    digital silence (no epsilon added to the magnitude).

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> cqt = nnaudio_torch.CQT2010v2(sr=22050, hop_length=500)
    >>> cqt(torch.randn(2, 22050)).shape
    torch.Size([2, 84, 45])
    """

    def __init__(
        self,
        sr: float = 22050,
        *,
        hop_length: int = 512,
        fmin: float = 32.7,
        fmax: float | None = None,
        n_bins: int = 84,
        filter_scale: float = 1,
        bins_per_octave: int = 12,
        norm: bool = True,
        basis_norm: float | None = 1,
        window: WindowSpec = "hann",
        pad_mode: str = "reflect",
        earlydownsample: bool = True,
        trainable: bool = False,
        output_format: OutputFormat = "Magnitude",
        verbose: bool = True,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_bool("verbose", verbose)
        cfg = CQT2010v2Config(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            filter_scale=filter_scale,
            bins_per_octave=bins_per_octave,
            norm=norm,
            basis_norm=basis_norm,
            window=window,
            pad_mode=pad_mode,
            earlydownsample=earlydownsample,
            trainable=trainable,
            output_format=output_format,
        )
        self._build(cfg, dtype)


class CQT2010(_MultirateModule):
    """Multirate constant-Q transform (nnAudio2's ``CQT2010``; same transform as :class:`CQT2010v2`).

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    hop_length : int > 0
        Hop between frames (any value). Default 512.
    fmin : float > 0
        Centre frequency of the lowest bin in Hz. Default 32.7 (C1).
    fmax : float or None
        If given, ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))`` and ``n_bins`` is
        ignored (nnAudio2's rule).
    n_bins : int > 0
        Number of bins. Default 84 (7 octaves).
    bins_per_octave : int > 0
        Default 12.
    norm : bool
        Output scaling when ``forward`` gets no ``normalization_type``: True (default):
        ``'librosa'`` (x ``sqrt(lengths)``, as ``librosa.cqt(scale=True)``); False:
        ``'convolutional'`` (the plain inner products). No option gives
        ``librosa.cqt(scale=False)``: that is the plain inner products times ``lengths``
        (librosa scales each filter's DFT by ``lengths / n_fft``), i.e. ``norm=False`` output
        times ``self.lengths[:, None]``, up to librosa's own approximation. nnAudio2 ignores it.
    basis_norm : float > 0, inf or None
        Kernel normalisation (``librosa.util.normalize``): ``1`` (L1, default), ``2``, ``inf``
        (peak) or ``None`` (none).
    window : str or tuple
        Window of the filters, any :func:`scipy.signal.get_window` name or tuple.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate. Default ``'reflect'`` (nnAudio2); ``librosa.cqt``
        uses ``'constant'``.
    trainable_STFT : bool
        Must be False: there is no STFT stage here (nnAudio2 multiplies a rectangular-window
        STFT by frequency-domain kernels; the kernels here act in the time domain, which is the
        same linear map). True raises :class:`ParameterError`; use ``trainable_CQT``.
    filter_scale : float > 0
        Multiplies every filter length. Default 1.
    trainable_CQT : bool
        Make ``cqt_kernels_real``/``cqt_kernels_imag`` trainable parameters.
    output_format : {'Magnitude', 'Complex', 'Phase'}
        Default output; can be overridden per call.
    earlydownsample : bool
        Compute the top octave too at the lowest rate its filters allow (faster; same result
        to about 1e-5). Default True.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Tensor [shape=(sum(n_k),)]
        Real and imaginary parts of every bin's kernel **at its octave's rate**, packed one after
        the other in bin order (``config.plan().sizes`` gives the lengths ``n_k``; 11 396 values
        each at the defaults, where nnAudio2 stores one shared octave of ``(12, 1, 1024)``).
        Each bin has its own kernel, so training may change bins of different octaves
        differently. Buffers, or parameters when trainable.
    lengths : Tensor [shape=(n_bins,)]
        Buffer: full-rate fractional filter lengths (the ``'librosa'`` output scaling).
    frequencies : np.ndarray [shape=(n_bins,)]
        Centre frequencies in Hz.

    Raises
    ------
    ParameterError
        For any invalid argument (including ``trainable_STFT=True``) or input.

    Notes
    -----
    Same transform and implementation as :class:`CQT2010v2` (see its Notes): the full-rate
    definition computed octave by octave at reduced rates, to about 1e-5 relative.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> cqt = nnaudio_torch.CQT2010(sr=22050, n_bins=48)
    >>> cqt(torch.randn(1, 22050)).shape
    torch.Size([1, 48, 44])
    """

    def __init__(
        self,
        sr: float = 22050,
        *,
        hop_length: int = 512,
        fmin: float = 32.7,
        fmax: float | None = None,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        norm: bool = True,
        basis_norm: float | None = 1,
        window: WindowSpec = "hann",
        pad_mode: str = "reflect",
        trainable_STFT: bool = False,
        filter_scale: float = 1,
        trainable_CQT: bool = False,
        output_format: OutputFormat = "Magnitude",
        earlydownsample: bool = True,
        verbose: bool = True,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_bool("verbose", verbose)
        cfg = CQT2010Config(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            bins_per_octave=bins_per_octave,
            norm=norm,
            basis_norm=basis_norm,
            window=window,
            pad_mode=pad_mode,
            trainable_STFT=trainable_STFT,
            filter_scale=filter_scale,
            trainable_CQT=trainable_CQT,
            output_format=output_format,
            earlydownsample=earlydownsample,
        )
        self.trainable_STFT, self.trainable_CQT = cfg.trainable_STFT, cfg.trainable_CQT
        self._build(cfg, dtype)


class VQT(_MultirateModule):
    """Variable-Q transform, multirate (nnAudio2's ``VQT``; ``librosa.vqt``'s filters).

    Filter ``k`` has the fractional length ``Q * sr / (f_k + gamma / alpha)``: ``gamma`` Hz of
    extra bandwidth shortens the low filters (better time resolution at low frequencies).
    ``gamma=0`` is the constant-Q transform, identical to :class:`CQT2010v2`.

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    hop_length : int > 0
        Hop between frames (any value). Default 512.
    fmin : float > 0
        Centre frequency of the lowest bin in Hz. Default 32.7 (C1).
    fmax : float or None
        If given, ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))`` and ``n_bins`` is
        ignored (nnAudio2's rule).
    n_bins : int > 0
        Number of bins. Default 84 (7 octaves).
    filter_scale : float > 0
        Multiplies every filter length. Default 1.
    bins_per_octave : int > 0
        Default 12.
    norm : bool
        Output scaling when ``forward`` gets no ``normalization_type``: True (default):
        ``'librosa'`` (x ``sqrt(lengths)``, as ``librosa.cqt(scale=True)``); False:
        ``'convolutional'`` (the plain inner products). No option gives
        ``librosa.cqt(scale=False)``: that is the plain inner products times ``lengths``
        (librosa scales each filter's DFT by ``lengths / n_fft``), i.e. ``norm=False`` output
        times ``self.lengths[:, None]``, up to librosa's own approximation. nnAudio2 ignores it.
    basis_norm : float > 0, inf or None
        Kernel normalisation (``librosa.util.normalize``): ``1`` (L1, default), ``2``, ``inf``
        (peak) or ``None`` (none).
    gamma : float >= 0 or None
        Bandwidth offset in Hz. Default 0. ``None``: librosa's ERB-proportional
        ``24.7 * alpha / 0.108``.
    window : str or tuple
        Window of the filters, any :func:`scipy.signal.get_window` name or tuple.
    pad_mode : {'reflect', 'constant'}
        Padding of the signal at the full rate. Default ``'reflect'`` (nnAudio2); ``librosa.cqt``
        uses ``'constant'``.
    earlydownsample : bool
        Compute the top octave too at the lowest rate its filters allow (faster; same result
        to about 1e-5). Default True.
    trainable : bool
        Make ``cqt_kernels_real``/``cqt_kernels_imag`` trainable parameters (honoured for every
        ``gamma``; nnAudio2 ignores it for ``gamma > 0``).
    output_format : {'Magnitude', 'Complex', 'Phase'}
        Default output; can be overridden per call.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Tensor [shape=(sum(n_k),)]
        Real and imaginary parts of every bin's kernel **at its octave's rate**, packed one after
        the other in bin order (``config.plan().sizes`` gives the lengths ``n_k``; 11 396 values
        each at the defaults, where nnAudio2 stores one shared octave of ``(12, 1, 1024)``).
        Each bin has its own kernel, so training may change bins of different octaves
        differently. Buffers, or parameters when trainable.
    lengths : Tensor [shape=(n_bins,)]
        Buffer: full-rate fractional filter lengths (the ``'librosa'`` output scaling).
    frequencies : np.ndarray [shape=(n_bins,)]
        Centre frequencies in Hz.

    Raises
    ------
    ParameterError
        For any invalid argument (including a top filter reaching above Nyquist) or input.

    Notes
    -----
    Same transform and implementation as :class:`CQT2010v2` (see its Notes): the full-rate
    definition computed octave by octave at reduced rates, to about 1e-5 relative.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> vqt = nnaudio_torch.VQT(sr=22050, gamma=20.0)
    >>> vqt(torch.randn(1, 22050)).shape
    torch.Size([1, 84, 44])
    """

    def __init__(
        self,
        sr: float = 22050,
        *,
        hop_length: int = 512,
        fmin: float = 32.7,
        fmax: float | None = None,
        n_bins: int = 84,
        filter_scale: float = 1,
        bins_per_octave: int = 12,
        norm: bool = True,
        basis_norm: float | None = 1,
        gamma: float | None = 0,
        window: WindowSpec = "hann",
        pad_mode: str = "reflect",
        earlydownsample: bool = True,
        trainable: bool = False,
        output_format: OutputFormat = "Magnitude",
        verbose: bool = True,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_bool("verbose", verbose)
        cfg = VQTConfig(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            filter_scale=filter_scale,
            bins_per_octave=bins_per_octave,
            norm=norm,
            basis_norm=basis_norm,
            gamma=gamma,
            window=window,
            pad_mode=pad_mode,
            earlydownsample=earlydownsample,
            trainable=trainable,
            output_format=output_format,
        )
        self.gamma = cfg.gamma
        self._build(cfg, dtype)
