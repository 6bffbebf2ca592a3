"""Sensitivity analysis: proven on functions with analytic indices, then run on the model through the runner."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import UserError
from sim.experiment import Store
from sim.experiment.executors import SerialExecutor
from sim.sensitivity import analyze, given_data, load_problem
from sim.sensitivity.core import sample
from sim.sensitivity.runs import run_sensitivity

PI = math.pi
SMALL_SET = ["--set", "n_accounts=300", "--set", "n_reps=3", "--set", "n_managers=1", "--set", "burn_in_weeks=13"]


def ishigami(p: dict, seed: int) -> dict:
    x1, x2, x3 = p["x1"], p["x2"], p["x3"]
    return {"y": math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)}


def test_sobol_recovers_ishigami_indices_within_their_intervals():
    """Ishigami (a=7, b=0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)."""
    df = analyze({"names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}, ishigami, method="sobol", n=1024, seed=0)
    s1, st = np.array([0.3139, 0.4424, 0.0]), np.array([0.5576, 0.4424, 0.2437])
    assert (np.abs(df["S1"] - s1) <= df["S1_conf"]).all(), df
    assert (np.abs(df["ST"] - st) <= df["ST_conf"]).all(), df


def test_sobol_on_a_linear_function_gives_squared_weight_shares():
    a = np.array([1.0, 2.0, 3.0, 0.0])

    def linear(p, seed):
        return {"y": float(sum(a[i] * p[f"x{i}"] for i in range(4)))}

    df = analyze({"names": [f"x{i}" for i in range(4)], "bounds": [[0, 1]] * 4}, linear, n=1024, seed=1)
    truth = a**2 / (a**2).sum()
    assert (np.abs(df["S1"] - truth) <= df["S1_conf"] + 1e-9).all(), df
    assert (np.abs(df["ST"] - truth) <= df["ST_conf"] + 1e-9).all(), df


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes():
    a = np.array([1.0, -2.0, 4.0])

    def linear(p, seed):
        return {"y": float(sum(a[i] * p[f"x{i}"] for i in range(3)))}

    df = analyze({"names": ["x0", "x1", "x2"], "bounds": [[0, 1]] * 3}, linear, method="morris", n=20, seed=2)
    assert np.allclose(df["mu_star"], np.abs(a))
    assert np.allclose(df["sigma"], 0.0, atol=1e-9)
    assert (np.abs(df["mu_star"] - np.abs(a)) <= df["mu_star_conf"] + 1e-9).all()


def test_morris_drops_only_the_trajectories_where_an_output_has_no_value():
    a = np.array([1.0, -2.0, 4.0])

    def undefined_near_zero(p, seed):  # a KPI that is NaN in part of the space (say, no banner was raised)
        return {"y": float("nan") if p["x0"] < 0.2 else float(sum(a[i] * p[f"x{i}"] for i in range(3)))}

    df = analyze({"names": ["x0", "x1", "x2"], "bounds": [[0, 1]] * 3}, undefined_near_zero, method="morris",
                 n=20, seed=2)
    assert np.allclose(df["mu_star"], np.abs(a))
    assert 8 <= df["points_used"].iloc[0] < 20 * 4 and df["points_used"].iloc[0] % 4 == 0
    sobol = analyze({"names": ["x0", "x1", "x2"], "bounds": [[0, 1]] * 3}, undefined_near_zero, n=64, seed=2)
    assert sobol["S1"].isna().all() and (sobol["points_used"] == 0).all()  # Sobol needs its whole design


def test_replications_average_out_seed_noise():
    def noisy(p, seed):  # noise that differs between points and seeds
        return {"y": p["x0"] + 0.3 * np.random.default_rng([seed, int(p["x0"] * 1e9)]).standard_normal()}

    def common(p, seed):  # noise shared by every point at a seed: cancels between points
        return {"y": p["x0"] + 0.3 * np.random.default_rng(seed).standard_normal()}

    prob = {"names": ["x0", "x1"], "bounds": [[0, 1]] * 2}
    two = analyze(prob, noisy, n=64, seed=3, replications=2)["noise_share"].iloc[0]
    eight = analyze(prob, noisy, n=64, seed=3, replications=8)["noise_share"].iloc[0]
    assert 0 < eight < two < 1
    assert eight == pytest.approx(two / 4, rel=0.5)  # noise variance of the mean falls as 1/R
    assert analyze(prob, common, n=64, seed=3, replications=4)["noise_share"].iloc[0] < 1e-12


def test_sobol_needs_a_power_of_two():
    with pytest.raises(UserError, match="power of two"):
        sample(load_problem("levers_sobol"), "sobol", 100, 0)


@pytest.mark.parametrize("body, needle", [
    ("[parameters.enforcment]\nbounds=[0,1]\n[parameters.audits]\nbounds=[0,1]", "did you mean 'enforcement'"),
    ("[parameters.enforcement]\nbounds=[0,2]\n[parameters.audits]\nbounds=[0,1]", "range 0 to 1"),
    ("[parameters.enforcement]\nbounds=[0,1]\ndist='weird'\n[parameters.audits]\nbounds=[0,1]", "unif"),
    ("kpis=['revenue_lots']\n[parameters.enforcement]\nbounds=[0,1]\n[parameters.audits]\nbounds=[0,1]",
     "did you mean 'revenue_lost'"),
    ("[parameters.n_reps]\nbounds=[5,10]\n[parameters.audits]\nbounds=[0,1]", "size parameters"),
    ("[parameters.crm_rule]\nlevels=['psychic','none']\n[parameters.audits]\nbounds=[0,1]", "two or more of"),
    ("scenaro='baseline'\n[parameters.enforcement]\nbounds=[0,1]\n[parameters.audits]\nbounds=[0,1]",
     "did you mean 'scenario'"),
])
def test_problem_files_are_validated(tmp_path, body, needle):
    f = tmp_path / "p.toml"
    f.write_text(body)
    with pytest.raises(UserError) as e:
        load_problem(f)
    assert needle in str(e.value) and str(f) in str(e.value)


def test_shipped_problems_load_with_enough_parameters():
    screening, sobol = load_problem("screening"), load_problem("levers_sobol")
    assert len(screening.names) >= 16 and len(sobol.names) == 16
    assert all(p in screening.names for p in ("pressure_stake", "churn_neglect", "enforcement"))


@pytest.mark.slow
def test_model_morris_through_the_cli(tmp_path, capsys):
    out = tmp_path / "m"
    code = main(["sensitivity", "screening", "--method", "morris", "--n", "2", "--replications", "2",
                 "--weeks", "32", "--workers", "2", "--quiet", *SMALL_SET, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    idx = pd.read_csv(out / "indices.csv")
    assert list(idx.columns) == ["kpi", "parameter", "mu_star", "mu_star_conf", "sigma", "points_used"]
    prob = load_problem("screening")
    assert len(idx) == len(prob.names) * len(prob.kpis)
    assert idx[["mu_star", "sigma"]].ge(0).all().all() and idx["mu_star"].notna().all()
    noise = pd.read_csv(out / "noise.csv")
    assert noise["noise_share"].between(0, 1).all()
    assert (out / "morris_revenue_lost.png").is_file() and (out / "convergence_revenue_lost.png").is_file()
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2 * (len(prob.names) + 1) * 2
    stored = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert stored["record"]["weeks"] == 32, "--weeks overrides the problem file's weeks"


def test_killed_analysis_resumes_without_rerunning_finished_points(tmp_path, counting_executor):
    prob = load_problem("levers_sobol")
    from sim.scenario import load_scenario

    base = load_scenario("baseline", {"n_accounts": 200, "n_reps": 2, "n_managers": 1, "burn_in_weeks": 2})
    prob = type(prob)(**{**prob.__dict__, "weeks": 8})
    full = run_sensitivity(prob, "sobol", 4, 1, 7, SerialExecutor(), tmp_path / "a", progress=False, base=base)
    store = Store(tmp_path / "a")
    lost = sorted(store.done())[:20]
    for i in lost:
        (store.runs / f"{i}.json").unlink()

    again = run_sensitivity(prob, "sobol", 4, 1, 7, counting_executor, tmp_path / "a", resume=True, progress=False,
                            base=base)
    assert counting_executor.ran == 20
    pd.testing.assert_frame_equal(full.indices, again.indices)
    shutil.rmtree(tmp_path / "a")


@pytest.mark.slow
def test_given_data_analysis_of_an_existing_sweep(tmp_path, capsys):
    sweep = tmp_path / "sw"
    assert main(["sweep", "banner_mandate", "--vary", "enforcement=0:1:2", "--vary", "audits=0:1:2",
                 "--design", "lhs", "--samples", "40", "--replications", "1", "--weeks", "20", "--workers", "2",
                 "--quiet", *SMALL_SET, "--out", str(sweep)]) == 0
    prob_file = tmp_path / "p.toml"
    prob_file.write_text("kpis = ['banner_avoidance_rate', 'revenue']\n[parameters.enforcement]\nbounds=[0,1]\n"
                         "[parameters.audits]\nbounds=[0,1]\n")
    table = given_data(load_problem(prob_file), pd.read_parquet(sweep / "runs.parquet"), "delta")
    assert set(table["parameter"]) == {"enforcement", "audits"} and len(table) == 4
    avoid = table[(table.kpi == "banner_avoidance_rate")]
    assert avoid["S1"].between(-0.2, 1.2).all() and avoid["delta"].between(0, 1).all()
    assert avoid["S1"].sum() > 0.3, "enforcement and audits together explain much of the avoidance"
    assert main(["sensitivity", str(prob_file), "--given", str(sweep / "runs.parquet"), "--method", "rbd_fast",
                 "--out", str(tmp_path / "g")]) == 0
    assert (tmp_path / "g" / "indices.csv").is_file()
    assert main(["sensitivity", str(prob_file), "--given", str(tmp_path / "none.parquet")]) == 2
