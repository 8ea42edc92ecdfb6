"""nnaudio-jax, PyTorch backend: differentiable audio front-ends as ``torch.nn.Module`` layers.

Class names, arguments and defaults follow nnAudio2, so ``from nnaudio_torch import
MelSpectrogram`` (or ``nnaudio_torch.features.mel.MelSpectrogram``) replaces nnAudio2's.
"""

from nnaudio_shared import ParameterError
from nnaudio_shared import __version__ as __version__

from . import functional
from ._cfp import CFP, Combined_Frequency_Periodicity
from ._chunked import chunked, iter_chunked
from ._cqt import CQT, CQT1992, CQT1992v2
from ._cqt2010 import CQT2010, VQT, CQT2010v2
from ._gammatone import Gammatonegram
from ._griffin_lim import Griffin_Lim
from ._icqt import iCQT
from ._interop import from_jax, load, load_nnaudio2_state_dict, save, to_torch
from ._mel import MFCC, MelSpectrogram
from ._stft import STFT, iSTFT
from ._training import frontend_filter, frontend_param_groups, project_nonnegative

__all__ = ["MFCC", "MelSpectrogram", "ParameterError", "STFT", "functional", "iSTFT"]
__all__ += ["CFP", "Combined_Frequency_Periodicity", "Gammatonegram", "Griffin_Lim"]
__all__ += ["frontend_filter", "frontend_param_groups", "project_nonnegative"]
__all__ += ["chunked", "iter_chunked"]
__all__ += ["from_jax", "load", "load_nnaudio2_state_dict", "save", "to_torch"]
__all__ += ["CQT", "CQT1992", "CQT1992v2"]
__all__ += ["CQT2010", "CQT2010v2", "VQT"]
__all__ += ["iCQT"]
