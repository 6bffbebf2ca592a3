"""Throughput benchmark for the sales-incentive simulation, on one core.

Measures (see benchmarks/README.md for what each number means):

a. the flagship run, ``SalesModel(rng=seed).run(104)`` (construction included), median and min over repeats
   after one warm-up run, and account-weeks per second;
b. scaling: account-weeks per second at 1,000 / 10,000 / 100,000 accounts with 20 reps and 3 managers fixed,
   and with reps scaled at 1 per 100 accounts (managers = reps // 7, at least 1), plus 52 vs 104 weeks at
   10,000 accounts, each with the time per account-week relative to the reference row;
c. Mesa's own Boltzmann wealth example as agent-steps per second (as shipped, and agent activation only), and
   the ratio of our account-weeks/s at 100,000 accounts to it;
d. the wall time of one model week at the default size (the dashboard needs <= 100 ms per step);
e. Starsim's SIR demo at 100,000 agents as agent-steps per second, timed in this process (optional dependency),
   and the ratio of our account-weeks/s at 100,000 accounts to it;
f. the wall time and peak resident memory of ``SalesModel(n_accounts=1_000_000).run(104)`` in a child process;
g. the compile cost of the numba kernels: cold compile, cached load, and a first 104-week run on a cold cache,
   each in fresh child processes;
h. where the time goes: each stage of the week timed on its own, at the default size and at 100,000 accounts.

Section (b) also has a 1,000,000-account row (20 reps, 3 managers; 20 weeks, 1 repeat, no warm-up).

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
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

FLAGSHIP_WEEKS = 104
WEEK_BUDGET_MS = 100.0
MEMORY_GOAL_MIB = 2048.0  # < 2 GiB for 1,000,000 accounts x 104 weeks in one process
FIRST_RUN_GOAL_S = 10.0  # a first run on a fresh install (cold kernel cache) in under 10 s
STARSIM_RATIO_GOAL = 1.8  # our account-weeks/s at 100,000 accounts >= 1.8 x Starsim SIR agent-steps/s
RESULTS_DIR = Path(__file__).resolve().parent / "results"

HEADINGS = (
    "== Environment ==",
    "== (a) Flagship run ==",
    "== (d) Single model week at the default size ==",
    "== (b) Scaling in accounts ==",
    "== (b) Linearity in weeks ==",
    "== (c) Mesa Boltzmann wealth example ==",
    "== (c) Ratio to Boltzmann ==",
    "== (e) Starsim SIR demo ==",
    "== (e) Ratio to Starsim ==",
    "== (f) Peak memory of a large run in one process ==",
    "== (g) Numba kernel compile cost ==",
    "== (h) Time per stage of the week ==",
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


def _version(dist: str) -> str | None:
    """Installed version of a distribution, read from its metadata (without importing it); None if absent."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


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
        "numba": _version("numba"),
        "starsim": _version("starsim"),
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
def bench_sales(n_accounts: int, n_reps: int, n_managers: int, weeks: int, seed: int, repeats: int,
                warmup: int = 1) -> dict[str, Any]:
    """Run time of ``run(weeks)`` only (construction untimed)."""
    from sim import SalesModel

    def setup() -> SalesModel:
        return SalesModel(rng=seed, n_accounts=n_accounts, n_reps=n_reps, n_managers=n_managers)

    res = summary(timed(setup, lambda m: m.run(weeks), repeats, warmup=warmup))
    res.update(n_accounts=n_accounts, n_reps=n_reps, n_managers=n_managers, weeks=weeks, warmup_runs=warmup)
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


def bench_million(n_accounts: int, weeks: int, seed: int, repeats: int, warmup: int,
                  ref_ns: float | None) -> dict[str, Any]:
    """The largest row of (b): 20 reps and 3 managers, fewer weeks and repeats (construction untimed)."""
    res = bench_sales(n_accounts, 20, 3, weeks, seed, repeats, warmup=warmup)
    res["reps_scheme"] = "fixed"
    res["relative_time_per_account_week"] = res["ns_per_account_week"] / ref_ns if ref_ns else float("nan")
    return res


# --------------------------------------------------------------------------------------------------------------
# (e) Starsim SIR demo
# --------------------------------------------------------------------------------------------------------------
STARSIM_MISSING = "starsim is not installed: section skipped (pip install -e \".[bench]\" installs it)"


def bench_starsim(n_agents: int, seed: int, repeats: int) -> dict[str, Any]:
    """``ss.Sim(...).run()`` of the SIR demo; ``sim.init()`` untimed; one discarded warm-up run first."""
    os.environ["STARSIM_INSTALL_FONTS"] = "0"  # before the import: no font download or install
    t0 = time.perf_counter()
    try:
        import starsim as ss
    except ImportError as exc:
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    import_s = time.perf_counter() - t0

    def make() -> Any:
        return ss.Sim(n_agents=n_agents, diseases=dict(type="sir", init_prev=0.01, beta=0.1), networks="random",
                      verbose=0, rand_seed=seed)

    times, init_times = [], []
    steps = sir_steps = None
    try:
        for i in range(1 + repeats):  # the first run is the warm-up
            sim = make()
            t_init = time.perf_counter()
            sim.init()
            init_s = time.perf_counter() - t_init
            gc.collect()
            t_run = time.perf_counter()
            sim.run()
            dt = time.perf_counter() - t_run
            if i >= 1:
                times.append(dt)
                init_times.append(init_s)
            # len(sim.t) == sim.t.npts: the time points; the loop runs every module's step once per point.
            steps = len(sim.t)
            sir_steps = sum(1 for e in sim.loop.plan if e.label == "sir.step")
            del sim
    except Exception as exc:  # an API change in an optional yardstick must not stop the benchmark
        return {"available": False, "version": ss.__version__, "reason": f"{type(exc).__name__}: {exc}"}
    res = summary(times)
    res.update(available=True, version=ss.__version__, import_s=import_s, n_agents=n_agents, steps=steps,
               sir_step_calls=sir_steps, init_median_s=statistics.median(init_times), warmup_runs=1,
               model="ss.Sim(n_agents=n, diseases=dict(type='sir', init_prev=0.01, beta=0.1), networks='random', "
                     "verbose=0, rand_seed=seed)")
    res["agent_steps_per_s"] = n_agents * steps / res["median_s"]
    return res


# --------------------------------------------------------------------------------------------------------------
# child processes: (f) memory, (g) compile cost
# --------------------------------------------------------------------------------------------------------------
def _maxrss_children_mib() -> float:
    """Largest resident set of any waited-for child so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return kib / (1024.0 * 1024.0) if sys.platform == "darwin" else kib / 1024.0


def run_child(code: str, env: dict[str, str] | None = None, timeout: float = 1800.0) -> dict[str, Any]:
    """Run ``python -c code``; the child prints one JSON object as its last line. Wall time from launch to exit."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"ok": False, "process_wall_s": time.perf_counter() - t0, "error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"ok": proc.returncode == 0, "process_wall_s": wall, "returncode": proc.returncode}
    if proc.returncode != 0:
        out["error"] = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return out
    try:
        out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        out.update(ok=False, error=f"no JSON from the child: {proc.stdout[-200:]!r}")
    return out


MEMORY_CHILD = """\
import json, resource, time
t0 = time.perf_counter()
from sim import SalesModel
t1 = time.perf_counter()
m = SalesModel(rng={seed}, n_accounts={n_accounts})
t2 = time.perf_counter()
m.run({weeks})
t3 = time.perf_counter()
try:  # the peak of this address space only (Linux), unlike ru_maxrss, which starts at the parent's peak
    hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
except (OSError, StopIteration):
    hwm = None
print(json.dumps({{"import_s": t1 - t0, "build_s": t2 - t1, "run_s": t3 - t2, "n_reps": m.p.n_reps,
                  "n_managers": m.p.n_managers, "self_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "vmhwm_kib": hwm}}))
"""


WARM_CACHE_CHILD = """\
import json
from sim import SalesModel
SalesModel(rng=1, n_accounts=1_000).run({weeks})
print(json.dumps({{}}))
"""


def bench_memory(n_accounts: int, weeks: int, seed: int, warm_cache: bool) -> dict[str, Any]:
    """Peak RSS of one child process that builds the model and runs it (RUSAGE_CHILDREN, read after it exits).

    With ``warm_cache``, a small untimed child first fills the kernel cache, so that the measured child loads the
    kernels rather than compiling them (compiling would add its time and LLVM's memory).
    """
    warm = run_child(WARM_CACHE_CHILD.format(weeks=FLAGSHIP_WEEKS)) if warm_cache else None
    before = _maxrss_children_mib()
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parent = kib / (1024.0 * 1024.0) if sys.platform == "darwin" else kib / 1024.0
    res = run_child(MEMORY_CHILD.format(seed=seed, n_accounts=n_accounts, weeks=weeks))
    res.update(n_accounts=n_accounts, weeks=weeks, goal_mib=MEMORY_GOAL_MIB, children_maxrss_before_mib=before,
               cache_warmed_by_child=None if warm is None else warm.get("ok"),
               parent_peak_rss_at_launch_mib=parent, peak_rss_mib=_maxrss_children_mib())
    if "self_maxrss" in res:
        kib = res.pop("self_maxrss")
        res["self_reported_peak_rss_mib"] = kib / (1024.0 * 1024.0) if sys.platform == "darwin" else kib / 1024.0
    hwm = res.pop("vmhwm_kib", None)
    if hwm is not None:
        res["child_vmhwm_mib"] = hwm / 1024.0
    return res


COMPILE_CHILD = """\
import json, statistics, time
t0 = time.perf_counter()
import sim
from sim import SalesModel
t1 = time.perf_counter()
m = SalesModel(rng=1)
t2 = time.perf_counter()
m.run(1)
t3 = time.perf_counter()
later = []
for _ in range({later}):
    a = time.perf_counter()
    m.step()
    later.append(time.perf_counter() - a)
print(json.dumps({{"import_s": t1 - t0, "build_s": t2 - t1, "first_week_s": t3 - t2, "total_s": t3 - t0,
                  "later_weeks_s": later, "later_week_median_s": statistics.median(later)}}))
"""

FIRST_RUN_CHILD = """\
import json, time
t0 = time.perf_counter()
import sim
from sim import SalesModel
t1 = time.perf_counter()
SalesModel(rng=1).run({weeks})
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "run_s": t2 - t1, "total_s": t2 - t0}}))
"""


def shown_path(path: Path) -> str:
    """``path`` with the home folder written ``~``, so a saved result names no one's machine."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def bench_compile(quick: bool, later_weeks: int = 5) -> dict[str, Any]:
    """Cold compile, cached load and a first 104-week run on a cold cache, each in a fresh child process."""
    from sim.kernels import cache_folder

    res: dict[str, Any] = {"default_cache_dir": shown_path(cache_folder()), "later_weeks": later_weeks,
                           "first_run_weeks": FLAGSHIP_WEEKS, "first_run_goal_s": FIRST_RUN_GOAL_S}
    code = COMPILE_CHILD.format(later=later_weeks)
    if quick:
        # the folder this process uses, filled by the runs above: only the cached load is measured
        res["cold"] = {"skipped": "--quick"}
        res["cached"] = run_child(code)
        res["first_run_cold"] = {"skipped": "--quick"}
    else:
        with tempfile.TemporaryDirectory(prefix="salesim-numba-") as folder:
            env = {**os.environ, "NUMBA_CACHE_DIR": folder}
            res["cold"] = run_child(code, env)
            res["cached"] = run_child(code, env)  # the same folder, now filled by the cold run
            res["cache_files"] = sum(1 for p in Path(folder).rglob("*") if p.is_file())
            res["cache_bytes"] = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
        with tempfile.TemporaryDirectory(prefix="salesim-numba-") as folder:
            env = {**os.environ, "NUMBA_CACHE_DIR": folder}
            res["first_run_cold"] = run_child(FIRST_RUN_CHILD.format(weeks=FLAGSHIP_WEEKS), env)
    cold, cached = res["cold"], res["cached"]
    if cached.get("ok"):
        res["cached_load_s"] = cached["first_week_s"] - cached["later_week_median_s"]
    if cold.get("ok") and cached.get("ok"):
        res["cold_compile_s"] = cold["total_s"] - cached["total_s"]
    return res


# --------------------------------------------------------------------------------------------------------------
# (h) time per stage
# --------------------------------------------------------------------------------------------------------------
NEW_WEEK = "ledger.new_week"


def bench_stages(n_accounts: int | None, weeks: int, seed: int, repeats: int) -> dict[str, Any]:
    """``SalesModel.step()`` replicated with a timer around ``ledger.new_week()`` and around each stage."""
    from sim import SalesModel

    SalesModel(rng=seed, n_accounts=1_000).run(FLAGSHIP_WEEKS)  # warm-up: every kernel loaded before timing
    names = (NEW_WEEK, *SalesModel.STAGES)
    per_stage: dict[str, list[float]] = {s: [] for s in names}
    walls, plain = [], []
    clock = time.perf_counter
    for _ in range(repeats):
        m = SalesModel(rng=seed) if n_accounts is None else SalesModel(rng=seed, n_accounts=n_accounts)
        gc.collect()
        start = clock()
        m.run(weeks)  # as the model runs it: Mesa's step wrapper (time and event bookkeeping) included
        plain.append(clock() - start)
        del m
        m = SalesModel(rng=seed) if n_accounts is None else SalesModel(rng=seed, n_accounts=n_accounts)
        acc = dict.fromkeys(names, 0.0)
        gc.collect()
        start = clock()
        for _ in range(weeks):
            t0 = clock()
            m.ledger.new_week()
            acc[NEW_WEEK] += clock() - t0
            for stage in m.STAGES:
                fn = getattr(m, stage)
                t0 = clock()
                fn()
                acc[stage] += clock() - t0
            m.week += 1
        walls.append(clock() - start)
        for s in names:
            per_stage[s].append(acc[s])
        p = m.p
        del m
    med = {s: statistics.median(v) for s, v in per_stage.items()}
    total = sum(med.values())
    return {
        "n_accounts": p.n_accounts, "n_reps": p.n_reps, "n_managers": p.n_managers, "weeks": weeks,
        "repeats": repeats,
        "stages": [{"stage": s, "median_ms_per_run": 1e3 * med[s], "min_ms_per_run": 1e3 * min(per_stage[s]),
                    "share": med[s] / total if total else float("nan"),
                    "times_s": per_stage[s]} for s in names],
        "sum_of_medians_ms": 1e3 * total,
        "loop_wall_median_ms": 1e3 * statistics.median(walls),
        "loop_walls_s": walls,
        "run_median_ms": 1e3 * statistics.median(plain),
        "run_times_s": plain,
    }


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
    print(f"python {env['python']} ({env['implementation']}), numpy {env['numpy']}, mesa {env['mesa']}, "
          f"numba {env.get('numba')}, starsim {env.get('starsim') or 'not installed'}")
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
    big = res.get("scaling_1m")
    ordered = [r for r in res["scaling"] if r["reps_scheme"] == "fixed"]
    ordered += [big] if big else []
    ordered += [r for r in res["scaling"] if r["reps_scheme"] != "fixed"]
    rows = [[r["reps_scheme"] + ("*" if r is big else ""), f"{r['n_accounts']:,}", str(r["n_reps"]),
             str(r["n_managers"]), str(r["weeks"]), str(r["repeats"]), f"{r['median_s']:.3f}", f"{r['min_s']:.3f}",
             fmt_rate(r["account_weeks_per_s"]), f"{r['ns_per_account_week']:.0f}",
             f"{r['relative_time_per_account_week']:.2f}"] for r in ordered]
    print(table(hdr, rows))
    if big:
        print(f"* {big['n_accounts']:,} accounts: {big['weeks']} weeks (not {cfg['scaling_weeks']}), "
              f"{big['repeats']} timed repeat(s), {big['warmup_runs']} warm-up run(s); not in the fit")
    for scheme, fit in res["scaling_fit"].items():
        print(f"fit ({scheme} reps, 1,000-100,000 accounts): time per week = {fit['overhead_ms_per_week']:.2f} ms + "
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
    largest_b = max(b["n_agents"] for b in res["boltzmann"])
    print(f"our account-weeks/s at the largest size of (b)'s two series / Boltzmann agent-steps/s at each size "
          f"measured (largest: {largest_b:,} agents; a 100,000-agent Boltzmann row would take well over 20 s and "
          f"is not run) (DESIGN goal >= 25x; Starsim: see (e))")
    rows = [[r["ours"], fmt_rate(r["ours_per_s"]), r["boltzmann"], fmt_rate(r["boltzmann_per_s"]), f"{r['ratio']:.1f}x"]
            for r in res["ratios"]]
    print(table(["ours", "acc-weeks/s", "Boltzmann", "agent-steps/s", "ratio"], rows))

    print_starsim(res)
    print_memory(res)
    print_compile(res)
    print_stages(res)


def print_starsim(res: dict[str, Any]) -> None:
    st, quick = res["starsim"], res["config"]["quick"]
    print("\n" + HEADINGS[7])
    if not st.get("available"):
        print(STARSIM_MISSING if "version" not in st else f"starsim {st['version']} failed: section skipped")
        print(f"  ({st.get('reason')})")
    else:
        print(f"starsim {st['version']} (import {st['import_s']:.1f} s, untimed): {st['model']}")
        print(f"sim.init() untimed (median {st['init_median_s']:.3f} s); sim.run() timed, after one warm-up run; "
              f"steps = len(sim.t) = sim.t.npts = {st['steps']} (sir.step runs {st['sir_step_calls']} times)"
              + ("; QUICK: a smoke test, not a measurement" if quick else ""))
        print(table(["agents", "steps", "repeats", "median s", "min s", "agent-steps/s"],
                    [[f"{st['n_agents']:,}", str(st["steps"]), str(st["repeats"]), f"{st['median_s']:.3f}",
                      f"{st['min_s']:.3f}", fmt_rate(st["agent_steps_per_s"])]]))

    print("\n" + HEADINGS[8])
    if not res["starsim_ratios"]:
        print("no Starsim figure: ratio skipped")
        return
    print(f"our account-weeks/s at 100,000 accounts (section (b)) / Starsim SIR agent-steps/s at "
          f"{st['n_agents']:,} agents (goal >= {STARSIM_RATIO_GOAL}x)"
          + ("; QUICK: not a measurement" if quick else ""))
    rows = [[r["ours"], fmt_rate(r["ours_per_s"]), r["starsim"], fmt_rate(r["starsim_per_s"]), f"{r['ratio']:.2f}x",
             f">= {STARSIM_RATIO_GOAL}x"] for r in res["starsim_ratios"]]
    print(table(["ours", "acc-weeks/s", "Starsim SIR", "agent-steps/s", "ratio", "goal"], rows))


def print_memory(res: dict[str, Any]) -> None:
    mem, quick = res["memory"], res["config"]["quick"]
    print("\n" + HEADINGS[9])
    print(f"one child process (python -c): import sim, SalesModel(rng={res['config']['seed']}, "
          f"n_accounts={mem['n_accounts']:_}) (default reps and managers), run({mem['weeks']}); peak RSS = "
          "getrusage(RUSAGE_CHILDREN).ru_maxrss after it exits (includes the interpreter, NumPy, Mesa, numba)")
    if quick:
        print(f"QUICK: {mem['n_accounts']:,} accounts x {mem['weeks']} weeks, a smoke test of the measurement, "
              "not a measurement; the goal is for 1,000,000 accounts x 104 weeks")
    else:
        warmed = "done" if mem.get("cache_warmed_by_child") else "that child FAILED (figures may include compiling)"
        print(f"the kernel cache was filled first by an untimed 1,000-account child, so this child loads the "
              f"kernels: {warmed}")
    if not mem.get("ok"):
        print(f"child failed: {mem.get('error')}")
        return
    print(table(["accounts", "reps", "mgrs", "weeks", "process wall s", "import s", "build s", "run s",
                 "peak RSS MiB", "goal"],
                [[f"{mem['n_accounts']:,}", str(mem["n_reps"]), str(mem["n_managers"]), str(mem["weeks"]),
                  f"{mem['process_wall_s']:.1f}", f"{mem['import_s']:.2f}", f"{mem['build_s']:.2f}",
                  f"{mem['run_s']:.1f}", f"{mem['peak_rss_mib']:.0f}", f"< {mem['goal_mib'] / 1024:.0f} GiB"]]))
    checks = [f"this process's peak when it launched the child {mem['parent_peak_rss_at_launch_mib']:.0f} MiB "
              "(a floor for ru_maxrss, hence measured first)"]
    if "child_vmhwm_mib" in mem:
        checks.append(f"the child's VmHWM (/proc/self/status) {mem['child_vmhwm_mib']:.0f} MiB")
    print("cross-checks: " + "; ".join(checks))


def print_compile(res: dict[str, Any]) -> None:
    c = res["compile"]
    print("\n" + HEADINGS[10])
    print("fresh child processes, each timing (perf_counter) `import sim` + SalesModel(rng=1) + run(1), then "
          f"{c['later_weeks']} more weeks; default cache folder {c['default_cache_dir']}")
    rows = []
    for key, label in (("cold", "cold: fresh empty NUMBA_CACHE_DIR"), ("cached", "cached: the same folder again")):
        r = c[key]
        if "skipped" in r:
            rows.append([label, "skipped", "", "", "", "", ""])
        elif not r.get("ok"):
            rows.append([label, "failed", "", "", "", "", r.get("error", "")[:40]])
        else:
            rows.append([label, f"{r['process_wall_s']:.2f}", f"{r['import_s']:.2f}", f"{r['build_s']:.3f}",
                         f"{r['first_week_s']:.2f}", f"{1e3 * r['later_week_median_s']:.1f}", f"{r['total_s']:.2f}"])
    print(table(["child", "process wall s", "import s", "build s", "week 1 s", "later week ms",
                 "import+build+week 1 s"], rows))
    if "cold_compile_s" in c:
        print(f"cold compile = cold - cached (import+build+week 1): {c['cold_compile_s']:.2f} s")
    else:
        print("cold compile: skipped in --quick (it compiles every kernel from scratch)" if "skipped" in c["cold"] else
              "cold compile: not available")
    if "cached_load_s" in c:
        print(f"cached load = cached week 1 - median later week: {c['cached_load_s']:.2f} s")
    fr = c["first_run_cold"]
    if "skipped" in fr:
        print(f"first run(104) on a cold cache: skipped in --quick (goal < {c['first_run_goal_s']:.0f} s)")
    elif not fr.get("ok"):
        print(f"first run(104) on a cold cache: child failed: {fr.get('error')}")
    else:
        print(f"first SalesModel(rng=1).run({c['first_run_weeks']}) in a fresh process on a cold cache: "
              f"{fr['process_wall_s']:.1f} s process wall (interpreter start to exit; import {fr['import_s']:.1f} s, "
              f"run {fr['run_s']:.1f} s) (goal: a first `salesim run` on a fresh install < "
              f"{c['first_run_goal_s']:.0f} s)")


def print_stages(res: dict[str, Any]) -> None:
    cases = res["stages"]
    print("\n" + HEADINGS[11])
    print("SalesModel.step() replicated with perf_counter() around ledger.new_week() and each of STAGES (Mesa's "
          "step wrapper is bypassed); model built outside the timer, a 1,000-account warm-up run first; "
          "ms per run = median over repeats, % = that / sum of the medians; last row: the same runs through "
          "m.run(weeks), for comparison")
    hdr = ["stage"]
    for c in cases:
        label = f"{c['n_accounts']:,} acc x {c['weeks']} wk"
        hdr += [f"{label} ms", "%"]
    rows = []
    for i, st in enumerate(cases[0]["stages"]):
        row = [st["stage"]]
        for c in cases:
            s = c["stages"][i]
            row += [f"{s['median_ms_per_run']:.2f}", f"{100 * s['share']:.1f}"]
        rows.append(row)
    rows.append(["sum of medians", *(x for c in cases for x in (f"{c['sum_of_medians_ms']:.2f}", "100.0"))])
    rows.append(["whole timed loop (median)", *(x for c in cases for x in (f"{c['loop_wall_median_ms']:.2f}", ""))])
    rows.append(["m.run(weeks) untouched (median)", *(x for c in cases for x in (f"{c['run_median_ms']:.2f}", ""))])
    print(table(hdr, rows))
    print("repeats: " + ", ".join(f"{c['n_accounts']:,} accounts {c['repeats']}" for c in cases)
          + ("; QUICK: not a measurement" if res["config"]["quick"] else ""))


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
        million_weeks, million_warmup = 2, 0
        memory_accounts, memory_weeks, starsim_n, starsim_repeats, stage_big_weeks = 20_000, 10, 5_000, 1, 5
    else:
        sizes, scale_weeks, weeks_list, repeats_large = [1_000, 10_000, 100_000], 52, [52, 104], max(1, min(3, repeats))
        week_runs, week_weeks, boltz_n, boltz_steps = min(repeats, 3), FLAGSHIP_WEEKS, [100, 1_000], 200
        million_weeks, million_warmup = 20, 0
        memory_accounts, memory_weeks, starsim_n, starsim_repeats, stage_big_weeks = (1_000_000, FLAGSHIP_WEEKS,
                                                                                      100_000, repeats_large, 20)
    million, million_repeats = 1_000_000, 1

    res: dict[str, Any] = {
        "environment": environment(pin),
        "config": {"quick": quick, "repeats": repeats, "repeats_100k": repeats_large, "seed": args.seed,
                   "scaling_weeks": scale_weeks, "boltzmann_steps": boltz_steps,
                   "million_accounts": million, "million_weeks": million_weeks, "million_repeats": million_repeats,
                   "million_warmup_runs": million_warmup, "memory_accounts": memory_accounts,
                   "memory_weeks": memory_weeks, "starsim_agents": starsim_n, "starsim_repeats": starsim_repeats,
                   "stage_weeks": {"default": FLAGSHIP_WEEKS, "100000": stage_big_weeks}},
    }
    t_start = time.perf_counter()
    log = lambda msg: print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    # First, while this process is still small: a child's ru_maxrss starts at its parent's peak RSS (Linux keeps
    # the peak of the address space it replaces at exec), so measured later it would report our peak, not its own.
    log(f"peak memory: child process, {memory_accounts:,} accounts x {memory_weeks} weeks ...")
    res["memory"] = bench_memory(memory_accounts, memory_weeks, args.seed, warm_cache=not quick)
    log("flagship ...")
    res["flagship"] = bench_flagship(args.seed, repeats)
    log("single week ...")
    res["week"] = bench_week(args.seed, week_runs, week_weeks)
    log("scaling ...")
    res["scaling"] = bench_scaling(sizes, scale_weeks, args.seed, repeats, repeats_large)
    res["scaling_fit"] = {s: affine_fit([r for r in res["scaling"] if r["reps_scheme"] == s])
                          for s in ("fixed", "scaled")}
    log(f"{million:,} accounts x {million_weeks} weeks ...")
    ref = next(r["ns_per_account_week"] for r in res["scaling"] if r["reps_scheme"] == "fixed")
    res["scaling_1m"] = bench_million(million, million_weeks, args.seed, million_repeats, million_warmup, ref)
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

    log("time per stage ...")
    res["stages"] = [bench_stages(None, FLAGSHIP_WEEKS, args.seed, repeats),
                     bench_stages(100_000, stage_big_weeks, args.seed, repeats_large)]
    log(f"starsim SIR at {starsim_n:,} agents ...")
    res["starsim"] = bench_starsim(starsim_n, args.seed, starsim_repeats)
    res["starsim_ratios"] = []
    if res["starsim"].get("available"):
        st = res["starsim"]
        for r in (r for r in res["scaling"] if r["n_accounts"] == 100_000):
            res["starsim_ratios"].append({
                "ours": f"100,000 acc, {r['n_reps']} reps",
                "ours_per_s": r["account_weeks_per_s"],
                "starsim": f"{st['n_agents']:,} agents",
                "starsim_per_s": st["agent_steps_per_s"],
                "ratio": r["account_weeks_per_s"] / st["agent_steps_per_s"],
                "goal": STARSIM_RATIO_GOAL,
            })
    log("numba compile cost: child processes ...")
    res["compile"] = bench_compile(quick)
    log("done")

    print_report(res)
    if args.save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"throughput-{_dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(res, indent=2) + "\n")
        print(f"\nsaved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
