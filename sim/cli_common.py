"""Pieces every ``salesim`` subcommand shares: the parser, argument types, number formatting and exit handling.

:mod:`sim.cli` and the modules that register subcommands (:mod:`sim.cli_batch`,
:mod:`sim.validation_cli`, :mod:`sim.dashboard.cli`) import these from here, never from
:mod:`sim.cli`, so the command line has no import cycle and ``python -m sim.cli`` runs
``sim/cli.py`` once. This module imports nothing from those modules.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Sequence

from sim.errors import UserError
from sim.limits import DEFAULT_ACCOUNTS, DEFAULT_WEEKS, REPLICATIONS, WEEKS, estimate

PROG = "salesim"
DESCRIPTION = "Agent-based simulation of sales incentives."

AddCommand = Callable[[argparse._SubParsersAction], None]
"""A function that registers one subcommand on the ``salesim`` subparsers."""


class Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors as UserError instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message}. Run '{self.prog} --help' for usage.")


def command_parser(commands: Iterable[AddCommand]) -> argparse.ArgumentParser:
    """The ``salesim`` parser with one subparser per ``add_*`` function in ``commands``."""
    parser = Parser(prog=PROG, description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in commands:
        add(sub)
    return parser


def add_run_options(p: argparse.ArgumentParser, out_help: str = "experiment folder") -> None:
    """The options saying how and where a batch runs: --workers, --scheduler or --dask-local, --resume, --out,
    --quiet and --large (shared by compare, sweep, trial, sensitivity and batch)."""
    from pathlib import Path

    p.add_argument("--workers", type=positive_int, default=None,
                   help="worker processes (default: one per core; 1 runs in this process)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler (tcp://HOST:PORT)")
    where.add_argument("--dask-local", action="store_true", help="start a local Dask cluster and run on it")
    p.add_argument("--resume", action="store_true", help="continue an interrupted experiment in --out")
    p.add_argument("--out", type=Path, default=None, help=out_help)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--large", action="store_true", help="confirm an experiment estimated to take hours or gigabytes")


# --- argument types ---------------------------------------------------------------


def positive_int(text: str) -> int:
    """A whole number of at least 1, for --weeks."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def weeks_arg(text: str) -> int:
    """A number of weeks: at least 1, at most :data:`sim.limits.WEEKS`."""
    value = positive_int(text)
    if value > WEEKS.limit:
        cost = estimate(1, value, DEFAULT_ACCOUNTS, workers=1)
        raise argparse.ArgumentTypeError(WEEKS.refusal(value, "", cost, " (one run, default size)").rstrip("."))
    return value


def replications_arg(text: str) -> int:
    """A number of replications: at least 1, at most :data:`sim.limits.REPLICATIONS`."""
    value = positive_int(text)
    if value > REPLICATIONS.limit:
        cost = estimate(value, DEFAULT_WEEKS, DEFAULT_ACCOUNTS)
        raise argparse.ArgumentTypeError(REPLICATIONS.refusal(value, "", cost, " (per scenario or point, default "
                                                              "size)").rstrip("."))
    return value


def seed_arg(text: str) -> int:
    """A non-negative whole number, for --seed."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of 0 or more, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """Any whole number; anything else is an argparse type error naming what was typed."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def check_weeks(weeks: int, burn_in: int) -> None:
    """Refuse a run too short to measure anything, since KPIs count only weeks after the burn-in."""
    if weeks <= burn_in:
        raise UserError(f"--weeks {weeks} is not longer than the burn-in (burn_in_weeks = {burn_in}), so no "
                        f"week would be measured and every KPI would be 0. Use --weeks {burn_in + 1} or "
                        "more, or --set burn_in_weeks=0.")


# --- numbers and tables for the terminal ------------------------------------------------


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to a common width, with a rule under the header; ``right`` columns right-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


# --- running a command line -------------------------------------------------------------


def run_command_line(build: Callable[[], argparse.ArgumentParser], argv: Sequence[str] | None) -> int:
    """Parse ``argv`` with the parser ``build`` makes and run its command; return the exit status.

    0 ok, 1 bug (one line, or the traceback with SALESIM_DEBUG), 2 bad input, 130 interrupted.
    """
    os.environ.setdefault("SALESIM_ANNOUNCE_COMPILE", "1")  # the kernels say once when they compile (first run)
    try:
        args = build().parse_args(argv)
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except UserError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head or less, which quit early
        silence_stdout()
        return 0
    except Exception as exc:
        if debug_enabled():
            print(f"{PROG}: unexpected {type(exc).__name__}; traceback follows", file=sys.stderr)
            raise
        detail = " ".join(str(exc).split())
        print(f"{PROG}: internal error: {type(exc).__name__}: {detail} "
              "(set SALESIM_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 1


def silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit-time flush does not fail on the closed pipe again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def debug_enabled() -> bool:
    """Whether SALESIM_DEBUG asks for tracebacks."""
    return os.environ.get("SALESIM_DEBUG", "") not in ("", "0")
