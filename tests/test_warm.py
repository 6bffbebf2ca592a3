"""What a run pays for besides its weeks of work: the warm step (sim.kernels.warm) compiles every kernel a run
calls, so a later process loads them all; the command line imports no heavy library it does not use; a batch
run that needs only KPIs records no weekly series, and gets the same KPIs."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from sim.errors import UserError
from sim.experiment.jobs import Job
from sim.experiment.worker import run_job
from sim.kernels import warm
from sim.model import SalesModel
from sim.scenario import load_scenario

# A run that compiles nothing prints its kernels' cache hits and misses (every kernel, helpers included).
COUNT_CHILD = """
import json
from sim.model import SalesModel
from sim.kernels.warm import dispatchers, looks_filled, warm
again = warm()  # on a filled cache: loads only
SalesModel(rng=2, n_accounts=150, n_reps=3, n_managers=1, burn_in_weeks=1, empowerment=True).run(14)
ds = dispatchers().values()
print(json.dumps({"filled": looks_filled(), "warm_compiled": again.compiled, "warm_loaded": again.loaded,
                  "hits": sum(sum(d.stats.cache_hits.values()) for d in ds),
                  "misses": sum(sum(d.stats.cache_misses.values()) for d in ds)}))
"""


def _named(sig) -> tuple[str, ...] | None:
    """A compiled signature as the manifest writes it, or None for one with a literal (a helper's constant)."""
    names = tuple(str(t) for t in sig)
    try:
        return names if warm.argument_types(names) == tuple(sig) else None
    except ValueError:
        return None


def test_the_manifest_lists_every_signature_that_runs_call():
    """If a kernel's argument types change, the warm step would compile the old ones: re-record them."""
    for name in ("baseline", "empowered_reps", "naive_crm_triggers", "no_banners"):
        p = load_scenario(name).params.replace(n_accounts=warm.RECORD_ACCOUNTS)
        SalesModel(p, rng=3).run(warm.RECORD_WEEKS)
    listed = {(e.kernel, e.args) for e in warm.entries()}
    kernels = warm.dispatchers()
    called = {(q, n) for q, d in kernels.items() for sig in d.signatures if (n := _named(sig)) is not None}
    assert called, "no kernel was called"
    missing = called - listed
    assert not missing, f"run python -m sim.kernels.warm --record; not listed: {sorted(missing)[:3]}"
    assert all(e.kernel in kernels for e in warm.entries())


def test_types_read_back_as_numba_writes_them_and_anything_else_is_refused():
    from numba.core import types

    ro = types.Array(types.float64, 1, "C", readonly=True)
    assert warm.numba_type(str(ro)) == ro and warm.numba_type("int64") == types.int64
    assert warm.numba_type("array(bool, 2d, A)") == types.Array(types.boolean, 2, "A")
    for bad in ("Literal[int](0)", "array(nothing, 1d, C)", "__import__", "float64 "):
        with pytest.raises(ValueError):
            warm.numba_type(bad)


def test_the_work_is_split_evenly_and_each_group_keeps_the_manifest_order():
    todo = warm.entries()
    groups = warm.split(todo, 2)
    assert sorted((e for g in groups for e in g), key=todo.index) == todo
    loads = [sum(e.seconds for e in g) for g in groups]
    assert max(loads) - min(loads) <= max(e.seconds for e in todo)
    for g in groups:
        assert g == sorted(g, key=todo.index)


def test_a_stale_list_is_counted_and_leaves_those_kernels_to_compile_lazily():
    """A kernel whose arguments changed after the list was recorded must not break the warm step or a run."""
    first = warm.entries()[0]
    stale = [
        warm.Entry(first.kernel, first.args[:-1], 0.1),  # one argument fewer
        warm.Entry(first.kernel, ("array(int8, 1d, C)",) * len(first.args), 0.1),  # types it cannot take
        warm.Entry("sim.kernels.week.gone", first.args, 0.1),  # a kernel that no longer exists
        warm.Entry(first.kernel, ("Literal[int](0)",), 0.1),  # a type the list cannot name
    ]
    out = warm.compile_entries(stale)
    assert (out.stale, out.compiled) == (4, 0)


def test_an_empty_cache_folder_does_not_look_filled(monkeypatch, tmp_path):
    """A batch checks this before its workers start (filled: they load; empty: the warm step runs first)."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not warm.looks_filled()


@pytest.mark.slow
def test_the_warm_step_fills_an_empty_cache_and_a_second_process_compiles_nothing(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "SALESIM_ANNOUNCE_COMPILE": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "sim.kernels.warm", "--processes", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "compiled" in done.stdout and "already" not in done.stdout
    assert any((tmp_path / "cache").rglob("*.nbi"))
    second = subprocess.run(
        [sys.executable, "-c", COUNT_CHILD], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert second.returncode == 0, second.stderr
    counts = json.loads(second.stdout.strip().splitlines()[-1])
    assert counts["misses"] == 0 and counts["hits"] >= 20 and counts["filled"], counts
    assert counts["warm_compiled"] == 0 and counts["warm_loaded"] == len(warm.entries()), counts


HEAVY = ("pandas", "scipy", "mesa", "matplotlib", "pyarrow", "optuna", "numba", "SALib", "dask")


def test_the_command_line_and_import_sim_load_no_heavy_library_until_a_command_needs_it():
    """``salesim --help`` cost about 2 s when ``import sim`` imported the model and the batch API eagerly."""
    code = (
        "import sys, sim, sim.cli\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "from sim import SalesModel\n"
        "print('mesa' in sys.modules and SalesModel.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "" and after == "sim.model"


def _same(a: dict, b: dict) -> bool:
    """Equal to the last bit, NaN equal to NaN (a KPI with no events)."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)


def test_a_run_without_weekly_series_has_the_same_kpis_to_the_last_bit():
    small = {"n_accounts": 200, "n_reps": 3, "n_managers": 1, "burn_in_weeks": 4}
    kept = SalesModel(rng=5, enforcement=1.0, **small).run(30)
    skipped = SalesModel(rng=5, enforcement=1.0, record_weekly=False, **small).run(30)
    assert _same(kept.kpis(), skipped.kpis())
    assert len(kept.weekly()) == 30
    with pytest.raises(UserError, match="record_weekly"):
        skipped.weekly()


def test_a_job_that_keeps_no_series_ships_none_and_the_same_kpis():
    params = load_scenario("banner_mandate").params.replace(n_accounts=200, n_reps=3, n_managers=1, burn_in_weeks=4)
    job = Job(label="banner_mandate", params=params.model_dump(), replication=0, seed=11, weeks=30)
    with_series = run_job(job)
    without = run_job(dataclasses.replace(job, keep_series=False))
    assert len(with_series["series"]["revenue"]) == 30 and "series" not in without
    assert _same(with_series["kpis"], without["kpis"])
