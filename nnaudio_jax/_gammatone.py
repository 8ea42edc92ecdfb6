"""Gammatonegram module (Flax NNX)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from flax import nnx
from jax import Array
from nnaudio_shared import GammatonegramConfig, ParameterError, WindowSpec, check_bool

from . import functional as F
from ._checks import resolve_dtype
from ._frozen import frozen_in
from ._shell import Transform
from ._stft import STFT
from ._variables import Buffer

__all__ = ["Gammatonegram"]


class Gammatonegram(Transform):
    """Gammatone spectrogram: ERB-spaced gammatone weights applied to ``|STFT| ** power``.

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    n_fft : int > 0
        FFT size. Default 2048.
    win_length : int in [1, n_fft] or None
        Window length (``None``: ``n_fft``).
    n_bins : int > 0
        Number of gammatone filters. Default 64.
    hop_length : int > 0
        Hop between frames. Default 512.
    window : str, tuple or array
        Any :func:`scipy.signal.get_window` specification.
    center : bool
        Centre the frames (pad ``n_fft // 2`` on both sides).
    pad_mode : {'reflect', 'constant'}
        Default ``'reflect'`` as in nnAudio2.
    power : float > 0
        Exponent of the magnitude: 2 (power, default), 1 (magnitude) or any positive value.
    htk : bool
        Must be ``False``: gammatone centre frequencies are ERB-spaced and have no HTK variant.
        nnAudio2 accepts ``htk`` and silently ignores it; ``True`` raises :class:`ParameterError`.
    fmin, fmax : float
        Centre-frequency range in Hz (``fmax=None``: ``sr / 2``; ``0 <= fmin < fmax <= sr / 2``).
        The lowest filter is centred at ``fmin``; the highest one ERB step below ``fmax``.
    norm : {1}
        Must be ``1`` (default): every filter has unit gain at its centre frequency (Ellis'
        ``fft2gammatonemx``) and the basis is scaled by ``1 / n_fft`` (nnAudio2's scaling).
        nnAudio2 ignores other values; here they raise :class:`ParameterError`.
    trainable_bins : bool
        Make ``gammatone_basis`` a trainable parameter.
    trainable_STFT : bool
        Make the STFT kernels (``stft.wcos``/``stft.wsin``) trainable; the STFT is then a matmul.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64`` (needs
        ``jax_enable_x64``).
    **kwargs
        Not accepted: nnAudio2 forwards unknown keywords to its STFT; here any unexpected
        keyword raises :class:`ParameterError` instead.

    Attributes
    ----------
    stft : STFT
        The inner STFT (state ``stft.window``, and ``stft.wcos``/``stft.wsin`` when trainable).
    gammatone_basis : Buffer or nnx.Param [shape=(n_bins, n_fft // 2 + 1)]
        ``nnx.Param`` when ``trainable_bins``; rows in ascending centre frequency.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal (see :class:`STFT`).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``gammatone_basis`` and the STFT window) while each stored kernel
    is that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. Trainable kernels (``trainable_bins`` / ``trainable_STFT``)
    carry the module's dtype: with them a float64 input to a float32 module is float32-accurate
    (build with ``dtype=jnp.float64``). float16/bfloat16 inputs are computed in float32, with no
    intermediate in the half type, and only the output is cast back.

    Input ``(..., time)``; output ``(..., n_bins, frames)``: ``gammatone_basis @ |STFT|**power``.
    The basis equals ``gammatone.fftweight.fft_weights(n_fft, sr, n_bins, 1, fmin, fmax,
    n_fft // 2 + 1)[0] / n_fft`` and nnAudio2's ``get_gammatone`` (computed here in float64).
    Gradients are finite at digital silence for every ``power``.

    Examples
    --------
    >>> import jax, nnaudio_jax
    >>> gt = nnaudio_jax.Gammatonegram(16000, n_fft=512, hop_length=160, n_bins=40)
    >>> gt(jax.numpy.zeros((2, 16000))).shape
    (2, 40, 101)
    """

    def __init__(
        self,
        sr: float = 22050,
        *,
        n_fft: int = 2048,
        win_length: int | None = None,
        n_bins: int = 64,
        hop_length: int = 512,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        power: float = 2.0,
        htk: bool = False,
        fmin: float = 0.0,
        fmax: float | None = None,
        norm: Any = 1,
        trainable_bins: bool = False,
        trainable_STFT: bool = False,
        verbose: bool = True,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise ParameterError(f"unexpected keyword argument(s) {sorted(kwargs)} for Gammatonegram")
        check_bool("verbose", verbose)
        cfg = GammatonegramConfig(
            sr=sr,
            n_fft=n_fft,
            win_length=win_length,
            n_bins=n_bins,
            hop_length=hop_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
            htk=htk,
            fmin=fmin,
            fmax=fmax,
            norm=norm,
            trainable_bins=trainable_bins,
            trainable_STFT=trainable_STFT,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.power = cfg.power
        self.trainable_bins, self.trainable_STFT = cfg.trainable_bins, cfg.trainable_STFT
        s = cfg.stft
        self.stft = STFT(
            s.n_fft,
            win_length=s.win_length,
            hop_length=s.hop_length,
            window=s.window,
            center=s.center,
            pad_mode=s.pad_mode,
            sr=s.sr,
            trainable=s.trainable,
            output_format="Magnitude",
            verbose=False,
            dtype=dt,
        )
        basis = jnp.asarray(cfg.gammatone_basis(), dtype=dt)
        self.gammatone_basis = nnx.Param(basis) if cfg.trainable_bins else Buffer(basis)

    def __call__(self, x: Any) -> Array:
        """Compute the gammatonegram.

        Parameters
        ----------
        x : Array or np.ndarray [shape=(..., time)]

        Returns
        -------
        Array [shape=(..., n_bins, frames)]
        """
        spec, out_dtype = self.stft.complex_spectrum(x)
        power_spec = F.spectral_power(spec, self.power)
        # a filterbank matmul, the same operation as the mel projection
        if self.trainable_bins:
            basis = self.gammatone_basis[...].astype(power_spec.dtype)
        else:
            cfg = self.config
            basis = frozen_in(
                self.gammatone_basis[...], power_spec.dtype, key=(cfg, "gammatone_basis"), design=cfg.gammatone_basis
            )
        return F.melspectrogram(power_spec, basis).astype(out_dtype)
