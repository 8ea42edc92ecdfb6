"""nnAudio2-compatible import paths: ``nnaudio_torch.features.{stft,mel}``."""

from . import cfp, cqt, gammatone, griffin_lim, mel, stft, vqt
from .cfp import CFP, Combined_Frequency_Periodicity
from .cqt import CQT, CQT1992, CQT2010, CQT1992v2, CQT2010v2, iCQT
from .gammatone import Gammatonegram
from .griffin_lim import Griffin_Lim
from .mel import MFCC, MelSpectrogram
from .stft import STFT, iSTFT
from .vqt import VQT

__all__ = ["MFCC", "MelSpectrogram", "STFT", "iSTFT", "mel", "stft"]
__all__ += ["CQT", "CQT1992", "CQT1992v2", "cqt"]
__all__ += ["CFP", "Combined_Frequency_Periodicity", "Gammatonegram", "Griffin_Lim", "cfp", "gammatone", "griffin_lim"]
__all__ += ["CQT2010", "CQT2010v2", "VQT", "vqt"]
__all__ += ["iCQT"]
