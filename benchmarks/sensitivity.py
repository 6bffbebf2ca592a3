"""Wall time of a Sobol analysis of the 16-lever problem through the runner (DESIGN §5, issue goal: < 10 min).

Usage::

    python benchmarks/sensitivity.py [--n 256] [--replications 2] [--workers 2]

Runs ``salesim sensitivity levers_sobol --method sobol`` into a temporary folder
and prints the run count, wall time and runs per second; with a smaller --n it
also prints the time the full N = 256 analysis would take at the same rate.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    runs = a.n * 18 * a.replications  # Saltelli without second order: N (D + 2), D = 16
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "sim.cli", "sensitivity", "levers_sobol", "--method", "sobol", "--n", str(a.n),
               "--replications", str(a.replications), "--workers", str(a.workers), "--quiet", "--out",
               str(Path(d) / "s")]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
    rate = runs / wall
    print(f"Sobol, 16 levers, N = {a.n}, {a.replications} replications, {a.workers} workers: {runs} runs in "
          f"{wall:.0f} s ({rate:.1f} runs/s)")
    if a.n != 256:
        full = 256 * 18 * a.replications / rate
        print(f"at this rate N = 256 would take {full / 60:.1f} min (goal: under 10 min)")


if __name__ == "__main__":
    main()
