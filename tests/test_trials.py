"""Field trials inside the model: randomisation, the effect's clustered interval, bad trial files, the runner."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiment.executors import ProcessExecutor
from sim.scenario import load_scenario
from sim.trials import load_trial, run_trial
from sim.trials.run import assign
from sim.trials.spec import TrialError

ROOT = Path(__file__).resolve().parent.parent
TRIALS = ROOT / "experiments" / "trials"
SMALL = dict(n_accounts=600, n_reps=6, n_managers=2, burn_in_weeks=13)


def _small(name: str, **design):
    spec = load_trial(TRIALS / f"{name}.toml")
    return dataclasses.replace(spec, scenario=load_scenario(spec.scenario.name, SMALL),
                               **{"start_week": 20, "weeks": 33, **design})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200), st.floats(0.1, 0.9), st.integers(0, 2**32 - 1))
def test_assignment_treats_the_share_within_every_stratum(strata, share, seed):
    s = np.array(strata)
    treated = assign(s, share, np.random.default_rng(seed))
    for k in np.unique(s):
        n = int((s == k).sum())
        want = int(np.floor(share * n)) or (1 if n >= 2 else 0)
        assert treated[s == k].sum() == want


def test_a_placebo_trial_covers_zero_in_at_least_19_of_20_trials():
    """The design with no treatment: the clustered interval of the churn difference covers 0 (deterministic
    seeds; a biased randomisation or an interval that ignores clustering would miss more often)."""
    spec = _small("null_outreach")
    covered = 0
    for seed in range(1, 21):
        e = run_trial(spec, replications=3, seed=seed).effect.set_index("outcome").loc["churn"]
        covered += e.diff_ci_low <= 0.0 <= e.diff_ci_high
    assert covered >= 19


def test_an_outreach_campaign_pitches_the_treated_accounts_only():
    from sim import SalesModel

    m = SalesModel.from_scenario(load_scenario("baseline", SMALL), rng=3).run(20)
    a = m.acc
    units = np.flatnonzero(a.active)
    treated = units[::2]
    a.campaign[treated] = True
    m.step()
    raised = np.flatnonzero(a.flag)
    assert np.isin(treated, raised).mean() > 0.5  # most treated accounts got a banner at once
    control = units[1::2]
    assert np.isin(control, raised).mean() < 0.2


def test_a_trial_reproduces_across_executors_and_resumes(tmp_path):
    spec = _small("ascarza_outreach")
    serial = run_trial(spec, replications=2, seed=5)
    pool = ProcessExecutor(2)
    try:
        parallel = run_trial(spec, replications=2, seed=5, executor=pool, out=tmp_path / "t")
    finally:
        pool.close()
    assert serial.rows.equals(parallel.rows)
    resumed = run_trial(spec, replications=2, seed=5, out=tmp_path / "t", resume=True)
    assert resumed.effect.equals(parallel.effect)
    assert (tmp_path / "t" / "trial_rows.parquet").is_file()
    page = (tmp_path / "t" / "report.html").read_text(encoding="utf-8")
    assert spec.title.replace("&", "&amp;") in page and "clusters" in page and "data:image/png;base64," in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def _trial_file(tmp_path, design: str = "", treatment: str = "", top: str = "") -> Path:
    path = tmp_path / "trial.toml"
    path.write_text(f'title = "t"\nquestion = "q"\nscenario = "baseline"\n{top}\n[design]\n{design}\n'
                    f'[treatment]\n{treatment}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("kw, expected", [
    (dict(design="unit = \"regions\""), "design.unit = 'regions' is not an allowed choice"),
    (dict(design="share_treated = 1.5"), "design.share_treated = 1.5 is not allowed"),
    (dict(design="start_week = 5"), "falls in the scenario's burn-in"),
    (dict(design="duration_weeks = 20"), "longer than observe_weeks"),
    (dict(treatment="kind = \"email\""), "treatment.kind = 'email' is not an allowed choice"),
    (dict(treatment="outcomes = [\"profit\"]"), "treatment.outcomes = ['profit'] is not allowed"),
    (dict(design="strata = \"rep\""), "design.strata is not a known field"),
    (dict(top="colour = 1"), "'colour' is not a known key"),
])
def test_bad_trial_files_exit_2_naming_the_field(tmp_path, capsys, kw, expected):
    path = _trial_file(tmp_path, **kw)
    with pytest.raises(TrialError) as err:
        load_trial(path)
    assert expected in str(err.value) and str(path) in str(err.value)
    assert main(["trial", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert expected in capsys.readouterr().err


def test_a_missing_trial_file_is_refused(tmp_path, capsys):
    assert main(["trial", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_shipped_trial_files_load():
    for path in TRIALS.glob("*.toml"):
        load_trial(path)
