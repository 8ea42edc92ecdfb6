"""Griffin_Lim module (PyTorch): magnitude spectrogram -> waveform."""

from __future__ import annotations

import warnings
from typing import Any, cast

import numpy as np
import torch
from nnaudio_shared import GriffinLimConfig, GriffinLimInit, ParameterError, WindowSpec, random_phase
from torch import Tensor

from . import functional as F
from ._checks import _check_device, as_audio, resolve_dtype
from ._frozen import frozen_in_eager
from ._shell import Transform

__all__ = ["Griffin_Lim"]


def _as_magnitude(S: Any, device: torch.device) -> tuple[Tensor, torch.dtype]:
    """Validate a real magnitude spectrogram ``(..., freq, frames)`` (NumPy moves to ``device``); return it in its compute dtype."""
    if (isinstance(S, Tensor) and S.dtype.is_complex) or (isinstance(S, np.ndarray) and S.dtype.kind == "c"):
        raise ParameterError(
            f"S has dtype {str(S.dtype).removeprefix('torch.')}: Griffin_Lim takes a real magnitude spectrogram (use abs(), or iSTFT "
            "for a complex spectrogram)"
        )
    mag, out_dtype = as_audio(S, name="S", device=device)
    if mag.ndim < 2:
        raise ParameterError(f"S has shape {tuple(mag.shape)}: a magnitude spectrogram must be (..., freq, frames)")
    return mag, out_dtype


@torch.compiler.assume_constant_result
def _random_phase(seed: int, n_freq: int, n_frames: int) -> Tensor:
    """:func:`nnaudio_shared.random_phase` as a float64 CPU tensor (a constant when traced)."""
    return torch.tensor(random_phase(seed, n_freq, n_frames), dtype=torch.float64)


class Griffin_Lim(Transform):  # noqa: N801 - nnAudio2's name
    """Fast Griffin-Lim: a waveform whose STFT magnitude approximates ``S``.

    The algorithm of ``librosa.griffinlim`` (Perraudin, Balazs & Sondergaard 2013): alternate
    inverse STFT and STFT, extrapolate with ``momentum``, keep the phase. With the same initial
    phase and ``n_iter`` the result equals librosa's (to rounding).

    Parameters
    ----------
    n_fft : int > 0
        FFT size of the spectrogram (``S`` has ``n_fft // 2 + 1`` bins).
    n_iter : int >= 0
        Number of iterations. Default 32.
    hop_length : int > 0 or None
        Hop of the spectrogram. ``None``: ``win_length // 4`` (librosa's rule; nnAudio2 uses
        ``n_fft // 4``, the same unless ``win_length < n_fft``).
    win_length : int in [1, n_fft] or None
        Window length (``None``: ``n_fft``).
    window : str, tuple or array
        Window of the STFT that produced ``S``.
    center : bool
        Whether the STFT was centred.
    pad_mode : {'reflect', 'constant'}
        Padding of the re-analysis STFT (nnAudio2's default ``'reflect'``; librosa's
        ``'constant'``).
    momentum : float >= 0
        Momentum of the fast Griffin-Lim update (0: classic Griffin-Lim). Values above 1 warn,
        as in librosa (the iteration may diverge).
    device : str, torch.device or None
        Where the window buffer is created (nnAudio2 compatibility). Unnecessary: every tensor is
        a registered buffer, so ``module.to(device)`` moves everything, and ``forward`` follows
        the device of ``S``. ``None`` means the default device.
    init : {'random', None}
        Initial phase: ``'random'`` (uniform in ``[0, 2 pi)``, seeded by ``random_state``) or
        ``None`` (zero phase), librosa's values. ``forward(S, init_phase=...)`` overrides it.
    random_state : int in [0, 2**32)
        Seed of the random initial phase. The phase is drawn once for the ``(freq, frames)``
        grid exactly as librosa draws it for one spectrogram,
        ``2 pi * np.random.RandomState(random_state).random((freq, frames))``
        (:func:`nnaudio_shared.random_phase`), and shared by all examples of a batch: results
        are deterministic, the same in both backends and on every device, independent of the
        batch size, and equal to ``librosa.griffinlim(S, init='random', random_state=seed)``
        for a single spectrogram.
    dtype : torch.dtype
        Dtype of the stored window, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    window : Tensor [shape=(n_fft,)]
        Buffer: the centre-padded analysis/synthesis window.

    Raises
    ------
    ParameterError
        For any invalid argument (NOLA violation included) or spectrogram (wrong bin count,
        complex, integer, NaN/Inf, too few frames for ``pad_mode='reflect'``).

    Notes
    -----
    Precision: a float64 input to a module with float32 kernels computes in float64 with the float64
    design of its frozen kernels (the window) while each stored kernel is that design rounded (as
    built or loaded), so the output is float64-accurate; a frozen kernel that was changed is used as
    stored. Under ``torch.compile`` / ``torch.export`` the stored kernels are used (float32-accurate
    for a float32 module). float16/bfloat16 inputs are computed in float32, with no intermediate in
    the half type, and only the output is cast back.

    Input ``S``: magnitude ``(..., n_fft // 2 + 1, frames)`` with any leading dimensions;
    output ``(..., time)``. float32/float64 keep their dtype; half types are computed in float32.
    nnAudio2's ``Griffin_Lim`` fails on every PyTorch >= 2.0 (it passes a real tensor to
    ``torch.istft``) and draws an unseeded random phase; this one is deterministic, and its
    random initial phase is librosa's (see ``random_state``).
    The PyTorch module does not export to ONNX (its iterations are complex STFT/iSTFT pairs and
    ONNX has no complex tensors); ``torch.compile`` and ``torch.export`` work (the random initial
    phase is a constant of the spectrogram shape, drawn with NumPy at trace time).

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> stft = nnaudio_torch.STFT(n_fft=512, hop_length=128, output_format="Magnitude")
    >>> gl = nnaudio_torch.Griffin_Lim(512, hop_length=128, n_iter=16)
    >>> x = torch.randn(2, 4000)
    >>> gl(stft(x), length=4000).shape
    torch.Size([2, 4000])
    """

    window: Tensor

    def __init__(
        self,
        n_fft: int,
        *,
        n_iter: int = 32,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        momentum: float = 0.99,
        device: str | torch.device | None = "cpu",
        init: GriffinLimInit = "random",
        random_state: int = 0,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        cfg = GriffinLimConfig(
            n_fft=n_fft,
            n_iter=n_iter,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            momentum=momentum,
            init=init,
            random_state=random_state,
        )
        if cfg.momentum > 1:
            warnings.warn(f"Griffin-Lim with momentum={cfg.momentum} > 1 can be unstable", UserWarning, stacklevel=2)
        try:
            dev = None if device is None else torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ParameterError(f"device={device!r} is invalid: {err}") from None
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.n_fft, self.n_iter, self.hop_length = cfg.n_fft, cfg.n_iter, cast(int, cfg.hop_length)
        self.center, self.pad_mode, self.momentum = cfg.center, cfg.pad_mode, cfg.momentum
        self.init, self.random_state = cfg.init, cfg.random_state
        self.register_buffer("window", torch.tensor(cfg.window_array(), dtype=dt, device=dev))

    def _initial_angles(self, S: Tensor, init_phase: Any) -> Tensor:
        complex_dtype = torch.complex128 if S.dtype == torch.float64 else torch.complex64
        device = self.window.device
        _check_device(S, device, "S")  # (S is validated without a device: a meta/GPU S is caught here)
        if init_phase is not None:
            phase, _ = as_audio(init_phase, name="init_phase", device=device)
            try:
                fits = torch.broadcast_shapes(phase.shape, S.shape) == S.shape
            except RuntimeError:
                fits = False
            if not fits:
                raise ParameterError(
                    f"init_phase has shape {tuple(phase.shape)}: it must broadcast to S's shape {tuple(S.shape)}"
                )
            phase = phase.to(device=S.device, dtype=S.dtype)
        elif self.init is None:
            return torch.ones((), dtype=complex_dtype, device=S.device)
        else:
            phase = _random_phase(self.random_state, int(S.shape[-2]), int(S.shape[-1]))
            phase = phase.to(device=S.device, dtype=S.dtype)
        return torch.polar(torch.ones_like(phase), phase).to(complex_dtype)

    def forward(self, S: Any, length: int | None = None, init_phase: Any = None) -> Tensor:
        """Reconstruct waveforms from magnitude spectrograms.

        Parameters
        ----------
        S : Tensor or np.ndarray [shape=(..., n_fft // 2 + 1, frames)]
            Magnitude spectrogram (``|STFT|``, not the power).
        length : int or None
            Output length; it must describe the same number of frames. ``None``: the inverse
            STFT's natural length (``hop_length * (frames - 1)`` when ``center``).
        init_phase : Tensor, np.ndarray or None [shape=broadcastable to S]
            Initial phase in radians; overrides ``init``. librosa's ``init='random'`` with
            ``random_state=seed`` draws ``2 * pi * np.random.RandomState(seed).random(S.shape)``
            (for one spectrogram, what ``init='random'`` does here).

        Returns
        -------
        Tensor [shape=(..., time)]
        """
        mag, out_dtype = _as_magnitude(S, self.window.device)
        length = self.config.check_spectrogram(mag.shape[-2], mag.shape[-1], length)
        angles = self._initial_angles(mag, init_phase)
        y = F.griffinlim(
            mag,
            angles,
            frozen_in_eager(self.window, mag.dtype, key=(self.config, "window"), design=self.config.window_array),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_iter=self.n_iter,
            center=self.center,
            pad_mode=self.pad_mode,
            momentum=self.momentum,
            length=length,
        )
        return y.to(out_dtype)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"n_fft={c.n_fft}, n_iter={c.n_iter}, hop_length={c.hop_length}, momentum={c.momentum}, "
            f"init={c.init!r}, random_state={c.random_state}"
        )
