"""Calibration: targets validated, ABC-SMC end to end on a small budget, resume after SIGKILL, posterior draws."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from calibration_helpers import ROOT, SMALL, short_targets

from sim.calibrate import load_targets
from sim.cli import main
from sim.errors import UserError
from sim.scenario import load_scenario


def test_shipped_targets_cite_sources_and_calibrate_only_behaviour():
    cal = load_targets()
    assert len(cal.targets) >= 6
    assert all(t.source and t.trust and t.low <= t.value <= t.high for t in cal.targets)
    from sim.params import param_info

    assert all(param_info()[p].group == "behaviour" for p in cal.priors)


@pytest.mark.parametrize("edit, needle", [
    (('kpi = "nps"', 'kpi = "npss"'), "did you mean 'nps'"),
    (("[priors.skill_mean]", "[priors.enforcement]"), "only behavioural assumptions"),
    (("bounds = [0.7, 0.95]", "bounds = [0.7, 1.5]"), "skill_mean.bounds"),
    (("value = 26.0", "value = 60.0"), "low <= value <= high"),
])
def test_bad_targets_are_refused_with_the_field(tmp_path, edit, needle):
    f = tmp_path / "t.toml"
    f.write_text((ROOT / "calibration" / "targets.toml").read_text().replace(*edit))
    with pytest.raises(UserError) as e:
        load_targets(f)
    assert needle in str(e.value) and str(f) in str(e.value)


@pytest.mark.slow
def test_calibrate_end_to_end_on_a_small_budget(tmp_path, capsys):
    out = tmp_path / "fit"
    code = main(["calibrate", "--targets", str(short_targets(tmp_path)), "--population", "8", "--generations", "2",
                 "--ppc-draws", "4", "--workers", "1", "--quiet", *SMALL, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for f in ("abc.db", "posterior.csv", "posterior_summary.csv", "history.csv", "history.png", "pairs.png",
              "ppc.csv", "ppc.png", "calibrated.toml"):
        assert (out / f).is_file(), f
    cal = load_targets()
    post = pd.read_csv(out / "posterior.csv")
    for name, (lo, hi) in cal.priors.items():
        assert post[name].between(lo, hi).all(), name
    assert post["weight"].sum() == pytest.approx(1.0)
    hist = pd.read_csv(out / "history.csv")
    assert list(hist["generation"]) == [0, 1] and (hist["ess"] > 0).all()
    assert hist["epsilon"].iloc[1] <= hist["epsilon"].iloc[0]
    ppc = pd.read_csv(out / "ppc.csv")
    assert set(ppc["target"]) == {t.name for t in cal.targets} and ppc["share_within"].between(0, 1).all()
    fitted = load_scenario(out / "calibrated.toml")
    summary = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    assert fitted.params.skill_mean == pytest.approx(summary.loc["skill_mean", "median"], rel=1e-5)

    cmp_out = tmp_path / "cmp"
    assert main(["compare", "baseline", "banner_mandate", "--replications", "3", "--weeks", "10", "--workers", "1",
                 "--posterior", str(out), "--quiet", *SMALL, "--out", str(cmp_out)]) == 0
    runs = pd.read_parquet(cmp_out / "runs.parquet")
    pairs = runs.groupby("replication")["skill_mean"].nunique()
    assert (pairs == 1).all() and runs["skill_mean"].nunique() > 1, "draw k shared by both scenarios, draws vary"


def _generations(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return c.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_interrupted_calibration_keeps_finished_generations_and_says_so(tmp_path):
    out = tmp_path / "fit"
    args = [sys.executable, "-m", "sim.cli", "calibrate", "--targets", str(short_targets(tmp_path)),
            "--population", "8", "--generations", "6", "--ppc-draws", "2", "--workers", "1", "--quiet", *SMALL,
            "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and _generations(out / "abc.db") < 1:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C: a clean stop that names what is kept and how to resume
    _, err = proc.communicate(timeout=60)
    kept = _generations(out / "abc.db")
    assert 1 <= kept < 6
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert f"{kept} finished generation" in err and "--resume" in err, err
    with sqlite3.connect(out / "abc.db") as c:
        first_eps = c.execute("select epsilon from populations where t = 0").fetchone()[0]
    resumed = subprocess.run([*args[:8], "--generations", str(kept + 1), *args[10:], "--resume"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _generations(out / "abc.db") == kept + 1
    with sqlite3.connect(out / "abc.db") as c:
        assert c.execute("select epsilon from populations where t = 0").fetchone()[0] == first_eps
    again = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--resume" in again.stderr
