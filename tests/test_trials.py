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
from sim.experiment.tidy import describe
from sim.scenario import load_scenario
from sim.trials import load_trial, run_trial
from sim.trials.replicate import assign
from sim.trials.spec import TrialError

ROOT = Path(__file__).resolve().parent.parent
TRIALS = ROOT / "experiments" / "trials"
SMALL = dict(n_accounts=600, n_reps=6, n_managers=2, burn_in_weeks=13)
AT_PERIOD = dict(start_week=26, observe_weeks=13, weeks=39)  # a plan trial: a quarter's start, a quarter before


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
    assert _covered(_small("null_outreach"), "churn") >= 19


def _covered(spec, outcome: str) -> int:
    """In how many of seeds 1-20 (3 replications each) the outcome's difference interval covers 0."""
    covered = 0
    for seed in range(1, 21):
        e = run_trial(spec, replications=3, seed=seed).effect.set_index("outcome").loc[outcome]
        covered += e.diff_ci_low <= 0.0 <= e.diff_ci_high
    return covered


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
    meaning = describe(tmp_path / "t" / "trial_rows.parquet").set_index("column")
    assert meaning.loc["churn", "unit"] == "fraction" and meaning.loc["arm", "kind"] == "identifier"
    page = (tmp_path / "t" / "report.html").read_text(encoding="utf-8")
    assert spec.title.replace("&", "&amp;") in page and "clusters" in page and "data:image/png;base64," in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def _trial_file(tmp_path, design: str = "", treatment: str = "", top: str = "") -> Path:
    path = tmp_path / "trial.toml"
    path.write_text(f'title = "t"\nquestion = "q"\nscenario = "baseline"\n{top}\n[design]\n{design}\n'
                    f'[treatment]\n{treatment}\n', encoding="utf-8")
    return path


# Bad plan trials and units: the same refusals, naming the field.
PLAN_CASES = [
    (dict(design="unit = \"reps\"", treatment="kind = \"pitch\""),
     "treatment.kind = 'pitch' is not an allowed choice with unit = 'reps'"),
    (dict(design="unit = \"reps\"\nstratify = \"nps\""), "design.stratify = 'nps' is not an allowed choice"),
    (dict(design="unit = \"reps\"", treatment="kind = \"plan\""), "a plan trial needs a [treatment.pay] table"),
    (dict(design="unit = \"reps\"", treatment="kind = \"plan\"\n[treatment.pay]\nbase_salary = 0"),
     "treatment.pay.base_salary = 0 is not a plan field a trial can change"),
    (dict(design="unit = \"reps\"", treatment="kind = \"plan\"\n[treatment.pay]\naccelerator = -1"),
     "treatment.pay.accelerator = -1 is out of range"),
    (dict(design="unit = \"reps\"\nstart_week = 50", treatment="kind = \"plan\"\n[treatment.pay]\naccelerator = 2"),
     "design.start_week = 50 is not the start of a pay period"),
    (dict(design="unit = \"reps\"\nduration_weeks = 4", treatment="kind = \"plan\"\n[treatment.pay]\ndraw = 100"),
     "design.duration_weeks = 4 has no meaning for a plan trial"),
    (dict(design="unit = \"firm\"\nshare_treated = 0.5\nstart_week = 91",
          treatment="kind = \"plan\"\n[treatment.pay]\naccelerator = 2"), "has no meaning with unit = 'firm'"),
    (dict(design="unit = \"firm\"\nstart_week = 52\nobserve_weeks = 26",
          treatment="kind = \"plan\"\n[treatment.pay]\naccelerator = 2"), "falls in the scenario's burn-in"),
    (dict(design="unit = \"reps\"", treatment="kind = \"plan\"\n[treatment.pay]\nquota_setting = \"none\"\n"
          "quota_bonus = 100"), "treatment.pay makes a plan the model refuses"),
    (dict(treatment="kind = \"pitch\"\n[treatment.pay]\naccelerator = 2"), "treatment.pay is only read when"),
    (dict(design="unit = \"firm\"\nstart_week = 91\nobserve_weeks = 26", treatment="kind = \"levers\""),
     "a lever trial needs a [treatment.levers] table"),
    (dict(design="unit = \"firm\"\nstart_week = 91\nobserve_weeks = 26",
          treatment="kind = \"levers\"\n[treatment.levers]\nskill_mean = 0.9"),
     "treatment.levers.skill_mean = 0.9 is not a lever"),
    (dict(design="unit = \"firm\"\nstart_week = 91\nobserve_weeks = 26",
          treatment="kind = \"levers\"\n[treatment.levers]\nenforcement = 7"),
     "treatment.levers.enforcement = 7 is out of range"),
    (dict(treatment="kind = \"levers\""), "treatment.kind = 'levers' is not an allowed choice with unit = 'accounts'"),
]


@pytest.mark.parametrize("kw, expected", [
    (dict(design="unit = \"regions\""), "design.unit = 'regions' is not an allowed choice"),
    (dict(design="share_treated = 1.5"), "design.share_treated = 1.5 is not allowed"),
    (dict(design="start_week = 5"), "falls in the scenario's burn-in"),
    (dict(design="duration_weeks = 20"), "longer than observe_weeks"),
    (dict(treatment="kind = \"email\""), "treatment.kind = 'email' is not an allowed choice"),
    (dict(treatment="outcomes = [\"profit\"]"), "treatment.outcomes = ['profit'] is not allowed"),
    (dict(design="strata = \"rep\""), "design.strata is not a known field"),
    (dict(top="colour = 1"), "'colour' is not a known key"),
    *PLAN_CASES,
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


# --- plans randomised by rep, and a firm-wide switch -------------------------------------------------------

def test_a_rep_randomised_plan_pays_the_treated_on_their_own_plan():
    """After ``switch_plan`` the treated slots are paid the new rate on every sale, the others the old one."""
    from sim import SalesModel

    m = SalesModel.from_scenario(load_scenario("linear_commission", SMALL), rng=2).run(26)
    treated = np.array([0, 2, 4])
    m.switch_plan(treated, {"commission_rate": 0.08})
    sales0, pay0 = m.slot_sales.copy(), m.slot_pay.copy()
    m.run(13)
    sales, pay = m.slot_sales - sales0, m.slot_pay - pay0
    assert (sales > 0).all()
    on = np.isin(np.arange(6), treated)
    np.testing.assert_allclose(pay[on] / sales[on], 0.08)
    np.testing.assert_allclose(pay[~on] / sales[~on], 0.05)


def test_a_firm_wide_lever_change_keeps_the_trial_groups_own_plan():
    """A mid-run lever change (``change_levers``) rebuilds every plan: the trial's group keeps what it differs
    in (its rate), the rest take the new value."""
    from sim import SalesModel

    m = SalesModel.from_scenario(load_scenario("linear_commission", SMALL), rng=2).run(26)
    treated = np.array([1, 3])
    m.switch_plan(treated, {"commission_rate": 0.08})
    m.run(2)
    m.change_levers({"commission_rate": 0.06, "enforcement": 0.5})
    sales0, pay0 = m.slot_sales.copy(), m.slot_pay.copy()
    m.run(11)
    on = np.isin(np.arange(6), treated)
    rate = (m.slot_pay - pay0) / (m.slot_sales - sales0)
    np.testing.assert_allclose(rate[on], 0.08)
    np.testing.assert_allclose(rate[~on], 0.06)
    assert all(g.p.enforcement == 0.5 for g in m.plan.groups)


def test_a_plan_changes_only_at_a_period_start_and_only_in_fields_reps_can_differ_in():
    from sim import SalesModel

    m = SalesModel.from_scenario(load_scenario("linear_commission", SMALL), rng=2).run(20)
    with pytest.raises(ValueError, match="pay period's start"):
        m.switch_plan([0], {"accelerator": 2.0})
    m.run(6)
    with pytest.raises(ValueError, match="can differ between reps"):
        m.switch_plan([0], {"base_salary": 0.0})


@pytest.mark.parametrize("name", ["larkin_accelerator", "drop_enforcement"])
def test_a_firm_wide_switch_leaves_the_weeks_before_it_identical_and_changes_what_follows(name):
    """Both runs of a replication share their random numbers: the before window is bit-identical, and what
    follows differs (a plan switch, or a lever change)."""
    from sim.trials.replicate import firm

    spec = _small(name, **AT_PERIOD)
    discounts = {"treated": 0.0, "control": 0.0}
    for seed in (7, 8, 9):  # early signings are rare events in a 600-account unit: one replication may have none
        out = firm(spec.scenario.params.model_dump(), seed, spec.to_dict(), spec.weeks)
        treated, control = np.array(out["over_time"]["treated"]), np.array(out["over_time"]["control"])
        assert np.array_equal(treated[:13], control[:13])
        assert not np.array_equal(treated[13:], control[13:])
        rows = {r["arm"]: r for r in out["rows"]}
        assert set(rows) == {"before", "treated", "control"}
        for arm in discounts:
            discounts[arm] += rows[arm].get("timing_discount_share", 0.0)
    if name == "larkin_accelerator":  # the accelerator pulls signings forward; the plain plan never does
        assert discounts["treated"] > 0.0 == discounts["control"]


def test_a_placebo_randomised_by_rep_covers_zero_in_at_least_18_of_20_trials():
    """Slots randomised, nobody's plan changed: the interval over replications covers 0 about 95 % of the time
    (96 of seeds 1-100 with 3 or 6 replications, measured once). Seeds 1-20 cover in 18; fewer would mean
    a biased design or an interval too narrow (P(<= 17 of 20) = 7.5 % at a true 95 %)."""
    assert _covered(_small("null_plan_by_rep", **AT_PERIOD), "sales") >= 18


def test_an_accelerator_for_half_the_reps_raises_their_pay_per_sale_and_reports_a_table():
    spec = _small("accelerator_by_rep", **AT_PERIOD)
    result = run_trial(spec, replications=3, seed=4)
    assert set(result.rows.arm) == {"treated", "control"} and set(result.rows.columns) >= {"slot", "sales", "pay"}
    t, c = (result.rows[result.rows.arm == arm] for arm in ("treated", "control"))
    assert (t.pay.sum() / t.sales.sum()) > (c.pay.sum() / c.sales.sum())
    assert list(result.effect.contrast.unique()) == ["treated - control"]
