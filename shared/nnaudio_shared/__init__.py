"""Kernel design for nnaudio-jax: NumPy/SciPy, float64, no deep-learning framework.

Everything here is deterministic and framework-free: the JAX and PyTorch backends turn these
arrays into variables/buffers and do only arithmetic on them.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from ._cfp import CFPConfig, cfp_central_frequencies, cfp_logfreq_matrices
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
from ._cqt import (
    CQT1992Config,
    CQT1992v2Config,
    CQTKernels,
    CQTNormalization,
    FactoredGroup,
    FactoredPlan,
    KernelNorm,
    PolyphaseGeometry,
    PolyphaseGroup,
    PolyphaseLayout,
    best_phase,
    cqt_frequencies,
    factored_plan,
    polyphase_geometry,
    polyphase_layout,
    polyphase_plan,
    reflect_indices,
    relative_bandwidth,
    wavelet_kernels,
    wavelet_lengths,
    window_bandwidth,
)
from ._dct import DCTNorm, dct_matrix, power_to_db
from ._errors import ParameterError
from ._fourier import FourierKernels, FreqScale, fourier_bins, fourier_kernels, istft_kernels
from ._gammatone import GammatonegramConfig, erb_frequencies, gammatone_filterbank
from ._griffin_lim import GriffinLimConfig, GriffinLimInit, random_phase
from ._icqt import ICQTConfig, ICQTNormalization, frame_operator_diagonal
from ._mel import fft_frequencies, hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz
from ._multirate import (
    CQT2010Config,
    CQT2010v2Config,
    HalfbandFilter,
    MultiratePlan,
    OctavePlan,
    VQTConfig,
    halfband_lowpass,
    multirate_plan,
)
from ._windows import WindowSpec, get_window, pad_center

__all__ = [
    "CQT1992Config",
    "CQT1992v2Config",
    "CQTKernels",
    "CQTNormalization",
    "FactoredGroup",
    "FactoredPlan",
    "KernelNorm",
    "PolyphaseGroup",
    "PolyphaseGeometry",
    "PolyphaseLayout",
    "best_phase",
    "cqt_frequencies",
    "factored_plan",
    "polyphase_geometry",
    "polyphase_layout",
    "polyphase_plan",
    "reflect_indices",
    "relative_bandwidth",
    "wavelet_kernels",
    "wavelet_lengths",
    "window_bandwidth",
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
__all__ += ["CFPConfig", "cfp_central_frequencies", "cfp_logfreq_matrices"]
__all__ += ["ICQTConfig", "ICQTNormalization", "frame_operator_diagonal"]
__all__ += ["GammatonegramConfig", "erb_frequencies", "gammatone_filterbank"]
__all__ += ["GriffinLimConfig", "GriffinLimInit", "random_phase"]
__all__ += [
    "CQT2010Config",
    "CQT2010v2Config",
    "HalfbandFilter",
    "MultiratePlan",
    "OctavePlan",
    "VQTConfig",
    "halfband_lowpass",
    "multirate_plan",
]

try:  # one version source: pyproject.toml, through the installed distribution's metadata
    __version__: str = _distribution_version("nnaudio-jax")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
