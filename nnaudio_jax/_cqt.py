"""Full-rate constant-Q transforms CQT1992v2 (= CQT) and CQT1992 (Flax NNX)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array
from nnaudio_shared import (
    NORMALIZATION_TYPES,
    CQT1992Config,
    CQT1992v2Config,
    CQTNormalization,
    OutputFormat,
    WindowSpec,
    check_bool,
    check_choice,
    fourier_kernels,
    resolve_output_format,
)

from ._checks import as_audio, resolve_dtype
from ._frozen import all_equal_design, frozen_in
from ._shell import Transform
from ._variables import Buffer
from .functional import _cqt as FC

__all__ = ["CQT", "CQT1992", "CQT1992v2"]


@functools.lru_cache(maxsize=16)
def _design_weights(config: CQT1992v2Config) -> tuple[np.ndarray, ...]:
    """:func:`FC.factored_weights` of the designed kernels in float32, computed once per configuration.

    The low-rank path evaluates the design (it is taken only while the frozen kernels equal it:
    checked eagerly, and inside the program under ``jax.jit``), so its projected weights are
    constants, not work done on every call.
    """
    k, plan = config.kernels(), config.factored()
    with jax.ensure_compile_time_eval():
        w = FC.factored_weights(jnp.asarray(k.packed_real, jnp.float32), jnp.asarray(k.packed_imag, jnp.float32), plan)
    return tuple(np.asarray(v) for v in w)


class CQT1992v2(Transform):
    """Constant-Q transform at full rate with librosa's filters (nnAudio2's ``CQT1992v2``).

    ``X[k, t] = sum_j x[t * hop + offsets[k] + j] * conj(kernel_k[j])`` where ``kernel_k`` is
    ``librosa.filters.wavelet``'s filter ``k`` (fractional length ``Q * sr / f_k`` with
    ``Q = filter_scale / alpha``, centred Hann-windowed complex sinusoid, ``norm``-normalised),
    conjugated and reversed in time, so that the complex output is the convolution with
    librosa's filters that ``librosa.cqt`` computes, for every window (correlating with the
    filters as they are is one sample off, see :func:`nnaudio_shared.wavelet_kernels`).
    Evaluated exactly by a polyphase GEMM on non-overlapping blocks of ``hop_length`` samples:
    about ``2 * sum_k n_k`` multiply-adds per frame (nnAudio2: ``2 * n_bins * 16384`` at its
    defaults).

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    hop_length : int > 0
        Hop between frames (any value, e.g. 500). Default 512.
    fmin : float > 0
        Centre frequency of the lowest bin in Hz. Default 32.7 (C1).
    fmax : float or None
        If given, ``n_bins = ceil(bins_per_octave * log2(fmax / fmin))`` and ``n_bins`` is
        ignored (nnAudio2's rule).
    n_bins : int > 0
        Number of bins. Default 84 (7 octaves).
    bins_per_octave : int > 0
        Default 12.
    filter_scale : float > 0
        Multiplies every filter length. Default 1.
    norm : float > 0, inf or None
        Kernel normalisation (``librosa.util.normalize``): ``1`` (L1, default), ``2``, ``inf``
        (peak) or ``None`` (none).
    window : str or tuple
        Window of the filters, any :func:`scipy.signal.get_window` name or tuple.
    center : bool
        Frame ``t`` centred at sample ``t * hop_length``; ``False``: frame ``t`` covers
        ``[t * hop, t * hop + width)`` with ``width`` the longest filter rounded up to a power
        of two (16384 at the defaults), as in librosa's ``stft(center=False)``.
    pad_mode : {'reflect', 'constant'}
        Padding when ``center``. Default ``'reflect'`` (nnAudio2); ``librosa.cqt`` uses
        ``'constant'``. Reflection repeats (as ``np.pad``) for clips shorter than the filters.
    trainable : bool
        Make ``cqt_kernels_real``/``cqt_kernels_imag`` trainable parameters.
    output_format : {'Magnitude', 'Complex', 'Phase'}
        Default output; can be overridden per call.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Buffer or nnx.Param [shape=(sum(n_k),)]
        Real and imaginary parts of all kernels **packed** one after the other, each at its own
        length ``n_k`` (bin 0 first; 206 592 values each at the defaults). nnAudio2 stores them
        zero-padded to ``(n_bins, 1, 16384)``. :class:`Buffer`, or ``nnx.Param`` when ``trainable``.
    lengths : Buffer [shape=(n_bins,)]
        Buffer: fractional filter lengths (the ``'librosa'`` output scaling).
    frequencies : np.ndarray [shape=(n_bins,)]
        Centre frequencies in Hz.

    Raises
    ------
    ParameterError
        For any invalid argument (including a top filter reaching above Nyquist) or input.

    Notes
    -----
    Input ``(..., time)``; output ``(..., n_bins, frames)`` (``'Magnitude'``) or
    ``(..., n_bins, frames, 2)`` (``'Complex'``: real, imag; ``'Phase'``: cos, sin of the phase),
    ``frames = 1 + time // hop_length`` when ``center``.
    Differences from nnAudio2: librosa's filters (``Q = 17.3`` at 12 bins per octave instead of
    16.8, fractional lengths instead of ``ceil``), so ``normalization_type='librosa'`` matches
    ``librosa.cqt`` (``pad_mode='constant'``, ``sparsity=0``) up to its resampling error instead
    of 2-3 %; ``norm=None`` leaves the filters unnormalised as librosa does (nnAudio2 divides by
    the length); short clips and any hop work; gradients are finite at digital silence.

    Speed: frozen kernels with float32 input take a low-rank path: the long kernels' block
    weights are projected on a basis of the designed kernels truncated at ``1e-7`` of each
    kernel's norm (below float32 rounding), about 13x fewer multiply-adds than nnAudio2 at the
    defaults. It is used only while the frozen kernels equal the design: checked eagerly once per
    kernel array, and under ``jax.jit`` / ``nnx.jit`` / ``jax.export`` inside the program
    (``lax.cond`` on one fused comparison of the kernels with the design: about 0.1 ms per call at
    the defaults, one compilation serves designed and replaced kernels). Replaced frozen kernels,
    trainable kernels and float64 inputs use the exact block GEMM.

    Precision: float64 input to a module with float32 frozen kernels computes with the float64
    design (kernels and ``lengths``) while the stored values equal the design rounded, and with
    the stored values upcast otherwise, so the output is float64-accurate. Trainable kernels carry
    the module's dtype; for float64-accurate output build with ``dtype=float64``.

    Examples
    --------
    >>> import jax.numpy as jnp, nnaudio_jax
    >>> cqt = nnaudio_jax.CQT1992v2(sr=22050, hop_length=512)
    >>> cqt(jnp.zeros((2, 22050))).shape
    (2, 84, 44)
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
        filter_scale: float = 1,
        norm: float | None = 1,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        trainable: bool = False,
        output_format: OutputFormat = "Magnitude",
        verbose: bool = True,
        dtype: Any = None,
    ) -> None:
        check_bool("verbose", verbose)
        cfg = CQT1992v2Config(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            bins_per_octave=bins_per_octave,
            filter_scale=filter_scale,
            norm=norm,
            window=window,
            center=center,
            pad_mode=pad_mode,
            trainable=trainable,
            output_format=output_format,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.hop_length, self.n_bins, self.center, self.pad_mode = cfg.hop_length, cfg.n_bins, cfg.center, cfg.pad_mode
        self.output_format, self.trainable = cfg.output_format, cfg.trainable
        k = cfg.kernels()
        kind = nnx.Param if cfg.trainable else Buffer
        self.cqt_kernels_real = kind(jnp.asarray(k.packed_real, dtype=dt))
        self.cqt_kernels_imag = kind(jnp.asarray(k.packed_imag, dtype=dt))
        self.lengths = Buffer(jnp.asarray(k.lengths, dtype=dt))

    def _designed(self, kr: Array, ki: Array) -> bool | Array:
        """Whether both frozen kernels equal the design.

        A bool eagerly (cached per array); a traced boolean computed inside the program under
        ``jax.jit`` / ``nnx.jit`` / ``jax.export`` (one fused comparison).
        """
        cfg = self.config
        return all_equal_design(
            [
                (kr, (cfg, "cqt_kernels_real"), lambda: cfg.kernels().packed_real),
                (ki, (cfg, "cqt_kernels_imag"), lambda: cfg.kernels().packed_imag),
            ]
        )

    def complex_spectrum(self, x: Any, normalization_type: CQTNormalization = "librosa") -> tuple[Array, Any]:
        """Validate ``x`` and return the complex CQT ``(..., n_bins, frames)`` and the output dtype."""
        check_choice("normalization_type", normalization_type, NORMALIZATION_TYPES)
        x, out_dtype = as_audio(x)
        cfg = self.config
        cfg.check_length(x.shape[-1])
        dt = x.dtype
        lengths = frozen_in(self.lengths[...], dt, key=(cfg, "lengths"), design=lambda: cfg.kernels().lengths)
        scale = FC.normalization_scale(normalization_type, lengths)
        kr_state, ki_state = self.cqt_kernels_real[...], self.cqt_kernels_imag[...]
        kr, ki = kr_state, ki_state
        if not self.trainable:
            kr = frozen_in(kr, dt, key=(cfg, "cqt_kernels_real"), design=lambda: cfg.kernels().packed_real)
            ki = frozen_in(ki, dt, key=(cfg, "cqt_kernels_imag"), design=lambda: cfg.kernels().packed_imag)
        width, center, pad_mode = cfg.width, self.center, self.pad_mode

        def exact(x: Array, kr: Array, ki: Array, scale: Array | None) -> Array:
            return FC.cqt(x, kr, ki, layout=cfg.layout(), width=width, center=center, pad_mode=pad_mode, scale=scale)

        def factored(x: Array, kr: Array, ki: Array, scale: Array | None) -> Array:
            plan, weights = cfg.factored(), _design_weights(cfg)
            return FC.cqt_factored(
                x, kr, ki, plan=plan, width=width, center=center, pad_mode=pad_mode, scale=scale, weights=weights
            )

        if self.trainable or dt != jnp.float32:
            return exact(x, kr, ki, scale), out_dtype
        designed = self._designed(kr_state, ki_state)
        if isinstance(designed, bool):
            spec = (factored if designed else exact)(x, kr, ki, scale)
        else:  # traced: the choice follows the kernels passed to the program
            spec = jax.lax.cond(designed, factored, exact, x, kr, ki, scale)
        return spec, out_dtype

    @property
    def frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz, shape ``(n_bins,)``."""
        return self.config.freqs()

    def __call__(
        self, x: Any, output_format: OutputFormat | None = None, normalization_type: CQTNormalization = "librosa"
    ) -> Array:
        """Compute the constant-Q transform.

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]
        output_format : {'Magnitude', 'Complex', 'Phase'} or None
            Overrides the constructor's ``output_format`` for this call.
        normalization_type : {'librosa', 'convolutional', 'wrap'}
            ``'librosa'``: multiply by ``sqrt(lengths)`` (matches ``librosa.cqt``);
            ``'convolutional'``: the plain inner products with the normalised filters;
            ``'wrap'``: twice those (a unit sinusoid gives about 1 in its bin with ``norm=1``).

        Returns
        -------
        Array [shape=(..., n_bins, frames)] or [shape=(..., n_bins, frames, 2)]
        """
        fmt = resolve_output_format(output_format, self.output_format)
        spec, out_dtype = self.complex_spectrum(x, normalization_type)
        return FC.format_cqt(spec, fmt, out_dtype)


#: nnAudio2's alias: ``CQT`` is :class:`CQT1992v2`.
CQT = CQT1992v2


class CQT1992(Transform):
    """Constant-Q transform by Brown & Puckette's spectral-kernel algorithm (nnAudio2's ``CQT1992``).

    A rectangular-window STFT of frames of ``width`` samples (the longest filter rounded up to
    a power of two) multiplied by the full DFT of every filter: the same transform as
    :class:`CQT1992v2` (equal to float rounding), computed in the frequency domain.

    Parameters
    ----------
    sr, hop_length, fmin, fmax, n_bins
        As in :class:`CQT1992v2`, except ``fmin=220`` by default (nnAudio2).
    trainable_STFT : bool
        Make the rectangular-window Fourier kernels ``wcos``/``wsin`` (shape
        ``(width // 2 + 1, width)``) trainable; the STFT is then a matmul. Their size grows with
        ``width ** 2`` (2 M values at 220 Hz, 268 M at 32.7 Hz).
    trainable_CQT : bool
        Make the spectral kernels ``cqt_kernels_real``/``cqt_kernels_imag`` trainable.
    bins_per_octave, filter_scale
        As in :class:`CQT1992v2`.
    output_format : {'Magnitude', 'Complex', 'Phase'}
    norm, window, center, pad_mode
        As in :class:`CQT1992v2`.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Buffer or nnx.Param [shape=(n_bins, width)]
        Real and imaginary parts of the full DFT of each centre-padded filter (nnAudio2 keeps
        only the non-negative half, which is inexact).
    wcos, wsin : nnx.Param [shape=(width // 2 + 1, width)]
        Only when ``trainable_STFT`` (the frozen STFT uses the FFT).
    lengths : Buffer [shape=(n_bins,)]
        Buffer: fractional filter lengths.

    Raises
    ------
    ParameterError
        For invalid arguments. nnAudio2's defaults (``fmin=220``, ``n_bins=84``) put the top
        filter above Nyquist at 22.05 kHz and raise; pass e.g. ``n_bins=48``.

    Notes
    -----
    Input ``(..., time)``; output as :class:`CQT1992v2`. The product uses all ``width``
    frequencies (the negative ones via conjugate symmetry), so it is exact rather than
    librosa's positive-frequency approximation.

    Precision: float64 input to a module with float32 frozen kernels computes with the float64
    design (spectral kernels and ``lengths``) while the stored values equal the design rounded, and with
    the stored values upcast otherwise, so the output is float64-accurate. Trainable kernels (and ``wcos``/``wsin`` when ``trainable_STFT``) carry
    the module's dtype; for float64-accurate output build with ``dtype=float64``.

    Examples
    --------
    >>> import jax.numpy as jnp, nnaudio_jax
    >>> cqt = nnaudio_jax.CQT1992(sr=22050, fmin=220, n_bins=48)
    >>> cqt(jnp.zeros((1, 22050))).shape
    (1, 48, 44)
    """

    def __init__(
        self,
        sr: float = 22050,
        *,
        hop_length: int = 512,
        fmin: float = 220,
        fmax: float | None = None,
        n_bins: int = 84,
        trainable_STFT: bool = False,
        trainable_CQT: bool = False,
        bins_per_octave: int = 12,
        filter_scale: float = 1,
        output_format: OutputFormat = "Magnitude",
        norm: float | None = 1,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        verbose: bool = True,
        dtype: Any = None,
    ) -> None:
        check_bool("verbose", verbose)
        cfg = CQT1992Config(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            trainable_STFT=trainable_STFT,
            trainable_CQT=trainable_CQT,
            bins_per_octave=bins_per_octave,
            filter_scale=filter_scale,
            output_format=output_format,
            norm=norm,
            window=window,
            center=center,
            pad_mode=pad_mode,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.hop_length, self.n_bins, self.center, self.pad_mode = cfg.hop_length, cfg.n_bins, cfg.center, cfg.pad_mode
        self.output_format = cfg.output_format
        self.trainable_STFT, self.trainable_CQT = cfg.trainable_STFT, cfg.trainable_CQT
        self.kernel_width = cfg.width
        k = cfg.kernels()
        real, imag = cfg.spectral_kernels()
        kind = nnx.Param if cfg.trainable_CQT else Buffer
        self.cqt_kernels_real = kind(jnp.asarray(real, dtype=dt))
        self.cqt_kernels_imag = kind(jnp.asarray(imag, dtype=dt))
        if cfg.trainable_STFT:
            w = cfg.width
            fk = fourier_kernels(n_fft=w, win_length=w, freq_bins=w // 2 + 1, window="boxcar")
            self.wcos = nnx.Param(jnp.asarray(fk.wcos, dtype=dt))
            self.wsin = nnx.Param(jnp.asarray(fk.wsin, dtype=dt))
        self.lengths = Buffer(jnp.asarray(k.lengths, dtype=dt))

    def complex_spectrum(self, x: Any, normalization_type: CQTNormalization = "librosa") -> tuple[Array, Any]:
        """Validate ``x`` and return the complex CQT ``(..., n_bins, frames)`` and the output dtype."""
        check_choice("normalization_type", normalization_type, NORMALIZATION_TYPES)
        x, out_dtype = as_audio(x)
        cfg = self.config
        cfg.check_length(x.shape[-1])
        dt = x.dtype
        lengths = frozen_in(self.lengths[...], dt, key=(cfg, "lengths"), design=lambda: cfg.kernels().lengths)
        scale = FC.normalization_scale(normalization_type, lengths)
        kr, ki = self.cqt_kernels_real[...], self.cqt_kernels_imag[...]
        if not self.trainable_CQT:
            kr = frozen_in(kr, dt, key=(cfg, "cqt_kernels_real"), design=lambda: cfg.spectral_kernels()[0])
            ki = frozen_in(ki, dt, key=(cfg, "cqt_kernels_imag"), design=lambda: cfg.spectral_kernels()[1])
        wcos, wsin = (self.wcos[...], self.wsin[...]) if self.trainable_STFT else (None, None)
        spec = FC.cqt_fourier(
            x,
            kr,
            ki,
            hop_length=self.hop_length,
            center=self.center,
            pad_mode=self.pad_mode,
            wcos=wcos,
            wsin=wsin,
            scale=scale,
        )
        return spec, out_dtype

    @property
    def frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz, shape ``(n_bins,)``."""
        return self.config.freqs()

    def __call__(
        self, x: Any, output_format: OutputFormat | None = None, normalization_type: CQTNormalization = "librosa"
    ) -> Array:
        """Compute the constant-Q transform (see :meth:`CQT1992v2.__call__`).

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]
        output_format : {'Magnitude', 'Complex', 'Phase'} or None
        normalization_type : {'librosa', 'convolutional', 'wrap'}

        Returns
        -------
        Array [shape=(..., n_bins, frames)] or [shape=(..., n_bins, frames, 2)]
        """
        fmt = resolve_output_format(output_format, self.output_format)
        spec, out_dtype = self.complex_spectrum(x, normalization_type)
        return FC.format_cqt(spec, fmt, out_dtype)
