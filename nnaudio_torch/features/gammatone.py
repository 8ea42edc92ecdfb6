"""nnAudio2 path ``features.gammatone``: re-exports :class:`Gammatonegram`."""

from .._gammatone import Gammatonegram

__all__ = ["Gammatonegram"]
