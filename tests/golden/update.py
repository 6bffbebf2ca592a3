"""Regenerate tests/golden/kpis.json, the KPIs of a few fixed runs that tests/test_golden.py holds the model to.

Run it only when a change to the model's numbers is intended, from the repository root::

    python -m tests.golden.update

It prints every KPI that moved and rewrites the file; commit the file with the change that moved it.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "kpis.json"
COMMAND = "python -m tests.golden.update"
REL_TOL = 1e-12  # the runs are deterministic given the seed; this only absorbs last-digit float noise

# What is run: a small unit, both scenarios of the workshop's headline comparison, two seeds each.
CONFIG: dict[str, Any] = {
    "size": {"n_accounts": 300, "n_reps": 4, "n_managers": 1, "burn_in_weeks": 13},
    "weeks": 40,
    "runs": [["baseline", 1], ["baseline", 2], ["banner_mandate", 1], ["banner_mandate", 2]],
    "kpis": ["revenue", "profit", "annual_churn_rate", "nps", "reported_banner_close_rate",
             "true_banner_conversion", "banner_avoidance_rate", "rep_stress_mean", "hidden_concession_share",
             "escalations"],
}
HEADER = (f"Golden KPIs of fixed runs, compared by tests/test_golden.py to a relative {REL_TOL:g}. Do not edit by "
          f"hand: when a change to the model's numbers is intended, regenerate with `{COMMAND}` from the "
          "repository root and commit this file with that change.")


def run_name(scenario: str, seed: int) -> str:
    return f"{scenario} seed {seed}"


def compute(config: dict[str, Any] = CONFIG) -> dict[str, dict[str, float | None]]:
    """Run every configured run and return its chosen KPIs (None where a KPI is undefined, i.e. NaN)."""
    from sim import SalesModel, load_scenario

    out = {}
    for scenario, seed in config["runs"]:
        model = SalesModel.from_scenario(load_scenario(scenario, config["size"]), rng=seed).run(config["weeks"])
        k = model.kpis()
        out[run_name(scenario, seed)] = {name: None if math.isnan(k[name]) else float(k[name])
                                         for name in config["kpis"]}
    return out


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def differences(stored: dict[str, dict[str, float | None]], now: dict[str, dict[str, float | None]]) -> list[str]:
    """One line per KPI of a run that moved (or appeared, or went missing) between ``stored`` and ``now``."""
    lines = []
    for run in sorted(set(stored) | set(now)):
        if run not in now or run not in stored:
            lines.append(f"{run}: run {'no longer configured' if run not in now else 'not in the golden file'}")
            continue
        for kpi in sorted(set(stored[run]) | set(now[run])):
            a, b = stored[run].get(kpi, "missing"), now[run].get(kpi, "missing")
            if a == "missing" or b == "missing" or not _same(a, b):
                rel = (f" (relative change {(b - a) / abs(a):+.3g})" if isinstance(a, float) and isinstance(b, float)
                       and a != 0 else "")
                lines.append(f"{run}: {kpi} moved from {a!r} to {b!r}{rel}")
    return lines


def write(path: Path = GOLDEN) -> list[str]:
    """Compute the runs, write the golden file and return what moved against the previous one."""
    now = compute()
    before = json.loads(path.read_text(encoding="utf-8"))["runs"] if path.is_file() else {}
    import mesa
    import numpy as np

    doc = {
        "header": HEADER,
        "config": CONFIG,
        "written_with": {"python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__},
        "runs": now,
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return differences(before, now)


def main() -> int:
    moved = write()
    print(f"wrote {GOLDEN}")
    print("\n".join(moved) if moved else "nothing moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
