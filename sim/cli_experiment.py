"""``salesim batch``: run a saved experiment file (``experiments/*.toml``) through the one runner."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli_common import add_run_options


def add_batch(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim batch``."""
    p = sub.add_parser("batch", help="run a saved experiment file: a comparison, sweep, trial or decision problem",
                       description="Run the comparison, sweep or trial an experiment file names (scenarios, "
                       "levers, replications, weeks, seed, outputs), exactly as the same 'salesim compare', "
                       "'sweep' or 'trial' typed by hand would: same runner, same store, same runs; "
                       "--resume continues it.")
    p.add_argument("file", type=Path, metavar="FILE", help="an experiment file, e.g. experiments/flagship_compare.toml")
    add_run_options(p, out_help="experiment folder (default: the file's 'out', else runs/<file name>)")
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    """Validate the experiment file, then hand it to the command of its kind."""
    from sim.cli_batch import cmd_compare, cmd_sweep, cmd_trial
    from sim.cli_decide import cmd_discover, cmd_optimize, cmd_robust
    from sim.experiment.files import command_args, load_experiment

    exp = load_experiment(args.file)
    if exp.title:
        print(f"{exp.title} ({args.file})")
    run = {"compare": cmd_compare, "sweep": cmd_sweep, "trial": cmd_trial, "optimize": cmd_optimize,
           "discover": cmd_discover, "robust": cmd_robust}[exp.kind]
    return run(command_args(exp, args))
