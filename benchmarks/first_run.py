"""What a first command costs on a fresh install, each figure from fresh processes on an empty kernel cache.

- ``warm cold``: ``python -m sim.kernels.warm --processes K`` on an empty cache folder (compiling), for each K;
- ``warm cached``: the same command again on the filled folder (nothing to compile; the process's wall time);
- ``load``: in a fresh process, the seconds to load every kernel from the filled cache, imports not counted:
  what each worker process of a batch pays once;
- ``--help``: ``salesim --help`` (``python -m sim.cli --help``), the fixed cost of any command;
- ``run, warmed``: ``salesim run baseline`` (104 weeks, its files written) after the warm step;
- ``run, cold``: the same on an empty cache folder, the warm step skipped (the run compiles, with its helper).

Every case runs ``--repeats`` times, alternating; the report gives medians (and minima) of process wall times.
The machine is shared, so read them as ±15 %. Nothing here asserts anything about speed.

    .venv/bin/python benchmarks/first_run.py               # 3 repeats, warm with 1 and 2 processes
    .venv/bin/python benchmarks/first_run.py --repeats 5 --processes 1,2,4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD_CHILD = """\
import json, time
import sim.kernels.warm as w
t = time.perf_counter()
out = w.compile_entries(w.entries())
print(json.dumps({"load_s": time.perf_counter() - t, "loaded": out.loaded, "compiled": out.compiled}))
"""


def timed(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, str]:
    """Wall seconds of one process from launch to exit, and its standard output."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-400:]}")
    return wall, done.stdout


def one_repeat(processes: list[int]) -> dict[str, float]:
    """Every case once, each on its own empty cache folder where it needs one."""
    py = sys.executable
    res: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="salesim-first-") as tmp:
        base = {k: v for k, v in os.environ.items() if k != "SALESIM_ANNOUNCE_COMPILE"}
        for k in processes:
            env = {**base, "NUMBA_CACHE_DIR": f"{tmp}/warm{k}"}
            res[f"warm cold, {k} process(es)"], _ = timed([py, "-m", "sim.kernels.warm", "--processes", str(k)], env)
        env = {**base, "NUMBA_CACHE_DIR": f"{tmp}/warm{processes[0]}"}
        res["warm cached"], _ = timed([py, "-m", "sim.kernels.warm"], env)
        _, out = timed([py, "-c", LOAD_CHILD], env)
        res["load (in a fresh process)"] = json.loads(out.strip().splitlines()[-1])["load_s"]
        res["salesim --help"], _ = timed([py, "-m", "sim.cli", "--help"], env)
        res["salesim run baseline, warmed"], _ = timed(
            [py, "-m", "sim.cli", "run", "baseline", "--out", f"{tmp}/run-warm"], env
        )
        env = {**base, "NUMBA_CACHE_DIR": f"{tmp}/cold"}
        res["salesim run baseline, cold cache"], _ = timed(
            [py, "-m", "sim.cli", "run", "baseline", "--out", f"{tmp}/run-cold"], env
        )
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="repeats of every case (default 3)")
    ap.add_argument("--processes", default="1,2", help="process counts for the warm step (default 1,2)")
    ap.add_argument("--save", type=Path, default=None, help="also write the times as JSON to this file")
    a = ap.parse_args()
    processes = [int(x) for x in a.processes.split(",")]
    runs = [one_repeat(processes) for _ in range(a.repeats)]
    print(f"{a.repeats} repeats; nproc {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'case':<36} {'median s':>9} {'min s':>7}")
    for case in runs[0]:
        times = [r[case] for r in runs]
        print(f"{case:<36} {statistics.median(times):9.2f} {min(times):7.2f}")
    if a.save:
        a.save.write_text(json.dumps({"repeats": a.repeats, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
