"""Is the baseline a steady state? First vs last measured quarter, over paired seeds (issue: Model v2, part 1).

Runs the baseline through the project's one runner (``sim.experiment.compare``), then compares, per seed,
the first measured quarter (the 13 weeks after the burn-in) with the last quarter of the run for active
accounts, weekly revenue, failure rate, NPS and time to fix. Prints a Markdown table of the relative change
of the mean over seeds with a 95 % interval (delta method over paired seeds) and writes
``docs/img/stationarity.png`` (quarterly means relative to the first measured quarter).

    python experiments/stationarity.py --replications 10 [--scenario baseline] [--set disruption_rate=0]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from scipy import stats  # noqa: E402

from sim.experiment.compare import compare  # noqa: E402
from sim.experiment.executors import make_executor  # noqa: E402
from sim.scenario import load_scenario, parse_set  # noqa: E402

QUARTER = 13
QUANTITIES = {  # label: how a quarter's value is computed from its weekly rows
    "active accounts": lambda q: q["active_accounts"].mean(),
    "weekly revenue": lambda q: q["revenue_week"].mean(),
    "failure rate": lambda q: q["failure_rate_week"].mean(),
    "NPS": lambda q: q["nps_week"].mean(),
    "time to fix (weeks)": lambda q: q["fix_weeks"].sum() / max(q["issues_fixed"].sum(), 1.0),
}
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "img" / "stationarity.png"


def quarterly(series: pd.DataFrame, burn_in: int) -> pd.DataFrame:
    """One row per replication and measured quarter, one column per quantity."""
    s = series[series["week"] >= burn_in].copy()
    s["quarter"] = (s["week"] - burn_in) // QUARTER
    rows = [{"replication": r, "quarter": k, **{n: f(g) for n, f in QUANTITIES.items()}}
            for (r, k), g in s.groupby(["replication", "quarter"]) if len(g) == QUARTER]
    return pd.DataFrame(rows)


def first_vs_last(q: pd.DataFrame) -> pd.DataFrame:
    """Relative change of the mean over seeds from the first to the last measured quarter, 95 % interval.

    The ratio of means (not a mean of per-seed ratios): a seed whose quarter saw almost no fixes would
    otherwise dominate time to fix. The interval is the delta method on the paired residuals
    last - R * first, with a t quantile over seeds.
    """
    first, last = q[q["quarter"] == q["quarter"].min()], q[q["quarter"] == q["quarter"].max()]
    first = first.set_index("replication")
    last = last.set_index("replication").loc[first.index]
    out = []
    for name in QUANTITIES:
        x, y = first[name].to_numpy(), last[name].to_numpy()
        n, ratio = x.size, y.mean() / x.mean()
        half = stats.t.ppf(0.975, n - 1) * (y - ratio * x).std(ddof=1) / (np.sqrt(n) * x.mean())
        out.append({"quantity": name, "first quarter": x.mean(), "last quarter": y.mean(),
                    "change": ratio - 1, "low": ratio - half - 1, "high": ratio + half - 1, "seeds": n})
    return pd.DataFrame(out)


def plot(q: pd.DataFrame, path: Path, title: str) -> None:
    """Each quantity's mean over seeds, quarter by quarter, relative to the first measured quarter (±5 % shaded)."""
    means = q.groupby("quarter")[list(QUANTITIES)].mean()  # mean over seeds, then relative: robust to a
    mean = means / means.iloc[0]                                 # seed whose first quarter saw few fixes
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.axhspan(0.95, 1.05, color="#dddddd", label="±5 %")
    for name, style in zip(QUANTITIES, ("o-", "s-", "^-", "D-", "v--"), strict=True):
        ax.plot(mean.index + 1, mean[name], style, label=name, lw=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("measured quarter (after the burn-in)")
    ax.set_ylabel("relative to the first measured quarter")
    ax.set_title(title)
    ax.legend(fontsize=10, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--figure", type=Path, default=FIGURE)
    args = ap.parse_args()
    scen = load_scenario(args.scenario, parse_set(args.set))
    with tempfile.TemporaryDirectory() as tmp:
        result = compare([scen], args.replications, args.weeks, args.seed, make_executor(args.workers),
                         Path(tmp) / "run", progress=False)
    q = quarterly(result.series, scen.params.burn_in_weeks)
    table = first_vs_last(q)
    print(f"{args.scenario} {' '.join(args.set)}: {args.replications} seeds, {args.weeks} weeks, "
          f"burn-in {scen.params.burn_in_weeks}")
    print("| quantity | first measured quarter | last quarter | change (95 % CI) |")
    print("|---|---|---|---|")
    for _, r in table.iterrows():
        print(f"| {r['quantity']} | {r['first quarter']:.4g} | {r['last quarter']:.4g} | "
              f"{100 * r['change']:+.1f} % [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}] |")
    plot(q, args.figure, f"{args.scenario}: quarterly means over {args.replications} seeds")
    print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
