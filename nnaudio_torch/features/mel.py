"""nnAudio2 path ``features.mel``: re-exports :class:`MelSpectrogram` and :class:`MFCC`."""

from .._mel import MFCC, MelSpectrogram

__all__ = ["MFCC", "MelSpectrogram"]
