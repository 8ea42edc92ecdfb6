"""nnAudio2 path ``features.stft``: re-exports :class:`STFT` and :class:`iSTFT`."""

from .._stft import STFT, iSTFT

__all__ = ["STFT", "iSTFT"]
