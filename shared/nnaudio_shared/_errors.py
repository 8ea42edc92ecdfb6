"""Exception types shared by every backend."""

from __future__ import annotations

__all__ = ["ParameterError"]


class ParameterError(ValueError):
    """An argument or an input signal is invalid.

    Subclasses :class:`ValueError`, so ``except ValueError`` also catches it. The message
    always names the offending argument, the value it received and what is allowed.
    """
