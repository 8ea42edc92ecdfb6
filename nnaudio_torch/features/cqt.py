"""nnAudio2 path ``features.cqt``: re-exports :class:`CQT1992`, :class:`CQT1992v2` and :class:`CQT`."""

from .._cqt import CQT, CQT1992, CQT1992v2
from .._cqt2010 import CQT2010, CQT2010v2
from .._icqt import iCQT

__all__ = ["CQT", "CQT1992", "CQT1992v2"]
__all__ += ["CQT2010", "CQT2010v2"]
__all__ += ["iCQT"]
