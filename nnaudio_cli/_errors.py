"""Errors that the command line turns into one line on stderr and exit status 2."""

from __future__ import annotations

__all__ = ["EXIT_USAGE", "UserError"]

#: Exit status for user errors (bad arguments, unreadable input), as argparse uses.
EXIT_USAGE = 2


class UserError(Exception):
    """A problem with the user's input, reported as one line without a traceback.

    Parameters
    ----------
    message : str
        The complete, human-readable reason (no trailing newline).
    """
