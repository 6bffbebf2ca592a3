"""Through which channel does the banner mandate lose money? Channels switched off one at a time.

The mandate (``banner_mandate``) is compared with the baseline, paired by seed, four times: with every
channel on, and with one channel switched off in both arms —

- avoidance: ``pressure_stake = 0`` (the target still stresses reps, but no opening costs them anything,
  so none is avoided);
- stress -> skill: ``stress_skill_penalty = 0``;
- stress -> quits: ``quit_stress = 0``.

A channel's share is how much of the full loss disappears when it is off (shares need not sum to one:
channels interact). Prints a Markdown table of revenue and profit losses with 95 % paired intervals.

    python experiments/mandate_decomposition.py --replications 20 [--assumptions calibrated]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from sim.experiment.compare import compare
from sim.experiment.executors import make_executor
from sim.scenario import load_scenario
from sim.stats import paired_diff_ci

CHANNELS = {  # label: parameters that switch the channel off
    "all channels on": {},
    "avoidance off": {"pressure_stake": 0.0},
    "stress -> skill off": {"stress_skill_penalty": 0.0},
    "stress -> quits off": {"quit_stress": 0.0},
}
KPIS = ("revenue", "profit", "banner_avoidance_rate", "rep_stress_mean", "rep_turnover_rate")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--assumptions", default=None, metavar="SCENARIO",
                    help="take the behavioural assumptions of this scenario (e.g. calibrated) in both arms")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    assumed = load_scenario(args.assumptions).overrides if args.assumptions else {}
    arms = []
    for i, off in enumerate(CHANNELS.values()):
        for name in ("baseline", "banner_mandate"):
            s = load_scenario(name, {**assumed, **off})
            arms.append(dataclasses.replace(s, name=f"{name}#{i}"))
    with tempfile.TemporaryDirectory() as tmp:
        res = compare(arms, args.replications, args.weeks, args.seed, make_executor(args.workers),
                      Path(tmp) / "run", progress=False)
    runs = res.runs.set_index(["scenario", "replication"]).sort_index()
    loss = {}
    print(f"banner_mandate vs baseline{' with the assumptions of ' + args.assumptions if assumed else ''}: "
          f"{args.replications} paired replications, {args.weeks} weeks, root seed {args.seed} (money per year)\n")
    print("| channels | revenue loss (95 % CI) | profit loss (95 % CI) | share of the profit loss | avoidance |")
    print("|---|---|---|---|---|")
    for i, label in enumerate(CHANNELS):
        base, mand = runs.loc[f"baseline#{i}"], runs.loc[f"banner_mandate#{i}"]
        rev = paired_diff_ci(mand["revenue"].to_numpy(), base["revenue"].to_numpy())
        prof = paired_diff_ci(mand["profit"].to_numpy(), base["profit"].to_numpy())
        loss[label] = base["profit"].to_numpy() - mand["profit"].to_numpy()
        share = "—" if i == 0 else "{:.0%} [{:.0%}, {:.0%}]".format(*_share(loss["all channels on"], loss[label]))
        print(f"| {label} | {rev[0] / 1e6:.2f} M [{rev[1] / 1e6:.2f}, {rev[2] / 1e6:.2f}] | "
              f"{prof[0] / 1e6:.3f} M [{prof[1] / 1e6:.3f}, {prof[2] / 1e6:.3f}] | {share} | "
              f"{mand['banner_avoidance_rate'].mean():.2f} |")


def _share(full: np.ndarray, without: np.ndarray, n_boot: int = 2000) -> tuple[float, float, float]:
    """Share of the full loss that disappears without the channel, with a paired bootstrap interval."""
    rng = np.random.default_rng(0)
    idx = rng.integers(0, full.size, (n_boot, full.size))
    boot = 1.0 - without[idx].mean(axis=1) / full[idx].mean(axis=1)
    return 1.0 - without.mean() / full.mean(), *np.percentile(boot, [2.5, 97.5])


if __name__ == "__main__":
    main()
