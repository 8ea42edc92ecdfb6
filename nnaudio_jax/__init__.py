"""nnaudio-jax, JAX backend: differentiable audio front-ends as Flax NNX modules.

Class names, arguments and defaults follow nnAudio2 (and :mod:`nnaudio_torch`): frozen kernels
live in :class:`Buffer` variables, trainable ones in ``nnx.Param``. Modules need no ``rngs``
and work eagerly, under ``jax.jit`` and under ``nnx.jit``. :mod:`nnaudio_jax.functional` is
the flax-free functional layer.
"""

from nnaudio_shared import ParameterError

from . import functional
from ._mel import MFCC, MelSpectrogram
from ._stft import STFT, iSTFT
from ._variables import Buffer

__all__ = ["MFCC", "Buffer", "MelSpectrogram", "ParameterError", "STFT", "functional", "iSTFT"]
