"""Decision tools: NSGA-II optimisation over levers and PRIM scenario discovery, on tiny problems.

Candidates and worlds run through the one runner, so the same seed must give the same trials whatever the
executor, and a study interrupted mid-generation must resume to the uninterrupted result.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.decide.discover import find_boxes
from sim.decide.optimize import optimize
from sim.decide.problem import Dimension, load_discover, load_optimize, load_robust
from sim.decide.robust import policy_table, regret_table, robust_jobs
from sim.experiment.executors import ProcessExecutor, SerialExecutor

ROOT = Path(__file__).resolve().parent.parent
TINY = """
scenario = "banner_mandate"
weeks = 20
"""
SMALL = """
[set]
n_accounts = 200
n_reps = 4
n_managers = 2
burn_in_weeks = 6
"""
OPTIMIZE = TINY + """
replications = 2
objectives = ["profit", "annual_churn_rate", "rep_turnover_rate"]
trials = 6
population = 3
""" + SMALL + """
[reevaluate]
top = 2
replications = 2
[levers.banner_target]
range = [0.3, 1.0]
[levers.enforcement]
range = [0.0, 1.0]
[levers.coaching_style]
choices = ["close_focused", "customer_focused"]
[levers.flag_weeks]
range = [2, 8]
"""
DISCOVER = TINY + """
samples = 10
replications = 1
""" + SMALL + """
[threshold]
kpi = "annual_churn_rate"
fails = "above"
value = 0.1
[uncertainties.churn_neglect]
range = [0.001, 0.01]
[uncertainties.quit_base]
range = [0.001, 0.006]
"""


def _file(tmp: Path, text: str, name: str = "problem.toml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


class _StopsAtSecondGeneration(SerialExecutor):
    """A serial executor that is interrupted when the second generation's runs start."""

    calls = 0

    def map(self, fn, batches):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return super().map(fn, batches)


def _check_study(res) -> None:
    """Six candidates in two generations inside the ranges; a non-dominated Pareto set; its best re-run."""
    t = res.trials
    assert len(t) == 6 and set(t["state"]) == {"complete"}
    assert sorted(t["generation"].unique()) == [0, 1]
    assert t["banner_target"].between(0.3, 1.0).all() and t["flag_weeks"].isin(range(2, 9)).all()
    profit, churn, turnover = (t[f"{k}_mean"] for k in ("profit", "annual_churn_rate", "rep_turnover_rate"))
    for _, a in t[t["pareto"]].iterrows():  # no Pareto member is dominated by any candidate
        weakly = (profit >= a["profit_mean"]) & (churn <= a["annual_churn_rate_mean"]) & (
            turnover <= a["rep_turnover_rate_mean"])
        strictly = (profit > a["profit_mean"]) | (churn < a["annual_churn_rate_mean"]) | (
            turnover < a["rep_turnover_rate_mean"])
        assert not (weakly & strictly).any()
    assert list(res.reevaluation["trial"].unique()) == res.pareto["trial"].head(2).tolist()
    runs = res.runs
    first = set(runs[runs["stage"] == "first pass"]["seed"])
    again = set(runs[runs["stage"] == "re-evaluated"]["seed"])
    assert len(first) == 2 and len(again) == 2 and not first & again  # common within a pass, fresh across


@pytest.mark.slow
def test_a_study_is_the_same_serial_on_a_process_pool_and_after_an_interruption(tmp_path):
    problem = load_optimize(_file(tmp_path, OPTIMIZE))
    serial = optimize(problem, SerialExecutor(), tmp_path / "serial", progress=False)
    _check_study(serial)
    ex = ProcessExecutor(2)
    try:
        pool = optimize(problem, ex, tmp_path / "pool", progress=False)
    finally:
        ex.close()
    with pytest.raises(KeyboardInterrupt):
        optimize(problem, _StopsAtSecondGeneration(), tmp_path / "resumed", progress=False)
    resumed = optimize(problem, SerialExecutor(), tmp_path / "resumed", resume=True, progress=False)
    for other in (pool, resumed):
        pd.testing.assert_frame_equal(other.trials, serial.trials)
        pd.testing.assert_frame_equal(other.reevaluation, serial.reevaluation)


@pytest.mark.slow
def test_prim_finds_the_box_where_failures_were_put_and_discover_writes_it(tmp_path, capsys):
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"churn_neglect": rng.uniform(0.001, 0.01, 400), "quit_base": rng.uniform(0.001, 0.006, 400)})
    table = x.assign(fails=(x["churn_neglect"] > 0.007) & (x["quit_base"] < 0.004))
    dims = (Dimension("churn_neglect", 0.001, 0.01), Dimension("quit_base", 0.001, 0.006))
    boxes, limits, peeling = find_boxes(table, dims, {"min_density": 0.8, "max_boxes": 2, "peel_alpha": 0.05})
    first = boxes.iloc[0]
    assert first["density"] >= 0.8 and first["coverage"] >= 0.8
    lim = limits[limits["box"] == 1].set_index("parameter")
    assert lim.loc["churn_neglect", "low"] == pytest.approx(0.007, abs=0.0006)
    assert lim.loc["quit_base", "high"] == pytest.approx(0.004, abs=0.0004)
    assert peeling["selected"].sum() == len(boxes)

    out = tmp_path / "out"
    assert main(["discover", str(_file(tmp_path, DISCOVER)), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == 10 and worlds["churn_neglect"].between(0.001, 0.01).all()
    assert (worlds["fails"] == (worlds["policy"] > 0.1)).all()
    assert (out / "boxes.json").is_file() and (out / "boxes.png").is_file()
    assert "fails (Customers lost per year above 10" in capsys.readouterr().out


@pytest.mark.parametrize("edit, field, allowed", [
    (("[levers.enforcement]\nrange = [0.0, 1.0]", "[levers.enforcment]\nrange = [0.0, 1.0]"),
     "levers.enforcment", "did you mean 'enforcement'"),
    (("range = [0.3, 1.0]", "range = [0.3, 1.5]"), "levers.banner_target.range", "within the declared range 0 to 1"),
    (("[levers.flag_weeks]", "[levers.churn_neglect]"), "levers.churn_neglect", "a parameter of group lever"),
    (('"rep_turnover_rate"]', '"banner_rate"]'), "objectives", "declared direction"),
    (('"customer_focused"]', '"customer_first"]'), "levers.coaching_style.choices", "two or more different values"),
    (("trials = 6", "trials = 1"), "trials", "a whole number from 2"),
    (("n_reps = 4", "n_rep = 4"), "set.n_rep", "not a known parameter"),
])
def test_bad_optimisation_files_name_the_field_and_exit_2(tmp_path, capsys, edit, field, allowed):
    path = _file(tmp_path, OPTIMIZE.replace(*edit))
    assert main(["optimize", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and field in err and allowed in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("edit, field", [
    (("value = 0.1", 'value = 0.1\nreference = "baseline"'), "threshold"),
    (('fails = "above"', 'fails = "over"'), "threshold.fails"),
    (("[uncertainties.quit_base]", "[uncertainties.enforcement]"), "uncertainties.enforcement"),
    (("samples = 10", "samples = 3"), "samples"),
    (("value = 0.1", "value = 0.1\nmargin = 0.05"), "threshold.margin"),
])
def test_bad_discovery_files_name_the_field_and_exit_2(tmp_path, capsys, edit, field):
    path = _file(tmp_path, DISCOVER.replace(*edit))
    assert main(["discover", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and f"'{field}'" in err and "Traceback" not in err


def test_regret_is_the_shortfall_against_the_best_policy_in_each_world():
    # world 0 favours a, world 1 favours b; c is never best but never far off: minimax regret picks c.
    value = {("a", 0): 10.0, ("b", 0): 4.0, ("c", 0): 8.0, ("a", 1): 2.0, ("b", 1): 9.0, ("c", 1): 7.0}
    runs = pd.DataFrame([{"point": w, "scenario": p, "replication": k, "profit": v + (k - 0.5)}
                         for (p, w), v in value.items() for k in (0, 1)])
    regret = regret_table(runs, "profit").set_index(["policy", "world"])["regret"]
    assert regret[("a", 1)] == 7.0 and regret[("b", 0)] == 6.0 and regret[("c", 0)] == 2.0
    table = policy_table(regret_table(runs, "profit"), "profit").set_index("policy")
    assert table["most_robust"].idxmax() == "c" and table.loc["c", "max_regret"] == 2.0
    assert table.loc["a", "worst_decile"] == 2.0 and table.loc["a", "best_share"] == 0.5
    churn = runs.rename(columns={"profit": "annual_churn_rate"})  # lower is better: the best is the smallest
    assert regret_table(churn, "annual_churn_rate").set_index(["policy", "world"])["regret"][("b", 0)] == 0.0


def test_bad_robustness_files_name_the_field_and_exit_2(tmp_path, capsys):
    path = _file(tmp_path, 'policies = ["baseline"]\nkpi = "profit"\n[uncertainties.p_purchase]\nrange = [0.2, 0.4]\n')
    assert main(["robust", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "'policies'" in err and "two or more" in err and "Traceback" not in err


def test_robustness_over_posterior_draws_runs_every_policy_in_each_draw(tmp_path):
    posterior = ROOT / "calibration" / "fitted" / "targets"
    text = f'policies = ["baseline", "banner_mandate"]\nkpi = "profit"\nsamples = 3\nposterior = "{posterior}"\n'
    jobs = robust_jobs(load_robust(_file(tmp_path, text + "weeks = 20\n" + SMALL)))
    draws = pd.read_csv(posterior / "posterior.csv").drop(columns="weight").columns
    assert len(jobs) == 2 * 3 * 3  # policies x draws x replications (the file's default)
    for j in jobs:
        assert {k: j.params[k] for k in draws} == {k: j.tags[k] for k in draws}
    same_world = [j for j in jobs if j.point == 1 and j.replication == 0]
    a, b = same_world
    assert a.label != b.label and a.tags == b.tags and a.seed == b.seed  # one world, one seed, two policies


@pytest.mark.parametrize("name", ["optimize_mandate.toml", "discover_mandate.toml", "robust_mandate.toml"])
def test_the_shipped_problems_are_valid(name):
    load = {"optimize": load_optimize, "discover": load_discover, "robust": load_robust}[name.split("_")[0]]
    problem = load(ROOT / "experiments" / "decisions" / name)
    assert problem.path.name == name


# --- PRIM on an existing sample (--from): nothing runs again --------------------------------------------------

GIVEN = """
title = "Where does the mandate earn too little?"
scenario = "banner_mandate"
[threshold]
kpi = "profit"
fails = "below"
value = VALUE
[prim]
min_density = 0.6
"""
DISCOVERY_FILES = {"worlds.csv", "boxes.csv", "box_limits.csv", "peeling.csv", "boxes.json", "boxes.png",
                   "report.html"}


def _report(out: Path, table: str, figures: int) -> str:
    """report.html in ``out``: offline (every image a data: URI, nothing fetched) with the table ``table``."""
    import re

    text = (out / "report.html").read_text(encoding="utf-8")
    assert f"<table id='{table}'>" in text
    assert len(re.findall(r"<img src='data:image/png;base64,", text)) == figures
    assert not re.search(r"(src|href)=['\"](?!data:)", text) and "http" not in text
    return text


@pytest.fixture(scope="module")
def sweep_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sweep's runs.parquet: a 12-point Latin hypercube over two mandate levers, 2 replications."""
    import sim

    out = tmp_path_factory.mktemp("sweep")
    small = {"n_accounts": 200, "n_reps": 4, "n_managers": 2, "burn_in_weeks": 6}
    sim.sweep(sim.load_scenario("banner_mandate", small), {"banner_target": (0.3, 1.0), "enforcement": (0.0, 1.0)},
              design="lhs", samples=12, replications=2, weeks=20, out=out)
    return out / "runs.parquet"


@pytest.mark.slow
def test_discover_finds_boxes_in_an_existing_sweep_without_running_it(tmp_path, sweep_runs, capsys):
    runs = pd.read_parquet(sweep_runs)
    mean = runs.groupby("point")["profit"].mean()
    value = float(mean.median())  # half the worlds fail
    out = tmp_path / "out"
    path = _file(tmp_path, GIVEN.replace("VALUE", repr(value)))
    assert main(["discover", str(path), "--from", str(sweep_runs), "--out", str(out)]) == 0
    worlds = pd.read_csv(out / "worlds.csv").set_index("point")
    assert {"banner_target", "enforcement"} <= set(worlds.columns)  # the stored levers are the dimensions
    np.testing.assert_allclose(worlds["policy"], mean)  # the stored runs, averaged per point
    assert (worlds["fails"] == (worlds["policy"] < value)).all() and worlds["fails"].sum() == 6
    assert {p.name for p in out.iterdir()} >= DISCOVERY_FILES and not (out / "runs.parquet").exists()
    assert not any(out.glob("*.sqlite*")) and not any(out.glob("*.db"))  # no store: nothing was run
    found = json.loads((out / "boxes.json").read_text())
    assert found["sample"] == str(sweep_runs) and found["worlds"] == 12
    assert "none run again" in capsys.readouterr().out
    report = _report(out, "boxes", figures=1)
    assert "banner_target" in report and "none run again" in report and "<table id='worlds'>" in report
    # the file's own from = ... gives the same worlds
    again = tmp_path / "again"
    text = f'from = "{sweep_runs}"\n' + GIVEN.replace("VALUE", repr(value))
    assert main(["discover", str(_file(tmp_path, text, "from.toml")), "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again / "worlds.csv"), pd.read_csv(out / "worlds.csv"))


def _edited(tmp: Path, runs: Path, edit) -> Path:
    path = tmp / "edited.parquet"
    edit(pd.read_parquet(runs)).to_parquet(path)
    return path


@pytest.mark.parametrize("sample, text, field, allowed", [
    (lambda t, r: t / "nope.parquet", "", "--from", "no such file"),
    (lambda t, r: _file(t, "not parquet", "runs.parquet"), "", "--from", "cannot read it as Parquet"),
    (lambda t, r: _edited(t, r, lambda d: d.drop(columns="point")), "", "--from", "column 'point' is missing"),
    (lambda t, r: _edited(t, r, lambda d: d.drop(columns="profit")), "", "'threshold.kpi'", "a KPI stored in"),
    (lambda t, r: _edited(t, r, lambda d: d[d["point"] < 5]), "", "--from", "too few worlds"),
    (lambda t, r: r, 'scenario = "baseline"', "'scenario'", "it holds banner_mandate"),
    (lambda t, r: r, "[uncertainties.churn_neglect]\nrange = [0.001, 0.01]", "'uncertainties.churn_neglect'",
     "it stores banner_target, enforcement"),
    (lambda t, r: r, 'reference = "baseline"', "'threshold.reference'", "a scenario with runs in"),
])
def test_a_bad_sample_names_the_file_the_field_and_what_is_allowed(tmp_path, sweep_runs, capsys, sample, text,
                                                                    field, allowed):
    problem = GIVEN.replace("VALUE", "1.0")
    if text.startswith("scenario"):
        problem = problem.replace('scenario = "banner_mandate"', text)
    elif text.startswith("reference"):
        problem = problem.replace("value = 1.0", text)
    else:
        problem += text
    path = _file(tmp_path, problem)
    given = sample(tmp_path, sweep_runs)
    assert main(["discover", str(path), "--from", str(given), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert field in err and allowed in err and "Traceback" not in err, err
    assert str(path) in err or str(given) in err


def test_a_from_field_must_name_an_existing_file(tmp_path, capsys):
    path = _file(tmp_path, 'from = "no/such/runs.parquet"\n' + GIVEN.replace("VALUE", "1.0"))
    assert main(["discover", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "'from'" in err and "an existing file" in err and "Traceback" not in err


def _run_command(tmp: Path, command: str, text: str) -> Path:
    """Run ``salesim COMMAND`` on a problem file holding ``text``, in this process; its output folder."""
    out = tmp / command
    assert main([command, str(_file(tmp, text, f"{command}.toml")), "--workers", "1", "--quiet", "--out",
                 str(out)]) == 0
    return out


@pytest.mark.slow
def test_optimize_and_robust_write_an_offline_report_with_their_key_table(tmp_path):
    """The smallest study (two candidates, the best re-run twice) and the smallest robustness check (two
    policies in two worlds): each writes report.html beside its CSVs, with its key table and figures."""
    small = SMALL.replace("n_accounts = 200", "n_accounts = 150")
    study = (TINY + "replications = 1\nobjectives = [\"profit\", \"annual_churn_rate\"]\ntrials = 2\n"
             "population = 2\n" + small + "[reevaluate]\ntop = 1\nreplications = 2\n[levers.banner_target]\n"
             "range = [0.3, 1.0]\n")
    out = _run_command(tmp_path, "optimize", study)
    text = _report(out, "reevaluation", figures=2)
    again = pd.read_csv(out / "reevaluation.csv")
    assert f"re-evaluated ({int(again['reevaluated_replications'].iloc[0])} fresh runs)" in text
    assert "<table id='pareto'>" in text and "banner_target" in text

    check = ('title = "Which policy holds up?"\npolicies = ["baseline", "banner_mandate"]\nkpi = "profit"\n'
             "samples = 2\nreplications = 1\nweeks = 20\n" + small + "[uncertainties.p_purchase]\n"
             "range = [0.2, 0.4]\n")
    text = _report(_run_command(tmp_path, "robust", check), "robust", figures=1)
    best = pd.read_csv(tmp_path / "robust" / "robust.csv").iloc[0]["policy"]
    assert f"<tr class='sig'><td class='text'>{best}</td>" in text  # the most robust policy first, marked
