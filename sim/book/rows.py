"""One row of each book file as a pydantic model: the per-value rules of docs/book.md (types, units, ranges)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Spend = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountRow(_Row):
    """One account of accounts.csv / accounts.parquet."""

    account_id: Text
    rep_id: Text
    spend_per_week: Spend | None = None
    spend_per_year: Spend | None = None
    segment: Text
    region: Text
    nps_score: Annotated[int, Field(ge=0, le=10)] | None = None
    satisfaction: Fraction | None = None
    share_of_wallet: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] | None = None
    problem_category: Literal["product", "price", "service"] | None = None
    problem_age_weeks: Annotated[int, Field(ge=0, le=520)] | None = None
    last_contact: dt.date | None = None
    churned_on: dt.date | None = None


class RepRow(_Row):
    """One rep of reps.csv / reps.parquet."""

    rep_id: Text
    manager_id: Text
    tenure_years: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)]
    win_rate: Fraction | None = None
    quota_attainment: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] | None = None
    left_on: dt.date | None = None


class OpportunityRow(_Row):
    """One closed opportunity of opportunities.csv / opportunities.parquet."""

    opportunity_id: Text
    account_id: Text
    rep_id: Text
    closed_on: dt.date
    outcome: Literal["won", "lost"]
    value: Spend | None = None


ROWS: dict[str, type[_Row]] = {"accounts": AccountRow, "reps": RepRow, "opportunities": OpportunityRow}
