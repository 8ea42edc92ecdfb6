"""Array helpers shared by the design modules."""

from __future__ import annotations

import numpy as np

__all__ = ["readonly"]


def readonly(a: np.ndarray) -> np.ndarray:
    """Mark ``a`` read-only in place and return it (design results are shared by caches)."""
    a.setflags(write=False)
    return a
