"""What one stage of a week hands to a later stage of the same week, declared in one place.

:meth:`sim.model.SalesModel.start_week` makes a fresh :class:`Week` every week; each field says which stage
writes it and which stages read it. State that lives longer than a week (quarterly budgets, hours that
this week's remedies take from next week's) stays on the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Week:
    """This week's values passed between stages (arrays over seats or over rep slots)."""

    season: np.ndarray  # start_week -> needs, CRM, reps_work, customers_arrive: seasonal factor per seat
    observed: np.ndarray  # start_week -> CRM: spend delivered this week per seat (season and disruptions in)
    prospecting: np.ndarray  # reps_work -> customers_arrive: hours each slot prospected
    selling_skill: np.ndarray  # reps_work -> customers_arrive: each slot's skill this week (0 when vacant)
    unserved: np.ndarray  # needs_expire -> reps_review: needs each slot let lapse
    pending: np.ndarray  # needs_expire -> reps_review: needs each slot had open

    @classmethod
    def start(cls, season: np.ndarray, observed: np.ndarray, n_slots: int) -> Week:
        """A new week: the season and spend known at its start, the rest zero until its stage runs."""
        return cls(season=season, observed=observed, prospecting=np.zeros(n_slots),
                   selling_skill=np.zeros(n_slots), unserved=np.zeros(n_slots, np.int64),
                   pending=np.zeros(n_slots, np.int64))
