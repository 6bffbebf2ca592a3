"""The batch API: one call, a tidy DataFrame back, the same numbers as the command line's runner."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.errors import UserError
from sim.experiment.tables import comparison_frame
from sim.experiment.tidy import describe, model_name, tidy_name

TINY = {"n_accounts": 300, "n_reps": 4, "n_managers": 2, "burn_in_weeks": 13}


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return sim.compare(["baseline", "banner_mandate"], replications=3, weeks=40, overrides=TINY)


def test_compare_gives_one_row_a_run_with_every_kpi_and_the_levers(runs):
    assert len(runs) == 6 and list(dict.fromkeys(runs.scenario)) == ["baseline", "banner_mandate"]
    assert {"replication", "seed", "profit", "banner_avoidance_rate", "banner_target"} <= set(runs.columns)
    # replication k of every scenario shares its seed (common random numbers)
    seeds = runs.pivot(index="replication", columns="scenario", values="seed")
    assert (seeds["baseline"] == seeds["banner_mandate"]).all()


def test_paired_differences_match_the_comparison_table(runs):
    table = sim.paired(runs, "profit", reference="baseline").set_index("scenario")
    comp = comparison_frame(runs, ["baseline", "banner_mandate"], ["profit"]).set_index("scenario")
    assert table.loc["banner_mandate", "diff"] == pytest.approx(comp.loc["banner_mandate", "diff_vs_first"])
    assert table.loc["banner_mandate", "diff_ci_low"] == pytest.approx(comp.loc["banner_mandate", "diff_ci_low"])
    flipped = sim.paired(runs, "profit", reference="banner_mandate").set_index("scenario")
    assert flipped.loc["baseline", "diff"] == pytest.approx(-table.loc["banner_mandate", "diff"])
    one = sim.paired(runs[runs.replication == 0], "profit", reference="baseline").set_index("scenario")
    assert one.loc["banner_mandate", "diff"] != 0 and not one.loc["banner_mandate", "distinguishable"], \
        "one replication has no interval, so it cannot tell a difference from zero"


def test_a_stored_comparison_resumes_to_the_same_table(tmp_path, runs):
    first = sim.compare(["baseline", "banner_mandate"], replications=3, weeks=40, overrides=TINY, out=tmp_path)
    again = sim.compare(["baseline", "banner_mandate"], replications=3, weeks=40, overrides=TINY, out=tmp_path,
                        resume=True)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, runs)


def test_stored_tables_say_what_each_column_means(tmp_path):
    """Parquet field metadata carries label, unit and definition; weekly and annual quantities have distinct
    names (revenue a year in the runs table, revenue_week in the weekly table), and the weekly rows flag the
    burn-in."""
    sim.compare(["baseline"], replications=2, weeks=20, overrides=TINY, out=tmp_path)
    runs = describe(tmp_path / "runs.parquet").set_index("column")
    series = describe(tmp_path / "series.parquet").set_index("column")
    assert runs.loc["revenue", "unit"] == "currency/year" and runs.loc["revenue", "kind"] == "kpi"
    assert series.loc["revenue_week", "unit"] == "currency/week" and series.loc["nps_week", "kind"] == "weekly series"
    assert not set(series.index) & set(runs.index) - {"scenario", "replication"}  # no name means two things
    assert runs.loc["banner_target", "kind"] == "lever" and runs.loc["seed", "kind"] == "identifier"
    assert runs["definition"].notna().all() and series["label"].notna().all()
    weekly = pd.read_parquet(tmp_path / "series.parquet")
    assert (weekly["burn_in"] == (weekly["week"] < TINY["burn_in_weeks"])).all() and weekly["burn_in"].any()


def test_sweep_runs_every_grid_point_on_shared_seeds():
    grid = sim.sweep(sim.load_scenario("banner_mandate", TINY), {"banner_target": [0.4, 0.7]}, replications=2,
                     weeks=30)
    assert sorted(grid.banner_target.unique()) == [0.4, 0.7] and len(grid) == 4
    by_point = sim.paired(grid, "profit", by="point")
    assert list(by_point.point) == [0, 1] and by_point.loc[0, "diff"] == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda r: sim.paired(r, "profits"), "'profits' is not a column"),
    (lambda r: sim.paired(r, "profit", reference="nope"), "reference 'nope' is not among"),
    (lambda r: sim.sweep("banner_mandate", {"banner_target": [0.4]}, design="lhs"), "needs (low, high) numbers"),
    (lambda r: sim.sweep("banner_mandate", {"banner_target": [2.0, 3.0]}), "banner_target"),
    (lambda r: sim.compare([]), "at least one scenario"),
])
def test_bad_requests_say_what_is_wrong(runs, call, message):
    with pytest.raises(UserError, match=None) as err:
        call(runs)
    assert message in str(err.value)


def test_tidy_weekly_names_never_reuse_a_kpi_name_and_map_back():
    from sim.kpis import KPIS, WEEKLY
    from sim.params import param_info

    tidy = {tidy_name(n) for n in WEEKLY}
    assert not tidy & (set(KPIS) | set(param_info())) and len(tidy) == len(WEEKLY)
    assert tidy_name("revenue") == "revenue_week" and tidy_name("banner_opened") == "banner_opened"
    assert tidy_name("failure_rate") == "failure_rate_week"  # the realised rate, not the lever
    assert all(model_name(tidy_name(n)) == n for n in WEEKLY)
    assert model_name("revenue_week") == "revenue" and model_name("spend_per_week") == "spend_per_week"
