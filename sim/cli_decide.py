"""``salesim optimize``, ``discover`` and ``robust``: decision support on the one runner (sim/decide).

Each reads a problem file (:mod:`sim.decide.problem`), validated field by field before anything runs;
the batch options (workers, Dask, resume, output folder; :mod:`sim.cli_batch_options`) mean what they mean
for ``compare``, and ``--replications``, ``--seed`` and ``--set`` override the file's ``replications``,
``seed`` and ``[set]``. Each writes its tables, figures and an offline report.html
(:mod:`sim.report.decide_report`); ``discover --from`` analyses a stored sample instead of running one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli_batch_options import add_batch_options, guard_batch, run_batch
from sim.cli_common import text_table
from sim.scenario import parse_set


def _add_options(p: argparse.ArgumentParser) -> None:
    """The batch options of ``compare``; --replications, --seed and --set, when given, override the file's."""
    add_batch_options(p, replications=3, weeks=False)
    p.set_defaults(replications=None, seed=None)


def _load(args: argparse.Namespace, load: Callable[..., Any], **extra: Any) -> Any:
    """The problem file with the command line's overrides applied."""
    return load(args.file, overrides=parse_set(args.set), replications=args.replications, seed=args.seed, **extra)


def _prepare(args: argparse.Namespace, problem: Any, what: str, runs: Callable[[Any], int],
             jobs: Callable[[Any], Any] | None = None) -> Path:
    """Choose --out for a loaded problem, check sizes and the folder, and validate every run before start-up."""
    out = args.out or Path("runs") / f"{args.command}-{args.file.stem}"[:120]
    base = getattr(problem, "base", None) or problem.policies[0]
    guard_batch(args, f"this {what}", runs(problem), problem.weeks, base.params.n_accounts, out)
    if jobs is not None:
        jobs(problem)
    return out


def _run(args: argparse.Namespace, out: Path, fn: Callable[..., Any], problem: Any) -> Any:
    """Run ``fn(problem, executor, out, ...)`` on the executor the options ask for, stopping cleanly on Ctrl-C."""
    return run_batch(args, out, lambda ex: fn(problem, ex, out, resume=args.resume, progress=not args.quiet))


def _register(sub: argparse._SubParsersAction, name: str, example: str, func: Callable[..., int], help: str,
              description: str) -> argparse.ArgumentParser:
    """Register one decision command: its problem file argument and the batch options."""
    p = sub.add_parser(name, help=help, description=description)
    p.add_argument("file", type=Path, metavar="FILE", help=f"a problem file, e.g. experiments/decisions/{example}")
    _add_options(p)
    p.set_defaults(func=func)
    return p


def add_optimize(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim optimize``."""
    _register(sub, "optimize", "optimize_mandate.toml", cmd_optimize,
              help="multi-objective search over levers (NSGA-II); Pareto set and re-evaluation",
              description="Search the levers of an optimisation file for the trade-off between its "
              "objectives with Optuna's NSGA-II sampler; every candidate runs through the experiment "
              "runner with common random numbers. Writes trials.csv, pareto.csv, pareto.png, "
              "reevaluation.csv, reevaluation.png, runs.parquet, study.db (resumable) and report.html (offline).")


def cmd_optimize(args: argparse.Namespace) -> int:
    """Run an optimisation and print the Pareto set and the re-evaluated top candidates."""
    from sim.decide.optimize import optimize
    from sim.decide.problem import load_optimize

    problem = _load(args, load_optimize)
    out = _prepare(args, problem, "optimisation", lambda p: p.trials * p.replications + p.top
                   * p.reevaluate_replications)
    result = _run(args, out, optimize, problem)
    from sim.report.decide_report import OPTIMISM_NOTE, optimize_report, reevaluation_cells

    report = optimize_report(problem, result, out)
    print(problem.title)
    print(f"{len(result.trials)} candidates, {len(result.pareto)} on the Pareto front; {result.n_runs} runs in "
          f"{result.elapsed_s:.0f} s\n")
    print(text_table(*reevaluation_cells(result.reevaluation), right=(0, 1)) + f"\n({OPTIMISM_NOTE})")
    print(f"\nwrote {report}, pareto.csv, trials.csv, reevaluation.csv, runs.parquet, pareto.png and "
          "reevaluation.png")
    return 0


def add_discover(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim discover``."""
    p = _register(sub, "discover", "discover_mandate.toml", cmd_discover,
              help="scenario discovery: PRIM boxes of assumptions where a policy fails",
              description="Sample the uncertain assumptions of a discovery file (a Latin hypercube), run "
              "the policy (and the reference) in every world through the experiment runner, flag the "
              "worlds where the policy fails the threshold, and find PRIM boxes with their coverage and "
              "density. Writes worlds.csv, boxes.csv, box_limits.csv, boxes.json, peeling.csv, "
              "runs.parquet, boxes.png and report.html (offline). With --from (or the file's from), find "
              "the boxes in an existing sample's runs.parquet instead, running nothing.")
    p.add_argument("--from", dest="from_runs", type=Path, default=None, metavar="RUNS.parquet",
                   help="find the boxes in this existing runs table (a sweep's, a discovery's or a robustness "
                   "check's runs.parquet) on its stored lever or parameter columns, without running anything "
                   "(default --out: a folder beside it)")


def cmd_discover(args: argparse.Namespace) -> int:
    """Run a scenario discovery (or, with --from, analyse a stored sample) and print its boxes."""
    from sim.decide.problem import load_discover

    problem = _load(args, load_discover, sample=getattr(args, "from_runs", None))
    if problem.sample is not None:
        from sim import cli_guards
        from sim.decide.given import discover_given

        out = cli_guards.output_folder(args.out or problem.sample.parent / f"discover-{args.file.stem}"[:120])
        result = discover_given(problem, out)
        done = f"{len(result.runs)} stored runs of {problem.sample}, none run again"
    else:
        from sim.decide.discover import discover, discover_jobs

        out = _prepare(args, problem, "discovery", lambda p: p.samples * p.replications * (
            2 if p.reference is not None else 1), discover_jobs)
        result = _run(args, out, discover, problem)
        done = f"{len(result.runs)} runs in {result.elapsed_s:.0f} s"
    from sim.report.decide_report import boxes_text, discover_report

    report = discover_report(problem, result, out)
    print(problem.title)
    fails = int(result.worlds["fails"].sum())
    print(f"{problem.base.name} fails ({problem.threshold_text}) in {fails} of {len(result.worlds)} worlds; "
          f"{done}\n")
    print(boxes_text(result.boxes, result.limits))
    runs = "" if problem.sample is not None else "runs.parquet, "
    print(f"\nwrote {report}, boxes.csv, box_limits.csv, boxes.json, worlds.csv, peeling.csv, {runs}boxes.png")
    return 0


def add_robust(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim robust``."""
    _register(sub, "robust", "robust_mandate.toml", cmd_robust,
              help="robust choices: candidate policies across uncertain worlds, by regret",
              description="Run every policy of a robustness file in every world of a Latin hypercube over "
              "uncertain assumptions (common random numbers) and report per policy the mean, the worst "
              "decile and the regret against the best policy in each world; name the most robust "
              "(smallest worst-case regret). Writes robust.csv, regret.csv, runs.parquet, regret.png and "
              "report.html (offline).")


def cmd_robust(args: argparse.Namespace) -> int:
    """Run a robustness check and print its table."""
    from sim.decide.problem import load_robust
    from sim.decide.robust import robust, robust_jobs

    problem = _load(args, load_robust)
    out = _prepare(args, problem, "robustness check", lambda p: p.samples * p.replications * len(p.policies),
                   robust_jobs)
    result = _run(args, out, robust, problem)
    from sim.report.decide_report import robust_cells, robust_report

    report = robust_report(problem, result, out)
    print(problem.title)
    print(text_table(*robust_cells(result.policies, problem.kpi), right=range(1, 6)))
    print(f"\nmost robust (smallest worst-case regret over {problem.samples} worlds): {result.most_robust}")
    print(f"wrote {report}, robust.csv, regret.csv, runs.parquet and regret.png")
    return 0
