"""The one runner: seeds, store, executors (serial, processes, a real Dask cluster), resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import UserError
from sim.experiment import Store, job_seed, run_jobs
from sim.experiment.compare import compare, comparison_jobs
from sim.experiment.executors import ProcessExecutor, SerialExecutor, make_executor
from sim.experiment.runner import batches_of
from sim.scenario import load_scenario

SMALL = {"n_accounts": 300, "n_reps": 3, "n_managers": 1, "burn_in_weeks": 13}
SMALL_SET = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]


def _scenarios(*names):
    return [load_scenario(n, SMALL) for n in names]


def test_seed_depends_only_on_root_and_replication():
    assert job_seed(1, 0) == job_seed(1, 0)
    assert len({job_seed(1, k) for k in range(100)}) == 100
    assert job_seed(1, 3) != job_seed(2, 3)
    jobs = comparison_jobs(_scenarios("baseline", "banner_mandate"), 3, 20, root_seed=9)
    by_rep = {}
    for j in jobs:
        by_rep.setdefault(j.replication, set()).add(j.seed)
    assert all(len(s) == 1 for s in by_rep.values()), "replication k must share its seed across scenarios"


def test_batches_cover_every_job_once():
    jobs = comparison_jobs(_scenarios("baseline"), 103, 20, 1)
    batches = batches_of(jobs, workers=2)
    assert [j.id for b in batches for j in b] == [j.id for j in jobs]
    assert max(len(b) for b in batches) <= 25


def test_store_refuses_to_mix_experiments(tmp_path):
    store = Store(tmp_path / "x")
    store.open({"kind": "compare", "a": 1}, resume=False)
    store.put({"id": "r1", "kpis": {}})
    with pytest.raises(UserError, match="--resume"):
        Store(tmp_path / "x").open({"kind": "compare", "a": 1}, resume=False)
    with pytest.raises(UserError, match="differs in: a"):
        Store(tmp_path / "x").open({"kind": "compare", "a": 2}, resume=True)
    Store(tmp_path / "x").open({"kind": "compare", "a": 1}, resume=True)
    assert store.done() == {"r1"}


def test_store_ignores_half_written_files(tmp_path):
    store = Store(tmp_path / "x")
    store.open({"k": 1}, resume=False)
    (store.runs / ".tmp-abc.part").write_text('{"id": "broken"')
    store.put({"id": "ok", "kpis": {"a": 1.0}})
    assert store.done() == {"ok"}


def _runs(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / "runs.parquet")
    return df.sort_values(["scenario", "replication"]).reset_index(drop=True)


@pytest.mark.slow
def test_results_are_identical_whatever_the_executor(tmp_path):
    """Serial, two processes and a real Dask cluster on loopback give bit-identical KPIs."""
    from dask.distributed import LocalCluster

    scen = _scenarios("baseline", "banner_mandate")
    compare(scen, 4, 20, 5, SerialExecutor(), tmp_path / "serial", progress=False)
    pool = ProcessExecutor(2)
    try:
        compare(scen, 4, 20, 5, pool, tmp_path / "procs", progress=False)
    finally:
        pool.close()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        ex = make_executor(scheduler=cluster.scheduler_address)
        try:
            assert ex.workers == 2
            compare(scen, 4, 20, 5, ex, tmp_path / "dask", progress=False)
        finally:
            ex.close()
    a, b, c = _runs(tmp_path / "serial"), _runs(tmp_path / "procs"), _runs(tmp_path / "dask")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)


def test_resume_computes_only_what_is_missing(tmp_path, counting_executor):
    scen = _scenarios("baseline")
    jobs = comparison_jobs(scen, 6, 20, 1)
    store = Store(tmp_path / "e")
    store.open({"k": 1}, resume=False)
    first = run_jobs(jobs[:2], store, SerialExecutor(), progress=False)

    records = run_jobs(jobs, store, counting_executor, progress=False)
    assert counting_executor.ran == 4
    assert [r["id"] for r in records] == [j.id for j in jobs]
    assert records[:2] == first


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    """A hundred and twenty runs, killed part-way with SIGKILL, resumed: exactly the uninterrupted results."""
    args = ["compare", "baseline", "banner_mandate", "--replications", "60", "--weeks", "40",
            "--workers", "2", "--quiet", *SMALL_SET]
    killed = tmp_path / "killed"
    proc = _cli(*args, "--out", str(killed))
    runs_dir = killed / "runs"
    deadline = time.time() + 120
    while time.time() < deadline:
        if runs_dir.is_dir() and len(list(runs_dir.glob("*.json"))) >= 30:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list(runs_dir.glob("*.json")))
    assert 0 < partial < 120, partial
    assert not (killed / "runs.parquet").exists()

    resumed = _cli(*args, "--out", str(killed), "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    clean = _cli(*args, "--out", str(tmp_path / "clean"))
    _, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err

    a, b = _runs(killed), _runs(tmp_path / "clean")
    assert len(a) == 120 and not a.duplicated(["scenario", "replication"]).any()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(list(runs_dir.glob("*.json"))) == 120


@pytest.mark.parametrize("argv, needle", [
    (["compare", "baseline", "no_such_scenario"], "no_such_scenario"),
    (["compare", "baseline", "--set", "enforcment=1"], "Did you mean 'enforcement'"),
    (["compare", "baseline", "--set", "enforcement=3"], "between 0 and 1"),
    (["compare", "baseline", "baseline"], "named twice"),
    (["sweep", "baseline", "--vary", "enforcement=0-1-3"], "LOW:HIGH:STEPS"),
    (["sweep", "baseline", "--vary", "enforcement"], "malformed"),
    (["sweep", "baseline", "--vary", "enforcment=0:1:3"], "Did you mean 'enforcement'"),
    (["sweep", "baseline", "--vary", "enforcement=0:2:3"], "between 0 and 1"),
    (["sweep", "baseline", "--vary", "crm_rule=spend_drop,psychic"], "psychic"),
    (["sweep", "baseline", "--vary", "coaching_style=0:1:3"], "list its values"),
    (["compare", "baseline", "--scheduler", "tcp://127.0.0.1:1", "--dask-local"], "not allowed with"),
    (["compare", "baseline", "--scheduler", "tls://127.0.0.1:1"], "a tls:// address needs certificates"),
])
def test_bad_input_exits_2_before_any_run(tmp_path, capsys, argv, needle):
    out = tmp_path / "never"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.slow
def test_sweep_writes_tidy_parquet_and_plot(tmp_path):
    out = tmp_path / "sw"
    code = main(["sweep", "banner_mandate", "--vary", "enforcement=0:1:3", "--vary", "one_on_one=true,false",
                 "--replications", "2", "--weeks", "20", "--workers", "1", "--quiet", *SMALL_SET, "--out", str(out)])
    assert code == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3 * 2 * 2
    assert {"enforcement", "one_on_one", "revenue", "banner_avoidance_rate", "seed"} <= set(runs.columns)
    assert sorted(runs["enforcement"].unique()) == [0.0, 0.5, 1.0]
    summary = pd.read_csv(out / "sweep.csv")
    assert len(summary) == 6 and "revenue_ci_low" in summary
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    spec = json.loads((out / "spec.json").read_text())
    assert spec["kind"] == "sweep" and len(spec["jobs"]) == 12


@pytest.mark.slow
def test_compare_writes_the_documented_tables(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", "baseline", "banner_mandate", "--replications", "3", "--weeks", "20", "--workers", "1",
                 "--quiet", *SMALL_SET, "--out", str(out)])
    assert code == 0
    comp = pd.read_csv(out / "comparison.csv")
    assert list(comp.columns[:8]) == ["scenario", "kpi", "mean", "ci_low", "ci_high", "diff_vs_first",
                                      "diff_ci_low", "diff_ci_high"]
    from sim.kpis import KPIS

    assert set(comp["kpi"]) == set(KPIS) and set(comp["scenario"]) == {"baseline", "banner_mandate"}
    defined = comp[comp["mean"].notna()]  # KPIs with no events in these short runs are NaN
    assert set(comp.loc[comp["mean"].isna(), "kpi"]) <= {k for k, v in KPIS.items() if v.nan_when}
    assert (defined["ci_low"] <= defined["mean"]).all() and (defined["mean"] <= defined["ci_high"]).all()
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 6 and {"scenario", "replication", "seed", "enforcement", *KPIS} <= set(runs.columns)
    series = pd.read_parquet(out / "series.parquet")
    assert len(series) == 6 * 20 and {"scenario", "replication", "week", "revenue_week"} <= set(series.columns)
    assert "revenue" not in series.columns  # the annual KPI's name is not reused for the weekly series
    html = (out / "report.html").read_text()
    assert "Banner close-rate mandate" in html and "data:image/png;base64" in html
    assert "banner_avoidance_rate" in capsys.readouterr().out


@pytest.mark.slow
def test_latin_hypercube_sweep(tmp_path):
    out = tmp_path / "lhs"
    code = main(["sweep", "baseline", "--vary", "email_share=0:1:2", "--vary", "failure_rate=0.005:0.03:2",
                 "--design", "lhs", "--samples", "5", "--replications", "1", "--weeks", "20", "--workers", "1",
                 "--quiet", *SMALL_SET, "--out", str(out)])
    assert code == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["email_share"].nunique() == 5
    assert runs["failure_rate"].between(0.005, 0.03).all()
