"""MelSpectrogram and MFCC modules (PyTorch)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
from nnaudio_shared import MelSpectrogramConfig, MFCCConfig, ParameterError, WindowSpec, check_bool
from torch import Tensor, nn

from . import functional as F
from ._checks import autocast_off, resolve_dtype
from ._frozen import design_tensor, equals_design, frozen_in_eager, is_compiling
from ._shell import Transform
from ._stft import STFT

__all__ = ["MFCC", "MelSpectrogram"]


def _dct_ii_sums(cfg: MFCCConfig) -> np.ndarray:
    """``dct @ ones`` of the designed DCT-II, exactly: row 0 is a constant, every other row sums to 0."""
    d = cfg.dct()
    out = np.zeros(d.shape[0])
    out[0] = d.shape[1] * d[0, 0]
    return out


class MelSpectrogram(Transform):
    """Mel spectrogram layer with optionally trainable mel filterbank and Fourier kernels.

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    n_fft : int > 0
        FFT size. Default 2048.
    win_length : int in [1, n_fft] or None
        Window length (``None``: ``n_fft``).
    n_mels : int > 0
        Number of mel bands. Default 128.
    hop_length : int > 0
        Hop between frames. Default 512.
    window : str, tuple or array
        Any :func:`scipy.signal.get_window` specification.
    center : bool
        Centre the frames (pad ``n_fft // 2`` on both sides).
    pad_mode : {'reflect', 'constant'}
        Default ``'reflect'`` as in nnAudio2 (librosa >= 0.10 defaults to ``'constant'``).
    power : float > 0
        Exponent of the magnitude: 2 (power, default), 1 (magnitude) or any positive value.
    htk : bool
        HTK mel formula instead of Slaney's.
    fmin, fmax : float
        Mel band edges in Hz; ``fmax=None`` means ``sr / 2``; ``fmax <= sr / 2``.
    norm : {1, 'slaney', None, inf}
        ``1`` / ``'slaney'``: Slaney area normalisation (librosa's ``norm='slaney'``, nnAudio2's
        ``norm=1``); ``None`` / ``inf``: unit-peak triangles (nnAudio2's meanings; modern
        librosa's numeric ``norm=1`` would mean L1 rows instead).
    trainable_mel : bool
        Make ``mel_basis`` a trainable parameter.
    trainable_STFT : bool
        Make the STFT kernels (``stft.wcos``/``stft.wsin``) trainable; the STFT is then a matmul.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.
    **kwargs
        Not accepted: nnAudio2 forwards unknown keywords to its STFT; here any unexpected
        keyword raises :class:`ParameterError` instead of being ignored.

    Attributes
    ----------
    stft : STFT
        The inner STFT (state ``stft.window``, and ``stft.wcos``/``stft.wsin`` when trainable).
    mel_basis : Tensor [shape=(n_mels, n_fft // 2 + 1)]
        Buffer, or parameter when ``trainable_mel``.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal (see :class:`STFT`).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``mel_basis`` and the STFT window) while each stored kernel is
    that design rounded (as built or loaded), so the output is float64-accurate; a frozen kernel
    that was changed is used as stored. Trainable kernels (``trainable_mel`` / ``trainable_STFT``)
    carry the module's dtype: with them a float64 input to a float32 module is float32-accurate
    (build with ``dtype=torch.float64``). Under ``torch.compile`` / ``torch.export`` the stored
    kernels are used (float32-accurate for a float32 module). float16/bfloat16 inputs are computed
    in float32, with no intermediate in the half type, and only the output is cast back.

    Input ``(..., time)``; output ``(..., n_mels, frames)``. ``mel_basis @ |STFT|**power``.
    Gradients are finite at digital silence for every ``power``.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> mel = nnaudio_torch.MelSpectrogram(sr=16000, n_fft=512, hop_length=160, n_mels=64)
    >>> mel(torch.randn(8, 16000)).shape
    torch.Size([8, 64, 101])
    """

    mel_basis: Tensor

    def __init__(
        self,
        sr: float = 22050,
        *,
        n_fft: int = 2048,
        win_length: int | None = None,
        n_mels: int = 128,
        hop_length: int = 512,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        power: float = 2.0,
        htk: bool = False,
        fmin: float = 0.0,
        fmax: float | None = None,
        norm: Any = 1,
        trainable_mel: bool = False,
        trainable_STFT: bool = False,
        verbose: bool = True,
        dtype: torch.dtype | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise ParameterError(f"unexpected keyword argument(s) {sorted(kwargs)} for MelSpectrogram")
        check_bool("verbose", verbose)
        cfg = MelSpectrogramConfig(
            sr=sr,
            n_fft=n_fft,
            win_length=win_length,
            n_mels=n_mels,
            hop_length=hop_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
            htk=htk,
            fmin=fmin,
            fmax=fmax,
            norm=norm,
            trainable_mel=trainable_mel,
            trainable_STFT=trainable_STFT,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.power = cfg.power
        self.trainable_mel, self.trainable_STFT = cfg.trainable_mel, cfg.trainable_STFT
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
        mel_basis = torch.tensor(cfg.mel_basis(), dtype=dt)
        if cfg.trainable_mel:
            self.mel_basis = nn.Parameter(mel_basis)
        else:
            self.register_buffer("mel_basis", mel_basis)

    @autocast_off
    def mel_spectrum(self, x: Any) -> tuple[Tensor, torch.dtype]:
        """Validate ``x`` and return the mel spectrogram in the compute dtype and the output dtype.

        The compute dtype is float32 for float16/bfloat16 input (nothing is rounded to the half
        type before the caller's last step: :class:`MFCC` takes the logarithm of this result).
        """
        spec, out_dtype = self.stft.complex_spectrum(x)
        power_spec = F.spectral_power(spec, self.power)
        if self.trainable_mel:
            basis = self.mel_basis.to(power_spec.dtype)
        else:
            basis = frozen_in_eager(
                self.mel_basis, power_spec.dtype, key=(self.config, "mel_basis"), design=self.config.mel_basis
            )
        return F.melspectrogram(power_spec, basis), out_dtype

    @autocast_off
    def forward(self, x: Any) -> Tensor:
        """Compute the mel spectrogram.

        Parameters
        ----------
        x : Tensor or np.ndarray [shape=(..., time)]

        Returns
        -------
        Tensor [shape=(..., n_mels, frames)]
        """
        mel, out_dtype = self.mel_spectrum(x)
        return mel.to(out_dtype)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"sr={c.sr}, n_fft={c.n_fft}, n_mels={c.n_mels}, hop_length={c.hop_length}, "
            f"trainable_mel={c.trainable_mel}, trainable_STFT={c.trainable_STFT}"
        )


class MFCC(Transform):
    """Mel-frequency cepstral coefficients layer (DCT-II of the log mel spectrogram).

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz. Default 22050.
    n_mfcc : int in [1, n_mels]
        Number of coefficients. Default 20.
    norm : {'ortho', None}
        DCT-II normalisation (honoured; nnAudio2 ignores it).
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    ref : float > 0
        Reference power for the dB scale.
    amin : float > 0
        Floor applied to the power before the logarithm.
    top_db : float >= 0 or None
        Dynamic range kept below the peak, per example (see Notes).
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.
    **kwargs
        :class:`MelSpectrogram` arguments (``n_fft``, ``n_mels``, ``hop_length``,
        ``trainable_mel``, ...). The mel filterbank uses ``norm=1`` (Slaney), as in nnAudio2.
        Unknown keywords raise :class:`ParameterError`.

    Attributes
    ----------
    melspec_layer : MelSpectrogram
    dct : Tensor [shape=(n_mfcc, n_mels)]
        Buffer: the DCT-II matrix.

    Raises
    ------
    ParameterError
        For any invalid argument or input signal.

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (``dct``, ``mel_basis`` and the STFT window) while each stored
    kernel is that design rounded (as built or loaded), so the output is float64-accurate; a frozen
    kernel that was changed is used as stored. Trainable kernels (``trainable_mel`` /
    ``trainable_STFT``) carry the module's dtype: with them a float64 input to a float32 module is
    float32-accurate (build with ``dtype=torch.float64``). Under ``torch.compile`` /
    ``torch.export`` the stored kernels are used (float32-accurate for a float32 module).
    float16/bfloat16 inputs are computed in float32, with no intermediate in the half type, and only
    the output is cast back.

    Input ``(..., time)``; output ``(..., n_mfcc, frames)``. ``top_db`` clips each spectrogram
    (each leading index, e.g. each clip and channel) against its own maximum, as nnAudio2 does:
    for a batch of independent clips that is the right choice, while ``librosa.feature.mfcc``
    called on a whole batch clips against the batch maximum. For a single clip they agree.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> mfcc = nnaudio_torch.MFCC(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40)
    >>> mfcc(torch.randn(4, 16000)).shape
    torch.Size([4, 13, 101])
    """

    dct: Tensor

    def __init__(
        self,
        sr: float = 22050,
        *,
        n_mfcc: int = 20,
        norm: str | None = "ortho",
        verbose: bool = True,
        ref: float = 1.0,
        amin: float = 1e-10,
        top_db: float | None = 80.0,
        dtype: torch.dtype | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        check_bool("verbose", verbose)
        cfg = MFCCConfig(sr=sr, n_mfcc=n_mfcc, norm=norm, ref=ref, amin=amin, top_db=top_db, mel_kwargs=kwargs)
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.ref, self.amin, self.top_db = cfg.ref, cfg.amin, cfg.top_db
        m = cfg.mel
        self.melspec_layer = MelSpectrogram(
            m.sr,
            n_fft=m.n_fft,
            win_length=m.win_length,
            n_mels=m.n_mels,
            hop_length=m.hop_length,
            window=m.window,
            center=m.center,
            pad_mode=m.pad_mode,
            power=m.power,
            htk=m.htk,
            fmin=m.fmin,
            fmax=m.fmax,
            norm=m.norm,
            trainable_mel=m.trainable_mel,
            trainable_STFT=m.trainable_STFT,
            verbose=False,
            dtype=dt,
        )
        self.register_buffer("dct", torch.tensor(cfg.dct(), dtype=dt))

    @autocast_off
    def forward(self, x: Any) -> Tensor:
        """Compute MFCCs.

        Parameters
        ----------
        x : Tensor or np.ndarray [shape=(..., time)]

        Returns
        -------
        Tensor [shape=(..., n_mfcc, frames)]
        """
        # the mel power stays in the compute dtype (float32 for half input) up to the last step
        mel, out_dtype = self.melspec_layer.mel_spectrum(x)
        return self._cepstrum(mel).to(out_dtype)

    def _cepstrum(self, mel: Tensor, db_floor: Tensor | None = None) -> Tensor:
        """MFCCs of a mel power spectrogram in its compute dtype (``db_floor``: see :func:`functional.mfcc`)."""
        cfg = self.config
        dct = frozen_in_eager(self.dct, mel.dtype, key=(cfg, "dct"), design=cfg.dct)
        top_db = self.top_db if db_floor is None else None
        return F.mfcc(
            mel, dct, ref=self.ref, amin=self.amin, top_db=top_db, dct_sums=self._dct_sums(dct), db_floor=db_floor
        )

    def _dct_sums(self, dct: Tensor) -> Tensor:
        """``dct @ ones`` in ``dct``'s dtype: exact while the buffer is the designed DCT-II, else the sums of ``dct``."""
        cfg = self.config
        if is_compiling():  # the stored kernel's sums, as frozen_in_eager uses the stored kernel
            return dct.sum(-1)
        same = equals_design(self.dct, key=(cfg, "dct"), design=cfg.dct)
        exact = design_tensor((cfg, "dct_sums"), partial(_dct_ii_sums, cfg), dct.dtype, dct.device)
        if isinstance(same, bool):
            return exact if same else dct.sum(-1)
        return torch.where(same, exact, dct.sum(-1))

    def extra_repr(self) -> str:
        c = self.config
        return f"n_mfcc={c.n_mfcc}, norm={c.norm!r}, ref={c.ref}, amin={c.amin}, top_db={c.top_db}"
