"""Runs per second through the experiment runner: serial, a local process pool and a Dask LocalCluster.

For each executor, the same jobs go through ``run_jobs`` into a fresh store, so
the figure includes everything a real comparison pays: batching, transfer,
atomic writes. Per-run overhead is the wall time per run beyond the ideal
``serial time per run / workers``.

Usage::

    python benchmarks/executors.py [--runs N] [--workers W] [--accounts A] [--weeks W] [--quick]

A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.experiment import Store, run_jobs  # noqa: E402
from sim.experiment.compare import comparison_jobs  # noqa: E402
from sim.experiment.executors import DaskExecutor, ProcessExecutor, SerialExecutor  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def timed(executor, jobs) -> float:
    """Wall seconds to run ``jobs`` on ``executor`` into an empty store."""
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "e")
        store.open({"bench": True}, resume=False)
        t0 = time.perf_counter()
        run_jobs(jobs, store, executor, progress=False)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--quick", action="store_true", help="a few tiny runs: a smoke test, not a measurement")
    a = ap.parse_args()
    if a.quick:
        a.runs, a.accounts, a.weeks = 8, 200, 45
    reps = max(1, a.accounts // 100)
    sc = load_scenario("baseline", {"n_accounts": a.accounts, "n_reps": reps, "n_managers": max(1, reps // 7)})
    jobs = comparison_jobs([sc], a.runs, a.weeks, root_seed=1)
    print(f"{a.runs} runs of {a.accounts} accounts x {a.weeks} weeks; {a.workers} workers; nproc {os.cpu_count()}")

    results = []
    serial = timed(SerialExecutor(), jobs)
    per_run = serial / a.runs
    results.append(("serial", 1, serial))
    t0 = time.perf_counter()
    pool = ProcessExecutor(a.workers)
    list(pool.map(len, [[0]] * a.workers))  # start the workers (forkserver, imports) outside the timing
    start_pool = time.perf_counter() - t0
    try:
        results.append(("process pool", a.workers, timed(pool, jobs)))
    finally:
        pool.close()
    t0 = time.perf_counter()
    dask = DaskExecutor(workers=a.workers)
    start_dask = time.perf_counter() - t0
    try:
        results.append(("dask LocalCluster", dask.workers, timed(dask, jobs)))
    finally:
        dask.close()

    print(f"\n{'executor':<20}{'workers':>8}{'wall s':>10}{'runs/s':>10}{'overhead ms/run':>17}")
    for name, w, wall in results:
        overhead = (wall / a.runs - per_run / w) * 1000
        print(f"{name:<20}{w:>8}{wall:>10.2f}{a.runs / wall:>10.1f}{overhead:>17.2f}")
    print(f"\nstart-up (not in the wall times): process pool {start_pool:.2f} s, Dask LocalCluster {start_dask:.2f} s")
    print(f"serial time per run: {per_run * 1000:.1f} ms")


if __name__ == "__main__":
    main()
