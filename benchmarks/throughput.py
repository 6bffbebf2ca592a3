"""Throughput benchmark for the sales-incentive simulation, on one core.

Measures (see benchmarks/README.md for what each number means):

a. the flagship run, ``SalesModel(rng=seed).run(104)`` (construction included), median and min over repeats
   after one warm-up run, and account-weeks per second;
b. scaling: account-weeks per second at 1,000 / 10,000 / 100,000 accounts with 20 reps and 3 managers fixed,
   and with reps scaled at 1 per 100 accounts (managers = reps // 7, at least 1), plus 52 vs 104 weeks at
   10,000 accounts, each with the time per account-week relative to the reference row;
c. Mesa's own Boltzmann wealth example as agent-steps per second (as shipped, and agent activation only), and
   the ratio of our account-weeks/s at 100,000 accounts to it;
d. the wall time of one model week at the default size (the dashboard needs <= 100 ms per step).

Usage::

    python benchmarks/throughput.py [--quick] [--repeats N] [--seed S] [--save]

This is a measurement, not a test: nothing here asserts on speed.
"""

from __future__ import annotations

import os

# One thread for every numeric library; must happen before numpy is imported (sim and mesa import it).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

FLAGSHIP_WEEKS = 104
WEEK_BUDGET_MS = 100.0
RESULTS_DIR = Path(__file__).resolve().parent / "results"

HEADINGS = (
    "== Environment ==",
    "== (a) Flagship run ==",
    "== (d) Single model week at the default size ==",
    "== (b) Scaling in accounts ==",
    "== (b) Linearity in weeks ==",
    "== (c) Mesa Boltzmann wealth example ==",
    "== (c) Ratio to Boltzmann ==",
)


# --------------------------------------------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------------------------------------------
def pin_to_one_core() -> dict[str, Any]:
    """Pin this process to CPU 0 if the platform allows it; report what happened."""
    try:
        before = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        before = None
    try:
        os.sched_setaffinity(0, {0})
        after = sorted(os.sched_getaffinity(0))
        pinned = after == [0]
    except (AttributeError, OSError):
        after, pinned = before, False
    return {"cpus_before_pinning": before, "cpus_used": after, "pinned_to_one_core": pinned}


def environment(pin: dict[str, Any]) -> dict[str, Any]:
    import mesa
    import numpy as np

    before = pin["cpus_before_pinning"]
    return {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "nproc": len(before) if before is not None else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        **pin,
        "thread_env": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


# --------------------------------------------------------------------------------------------------------------
# timing helpers
# --------------------------------------------------------------------------------------------------------------
def timed(setup: Callable[[], Any], body: Callable[[Any], Any], repeats: int, warmup: int = 1) -> list[float]:
    """Wall times of ``body(setup())`` (setup untimed), after ``warmup`` discarded runs."""
    times = []
    for i in range(warmup + repeats):
        obj = setup()
        gc.collect()
        t0 = time.perf_counter()
        body(obj)
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
        del obj
    return times


def summary(times: list[float]) -> dict[str, Any]:
    return {"median_s": statistics.median(times), "min_s": min(times), "repeats": len(times), "times_s": times}


def managers_for(reps: int) -> int:
    return max(1, reps // 7)


# --------------------------------------------------------------------------------------------------------------
# (a) flagship, (d) single week
# --------------------------------------------------------------------------------------------------------------
def bench_flagship(seed: int, repeats: int) -> dict[str, Any]:
    from sim import SalesModel

    def build_and_run(_: Any) -> None:
        SalesModel(rng=seed).run(FLAGSHIP_WEEKS)

    res = summary(timed(lambda: None, build_and_run, repeats))
    p = SalesModel(rng=seed).p
    res.update(weeks=FLAGSHIP_WEEKS, n_accounts=p.n_accounts, n_reps=p.n_reps, n_managers=p.n_managers,
               burn_in_weeks=p.burn_in_weeks)
    res["account_weeks_per_s"] = p.n_accounts * FLAGSHIP_WEEKS / res["median_s"]
    # construction alone, for reference
    build = timed(lambda: None, lambda _: SalesModel(rng=seed), max(repeats, 3))
    res["construction_median_s"] = statistics.median(build)
    return res


def bench_week(seed: int, repeats: int, weeks: int) -> dict[str, Any]:
    """Time every ``step()`` of default-size runs individually."""
    from sim import SalesModel

    per_week: list[float] = []
    for _ in range(repeats):
        m = SalesModel(rng=seed)
        gc.collect()
        for _ in range(weeks):
            t0 = time.perf_counter()
            m.step()
            per_week.append(time.perf_counter() - t0)
    s = sorted(per_week)
    return {
        "weeks_per_run": weeks,
        "runs": repeats,
        "mean_ms": 1e3 * statistics.fmean(s),
        "median_ms": 1e3 * statistics.median(s),
        "p95_ms": 1e3 * s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)],
        "max_ms": 1e3 * s[-1],
        "budget_ms": WEEK_BUDGET_MS,
    }


# --------------------------------------------------------------------------------------------------------------
# (b) scaling
# --------------------------------------------------------------------------------------------------------------
def bench_sales(n_accounts: int, n_reps: int, n_managers: int, weeks: int, seed: int, repeats: int) -> dict[str, Any]:
    """Run time of ``run(weeks)`` only (construction untimed)."""
    from sim import SalesModel

    def setup() -> SalesModel:
        return SalesModel(rng=seed, n_accounts=n_accounts, n_reps=n_reps, n_managers=n_managers)

    res = summary(timed(setup, lambda m: m.run(weeks), repeats))
    res.update(n_accounts=n_accounts, n_reps=n_reps, n_managers=n_managers, weeks=weeks)
    res["account_weeks_per_s"] = n_accounts * weeks / res["median_s"]
    res["ns_per_account_week"] = 1e9 * res["median_s"] / (n_accounts * weeks)
    return res


def bench_scaling(sizes: list[int], weeks: int, seed: int, repeats: int, repeats_large: int) -> list[dict[str, Any]]:
    rows = []
    for scheme in ("fixed", "scaled"):
        for n in sizes:
            reps = 20 if scheme == "fixed" else max(1, n // 100)
            mgrs = 3 if scheme == "fixed" else managers_for(reps)
            r = bench_sales(n, reps, mgrs, weeks, seed, repeats_large if n >= 100_000 else repeats)
            r["reps_scheme"] = scheme
            rows.append(r)
            print(f"  ... {scheme:6s} {n:>9,} accounts done ({r['median_s']:.3f} s)", file=sys.stderr, flush=True)
        ref = rows[-len(sizes)]["ns_per_account_week"]
        for r in rows[-len(sizes):]:
            r["relative_time_per_account_week"] = r["ns_per_account_week"] / ref
    return rows


def affine_fit(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Least-squares fit of time per week = overhead + marginal cost x accounts."""
    xs = [float(r["n_accounts"]) for r in rows]
    ys = [r["median_s"] / r["weeks"] for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return {"overhead_ms_per_week": 1e3 * (my - slope * mx), "marginal_ns_per_account_week": 1e9 * slope}


def bench_weeks(n_accounts: int, weeks_list: list[int], seed: int, repeats: int) -> list[dict[str, Any]]:
    rows = [bench_sales(n_accounts, 20, 3, w, seed, repeats) for w in weeks_list]
    ref = rows[0]["ns_per_account_week"]
    for r in rows:
        r["relative_time_per_account_week"] = r["ns_per_account_week"] / ref
    return rows


# --------------------------------------------------------------------------------------------------------------
# (c) Mesa Boltzmann wealth example
# --------------------------------------------------------------------------------------------------------------
def bench_boltzmann(n_agents_list: list[int], steps: int, seed: int, repeats: int) -> list[dict[str, Any]]:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    rows = []
    for n in n_agents_list:
        side = math.ceil(math.sqrt(n))  # about one agent per cell, as in the example's 100 agents on 10 x 10

        def setup(n: int = n, side: int = side) -> BoltzmannWealth:
            return BoltzmannWealth(BoltzmannScenario(rng=seed, n=n, width=side, height=side))

        def full(m: BoltzmannWealth) -> None:
            for _ in range(steps):
                m.step()

        def core(m: BoltzmannWealth) -> None:
            for _ in range(steps):
                m.agents.shuffle_do("step")

        for variant, body in (("as shipped: model.step()", full), ("activation only: agents.shuffle_do('step')", core)):
            res = summary(timed(setup, body, repeats))
            res.update(n_agents=n, grid=f"{side}x{side}", steps=steps, variant=variant)
            res["agent_steps_per_s"] = n * steps / res["median_s"]
            rows.append(res)
    return rows


# --------------------------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------------------------
def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def print_report(res: dict[str, Any]) -> None:
    env, cfg = res["environment"], res["config"]
    print(HEADINGS[0])
    print(f"python {env['python']} ({env['implementation']}), numpy {env['numpy']}, mesa {env['mesa']}")
    print(f"{env['platform']}; nproc {env['nproc']}; pinned to one core: {env['pinned_to_one_core']} "
          f"(cpus used {env['cpus_used']}); OMP/OPENBLAS threads = 1")
    print(f"seed {cfg['seed']}, repeats {cfg['repeats']}, quick={cfg['quick']}, date {env['date']}")

    f = res["flagship"]
    print("\n" + HEADINGS[1])
    print(f"SalesModel(rng={cfg['seed']}).run({f['weeks']}): {f['n_accounts']:,} accounts, {f['n_reps']} reps, "
          f"{f['n_managers']} managers (burn-in {f['burn_in_weeks']} weeks included); construction included")
    print(table(["median s", "min s", "repeats", "acc-weeks/s", "build s"],
                [[f"{f['median_s']:.3f}", f"{f['min_s']:.3f}", str(f["repeats"]), fmt_rate(f["account_weeks_per_s"]),
                  f"{f['construction_median_s']:.4f}"]]))
    print("DESIGN: <= 0.5 s required, <= 0.1 s goal")

    w = res["week"]
    print("\n" + HEADINGS[2])
    print(f"each step() timed separately over {w['runs']} run(s) of {w['weeks_per_run']} weeks; "
          f"flagship median / {f['weeks']} = {1e3 * f['median_s'] / f['weeks']:.2f} ms")
    print(table(["mean ms", "median ms", "p95 ms", "max ms", "budget ms"],
                [[f"{w['mean_ms']:.2f}", f"{w['median_ms']:.2f}", f"{w['p95_ms']:.2f}", f"{w['max_ms']:.2f}",
                  f"{w['budget_ms']:.0f}"]]))

    print("\n" + HEADINGS[3])
    print("run(weeks) only, construction untimed; 'rel.' = time per account-week / that of the 1,000-account row")
    hdr = ["reps", "accounts", "n_reps", "mgrs", "weeks", "repeats", "median s", "min s", "acc-weeks/s",
           "ns/acc-wk", "rel."]
    rows = [[r["reps_scheme"], f"{r['n_accounts']:,}", str(r["n_reps"]), str(r["n_managers"]), str(r["weeks"]),
             str(r["repeats"]), f"{r['median_s']:.3f}", f"{r['min_s']:.3f}", fmt_rate(r["account_weeks_per_s"]),
             f"{r['ns_per_account_week']:.0f}", f"{r['relative_time_per_account_week']:.2f}"]
            for r in res["scaling"]]
    print(table(hdr, rows))
    for scheme, fit in res["scaling_fit"].items():
        print(f"fit ({scheme} reps): time per week = {fit['overhead_ms_per_week']:.2f} ms + "
              f"{fit['marginal_ns_per_account_week']:.0f} ns x accounts")
    print("DESIGN: linear in accounts x weeks; >= 5 M account-weeks/s at 100,000 accounts on one core")

    print("\n" + HEADINGS[4])
    print("20 reps, 3 managers; 'rel.' = time per account-week / that of the first row")
    rows = [[f"{r['n_accounts']:,}", str(r["weeks"]), str(r["repeats"]), f"{r['median_s']:.3f}", f"{r['min_s']:.3f}",
             fmt_rate(r["account_weeks_per_s"]), f"{r['ns_per_account_week']:.0f}",
             f"{r['relative_time_per_account_week']:.2f}"] for r in res["weeks_linearity"]]
    print(table(["accounts", "weeks", "repeats", "median s", "min s", "acc-weeks/s", "ns/acc-wk", "rel."], rows))

    print("\n" + HEADINGS[5])
    print("mesa.examples.basic.boltzmann_wealth_model BoltzmannWealth; as shipped, step() also runs its "
          "DataCollector (Gini) and DataRecorder")
    rows = [[r["variant"], f"{r['n_agents']:,}", r["grid"], str(r["steps"]), str(r["repeats"]), f"{r['median_s']:.3f}",
             fmt_rate(r["agent_steps_per_s"])] for r in res["boltzmann"]]
    print(table(["variant", "agents", "grid", "steps", "repeats", "median s", "agent-steps/s"], rows))

    print("\n" + HEADINGS[6])
    print("our account-weeks/s at the largest size / Boltzmann agent-steps/s (DESIGN goal >= 25x; "
          "Starsim yardstick 2.5-3.5 M agent-steps/s)")
    rows = [[r["ours"], fmt_rate(r["ours_per_s"]), r["boltzmann"], fmt_rate(r["boltzmann_per_s"]), f"{r['ratio']:.1f}x"]
            for r in res["ratios"]]
    print(table(["ours", "acc-weeks/s", "Boltzmann", "agent-steps/s", "ratio"], rows))


# --------------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny repeats and sizes: a smoke test, not a measurement")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per case (default 7; 1 with --quick)")
    ap.add_argument("--seed", type=int, default=1, help="model seed (the same seed for every repeat)")
    ap.add_argument("--save", action="store_true", help="write JSON to benchmarks/results/throughput-<date>.json")
    args = ap.parse_args(argv)

    pin = pin_to_one_core()
    quick = args.quick
    repeats = max(1, args.repeats if args.repeats is not None else (1 if quick else 7))
    if quick:
        sizes, scale_weeks, weeks_list, repeats_large = [1_000, 10_000, 100_000], 5, [5, 10], 1
        week_runs, week_weeks, boltz_n, boltz_steps = 1, 26, [100, 1_000], 20
    else:
        sizes, scale_weeks, weeks_list, repeats_large = [1_000, 10_000, 100_000], 52, [52, 104], max(1, min(3, repeats))
        week_runs, week_weeks, boltz_n, boltz_steps = min(repeats, 3), FLAGSHIP_WEEKS, [100, 1_000], 200

    res: dict[str, Any] = {
        "environment": environment(pin),
        "config": {"quick": quick, "repeats": repeats, "repeats_100k": repeats_large, "seed": args.seed,
                   "scaling_weeks": scale_weeks, "boltzmann_steps": boltz_steps},
    }
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log("flagship ...")
    res["flagship"] = bench_flagship(args.seed, repeats)
    log("single week ...")
    res["week"] = bench_week(args.seed, week_runs, week_weeks)
    log("scaling ...")
    res["scaling"] = bench_scaling(sizes, scale_weeks, args.seed, repeats, repeats_large)
    res["scaling_fit"] = {s: affine_fit([r for r in res["scaling"] if r["reps_scheme"] == s])
                          for s in ("fixed", "scaled")}
    log("weeks ...")
    res["weeks_linearity"] = bench_weeks(10_000, weeks_list, args.seed, repeats)
    log("boltzmann ...")
    res["boltzmann"] = bench_boltzmann(boltz_n, boltz_steps, args.seed, repeats)

    largest = max(sizes)
    ratios = []
    for r in (r for r in res["scaling"] if r["n_accounts"] == largest):
        for b in res["boltzmann"]:
            ratios.append({
                "ours": f"{largest:,} acc, {r['n_reps']} reps",
                "ours_per_s": r["account_weeks_per_s"],
                "boltzmann": f"{b['n_agents']:,} agents, {b['variant'].split(':')[0]}",
                "boltzmann_per_s": b["agent_steps_per_s"],
                "ratio": r["account_weeks_per_s"] / b["agent_steps_per_s"],
            })
    res["ratios"] = ratios

    print_report(res)
    if args.save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"throughput-{_dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(res, indent=2) + "\n")
        print(f"\nsaved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
