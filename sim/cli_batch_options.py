"""How a batch command runs: its shared options, the checks before start-up, and the executor it runs on.

``compare``, ``sweep``, ``trial``, ``sensitivity`` (:mod:`sim.cli_batch`) and ``optimize``, ``discover``,
``robust`` (:mod:`sim.cli_decide`) take the same batch options and run the same way: sizes, workers, the
scheduler and the output folder are checked before anything is built, and Ctrl-C, SIGTERM or lost workers
end the command cleanly, naming the command that resumes it. This module imports no command module.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sim import cli_guards, limits
from sim.cli_common import add_run_options, check_weeks, replications_arg, seed_arg, weeks_arg


def add_batch_options(p: argparse.ArgumentParser, replications: int, weeks: bool = True) -> None:
    """--replications (default ``replications``), --weeks (when ``weeks``), --seed, --set and the run options
    of :func:`sim.cli_common.add_run_options`."""
    p.add_argument(
        "--replications",
        type=replications_arg,
        default=replications,
        help=f"replications per scenario or design point (default: {replications})",
    )
    if weeks:
        p.add_argument("--weeks", type=weeks_arg, default=104, help="weeks per run (default: 104)")
    p.add_argument("--seed", type=seed_arg, default=1, help="root seed; run seeds derive from it (default: 1)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="override a parameter in every run, e.g. --set n_accounts=1000 (repeatable)",
    )
    add_run_options(p)


def guard_batch(args: argparse.Namespace, what: str, runs: int, weeks: int, accounts: int, out: Path) -> None:
    """Check sizes, --workers, --scheduler and the experiment folder before anything is built or run.

    Normalises ``args.workers`` and ``args.scheduler`` in place; raises :class:`~sim.errors.UserError`.
    """
    limits.check_work(what, runs, weeks, accounts, args.workers, args.large)
    args.workers = cli_guards.workers(args.workers)
    args.scheduler = cli_guards.scheduler(args.scheduler)
    cli_guards.experiment_folder(out, args.resume)


def check_scenario_weeks(weeks: int, scenarios: Iterable[Any]) -> None:
    """Refuse ``weeks`` that would not reach past the burn-in of any of ``scenarios``."""
    for s in scenarios:
        check_weeks(weeks, s.params.burn_in_weeks)


def batch_executor(args: argparse.Namespace) -> Any:
    """The executor --workers, --scheduler or --dask-local ask for (the caller closes it)."""
    from sim.experiment.executors import make_executor

    return make_executor(args.workers, args.scheduler, args.dask_local)


def clean_stop(out: Path) -> Any:
    """A context in which Ctrl-C, SIGTERM or lost workers end the command cleanly, naming how to resume ``out``."""
    from sim.experiment.interrupts import CleanStop

    return CleanStop(out)


def run_batch[T](args: argparse.Namespace, out: Path, fn: Callable[[Any], T]) -> T:
    """``fn(executor)`` on the executor the options ask for, stopping cleanly; the executor is closed after."""
    with clean_stop(out):
        executor = batch_executor(args)
        try:
            return fn(executor)
        finally:
            executor.close()
