"""STFT and iSTFT modules (Flax NNX)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax import Array
from nnaudio_shared import (
    ISTFTConfig,
    OutputFormat,
    ParameterError,
    STFTConfig,
    WindowSpec,
    check_bool,
    check_choice,
    check_optional_int,
)

from . import functional as F
from ._checks import as_audio, as_spectrum, resolve_dtype
from ._frozen import frozen_in
from ._shell import Transform
from ._variables import Buffer

__all__ = ["STFT", "iSTFT"]


def _kernel(module: STFT | iSTFT, name: str, dtype: Any, design: Callable[[], np.ndarray]) -> Array:
    """Return the state ``name`` in the compute ``dtype``.

    Trainable parameters are cast; frozen buffers go through :func:`frozen_in` (the float64
    design for a float64 input while the buffer is the design).
    """
    state = getattr(module, name)
    if isinstance(state, nnx.Param):
        return state[...].astype(dtype)
    return frozen_in(state[...], dtype, key=(module.config, name), design=design)


def _format(spec: Array, output_format: str, out_dtype: Any) -> Array:
    if output_format == "Magnitude":
        out = F.magnitude(spec)
    elif output_format == "Phase":
        out = F.phase(spec)
    else:
        out = jnp.stack([jnp.real(spec), jnp.imag(spec)], axis=-1)
    return out.astype(out_dtype)


def _inverse(
    module: STFT | iSTFT, X: Any, *, onesided: bool, length: int | None, kernels: tuple[Array, Array] | None
) -> Array:
    """Shared inverse of STFT.inverse and iSTFT.__call__."""
    n_fft = module.n_fft
    check_bool("onesided", onesided)
    length = check_optional_int("length", length, minimum=1)
    spec, out_dtype = as_spectrum(X, n_bins=n_fft // 2 + 1 if onesided else n_fft)
    if not onesided:
        spec = spec[..., : n_fft // 2 + 1, :]
    real_dtype = jnp.float64 if spec.dtype == jnp.complex128 else jnp.float32
    window = _kernel(module, "window", real_dtype, module.config.window_array)
    if kernels is None:
        y = F.istft(spec, window, n_fft=n_fft, hop_length=module.hop_length, center=module.center, length=length)
        return y.astype(out_dtype)
    kcos, ksin = (k.astype(real_dtype) for k in kernels)
    y = F.istft_matmul(spec, kcos, ksin, window, hop_length=module.hop_length, center=module.center, length=length)
    return y.astype(out_dtype)


class STFT(Transform):
    """Short-time Fourier transform layer, optionally with trainable Fourier kernels.

    Parameters
    ----------
    n_fft : int > 0
        FFT size. Default 2048.
    win_length : int in [1, n_fft] or None
        Window length; the window is zero-padded to ``n_fft`` (centred). ``None``: ``n_fft``.
    freq_bins : int or None
        Number of output bins. ``None``: ``n_fft // 2 + 1``. With ``freq_scale='no'`` at most
        ``n_fft // 2 + 1`` (the first ``freq_bins`` DFT bins).
    hop_length : int > 0 or None
        Hop between frames. ``None``: ``win_length // 4``.
    window : str, tuple or array
        Any :func:`scipy.signal.get_window` specification, e.g. ``'hann'``, ``('kaiser', 4.0)``,
        ``('gaussian', 100.0)``, or the window samples (``win_length`` values).
    freq_scale : {'no', 'linear', 'log', 'log2'}
        ``'no'``: the DFT bins. Otherwise ``freq_bins`` bins from ``fmin`` towards ``fmax``
        spaced linearly or geometrically (nnAudio2's definitions; ``fmax`` itself is not reached).
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at ``t * hop_length``.
    pad_mode : {'reflect', 'constant'}
        Padding used when ``center``. Default ``'reflect'`` as in nnAudio2 (librosa >= 0.10
        defaults to ``'constant'``).
    iSTFT : bool
        Enable :meth:`inverse`. Requires ``freq_scale='no'`` and all ``n_fft // 2 + 1`` bins.
    fmin, fmax : float
        Frequency range in Hz for ``freq_scale != 'no'`` (unused for ``'no'``); ``fmax <= sr/2``.
    sr : float > 0
        Sampling rate in Hz.
    trainable : bool
        Make the windowed Fourier kernels ``wcos``/``wsin`` (shape ``(freq_bins, n_fft)``)
        trainable parameters; the transform is then a frames-times-kernels matmul.
    output_format : {'Complex', 'Magnitude', 'Phase'}
        Default output; can be overridden per call.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).

    Attributes
    ----------
    window : Buffer [shape=(n_fft,)]
        The centre-padded analysis window.
    wcos, wsin : nnx.Param or Buffer [shape=(freq_bins, n_fft)]
        Params when ``trainable``; buffers when ``freq_scale != 'no'``; absent otherwise (the
        frozen uniform transform uses ``jnp.fft.rfft``).

    Raises
    ------
    ParameterError
        For any invalid argument (the message names it) or invalid input signal: not an
        array, 0-d, empty, integer/bool/complex dtype, NaN/Inf, or too short for
        ``center``/``pad_mode``. Under ``jax.jit`` the NaN/Inf check is skipped (values are
        not visible); shape and dtype checks still run.

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (the window, and ``wcos``/``wsin`` when ``freq_scale != 'no'``)
    while each stored kernel is that design rounded (as built or loaded), so the output is
    float64-accurate; a frozen kernel that was changed is used as stored. Trainable kernels
    (``trainable=True``) carry the module's dtype: with them a float64 input to a float32 module is
    float32-accurate (build with ``dtype=jnp.float64``). float16/bfloat16 inputs are computed in
    float32, with no intermediate in the half type, and only the output is cast back.

    Input ``(..., time)`` with any number of leading dimensions; output ``(..., freq_bins,
    frames)`` for ``'Magnitude'`` and ``'Phase'`` and ``(..., freq_bins, frames, 2)`` (real,
    imag) for ``'Complex'``. float32 and float64 inputs keep their dtype; float16/bfloat16 are
    computed in float32 and cast back. NumPy arrays are accepted. No ``rngs`` are needed.
    Differences from nnAudio2: gradients of ``'Magnitude'`` and ``'Phase'`` are finite (zero)
    at digital silence without adding an epsilon to the output; ``freq_scale`` values, short
    signals and bad dtypes raise clear errors; the frozen uniform STFT uses the FFT.

    Examples
    --------
    >>> import jax, nnaudio_jax
    >>> stft = nnaudio_jax.STFT(n_fft=512, hop_length=128, output_format="Magnitude")
    >>> stft(jax.numpy.zeros((2, 16000))).shape
    (2, 257, 126)
    """

    def __init__(
        self,
        n_fft: int = 2048,
        *,
        win_length: int | None = None,
        freq_bins: int | None = None,
        hop_length: int | None = None,
        window: WindowSpec = "hann",
        freq_scale: str = "no",
        center: bool = True,
        pad_mode: str = "reflect",
        iSTFT: bool = False,
        fmin: float = 50,
        fmax: float = 6000,
        sr: float = 22050,
        trainable: bool = False,
        output_format: OutputFormat = "Complex",
        verbose: bool = True,
        dtype: Any = None,
    ) -> None:
        check_bool("verbose", verbose)
        cfg = STFTConfig(
            n_fft=n_fft,
            win_length=win_length,
            freq_bins=freq_bins,
            hop_length=hop_length,
            window=window,
            freq_scale=freq_scale,
            center=center,
            pad_mode=pad_mode,
            iSTFT=iSTFT,
            fmin=fmin,
            fmax=fmax,
            sr=sr,
            trainable=trainable,
            output_format=output_format,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        # the config resolved the None defaults
        self.n_fft, self.hop_length, self.freq_bins = cfg.n_fft, cast(int, cfg.hop_length), cast(int, cfg.freq_bins)
        self.center, self.pad_mode, self.output_format = cfg.center, cfg.pad_mode, cfg.output_format
        self.trainable, self.iSTFT = cfg.trainable, cfg.iSTFT
        self.window = Buffer(jnp.asarray(cfg.window_array(), dtype=dt))
        if cfg.trainable or not cfg.uses_fft:
            k = cfg.kernels()
            kind = nnx.Param if cfg.trainable else Buffer
            self.wcos = kind(jnp.asarray(k.wcos, dtype=dt))
            self.wsin = kind(jnp.asarray(k.wsin, dtype=dt))

    def complex_spectrum(self, x: Any) -> tuple[Array, Any]:
        """Validate ``x`` and return the complex STFT ``(..., freq_bins, frames)`` and the output dtype."""
        x, out_dtype = as_audio(x)
        self.config.check_length(x.shape[-1])
        if self.trainable or not self.config.uses_fft:
            spec = F.stft_matmul(
                x,
                _kernel(self, "wcos", x.dtype, lambda: self.config.kernels().wcos),
                _kernel(self, "wsin", x.dtype, lambda: self.config.kernels().wsin),
                hop_length=self.hop_length,
                center=self.center,
                pad_mode=self.pad_mode,
            )
        else:
            spec = F.stft(
                x,
                _kernel(self, "window", x.dtype, self.config.window_array),
                n_fft=self.n_fft,
                hop_length=self.hop_length,
                center=self.center,
                pad_mode=self.pad_mode,
                freq_bins=self.freq_bins,
            )
        return spec, out_dtype

    def __call__(self, x: Any, output_format: OutputFormat | None = None) -> Array:
        """Compute the STFT.

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]
        output_format : {'Complex', 'Magnitude', 'Phase'} or None
            Overrides the constructor's ``output_format`` for this call (static under jit).

        Returns
        -------
        Array [shape=(..., freq_bins, frames)] or [shape=(..., freq_bins, frames, 2)]
        """
        fmt = (
            self.output_format
            if output_format is None
            else check_choice("output_format", output_format, ("Magnitude", "Complex", "Phase"))
        )
        spec, out_dtype = self.complex_spectrum(x)
        return _format(spec, fmt, out_dtype)

    def inverse(self, X: Any, onesided: bool = True, length: int | None = None, refresh_win: bool = True) -> Array:
        """Invert a complex STFT (exact for the analysis window; weighted overlap-add).

        Parameters
        ----------
        X : Array [shape=(..., freq, frames, 2)] or complex [shape=(..., freq, frames)]
            ``freq`` is ``n_fft // 2 + 1`` (``onesided=True``) or ``n_fft``.
        onesided : bool
        length : int or None
            Output length; ``None`` trims ``n_fft // 2`` samples at both ends when ``center``.
        refresh_win : bool
            Accepted for nnAudio2 compatibility. The window normalisation is always recomputed
            (it is cheap), which is what ``refresh_win=True`` means; ``False`` gives the same result.

        Returns
        -------
        Array [shape=(..., time)]

        Notes
        -----
        With ``trainable=True`` this inverts the transform the module was built with (the
        construction window), not the trained kernels, as in nnAudio2.
        """
        check_bool("refresh_win", refresh_win)
        if not self.iSTFT:
            raise ParameterError("STFT.inverse needs the module built with iSTFT=True")
        return _inverse(self, X, onesided=onesided, length=length, kernels=None)


class iSTFT(Transform):  # noqa: N801 - nnAudio2's name
    """Inverse short-time Fourier transform layer with optionally trainable kernels and window.

    Parameters
    ----------
    n_fft : int > 0
        FFT size. Default 2048.
    win_length : int in [1, n_fft] or None
        Window length (``None``: ``n_fft``); windows shorter than ``n_fft`` are supported.
    freq_bins : None or int
        Must be ``None`` or ``n_fft // 2 + 1``: the inverse needs every one-sided bin.
    hop_length : int > 0 or None
        ``None``: ``win_length // 4``. Must satisfy the NOLA condition for the window.
    window : str, tuple or array
        Synthesis window, the same as the forward STFT's.
    freq_scale : {'no'}
        Only the uniform scale can be inverted; other values raise :class:`ParameterError`.
    center : bool
        Whether the forward STFT was centred.
    fmin, fmax : float
        Accepted for nnAudio2 compatibility; meaningful only for non-uniform scales, which are
        rejected. Must be finite.
    sr : float > 0
        Sampling rate (metadata).
    trainable_kernels : bool
        Make the inverse DFT kernels ``kernel_cos``/``kernel_sin`` (shape
        ``(n_fft // 2 + 1, n_fft)``) trainable; the synthesis is then a matmul.
    trainable_window : bool
        Make the synthesis window trainable (the overlap-add normalisation follows it).
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    refresh_win : bool
        Accepted for nnAudio2 compatibility; the normalisation is always recomputed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64``.

    Raises
    ------
    ParameterError
        For invalid arguments or spectrograms (wrong bin count, NaN/Inf when eager,
        magnitude-only input).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (the window) while each stored kernel is that design rounded (as
    built or loaded), so the output is float64-accurate; a frozen kernel that was changed is used as
    stored. Trainable kernels (``trainable_kernels`` / ``trainable_window``) carry the module's
    dtype: with them a float64 input to a float32 module is float32-accurate (build with
    ``dtype=jnp.float64``). float16/bfloat16 inputs are computed in float32, with no intermediate in
    the half type, and only the output is cast back.

    Input: the ``'Complex'`` STFT output ``(..., n_fft // 2 + 1, frames, 2)`` or a complex
    array ``(..., n_fft // 2 + 1, frames)``. Output ``(..., time)``. ``__call__`` defaults to
    ``onesided=True`` (nnAudio2 defaults to ``False`` although its STFT is one-sided). The
    inverse is exact (librosa's ``istft``), also for ``win_length < n_fft`` (nnAudio2 crashes).

    Examples
    --------
    >>> import jax, nnaudio_jax
    >>> stft = nnaudio_jax.STFT(n_fft=512, hop_length=128)
    >>> istft = nnaudio_jax.iSTFT(n_fft=512, hop_length=128)
    >>> x = jax.random.normal(jax.random.key(0), (2, 4000))
    >>> bool(jax.numpy.allclose(istft(stft(x), length=4000), x, atol=1e-5))
    True
    """

    def __init__(
        self,
        n_fft: int = 2048,
        *,
        win_length: int | None = None,
        freq_bins: int | None = None,
        hop_length: int | None = None,
        window: WindowSpec = "hann",
        freq_scale: str = "no",
        center: bool = True,
        fmin: float = 50,
        fmax: float = 6000,
        sr: float = 22050,
        trainable_kernels: bool = False,
        trainable_window: bool = False,
        verbose: bool = True,
        refresh_win: bool = True,
        dtype: Any = None,
    ) -> None:
        check_bool("verbose", verbose)
        cfg = ISTFTConfig(
            n_fft=n_fft,
            win_length=win_length,
            freq_bins=freq_bins,
            hop_length=hop_length,
            window=window,
            freq_scale=freq_scale,
            center=center,
            fmin=fmin,
            fmax=fmax,
            sr=sr,
            trainable_kernels=trainable_kernels,
            trainable_window=trainable_window,
            refresh_win=refresh_win,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.n_fft, self.hop_length, self.center = cfg.n_fft, cast(int, cfg.hop_length), cfg.center
        self.trainable_kernels, self.trainable_window = cfg.trainable_kernels, cfg.trainable_window
        window_arr = jnp.asarray(cfg.window_array(), dtype=dt)
        self.window = nnx.Param(window_arr) if cfg.trainable_window else Buffer(window_arr)
        if cfg.trainable_kernels:
            kcos, ksin = cfg.kernels()
            self.kernel_cos = nnx.Param(jnp.asarray(kcos, dtype=dt))
            self.kernel_sin = nnx.Param(jnp.asarray(ksin, dtype=dt))

    def __call__(
        self, X: Any, onesided: bool = True, length: int | None = None, refresh_win: bool | None = None
    ) -> Array:
        """Invert a complex STFT.

        Parameters
        ----------
        X : Array [shape=(..., freq, frames, 2)] or complex [shape=(..., freq, frames)]
            ``freq`` is ``n_fft // 2 + 1`` (``onesided=True``, default) or ``n_fft``.
        onesided : bool
        length : int or None
            Output length; ``None`` trims ``n_fft // 2`` samples at both ends when ``center``.
        refresh_win : bool or None
            Accepted for nnAudio2 compatibility (always recomputed).

        Returns
        -------
        Array [shape=(..., time)]
        """
        if refresh_win is not None:
            check_bool("refresh_win", refresh_win)
        kernels = (self.kernel_cos[...], self.kernel_sin[...]) if self.trainable_kernels else None
        return _inverse(self, X, onesided=onesided, length=length, kernels=kernels)
