"""Regenerate tests/golden/kpis.json, the golden runs tests/test_golden.py holds the model to bit for bit.

Each golden run stores every KPI (full precision) and a SHA-256 of its weekly table, so a port of a stage
(a compiled kernel, a fused pass) can show that it changed no number, not only the headline ones.

Run it only when a change to the model's numbers is intended, from the repository root::

    python -m tests.golden.update

It prints every KPI that moved and rewrites the file; commit the file with the change that moved it.
``python -m tests.golden.update --check`` only reports what moved, for a change that should move nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "kpis.json"
COMMAND = "python -m tests.golden.update"
REL_TOL = 0.0  # bit for bit: the runs are deterministic given the seed on this platform (see written_with)
WEEKLY_HASH = "weekly_sha256"  # the key under which a run stores the hash of its weekly table

# What is run: every shipped scenario with two seeds on a small unit (so every lever's code path is
# exercised), and the flagship size for the workshop's headline comparison. Sizes are named in the run.
SIZES: dict[str, dict[str, int]] = {
    "small": {"n_accounts": 300, "n_reps": 4, "n_managers": 1, "burn_in_weeks": 13},
    "flagship": {},  # the defaults: 2,000 accounts, 20 reps, 3 managers
}
SCENARIOS = ["baseline", "banner_mandate", "banner_bonus", "banner_audited", "customer_centric_coaching",
             "closed_loop_fix_first", "empowered_reps", "poor_service_no_empowerment", "naive_crm_triggers",
             "quota_lump_sum", "no_banners", "email_only", "fire_alarm_culture", "prepared_target",
             "unprepared_target", "calibrated", "linear_commission", "accelerator_plan", "capped_plan",
             "ratcheted_quota", "no_quota", "misra_nair_plan"]
CONFIG: dict[str, Any] = {
    "sizes": SIZES,
    "runs": ([[name, "small", seed, 40] for name in SCENARIOS for seed in (1, 2)]
             + [["baseline", "flagship", 1, 104], ["banner_mandate", "flagship", 1, 104]]),
}
HEADER = (f"Golden runs, compared bit for bit by tests/test_golden.py: every KPI and a hash of the weekly "
          f"table. Do not edit by hand: when a change to the model's numbers is intended, regenerate with "
          f"`{COMMAND}` from the repository root and commit this file with that change.")


def vector_unit() -> str:
    """The widest vector instruction set NumPy dispatches to on this CPU, recorded with the runs. NumPy picks
    other code for exp, log and pow on AVX-512 than on AVX2; the model does not use those (sim.kernels.libm),
    so the runs hold on either."""
    from numpy._core._multiarray_umath import __cpu_features__ as found

    for level in ("AVX512_SKX", "AVX512F", "AVX2", "SSE2", "ASIMD", "VSX"):
        if found.get(level):
            return level
    return "none"


def run_name(scenario: str, size: str, seed: int, weeks: int) -> str:
    return f"{scenario} {size} seed {seed} {weeks} weeks"


def weekly_hash(weekly: Any) -> str:
    """SHA-256 of the weekly table's column names and float64 values: equal only if every number is."""
    import numpy as np

    h = hashlib.sha256("|".join(map(str, weekly.columns)).encode())
    h.update(np.ascontiguousarray(weekly.to_numpy(np.float64)).tobytes())
    return h.hexdigest()


def run_one(scenario: str, size: str, seed: int, weeks: int) -> dict[str, float | str | None]:
    """Every KPI of one golden run (None where undefined, i.e. NaN) and the hash of its weekly table."""
    from sim import SalesModel, load_scenario

    model = SalesModel.from_scenario(load_scenario(scenario, SIZES[size]), rng=seed).run(weeks)
    out: dict[str, float | str | None] = {name: None if math.isnan(v) else float(v)
                                          for name, v in sorted(model.kpis().items())}
    out[WEEKLY_HASH] = weekly_hash(model.weekly())
    return out


def compute(config: dict[str, Any] = CONFIG) -> dict[str, dict[str, float | str | None]]:
    """Run every configured run."""
    return {run_name(*run): run_one(*run) for run in config["runs"]}


def _same(a: Any, b: Any) -> bool:
    if not isinstance(a, float) or not isinstance(b, float):
        return a == b
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def differences(stored: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> list[str]:
    """One line per KPI (or weekly hash) of a run that moved, appeared or went missing between ``stored``
    and ``now``."""
    lines = []
    for run in sorted(set(stored) | set(now)):
        if run not in now or run not in stored:
            lines.append(f"{run}: run {'no longer configured' if run not in now else 'not in the golden file'}")
            continue
        for kpi in sorted(set(stored[run]) | set(now[run])):
            a, b = stored[run].get(kpi, "missing"), now[run].get(kpi, "missing")
            if a == "missing" or b == "missing" or not _same(a, b):
                if kpi == WEEKLY_HASH:
                    lines.append(f"{run}: the weekly table changed")
                    continue
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
        "written_with": {"python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
                         "machine": platform.machine(), "vector_unit": vector_unit()},
        "runs": now,
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return differences(before, now)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the golden file, or with ``--check`` only report what moved (exit status 1 if anything did)."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        moved = differences(json.loads(GOLDEN.read_text(encoding="utf-8"))["runs"], compute())
        print("\n".join(moved) if moved else "nothing moved")
        return 1 if moved else 0
    moved = write()
    print(f"wrote {GOLDEN}")
    print("\n".join(moved) if moved else "nothing moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
