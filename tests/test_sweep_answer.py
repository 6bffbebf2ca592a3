"""A sweep's answer: the reference point, paired differences against it, the best points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiment.sweep_answer import best_points, point_differences, reference_point

POINTS = [{"enforcement": e, "coaching_style": c} for e in (0.0, 0.5, 1.0)
          for c in ("close_focused", "customer_focused")]


def test_reference_is_the_base_point_or_the_nearest() -> None:
    assert reference_point(POINTS, {"enforcement": 1.0, "coaching_style": "close_focused"}) == 4
    assert reference_point(POINTS, {"enforcement": 0.4, "coaching_style": "customer_focused"}) == 3
    assert reference_point(POINTS, {"enforcement": 0.9, "coaching_style": "no_such_style"}) in (4, 5)


def _runs(effects: list[float], noise: np.ndarray) -> pd.DataFrame:
    """Point p's profit in replication k: shared luck noise[k] plus the point's own effect."""
    rows = [{"point": p, "replication": k, "enforcement": float(p), "profit": noise[k] + e,
             "revenue_lost": noise[k] - e} for p, e in enumerate(effects) for k in range(len(noise))]
    return pd.DataFrame(rows)


def test_differences_are_paired_so_shared_luck_cancels() -> None:
    noise = np.array([0.0, 1e6, -1e6, 5e5])  # luck far larger than the effects, shared by every point
    d = point_differences(_runs([0.0, 10.0, -3.0], noise), ["enforcement"], reference=0).set_index("point")
    assert d.loc[1, "profit_diff"] == pytest.approx(10.0) and d.loc[1, "profit_diff_low"] == pytest.approx(10.0)
    assert bool(d.loc[1, "profit_distinct"]) and bool(d.loc[2, "profit_distinct"])
    assert not bool(d.loc[0, "profit_distinct"]) and bool(d.loc[0, "reference"])
    assert d.loc[2, "revenue_lost_diff"] == pytest.approx(3.0)


def test_a_difference_lost_in_unshared_noise_is_not_distinct() -> None:
    runs = _runs([0.0, 1.0], np.zeros(4))
    runs.loc[runs["point"] == 1, "profit"] += np.array([50.0, -50.0, 40.0, -40.0])
    d = point_differences(runs, ["enforcement"], reference=0).set_index("point")
    assert not bool(d.loc[1, "profit_distinct"])
    assert list(best_points(d.reset_index(), n=1)["point"]) == [1]


@pytest.mark.parametrize("levers", [["banner_target", "enforcement"],
                                    ["banner_target", "enforcement", "coaching_style"]])
def test_heatmap_of_a_grid_with_small_multiples_for_a_third_lever(tmp_path, levers) -> None:
    from sim.report.sweep_figure import plot_sweep_heatmap

    grid = [(e, t, c) for e in (0.0, 1.0) for t in (0.3, 0.9) for c in ("close_focused", "customer_focused")]
    rows = [{"point": i, "enforcement": e, "banner_target": t, "coaching_style": c, "reference": i == 0,
             "profit_diff": -i * 1e4, "profit_distinct": i % 2 == 1, "revenue_lost_diff": i * 1e4,
             "revenue_lost_distinct": True} for i, (e, t, c) in enumerate(grid) if len(levers) == 3 or c == grid[0][2]]
    path = plot_sweep_heatmap(pd.DataFrame(rows), levers, ("profit", "revenue_lost"), tmp_path / "h.png",
                              "which target and enforcement?")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_sweep_reference_must_name_a_varied_lever(capsys) -> None:
    from sim.cli import main

    assert main(["sweep", "baseline", "--vary", "enforcement=0:1:2", "--reference", "enforcment=1"]) == 2
    assert "did you mean 'enforcement'" in capsys.readouterr().err


def test_the_api_the_report_and_the_sweep_answer_give_one_paired_difference() -> None:
    """sim.paired, the report's all-pairs matrix and a sweep's answer share one implementation: same numbers,
    pairs matched by replication whatever the row order."""
    import sim
    from sim.experiment.summary import pairwise

    runs = _runs([0.0, 10.0, -3.0], np.array([0.0, 1e6, -1e6, 5e5])).sample(frac=1.0, random_state=2)
    runs.loc[runs.index[:3], "profit"] += np.array([4.0, -7.0, 2.0])
    runs["scenario"] = runs["point"].map({0: "a", 1: "b", 2: "c"})
    api = sim.paired(runs, "profit", reference="a", by="scenario").set_index("scenario")
    report = pairwise(runs, ["a", "b", "c"]).set_index(["scenario", "versus"])
    answer = point_differences(runs, ["enforcement"], reference=0).set_index("point")
    for point, name in ((1, "b"), (2, "c")):
        trio = (api.loc[name, ["diff", "diff_ci_low", "diff_ci_high"]].to_list(),
                report.loc[(name, "a"), ["diff", "ci_low", "ci_high"]].to_list(),
                answer.loc[point, ["profit_diff", "profit_diff_low", "profit_diff_high"]].to_list())
        assert trio[0] == trio[1] == trio[2]
    assert api.loc["a", "diff"] == 0.0 and report.loc[("b", "c"), "diff"] == pytest.approx(13.0, abs=5.0)
