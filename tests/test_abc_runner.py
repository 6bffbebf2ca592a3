"""ABC on the project's runner: one seed scheme, the project's executors, the same posterior on any of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import SMALL, short_targets

from sim.calibrate import load_targets
from sim.calibrate.abc import Simulator, make_sampler, particle_point, run_abc
from sim.calibrate.report import posterior_frame
from sim.calibrate.sampler import evaluation_seed
from sim.cli import main
from sim.experiment.jobs import job_seed
from sim.experiment.worker import run_job
from sim.scenario import load_scenario

SIZE = {"n_accounts": 200, "n_reps": 2, "n_managers": 1, "burn_in_weeks": 4}


def _calibrate(tmp_path: Path, name: str, *where: str, generations: int = 2, resume: bool = False) -> Path:
    out = tmp_path / name
    args = ["calibrate", "--targets", str(short_targets(tmp_path)), "--population", "16", "--generations",
            str(generations), "--ppc-draws", "3", "--quiet", *SMALL, "--out", str(out), *where]
    assert main([*args, "--resume"] if resume else args) == 0
    return out


def test_a_particle_runs_the_jobs_compare_would_run():
    """A particle's model runs are runner jobs with the one seed scheme: same seed, same KPIs as run_job."""
    base = load_scenario("baseline", SIZE).params.model_dump()
    sim = Simulator(base, 10, ("annual_churn_rate", "nps"), 2, root_seed=5)
    theta = {"skill_mean": 0.7, "read_noise": 1.5}
    jobs = sim.jobs(theta)
    assert [j.seed for j in jobs] == [job_seed(5, k, particle_point(theta)) for k in range(2)]
    assert jobs[0].seed != jobs[1].seed and jobs[0].params["skill_mean"] == 0.7
    assert job_seed(5, 0, particle_point({"skill_mean": 0.71, "read_noise": 1.5})) != jobs[0].seed
    direct = [run_job(j)["kpis"] for j in jobs]
    assert sim(theta) == {k: float(np.mean([d[k] for d in direct])) for k in ("annual_churn_rate", "nps")}


def test_evaluation_seeds_depend_on_generation_and_index_only():
    seeds = {tuple(evaluation_seed(3, t, i)) for t in (-1, 0, 1) for i in range(20)}
    assert len(seeds) == 60
    assert (evaluation_seed(3, 0, 4) == evaluation_seed(3, 0, 4)).all()


def test_abc_leaves_the_callers_global_random_state_alone(tmp_path):
    """pyABC draws from NumPy's global generator; a calibration gives the caller's state back unchanged."""
    cal = load_targets(short_targets(tmp_path))
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    sampler, ex = make_sampler(1, None, False)
    try:
        history = run_abc(cal, tmp_path / "fit", 6, 1, sampler, 9, base=load_scenario(cal.scenario, SIZE),
                          verbose=False)
        assert len(posterior_frame(history)) == 6
    finally:
        ex.close()
    assert (np.random.get_state()[1] == before).all()


@pytest.mark.slow
def test_a_calibration_is_the_same_on_every_executor(tmp_path):
    """One process, two processes and a local Dask cluster give the same posterior and predictive check."""
    outs = [_calibrate(tmp_path, "serial", "--workers", "1"), _calibrate(tmp_path, "pool", "--workers", "2"),
            _calibrate(tmp_path, "dask", "--dask-local", "--workers", "2")]
    for f in ("posterior.csv", "history.csv", "ppc.csv", "ppc_runs.csv"):
        first = pd.read_csv(outs[0] / f).drop(columns=["seconds", "wall_s"], errors="ignore")
        for other in outs[1:]:
            pd.testing.assert_frame_equal(first, pd.read_csv(other / f).drop(columns=["seconds", "wall_s"],
                                                                             errors="ignore"), check_exact=True)


@pytest.mark.slow
def test_a_resumed_calibration_matches_an_uninterrupted_one(tmp_path):
    """Generation t depends only on the root seed and the generations before it, so stopping after a
    generation and resuming gives the same posterior as running straight through."""
    cal = load_targets(short_targets(tmp_path))
    base = load_scenario(cal.scenario, SIZE)
    sampler, ex = make_sampler(1, None, False)
    try:
        whole = posterior_frame(run_abc(cal, tmp_path / "whole", 16, 2, sampler, 9, base=base, verbose=False))
        run_abc(cal, tmp_path / "parts", 16, 1, sampler, 9, base=base, verbose=False)
        parts = posterior_frame(run_abc(cal, tmp_path / "parts", 16, 2, sampler, 9, base=base, verbose=False,
                                        resume=True))
    finally:
        ex.close()
    pd.testing.assert_frame_equal(whole, parts, check_exact=True)


def test_the_predictive_check_figure_draws_a_target_no_run_measured(tmp_path):
    """A short calibration can leave a KPI NaN in every run (no rep quit yet): the figure says so, not crash."""
    from sim.calibrate.report import plot_ppc

    ppc = pd.DataFrame([{"kpi": "rep_turnover_rate", "target": "rep turnover", "low": 0.14, "high": 0.35,
                         "value": 0.2, "share_within": 0.0}])
    path = plot_ppc(ppc, pd.DataFrame({"rep_turnover_rate": [np.nan, np.nan]}), tmp_path / "ppc.png")
    assert path.stat().st_size > 5_000
