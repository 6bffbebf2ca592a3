"""The room's declared numbers: each with its unit, allowed range and where its value comes from.

These shape how a workshop room plays (quarter length, how many tables and quarters, how the
pages poll); the sales unit itself is declared in :mod:`sim.params` and is not changed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.errors import UserError


@dataclass(frozen=True)
class Setting:
    """One declared number of the room: default, unit, allowed range and the source of the default."""

    name: str
    default: int
    unit: str
    lo: int
    hi: int
    source: str

    def check(self, value: int, where: str) -> int:
        """``value`` if within the range, else a UserError naming ``where``, the value and the range."""
        if not self.lo <= value <= self.hi:
            raise UserError(
                f"{where} {value} is outside the allowed range for {self.name.replace('_', ' ')}: "
                f"{self.lo} to {self.hi} {self.unit}."
            )
        return value


WEEKS_PER_QUARTER = Setting(
    "weeks_per_quarter",
    13,
    "weeks",
    13,
    13,
    "definition: a quarter is 13 weeks, as in the model's pay periods (sim.policies.pay)",
)
TABLES_MAX = Setting(
    "tables_max",
    20,
    "tables",
    1,
    60,
    "issue 17: a workshop room of 20 tables; 60 is the most a 2-core laptop serves within the "
    "10 s quarter budget at the default unit size (benchmarks/room_capacity.py)",
)
QUARTERS_MAX = Setting(
    "quarters_max",
    4,
    "quarters",
    1,
    20,
    "assumption: a 90-minute session plays 4 quarters, a half day 6 (docs/workshop.md); 20 quarters "
    "(5 years) bounds the replay after a restart",
)
LEVERS_MAX = Setting(
    "levers_max",
    6,
    "levers",
    1,
    8,
    "assumption: a table decides in about 5 minutes a quarter, which leaves time to weigh at most a handful of levers",
)
NAME_CHARS = Setting(
    "name_chars", 30, "characters", 1, 30, "assumption: a table name fits one leaderboard cell on a projector"
)
POLL_MS = Setting(
    "poll_ms",
    2000,
    "ms",
    500,
    10000,
    "assumption: pages refresh within 2 s of an advance; 20 tables then ask 10 times a second, a negligible load",
)
WORKER_NICE = Setting(
    "worker_nice",
    10,
    "nice levels",
    0,
    19,
    "assumption: quarter workers yield the cores to the pages and to a dashboard on the same "
    "laptop, so the facilitator's screens stay responsive while a quarter computes",
)


def workers() -> int:
    """Worker processes for the quarter pool: one per core (the room is the only heavy job on the laptop)."""
    return max(1, os.cpu_count() or 1)
