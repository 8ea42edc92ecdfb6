"""Kernel design for nnaudio-jax: NumPy/SciPy, float64, no deep-learning framework.

Everything here is deterministic and framework-free: the JAX and PyTorch backends turn these
arrays into variables/buffers and do only arithmetic on them.
"""

from ._config import (
    ISTFTConfig,
    MelSpectrogramConfig,
    MFCCConfig,
    OutputFormat,
    PadMode,
    STFTConfig,
    check_signal_length,
    n_frames,
)
from ._dct import DCTNorm, dct_matrix, power_to_db
from ._errors import ParameterError
from ._fourier import FourierKernels, FreqScale, fourier_bins, fourier_kernels, istft_kernels
from ._mel import fft_frequencies, hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz
from ._windows import WindowSpec, get_window, pad_center

__all__ = [
    "DCTNorm",
    "FourierKernels",
    "FreqScale",
    "ISTFTConfig",
    "MFCCConfig",
    "MelSpectrogramConfig",
    "OutputFormat",
    "PadMode",
    "ParameterError",
    "STFTConfig",
    "WindowSpec",
    "check_signal_length",
    "dct_matrix",
    "fft_frequencies",
    "fourier_bins",
    "fourier_kernels",
    "get_window",
    "hz_to_mel",
    "istft_kernels",
    "mel_filterbank",
    "mel_frequencies",
    "mel_to_hz",
    "n_frames",
    "pad_center",
    "power_to_db",
]

__version__ = "0.1.0"
