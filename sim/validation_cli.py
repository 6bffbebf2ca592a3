"""``salesim validation-report``: run the calibration targets and the seed patterns, write docs/validation.md.

Registered in :mod:`sim.cli` through :func:`add_validation_report`. The work is
done by :mod:`sim.validation`; this module only reads the options, picks the
executor and writes the file.
"""

from __future__ import annotations

import argparse
import shlex
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sim import cli_guards
from sim.cli_common import positive_int, seed_arg
from sim.errors import UserError
from sim.limits import REPLICATIONS

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "validation.md"


def add_validation_report(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim validation-report``."""
    p = sub.add_parser(
        "validation-report", help="check the model against published targets and the seed articles' claims",
        description="Run the calibration targets (calibration/targets.toml) on a scenario and every pattern "
        "of sim/validation.py with paired replications, and write a Markdown report (docs/validation.md): "
        "each target's simulated mean and 95 % interval against its published range, and each pattern's "
        "estimate, interval and pass or fail. Full size: 2,000 accounts, 20 reps, 3 managers, 143 weeks (the "
        "39-week burn-in and two measured years).")
    p.add_argument("--replications", type=positive_int, default=None,
                   help="paired replications per scenario (default: 20; 10 with --quick); at least 2")
    p.add_argument("--scenario", default="baseline",
                   help="scenario (name or .toml path) the targets are evaluated on (default: baseline); "
                   "the patterns always compare the shipped scenarios")
    p.add_argument("--targets", type=Path, default=None,
                   help="targets file (default: calibration/targets.toml)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write (default: docs/validation.md)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="worker processes (default: one per core; 1 runs in this process)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler")
    where.add_argument("--dask-local", action="store_true", help="start a local Dask cluster")
    p.add_argument("--seed", type=seed_arg, default=1, help="root seed; run seeds derive from it (default: 1)")
    p.add_argument("--quick", action="store_true",
                   help="a smaller, faster check: 800 accounts, 8 reps, 2 managers, 117 weeks, 10 replications")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_validation_report)


def cmd_validation_report(args: argparse.Namespace) -> int:
    """Evaluate targets and patterns, print a summary and write the report."""
    from sim import field_validation as fv
    from sim import validation as v
    from sim.calibrate import load_targets
    from sim.experiment.executors import make_executor
    from sim.scenario import load_scenario

    settings = replace(v.QUICK if args.quick else v.FULL, root_seed=args.seed)
    if args.replications is not None:
        if args.replications < 2:
            raise UserError(f"--replications must be at least 2 for a 95 % interval, got {args.replications}.")
        settings = replace(settings, replications=args.replications)
    load_scenario(args.scenario)  # bad names surface before any run starts
    load_targets(args.targets)
    if args.out.exists() and args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder; give the path of a Markdown file, e.g. docs/validation.md.")
    cli_guards.output_file(args.out)
    REPLICATIONS.check(settings.replications)

    executor = make_executor(cli_guards.workers(args.workers), args.scheduler, args.dask_local)
    t0 = time.perf_counter()
    try:
        runs = v.Runs(settings, executor=executor, progress=not args.quiet)
        runs.prefetch([v.Arm(args.scenario), *(a for p in v.PATTERNS for a in p.arms),
                       *(v.Arm(n) for n in (fv.PLAN_REFERENCE, *fv.PLAN_SCENARIOS))])
        targets = v.evaluate_targets(args.scenario, settings, runs, args.targets)
        patterns = v.evaluate_patterns(v.PATTERNS, settings, runs)
        plans = fv.evaluate_plans(runs)
        field = fv.evaluate_field(settings, executor, progress=not args.quiet)
    finally:
        executor.close()
    elapsed = time.perf_counter() - t0

    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = v.report_markdown(targets, patterns, settings, args.scenario, _command_line(args), created, elapsed,
                             (fv.summary(field), fv.markdown(plans, field)))
    args.out.write_text(text, encoding="utf-8")
    n_in = sum(r.within for r in targets)
    n_ok = sum(pr.passed for pr in patterns)
    print(f"targets within range: {n_in} of {len(targets)}; patterns holding: {n_ok} of {len(patterns)}")
    for r in targets:
        if not r.within:
            print(f"  target outside range: {r.target.name}")
    for pr in patterns:
        if not pr.passed:
            print(f"  pattern failing: {pr.pattern.name}")
    print(fv.summary(field))
    for o in field:
        if not o.in_range:
            print(f"  field result missed: {o.result.name} ({o.verdict()})")
    print(f"wrote {args.out} ({elapsed:.0f} s)")
    return 0


def _command_line(args: argparse.Namespace) -> str:
    """The command as typed, rebuilt from the parsed options (defaults left out)."""
    parts = ["salesim", "validation-report"]
    if args.quick:
        parts.append("--quick")
    if args.replications is not None:
        parts += ["--replications", str(args.replications)]
    if args.scenario != "baseline":
        parts += ["--scenario", str(args.scenario)]
    if args.targets is not None:
        parts += ["--targets", str(args.targets)]
    if args.seed != 1:
        parts += ["--seed", str(args.seed)]
    if args.out != DEFAULT_OUT:
        parts += ["--out", str(args.out)]
    if args.workers is not None:
        parts += ["--workers", str(args.workers)]
    if args.scheduler:
        parts += ["--scheduler", str(args.scheduler)]
    if args.dask_local:
        parts.append("--dask-local")
    return " ".join(shlex.quote(p) for p in parts)
