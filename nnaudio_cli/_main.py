"""The ``nnaudio`` command: argument parsing, subcommand dispatch and user-error handling."""

from __future__ import annotations

import argparse
import sys
import typing

from . import _check, _compare
from ._errors import EXIT_USAGE, UserError

__all__ = ["build_parser", "main"]

PROG = "nnaudio"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit status 2), no usage block."""

    def error(self, message: str) -> typing.NoReturn:
        """Report ``message`` as one line and exit with :data:`EXIT_USAGE`."""
        self.exit(EXIT_USAGE, f"{self.prog}: {_one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one subparser per subcommand.

    Returns
    -------
    argparse.ArgumentParser
        Each subcommand parser sets a ``func(args) -> int`` default; add new subcommands
        (e.g. ``check``) by registering them here.
    """
    parser = _Parser(
        prog=PROG,
        description="nnaudio-jax command line tools: differentiable audio front-ends for PyTorch and JAX.",
    )
    sub = parser.add_subparsers(title="subcommands", dest="command", metavar="COMMAND", required=True)
    _compare.add_parser(sub)
    _check.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``nnaudio`` command line.

    Parameters
    ----------
    argv : list of str or None
        Arguments without the program name; ``None`` uses ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: ``0`` on success, ``2`` on a usage error, invalid transform arguments or an
        unreadable input (reported as one line on stderr, without a traceback).

    Examples
    --------
    >>> main(["compare", "--transform", "stft", "--seconds", "1", "--out", "/tmp/c.png"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or argparse's own usage errors (already printed)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
    from nnaudio_shared import ParameterError

    try:
        return int(args.func(args))
    except (UserError, ParameterError) as e:
        print(f"{PROG} {args.command}: {_one_line(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(
            f"{PROG} {args.command}: out of memory: the arguments ask for too much; choose smaller ones",
            file=sys.stderr,
        )
        return EXIT_USAGE


def _one_line(message: str) -> str:
    return " ".join(message.split())
