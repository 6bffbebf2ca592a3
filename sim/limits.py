"""How much work one command may ask for: every size cap in one place, each with its reason.

Sizes are checked before any work starts (before jobs, design points or sample
matrices are built), so a mistyped ``--replications 1000000000`` fails at once
with an estimate instead of exhausting memory. Two kinds of limit:

- a **cap** (:class:`Cap`) is refused outright: beyond it a request is a typo,
  or the simulator cannot hold it in memory at all;
- **large work** (more than :data:`LARGE_RUNS` runs, or an estimate beyond
  :data:`LARGE_HOURS` hours or :data:`LARGE_MEMORY_GB` GB) needs ``--large``,
  so a long experiment is always asked for on purpose.

The estimates come from measured constants (see below); they are rough, and
meant to tell minutes from days.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.errors import UserError


@dataclass(frozen=True)
class Cap:
    """A hard upper bound on one size, and why it is there."""

    name: str
    limit: int
    reason: str

    def check(self, value: int, label: str | None = None, cost: Estimate | None = None) -> int:
        """Return ``value`` when it is within the cap, else raise a UserError naming it, the reason and the cost."""
        if value > self.limit:
            raise UserError(self.refusal(value, label, cost))
        return value

    def refusal(self, value: int, label: str | None = None, cost: Estimate | None = None, basis: str = "") -> str:
        """The message for a value above the cap: what was asked, the limit, why, and (if known) the cost.

        ``basis`` says what the estimate assumes, e.g. " at the default size".
        """
        need = f" It would need {cost.text()}{basis}." if cost is not None else ""
        what = self.name if label is None else label
        return (f"{what + ' ' if what else ''}{value:,} is above the limit of {self.limit:,}: {self.reason}.{need} "
                f"Choose a value of at most {self.limit:,}.")


WEEKS = Cap("--weeks", 5_200,
            "a run keeps one row per week in memory, and the behavioural parameters describe a business over "
            "a few years, so runs beyond 100 years (5,200 weeks) mean nothing")
REPLICATIONS = Cap("--replications", 100_000,
                   "interval widths shrink with the square root of the replications, so beyond 100,000 more "
                   "replications only cost time")
DESIGN_POINTS = Cap("design points", 1_000_000,
                    "every design point is built in memory before the first run starts")
RUNS = Cap("runs", 1_000_000,
           "every run's description and result are held in memory (several KB each)")
WORKERS = Cap("--workers", 256, "each worker is a separate process with its own copy of the model")
POPULATION = Cap("--population", 100_000, "pyABC holds every particle of a generation in memory")
GENERATIONS = Cap("--generations", 1_000, "ABC-SMC generations beyond this do not move the posterior")
FILE_BYTES = Cap("file size", 1_000_000, "input files are small text files; a larger file is not one of them")

LARGE_RUNS = 20_000
LARGE_HOURS = 8.0
LARGE_MEMORY_GB = 4.0

ACCOUNT_WEEKS_PER_SECOND = 250_000  # one core; measured: baseline, 2,000 accounts x 104 weeks in about 0.8 s
BYTES_PER_RUN = 4_000  # a job's full parameter set plus its KPIs (measured: about 3.6 KB per job)
BYTES_PER_RUN_WEEK = 500  # a run's weekly series: about 50 numbers a week, as a table
DEFAULT_WEEKS = 104  # for estimates made before a scenario is loaded: the default run length ...
DEFAULT_ACCOUNTS = 2_000  # ... and the default number of accounts (sim/params.py)


@dataclass(frozen=True)
class Estimate:
    """Rough cost of a batch of runs."""

    runs: int
    memory_bytes: float
    cpu_seconds: float
    workers: int

    @property
    def wall_seconds(self) -> float:
        return self.cpu_seconds / max(1, self.workers)

    def text(self) -> str:
        """'about 3.2 GB of memory and 14 days on 2 cores'."""
        cores = f"{self.workers} core{'s' if self.workers != 1 else ''}"
        return f"about {_bytes(self.memory_bytes)} of memory and {_duration(self.wall_seconds)} on {cores}"


def estimate(runs: int, weeks: int, accounts: int, workers: int | None = None) -> Estimate:
    """Memory and time for ``runs`` runs of ``weeks`` weeks with ``accounts`` accounts each."""
    n = workers or cpu_count()
    memory = runs * (BYTES_PER_RUN + weeks * BYTES_PER_RUN_WEEK)
    return Estimate(runs, float(memory), runs * weeks * accounts / ACCOUNT_WEEKS_PER_SECOND, n)


def check_work(what: str, runs: int, weeks: int, accounts: int, workers: int | None, large: bool) -> Estimate:
    """Refuse work above the hard caps, and large work without ``--large``; return the estimate."""
    est = estimate(runs, weeks, accounts, workers)
    if runs > RUNS.limit:
        raise UserError(f"{what} asks for {runs:,} runs, above the limit of {RUNS.limit:,} ({RUNS.reason}); it "
                        f"would need {est.text()}. Use fewer replications or design points.")
    too_big = (runs > LARGE_RUNS or est.wall_seconds > LARGE_HOURS * 3600
               or est.memory_bytes > LARGE_MEMORY_GB * 1e9)
    if too_big and not large:
        raise UserError(f"{what} asks for {runs:,} runs of {weeks:,} weeks with {accounts:,} accounts: "
                        f"{est.text()}. That is large work (more than {LARGE_RUNS:,} runs, {LARGE_HOURS:g} hours "
                        f"or {LARGE_MEMORY_GB:g} GB): add --large to confirm, or use fewer replications, design "
                        "points or weeks.")
    return est


def cpu_count() -> int:
    """Cores this process may use (its CPU affinity where the system reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{max(n, 0) / 1e3:,.0f} KB"


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:,.0f} seconds"
