"""``salesim compare`` and ``salesim sweep``: batches of runs through the one runner.

Everything a user typed is checked (scenarios, levers, ranges, --vary) before
any run starts, so bad input costs nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

from sim import cli_guards, limits
from sim.cli_batch_options import add_batch_options, batch_executor, check_scenario_weeks, guard_batch, run_batch
from sim.cli_common import positive_int, seed_arg, text_table, weeks_arg
from sim.errors import UserError
from sim.kpis import headline_kpis
from sim.scenario import load_scenario, parse_set


def add_compare(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim compare``."""
    p = sub.add_parser("compare", help="compare scenarios with paired replications; write tables and a report",
                       description="Run each scenario R times with shared seeds (replication k of every "
                       "scenario uses the same seed) and write comparison.csv, runs.parquet, series.parquet "
                       "and report.html.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario names or .toml paths; the first "
                   "is the reference for differences")
    add_batch_options(p, replications=20)
    p.add_argument("--posterior", type=Path, default=None, metavar="DIR",
                   help="a calibration folder: replication k of every scenario uses posterior draw k, so "
                   "intervals carry parameter uncertainty too")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios and print the headline table."""
    overrides = parse_set(args.set)
    scenarios = [load_scenario(s, overrides) for s in args.scenarios]
    check_scenario_weeks(args.weeks, scenarios)
    out = args.out or Path("runs") / ("compare-" + "-".join(s.name for s in scenarios))[:120]
    guard_batch(args, "this comparison", len(scenarios) * args.replications, args.weeks,
           max(s.params.n_accounts for s in scenarios), out)
    from sim.experiment.compare import compare, comparison_jobs

    draws = None
    if args.posterior is not None:
        from sim.calibrate.run import load_posterior_draws

        draws = load_posterior_draws(args.posterior, args.replications, args.seed)
    comparison_jobs(scenarios, args.replications, args.weeks, args.seed, draws)  # validates before start-up
    result = run_batch(args, out, lambda ex: compare(
        scenarios, args.replications, args.weeks, args.seed, ex, out, resume=args.resume, progress=not args.quiet,
        command=_command_line(), draws=draws, posterior=args.posterior))
    from sim.report.comparison import write_comparison_report

    report = write_comparison_report(result)
    print(_headline(result.comparison, [s.name for s in scenarios]))
    print(f"\nwrote {out / 'comparison.csv'}, {out / 'runs.parquet'}, {out / 'series.parquet'} "
          f"and {report}")
    return 0


def add_trial(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim trial``."""
    p = sub.add_parser("trial", help="run a randomised field trial inside the model (a trial file)",
                       description="Randomise units inside one firm as the trial file says, treat some, and "
                       "measure both arms; replications redraw the firm and the randomisation. Writes "
                       "trial_rows.parquet, trial_effect.csv, trial_over_time.csv, trial.json and report.html.")
    p.add_argument("file", type=Path, metavar="FILE", help="a trial file (.toml), e.g. "
                   "experiments/trials/ascarza_outreach.toml")
    add_batch_options(p, replications=20, weeks=False)
    p.set_defaults(func=cmd_trial)


def cmd_trial(args: argparse.Namespace) -> int:
    """Run a trial and print its effect table."""
    import dataclasses

    from sim.trials import load_trial, run_trial

    spec = load_trial(args.file)
    overrides = parse_set(args.set)
    if overrides:
        spec = dataclasses.replace(spec, scenario=load_scenario(spec.scenario.path or spec.scenario.name,
                                                                 overrides))
    out = args.out or Path("runs") / ("trial-" + args.file.stem)[:120]
    guard_batch(args, "this trial", args.replications, spec.weeks, spec.scenario.params.n_accounts, out)
    result = run_batch(args, out, lambda ex: run_trial(spec, args.replications, args.seed, ex, out,
                                                      resume=args.resume, progress=not args.quiet))
    from sim.report.trial import effect_cells

    rows = []
    for r in result.effect.itertuples():
        control, treated, diff, ratio = effect_cells(r)
        rows.append([r.outcome, r.contrast, treated, control, diff, ratio])
    print(spec.title)
    clustered = {"accounts": "clustered by rep", "reps": "over replications", "firm": "over replications"}
    print(text_table(["outcome", "contrast", "treated", "control",
                      f"difference [95 % CI, {clustered[spec.unit]}]",
                      "ratio [95 % CI]"], rows))
    print(f"\nwrote {out / 'trial_effect.csv'}, {out / 'trial_rows.parquet'}, {out / 'trial_over_time.csv'} "
          f"and {out / 'report.html'}")
    return 0


HEADLINE = headline_kpis(churn_shares=False)  # the table compare prints, in the registry's headline order


def _headline(comp, names: list[str]) -> str:
    from sim.kpis import KPIS

    rows = []
    for k in HEADLINE:
        row = [k]
        for n in names:
            r = comp[(comp.scenario == n) & (comp.kpi == k)].iloc[0]
            cell = KPIS[k].format(r["mean"])
            if n != names[0]:
                cell += f" ({KPIS[k].format(r['diff_vs_first'], signed=True)}"
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
    p.add_argument("--samples", type=positive_int, default=20, help="design points for --design lhs (default: 20)")
    p.add_argument("--reference", action="append", default=[], metavar="LEVER=VALUE",
                   help="the point differences are taken against (default: the base scenario's own levers; the "
                   "nearest design point is used)")
    add_batch_options(p, replications=5)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep of levers."""
    from sim.cli_report import sweep_answer, sweep_reference
    from sim.experiment.sweep import design, parse_vary, sweep, sweep_jobs

    base = load_scenario(args.scenario, parse_set(args.set))
    check_scenario_weeks(args.weeks, [base])
    def cost(points: int) -> limits.Estimate:
        return limits.estimate(points * args.replications, args.weeks, base.params.n_accounts, args.workers)

    varies = [parse_vary(v, cost) for v in args.vary]
    names = [v.name for v in varies]
    if len(set(names)) != len(names):
        raise UserError(f"--vary names a lever twice ({', '.join(names)}); vary each lever once.")
    n_points = _design_size(varies, args.design, args.samples, cost)
    out = args.out or Path("runs") / f"sweep-{base.name}-{'-'.join(names)}"[:120]
    guard_batch(args, "this sweep", n_points * args.replications, args.weeks, base.params.n_accounts, out)
    reference = sweep_reference(parse_set(args.reference), names)
    points = design(varies, args.design, args.samples, args.seed)
    sweep_jobs(base, points, args.replications, args.weeks, args.seed)  # validates every point first
    runs = run_batch(args, out, lambda ex: sweep(base, varies, args.design, args.samples, args.replications,
                                                 args.weeks, args.seed, ex, out, resume=args.resume,
                                                 progress=not args.quiet, reference=reference))
    from sim import formatting
    from sim.report.sweep_figure import plot_sweep

    figure = plot_sweep(runs, names, out / "sweep.png",
                        f"{base.title}: sweep of {', '.join(names)} ({len(points)} points x {args.replications} "
                        f"replications, {formatting.duration(runs.attrs.get('elapsed_s'))})")
    print(f"{len(points)} design points x {args.replications} replications = {len(runs)} runs")
    written = sweep_answer(runs.attrs["vs_reference"], names, args.design, out, base.title, bool(reference))
    print(f"wrote {out / 'runs.parquet'}, {out / 'sweep.csv'}, {', '.join(map(str, written))} and {figure}")
    return 0


def _design_size(varies, method: str, samples: int, cost) -> int:
    """How many design points a sweep asks for, counted (and capped) before any is built."""
    import math

    n = samples if method == "lhs" else math.prod(len(v.values) for v in varies)
    label = "--samples" if method == "lhs" else "the grid's design points (the product of the STEPS)"
    return limits.DESIGN_POINTS.check(n, label, cost(n))


def _command_line() -> str:
    return "salesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def add_sensitivity(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim sensitivity``."""
    p = sub.add_parser("sensitivity", help="global sensitivity analysis (Morris or Sobol) of a problem file",
                       description="Sample the problem's parameters with SALib, run every point through the "
                       "experiment runner (replications averaged), and write indices.csv, noise.csv, "
                       "convergence.csv, runs.parquet and figures. With --given, analyse an existing runs table "
                       "(e.g. a sweep's runs.parquet) with rbd_fast, delta or pawn instead.")
    p.add_argument("problem", help="problem name (scenarios/problems/) or .toml path")
    p.add_argument("--method", choices=["morris", "sobol", "rbd_fast", "delta", "pawn"], default=None,
                   help="morris (default) or sobol; rbd_fast, delta or pawn with --given (default delta)")
    p.add_argument("--n", type=positive_int, default=None,
                   help="Sobol base samples (a power of two; default 256) or Morris trajectories (default 20)")
    p.add_argument("--given", type=Path, default=None, metavar="RUNS.parquet",
                   help="analyse this existing runs table instead of running the model")
    add_batch_options(p, replications=2, weeks=False)
    p.add_argument("--weeks", type=weeks_arg, default=None,
                   help="weeks per run (default: the problem file's weeks, 104 if it names none)")
    p.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run (or, with --given, only analyse) a sensitivity analysis."""
    from sim.sensitivity.problem import load_problem

    problem = load_problem(args.problem)
    if getattr(args, "weeks", None) is not None:
        problem = dataclasses.replace(problem, weeks=args.weeks)
    name = problem.path.stem if problem.path else "problem"
    if args.given is not None:
        return _given(args, problem, name)
    method = args.method or "morris"
    if method not in ("morris", "sobol"):
        raise UserError(f"--method {method} analyses given data: add --given RUNS.parquet, or use morris or sobol.")
    n = args.n or (256 if method == "sobol" else 20)
    from sim.sensitivity.core import sample
    from sim.sensitivity.runs import run_sensitivity, sensitivity_jobs

    base = load_scenario(problem.scenario, parse_set(args.set))
    check_scenario_weeks(problem.weeks, [base])
    out = args.out or Path("runs") / f"sensitivity-{name}-{method}"
    n_points = n * (len(problem.names) + (2 if method == "sobol" else 1))
    cost = limits.estimate(n_points * args.replications, problem.weeks, base.params.n_accounts, args.workers)
    limits.DESIGN_POINTS.check(n_points, f"--n {n} with {len(problem.names)} parameters gives sample points:",
                               cost)
    guard_batch(args, "this analysis", n_points * args.replications, problem.weeks, base.params.n_accounts, out)
    X = sample(problem, method, n, args.seed)
    sensitivity_jobs(problem, X, args.replications, args.seed, base)  # validates every point before start-up
    res = run_batch(args, out, lambda ex: run_sensitivity(problem, method, n, args.replications, args.seed, ex,
                                                          out, resume=args.resume, progress=not args.quiet,
                                                          base=base))
    from sim.sensitivity.plots import write_figures

    write_figures(out, problem, method, res.indices, res.convergence)
    print(_top_indices(res.indices, method))
    print(f"\n{res.n_runs} runs ({X.shape[0]} points x {args.replications} replications) in {res.elapsed_s:.0f} s")
    for _, r in res.noise.iterrows():
        print(f"seed noise in {r['kpi']}: {100 * r['noise_share']:.1f} % of the variance of the averaged output")
    print(f"wrote {out / 'indices.csv'}, noise.csv, convergence.csv, runs.parquet and figures")
    return 0


def _given(args: argparse.Namespace, problem, name: str) -> int:
    import pandas as pd

    from sim.sensitivity.given import given_data

    if not args.given.is_file():
        raise UserError(f"--given {args.given}: no such file; give the runs.parquet of an existing sweep.")
    method = args.method or "delta"
    out = args.out or args.given.parent / f"given-{name}-{method}"
    cli_guards.output_folder(out)
    try:
        runs = pd.read_parquet(args.given)
    except Exception as e:  # pyarrow raises several kinds for a file that is not Parquet
        raise UserError(f"--given {args.given}: cannot read it as Parquet ({type(e).__name__}).") from None
    table = given_data(problem, runs, method, seed=args.seed)
    table.to_csv(out / "indices.csv", index=False)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\nanalysed {len(runs)} existing runs; wrote {out / 'indices.csv'}")
    return 0


def _top_indices(indices, method: str) -> str:
    col = "ST" if method == "sobol" else "mu_star"
    lines = []
    for kpi, d in indices.groupby("kpi", sort=False):
        top = d.sort_values(col, ascending=False).head(5)
        items = ", ".join(f"{r['parameter']} {r[col]:.3g}" for _, r in top.iterrows())
        lines.append(f"{kpi}: {items}")
    return f"leading parameters by {col}:\n" + "\n".join(lines)


def add_calibrate(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim calibrate``."""
    p = sub.add_parser("calibrate", help="fit behavioural assumptions to published figures (ABC-SMC)",
                       description="Approximate Bayesian computation (pyABC's ABC-SMC) of the priors in a targets "
                       "file against its targets; writes the posterior, diagnostics, posterior-predictive checks "
                       "and a calibrated scenario file. A killed run continues with --resume.")
    p.add_argument("--targets", type=Path, default=None, help="targets file (default: calibration/targets.toml)")
    p.add_argument("--population", type=positive_int, default=200, help="particles per generation (default 200)")
    p.add_argument("--generations", type=positive_int, default=6, help="ABC-SMC generations (default 6)")
    p.add_argument("--replications", type=positive_int, default=1, help="model runs averaged per particle")
    p.add_argument("--ppc-draws", type=positive_int, default=40, help="posterior draws for predictive checks")
    p.add_argument("--seed", type=seed_arg, default=1, help="root seed (default 1)")
    p.add_argument("--set", action="append", default=[], metavar="LEVER=VALUE",
                   help="override a parameter of the calibrated scenario in every run (e.g. n_accounts=500)")
    p.add_argument("--workers", type=positive_int, default=None, help="local processes (default: one per core)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler")
    where.add_argument("--dask-local", action="store_true", help="start a local Dask cluster")
    p.add_argument("--resume", action="store_true", help="continue a calibration in --out")
    p.add_argument("--write-scenario", action="store_true", help="also write scenarios/calibrated.toml")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an existing fit in --out (e.g. "
                   "the shipped calibration/fitted/targets) and, with --write-scenario, scenarios/calibrated.toml")
    p.add_argument("--large", action="store_true", help="confirm a calibration estimated to take hours or gigabytes")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: calibration/fitted/<targets>)")
    p.add_argument("--quiet", action="store_true", help="less output")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run ABC-SMC and write the posterior and its checks."""
    from sim.calibrate import load_targets
    from sim.calibrate.abc import check_population, finished_generations, make_sampler
    from sim.calibrate.run import calibrate, write_figures
    from sim.experiment.interrupts import CleanStop

    cal = load_targets(args.targets)
    check_population(args.population, len(cal.priors), args.generations)
    base = load_scenario(cal.scenario, parse_set(args.set))
    check_scenario_weeks(cal.weeks, [base])
    base.params.replace(**{k: lo for k, (lo, _) in cal.priors.items()})  # priors valid for this scenario
    out = args.out or Path(__file__).resolve().parent.parent / "calibration" / "fitted" / cal.path.stem
    problem = _guard_calibration(args, cal, base, out)

    def kept() -> str:
        n = finished_generations(out)
        return f"{n} finished generation{'s' if n != 1 else ''} in {out}"

    with CleanStop(out, kept=kept):
        sampler, dask_ex = make_sampler(args.workers, args.scheduler, args.dask_local)
        executor = dask_ex or batch_executor(args)
        try:
            res = calibrate(cal, out, args.population, args.generations, sampler, executor, args.seed,
                            args.replications, args.ppc_draws, resume=args.resume, base=base,
                            verbose=not args.quiet, problem=problem)
        finally:
            executor.close()
    write_figures(res, cal)
    print(res.summary.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print()
    print(res.ppc[["target", "value", "low", "high", "sim_mean", "share_within"]].to_string(
        index=False, float_format=lambda x: f"{x:.3g}"))
    within = int(res.ppc["mean_within"].sum())
    print(f"\n{within} of {len(res.ppc)} targets have their posterior-predictive mean within range; "
          f"{int(res.summary['identified'].sum())} of {len(res.summary)} parameters are identified "
          f"(95 % interval under half the prior range). {res.elapsed_s:.0f} s.")
    if args.write_scenario:
        dest = _scenario_dest(args)
        dest.write_text((out / "calibrated.toml").read_text())
        print(f"wrote {dest}")
    print(f"wrote {out}")
    return 0


def _scenario_dest(args: argparse.Namespace) -> Path:
    """Where --write-scenario writes; an existing (e.g. shipped) file is replaced only with --overwrite."""
    from sim.scenario import scenarios_dir

    dest = scenarios_dir() / "calibrated.toml"
    if dest.exists() and not args.overwrite:
        raise UserError(f"--write-scenario would replace {dest}, which exists (the shipped calibrated scenario); "
                        "add --overwrite to replace it, or leave out --write-scenario and copy "
                        "calibrated.toml from the output folder yourself.")
    return dest


def _guard_calibration(args: argparse.Namespace, cal, base, out: Path) -> dict:
    """Check sizes, workers and the output folder of a calibration; return its fingerprint (for --resume)."""
    from sim.calibrate import fingerprint

    limits.POPULATION.check(args.population)
    limits.GENERATIONS.check(args.generations)
    limits.REPLICATIONS.check(args.replications)
    runs = args.population * args.generations * args.replications + args.ppc_draws
    limits.check_work("this calibration (at least)", runs, cal.weeks, base.params.n_accounts, args.workers,
                      args.large)
    args.workers = cli_guards.workers(args.workers)
    args.scheduler = cli_guards.scheduler(args.scheduler)
    if args.write_scenario:
        _scenario_dest(args)
    cli_guards.output_folder(out, create=False)
    fp = fingerprint.fingerprint(cal, base, args.population, args.replications, args.seed)
    if (out / "abc.db").exists():
        if not args.resume:
            raise UserError(f"--out {out} already holds a calibration (abc.db). Add --resume to continue it, or "
                            "choose another --out.")
        fingerprint.check(out, fp)
    elif out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UserError(f"--out {out} already holds files but no calibration to resume (for instance the shipped "
                        "fit); add --overwrite to replace them, or choose another --out (e.g. runs/calibration).")
    return fp
