"""Command line tools of nnaudio-jax (``nnaudio compare``, ...).

The console script ``nnaudio`` and ``python -m nnaudio_cli`` both call :func:`main`.
"""

from ._main import main

__all__ = ["main"]
