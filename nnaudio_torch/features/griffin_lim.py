"""nnAudio2 path ``features.griffin_lim``: re-exports :class:`Griffin_Lim`."""

from .._griffin_lim import Griffin_Lim

__all__ = ["Griffin_Lim"]
