"""How long a large book of business takes to import, and that it runs through ``compare`` on every executor.

Writes a synthetic book (default 200,000 accounts, 300 reps) as CSV and as Parquet into a temporary folder,
times reading and checking it (cold: the in-memory cache is bypassed) and building a model from it, then runs
``salesim compare`` of the baseline and the mandate on it in-process, on the process pool and on a local Dask
cluster, and prints whether the three give the same numbers. It prints; it asserts nothing::

    .venv/bin/python benchmarks/book_import.py                  # 200,000 accounts, 26 weeks, 2 replications
    .venv/bin/python benchmarks/book_import.py --accounts 20000 --weeks 8 --no-dask
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-compare", action="store_true", help="only time the import")
    args = ap.parse_args()
    from sim.book import load_book
    from sim.book.example import make_book
    from sim.model import SalesModel
    from sim.params import Params

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        for fmt in ("csv", "parquet"):
            make_book(base / fmt, args.accounts, args.reps, n_managers=max(1, args.reps // 10), fmt=fmt)
        print(f"wrote two books of {args.accounts:,} current accounts (plus history) in "
              f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
        for fmt in ("csv", "parquet"):
            t = time.perf_counter()
            book = load_book(base / fmt)  # first read of this folder: not cached yet
            read_s = time.perf_counter() - t
            t = time.perf_counter()
            SalesModel(Params(book=str(base / fmt)), rng=1)  # reads the book from the in-memory cache
            build_s = time.perf_counter() - t
            print(f"{fmt:<8} import (read + check): {read_s:6.2f} s   then building the model: {build_s:6.2f} s   "
                  f"({book.n_accounts:,} accounts, {book.n_reps} reps)")
        if args.no_compare:
            return
        scen = {}
        for name, parent in (("ours", "baseline"), ("ours_mandate", "banner_mandate")):
            scen[name] = base / f"{name}.toml"
            scen[name].write_text(f'title = "{name}"\nquestion = "?"\nextends = "{parent}"'
                                  '\nbook = "parquet"\n', encoding="utf-8")
        runs = [("in-process", ["--workers", "1"]), ("process pool", ["--workers", "2"])]
        if not args.no_dask:
            runs.append(("dask local", ["--dask-local", "--workers", "2"]))
        frames = {}
        for label, extra in runs:
            out = base / f"cmp-{label.replace(' ', '-')}"
            cmd = [sys.executable, "-m", "sim.cli", "compare", str(scen["ours"]), str(scen["ours_mandate"]),
                   "--replications", str(args.replications), "--weeks", str(args.weeks), "--set",
                   "burn_in_weeks=4", "--out", str(out), "--quiet", "--large", *extra]
            t = time.perf_counter()
            rc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            took = time.perf_counter() - t
            print(f"compare on {label:<12}: exit {rc.returncode}, {took:6.1f} s"
                  + ("" if rc.returncode == 0 else f"\n{rc.stderr[-2000:]}"))
            if rc.returncode == 0:
                frames[label] = pd.read_csv(out / "comparison.csv")
        if len(frames) > 1:
            first = next(iter(frames.values()))
            same = all(f.equals(first) for f in frames.values())
            print(f"comparison.csv identical across {', '.join(frames)}: {same}")


if __name__ == "__main__":
    main()
