"""Kernel design for nnaudio-jax: NumPy/SciPy, float64, no deep-learning framework.

Everything here is deterministic and framework-free: the JAX and PyTorch backends turn these
arrays into variables/buffers and do only arithmetic on them.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from ._cfp import CFPConfig, cfp_central_frequencies, cfp_logfreq_matrices
from ._chunks import FRAME_GEOMETRY, Chunk, FrameGeometry, frame_geometry, plan_chunks
from ._config import (
    ISTFTConfig,
    MelSpectrogramConfig,
    MFCCConfig,
    OutputFormat,
    PadMode,
    StateEntry,
    STFTConfig,
    check_signal_length,
    n_frames,
)
from ._cqt import (
    NORMALIZATION_TYPES,
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
from ._icqt import ICQT_N_ITER, ICQTConfig, ICQTNormalization, frame_operator_diagonal
from ._mel import fft_frequencies, hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz
from ._metrics import relative_errors
from ._module_state import (
    ModuleState,
    canonical_config,
    check_state,
    config_dict,
    dtype_of,
    foreign_state,
    frozen_mismatches,
)
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
from ._nnaudio2_keys import nnaudio2_arrays
from ._registry import CHECK_KINDS, REGISTRY, TransformSpec, constructor_kwargs, find_spec, get_spec, octave_outputs
from ._state_file import (
    DESIGN_BUDGET_FACTOR,
    DESIGN_BUDGET_FLOOR,
    MAX_FILE_N_ITER,
    MAX_JSON_DEPTH,
    MAX_METADATA_BYTES,
    METADATA_KEY,
    build_config,
    read_state_file,
    write_state_file,
)
from ._validate import check_bool, check_choice, check_float, check_int, check_optional_int, resolve_output_format
from ._windows import WindowSpec, get_window, pad_center

__all__ = [
    "CQT1992Config",
    "CQT1992v2Config",
    "CQTKernels",
    "CQTNormalization",
    "FactoredGroup",
    "FactoredPlan",
    "KernelNorm",
    "NORMALIZATION_TYPES",
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
    "StateEntry",
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
__all__ += ["ICQT_N_ITER", "ICQTConfig", "ICQTNormalization", "frame_operator_diagonal"]
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
# chunk plans for long signals (the backends' chunked runners)
__all__ += ["FRAME_GEOMETRY", "Chunk", "FrameGeometry", "frame_geometry", "plan_chunks"]
# argument validators shared by the backends' module shells and the CLI (messages name the argument)
__all__ += ["check_bool", "check_choice", "check_float", "check_int", "check_optional_int", "resolve_output_format"]
# interop: transform registry, backend-neutral module state, state files, nnAudio2 state dicts
__all__ += [
    "CHECK_KINDS",
    "DESIGN_BUDGET_FACTOR",
    "DESIGN_BUDGET_FLOOR",
    "MAX_FILE_N_ITER",
    "MAX_JSON_DEPTH",
    "MAX_METADATA_BYTES",
    "METADATA_KEY",
    "REGISTRY",
    "ModuleState",
    "TransformSpec",
    "build_config",
    "canonical_config",
    "check_state",
    "config_dict",
    "constructor_kwargs",
    "dtype_of",
    "find_spec",
    "foreign_state",
    "frozen_mismatches",
    "get_spec",
    "nnaudio2_arrays",
    "octave_outputs",
    "read_state_file",
    "write_state_file",
]
# relative errors (rel_l2, rel_max, abs_max): one definition for the CLI and the test suite
__all__ += ["relative_errors"]

try:  # one version source: pyproject.toml, through the installed distribution's metadata
    __version__: str = _distribution_version("nnaudio-jax")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
