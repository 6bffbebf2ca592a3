"""Helpers for tests that draw parameter values anywhere in their declared ranges."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def budget(examples: int) -> settings:
    """Settings for a model-running property: no deadline, reproducible draws, a fixed number of examples."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def value_of(info) -> st.SearchStrategy:
    """Any value a parameter may take: its bounds (corners) or a point between them."""
    if info.choices:
        return st.sampled_from(info.choices)
    if info.kind == "bool":
        return st.booleans()
    hi = info.le if info.le is not None else 10 * max(1.0, abs(info.default))
    if info.kind == "int":
        return st.integers(int(info.ge), int(min(hi, 60)))
    return st.one_of(st.sampled_from([info.ge, hi]), st.floats(info.ge, hi))


def repair_combinations(values: dict) -> dict:
    """Repair draws that Params refuses as a combination (each value alone is in range).

    A detractor threshold above the promoter threshold is lowered to it; product and price
    shares of the issue mix that add to more than one are scaled down to sum to one. Without a quota,
    the plan elements that pay against one are switched off; a team quota comes without a draw; an
    accelerator needs a cap above quota.
    """
    if values.get("quota_setting") == "none":
        values.update(quota_bonus=0.0, accelerator=1.0, decelerator=1.0, commission_cap=0.0, team_quota=False)
    if values.get("team_quota") and values.get("draw", 0.0) > 0:
        values["draw"] = 0.0
    if 0 < values.get("commission_cap", 0.0) <= 1.0 and values.get("accelerator", 1.0) > 1.0:
        values["commission_cap"] = 0.0
    if "detractor_sat" in values and "promoter_sat" in values:
        values["detractor_sat"] = min(values["detractor_sat"], values["promoter_sat"])
    if "product_issue_share" in values and "price_issue_share" in values:
        total = values["product_issue_share"] + values["price_issue_share"]
        if total > 1.0:
            values["product_issue_share"] /= total
            values["price_issue_share"] = min(values["price_issue_share"] / total,
                                              1.0 - values["product_issue_share"])
    return values
