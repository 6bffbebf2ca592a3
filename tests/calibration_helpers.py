"""Helpers the calibration tests share: a small model and the shipped targets shortened to a quick horizon."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "n_accounts=200", "--set", "n_reps=2", "--set", "n_managers=1", "--set", "burn_in_weeks=4"]


def short_targets(tmp_path: Path, weeks: int = 20) -> Path:
    """The shipped targets file with its horizon cut to ``weeks``, written under ``tmp_path``."""
    text = (ROOT / "calibration" / "targets.toml").read_text().replace("weeks = 104", f"weeks = {weeks}")
    f = tmp_path / "targets.toml"
    f.write_text(text)
    return f
