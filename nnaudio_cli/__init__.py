"""Command line tools of nnaudio-jax (``nnaudio compare``, ...).

The console script ``nnaudio`` and ``python -m nnaudio_cli`` both call :func:`main`.
"""

from ._check import check_consistency
from ._main import main

__all__ = ["check_consistency", "main"]
