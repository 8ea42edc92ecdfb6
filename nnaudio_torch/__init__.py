"""nnaudio-jax, PyTorch backend: differentiable audio front-ends as ``torch.nn.Module`` layers.

Class names, arguments and defaults follow nnAudio2, so ``from nnaudio_torch import
MelSpectrogram`` (or ``nnaudio_torch.features.mel.MelSpectrogram``) replaces nnAudio2's.
"""

from nnaudio_shared import ParameterError

from . import functional
from ._mel import MFCC, MelSpectrogram
from ._stft import STFT, iSTFT

__all__ = ["MFCC", "MelSpectrogram", "ParameterError", "STFT", "functional", "iSTFT"]
