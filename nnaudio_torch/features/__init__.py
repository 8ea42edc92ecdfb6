"""nnAudio2-compatible import paths: ``nnaudio_torch.features.{stft,mel}``."""

from . import mel, stft
from .mel import MFCC, MelSpectrogram
from .stft import STFT, iSTFT

__all__ = ["MFCC", "MelSpectrogram", "STFT", "iSTFT", "mel", "stft"]
