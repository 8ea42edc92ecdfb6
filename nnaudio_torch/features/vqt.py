"""nnAudio2 path ``features.vqt``: re-exports :class:`VQT`."""

from .._cqt2010 import VQT

__all__ = ["VQT"]
