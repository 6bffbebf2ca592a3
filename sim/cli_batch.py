"""``salesim compare`` and ``salesim sweep``: batches of runs through the one runner.

Everything a user typed is checked (scenarios, levers, ranges, --vary) before
any run starts, so bad input costs nothing.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.errors import UserError
from sim.scenario import load_scenario, parse_set


def _add_batch_options(p: argparse.ArgumentParser, replications: int) -> None:
    from sim.cli import _positive_int, _seed

    p.add_argument("--replications", type=_positive_int, default=replications,
                   help=f"replications per scenario or design point (default: {replications})")
    p.add_argument("--weeks", type=_positive_int, default=104, help="weeks per run (default: 104)")
    p.add_argument("--seed", type=_seed, default=1, help="root seed; run seeds derive from it (default: 1)")
    p.add_argument("--set", action="append", default=[], metavar="LEVER=VALUE",
                   help="override a parameter in every run, e.g. --set n_accounts=1000 (repeatable)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="worker processes (default: one per core; 1 runs in this process)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler (tcp://HOST:PORT)")
    where.add_argument("--dask-local", action="store_true", help="start a local Dask cluster and run on it")
    p.add_argument("--resume", action="store_true", help="continue an interrupted experiment in --out")
    p.add_argument("--out", type=Path, default=None, help="experiment folder")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _executor(args: argparse.Namespace):
    from sim.experiment.executors import make_executor

    return make_executor(args.workers, args.scheduler, args.dask_local)


def _check_weeks(weeks: int, scenarios) -> None:
    from sim.cli import _check_weeks as check

    for s in scenarios:
        check(weeks, s.params.burn_in_weeks)


def add_compare(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim compare``."""
    p = sub.add_parser("compare", help="compare scenarios with paired replications; write tables and a report",
                       description="Run each scenario R times with shared seeds (replication k of every "
                       "scenario uses the same seed) and write comparison.csv, runs.parquet, series.parquet "
                       "and report.html.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario names or .toml paths; the first "
                   "is the reference for differences")
    _add_batch_options(p, replications=20)
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios and print the headline table."""
    overrides = parse_set(args.set)
    scenarios = [load_scenario(s, overrides) for s in args.scenarios]
    _check_weeks(args.weeks, scenarios)
    out = args.out or Path("runs") / ("compare-" + "-".join(s.name for s in scenarios))[:120]
    from sim.experiment.compare import compare, comparison_jobs

    comparison_jobs(scenarios, args.replications, args.weeks, args.seed)  # validates before any start-up
    executor = _executor(args)
    try:
        result = compare(scenarios, args.replications, args.weeks, args.seed, executor, out, resume=args.resume,
                         progress=not args.quiet, command=_command_line())
    finally:
        executor.close()
    print(_headline(result.comparison, [s.name for s in scenarios]))
    print(f"\nwrote {out / 'comparison.csv'}, {out / 'runs.parquet'}, {out / 'series.parquet'} "
          f"and {out / 'report.html'}")
    return 0


HEADLINE = ("revenue", "revenue_lost", "annual_churn_rate", "reported_banner_close_rate", "true_banner_conversion",
            "banner_avoidance_rate", "rep_stress_mean", "nps")


def _headline(comp, names: list[str]) -> str:
    from sim.cli import format_value, text_table
    from sim.kpis import KPIS

    rows = []
    for k in HEADLINE:
        row = [k]
        for n in names:
            r = comp[(comp.scenario == n) & (comp.kpi == k)].iloc[0]
            cell = format_value(r["mean"], KPIS[k].unit)
            if n != names[0]:
                cell += f" ({format_value(r['diff_vs_first'], KPIS[k].unit)}"
                cell += "*)" if r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0 else ")"
            row.append(cell)
        rows.append(row)
    note = f"\n(difference vs {names[0]}; * = its paired 95 % interval excludes zero)"
    return text_table(["KPI", *names], rows, right=range(1, len(names) + 1)) + note


def add_sweep(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim sweep``."""
    p = sub.add_parser("sweep", help="vary levers over a grid or Latin hypercube; tidy Parquet and plots",
                       description="Vary levers of a scenario and write runs.parquet (one row a run), "
                       "sweep.csv (mean and interval per design point) and sweep.png.")
    p.add_argument("scenario", help="base scenario name or .toml path")
    p.add_argument("--vary", action="append", default=[], required=True, metavar="LEVER=LOW:HIGH:STEPS",
                   help="a lever to vary: LOW:HIGH:STEPS for numbers, or a,b,c for choices (repeatable)")
    p.add_argument("--design", choices=["grid", "lhs"], default="grid", help="grid (default) or lhs")
    from sim.cli import _positive_int

    p.add_argument("--samples", type=_positive_int, default=20, help="design points for --design lhs (default: 20)")
    _add_batch_options(p, replications=5)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep of levers."""
    from sim.experiment.sweep import design, parse_vary, sweep, sweep_jobs

    base = load_scenario(args.scenario, parse_set(args.set))
    _check_weeks(args.weeks, [base])
    varies = [parse_vary(v) for v in args.vary]
    names = [v.name for v in varies]
    if len(set(names)) != len(names):
        raise UserError(f"--vary names a lever twice ({', '.join(names)}); vary each lever once.")
    points = design(varies, args.design, args.samples, args.seed)
    sweep_jobs(base, points, args.replications, args.weeks, args.seed)  # validates every point first
    out = args.out or Path("runs") / f"sweep-{base.name}-{'-'.join(names)}"[:120]
    executor = _executor(args)
    try:
        runs = sweep(base, varies, args.design, args.samples, args.replications, args.weeks, args.seed,
                     executor, out, resume=args.resume, progress=not args.quiet)
    finally:
        executor.close()
    print(f"{len(points)} design points x {args.replications} replications = {len(runs)} runs")
    print(f"wrote {out / 'runs.parquet'}, {out / 'sweep.csv'} and {out / 'sweep.png'}")
    return 0


def _command_line() -> str:
    return "salesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
