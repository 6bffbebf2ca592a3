"""What a calibration run is fitting, recorded in its folder so ``--resume`` continues only the same problem.

pyABC's database (abc.db) keeps the particles of finished generations but not
the problem they belong to: resuming it with other targets, priors, weeks or a
different population stalls on "prior density zero" or mixes two problems.
:func:`record` writes ``problem.json`` (the fingerprint) beside abc.db when a
calibration starts; :func:`check` compares it on ``--resume`` and names what
differs. The number of generations may change: resuming to run more of them is
the point of ``--resume``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sim.calibrate.targets import Calibration
from sim.errors import UserError
from sim.scenario import Scenario

FILE = "problem.json"


def fingerprint(cal: Calibration, base: Scenario, population: int, replications: int,
                root_seed: int) -> dict[str, Any]:
    """Everything that defines the ABC problem, as plain JSON-able values."""
    targets = [{"kpi": t.kpi, "value": t.value, "low": t.low, "high": t.high} for t in cal.targets]
    params = base.params.model_dump()
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"targets": targets, "priors": {k: list(v) for k, v in sorted(cal.priors.items())},
            "weeks": cal.weeks, "population": population, "replications": replications,
            "seed": root_seed, "scenario": cal.scenario, "scenario_parameters": digest}


def record(out: Path, fp: dict[str, Any]) -> None:
    """Write the fingerprint into the run folder (which must exist)."""
    (out / FILE).write_text(json.dumps(fp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check(out: Path, fp: dict[str, Any]) -> None:
    """Refuse to resume the calibration in ``out`` when it was started for a different problem."""
    path = out / FILE
    if not path.is_file():
        return  # a folder from before fingerprints were recorded: nothing to compare
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        old = None
    if not isinstance(old, dict):
        raise UserError(f"--out {out}: its {FILE} (what the calibration fits) is damaged, so it cannot be resumed "
                        "safely. Choose another --out, or remove the folder to start again.")
    new = json.loads(json.dumps(fp))
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if changed:
        was = "; ".join(f"{k} was {_brief(old.get(k))}, now {_brief(new.get(k))}" for k in changed)
        raise UserError(f"--resume: {out} holds a calibration of a different problem ({was}). --resume continues "
                        "only the same targets, priors, weeks, population, replications, seed and scenario (only "
                        "--generations may change). Repeat the original options, or choose another --out.")


def _brief(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:59] + "…"
