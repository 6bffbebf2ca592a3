"""Company operations: problems by category, how they reach the company, and fixing them.

Operations create issues (product, price, service) at a failure rate; supply
disruptions add product failures and cut deliveries (M7, seed 004). Issues
are fixed only once reported, in the order the feedback loop sets, within a
weekly capacity; root causes are fixed by projects started from escalations
(M9) or, with a closed loop, from the feedback data itself (M10). Root-cause
gains do not last for ever: new failure modes appear and fixes wear off, so
each category's failure rate drifts back toward its base at
``failure_drift`` per week and operations reach a steady state (M11).

Per-seat numbers are counter-based draws at each seat's address (sim.kernels.draws), and the
disruption and capacity draws come at a fixed count each week, so paired runs face the same shocks.
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.params import Params
from sim.population import NO_ISSUE, PRICE, PRODUCT, SERVICE_ISSUE, Accounts, nps_score


def issue_mix(p: Params) -> dict[int, float]:
    """Share of new problems in each category: product and price as declared, service the rest."""
    return {PRODUCT: p.product_issue_share, PRICE: p.price_issue_share,
            SERVICE_ISSUE: 1.0 - p.product_issue_share - p.price_issue_share}


class Operations:
    """The company's delivery and service machinery."""

    def __init__(self, p: Params) -> None:
        self.p = p
        self.base = {c: p.failure_rate * w for c, w in issue_mix(p).items()}
        self.rate = dict(self.base)
        self._categories = np.array(list(self.rate), np.int8)  # the categories in code order, as kernels read them
        self.floor = {c: r * p.root_fix_floor for c, r in self.rate.items()}
        self.disruption_left = 0
        self.projects: list[list[int]] = []  # [category, weeks left]
        self.focus = {c: 0 for c in self.base}  # weeks a heard escalation keeps a category's fixes first
        self.root_fixes = 0
        self.fix_wait: list[float] = []

    def adopt(self, p: Params) -> None:
        """New levers mid-run: a new ``failure_rate`` scales each category's base, floor and current rate (so
        root-cause fixes already made keep their share); other levers are read as they are used."""
        old, old_base, self.p = self.p.failure_rate, self.base, p
        if p.failure_rate == old:
            return
        self.base = {c: p.failure_rate * w for c, w in issue_mix(p).items()}
        self.floor = {c: r * p.root_fix_floor for c, r in self.base.items()}
        self.rate = {c: self.base[c] if self.rate[c] == old_base[c] else self.rate[c] * (p.failure_rate / old)
                     for c in self.base}

    @property
    def disrupted(self) -> bool:
        return self.disruption_left > 0

    def failure_rate_now(self) -> float:
        """Total weekly failure probability per account at current root-cause state."""
        return float(sum(self.rate.values()))

    def step_disruption(self, acc: Accounts, rng: np.random.Generator) -> None:
        """Start or run down a supply disruption; touched accounts get a product problem.

        Two numbers are drawn every week (the start uniform and a seed for the
        touched accounts' draws), so the stream's position never depends on
        whether a disruption is running.
        """
        start = rng.random()
        seed = int(rng.integers(2**63))
        if self.disruption_left > 0:
            self.disruption_left -= 1
            if self.disruption_left == 0:
                acc.disrupted[:] = False
            return
        if start < self.p.disruption_rate:
            self.disruption_left = self.p.disruption_weeks
            u = np.random.default_rng(seed).random((3, acc.n))
            touched = acc.active & (u[0] < self.p.disruption_reach)
            acc.disrupted[:] = touched
            hit = np.flatnonzero(touched & (acc.issue == NO_ISSUE))
            self._open(acc, hit, np.full(hit.size, PRODUCT, np.int8), u[1:, hit])

    def create_issues(self, acc: Accounts, key: np.ndarray) -> None:
        """Operations fail some accounts this week, by category (one compiled pass,
        :func:`sim.kernels.operations.fail`)."""
        from sim.kernels.operations import fail

        cats = self._categories
        # The running total of the rates in code order, as np.cumsum adds them; its last entry is the total rate.
        cum = np.array(list(itertools.accumulate(self.rate[c] for c in self.rate)))
        fail(acc.active, acc.issue, acc.issue_sev, acc.issue_age, acc.issue_wait, acc.issue_reported, key, cum,
             cats, self.p.issue_severity_min, self.p.complaint_rate)

    def _open(self, acc: Accounts, uids: np.ndarray, cats: np.ndarray, u: np.ndarray) -> None:
        """Open issues of ``cats`` on ``uids``; ``u`` holds two uniforms per account (severity, complaint)."""
        acc.issue[uids] = cats
        low = self.p.issue_severity_min
        acc.issue_sev[uids] = low + (1.0 - low) * u[0]
        acc.issue_age[uids] = 0
        acc.issue_wait[uids] = 0
        # Few customers complain unprompted (FACTS 14).
        acc.issue_reported[uids] = u[1] < self.p.complaint_rate

    def survey(self, acc: Accounts, week: int, key: np.ndarray) -> np.ndarray:
        """Ask customers how likely they are to recommend us; respondents report open problems.

        A customer's response uniform is a counter-based draw at its seat on ``key`` (the week's feedback
        stream, :mod:`sim.kernels.draws`), computed only in survey weeks.
        """
        from sim.kernels.draws import uniforms_at

        if self.p.feedback_loop == "none" or week % self.p.survey_weeks != 0:
            return np.empty(0, np.int64)
        active = np.flatnonzero(acc.active)
        resp = active[uniforms_at(key, active, 0) < self.p.survey_response]
        acc.known_score[resp] = nps_score(acc.sat[resp])  # int8, as known_score
        acc.issue_reported[resp] |= acc.issue[resp] != NO_ISSUE
        if self.p.feedback_loop == "closed_loop":
            self._prioritise_root_cause(acc)
        return resp

    def priority(self, acc: Accounts) -> dict[int, float]:
        """Frequency x severity of each category among reported problems (seed 004)."""
        rep = acc.active & acc.issue_reported & (acc.issue != NO_ISSUE)
        out = {}
        for c in self.rate:
            m = rep & (acc.issue == c)
            out[c] = float(m.sum() * acc.issue_sev[m].mean()) if m.any() else 0.0
        return out

    def _prioritise_root_cause(self, acc: Accounts) -> None:
        pr = self.priority(acc)
        top = max(pr, key=lambda c: pr[c])  # a tie goes to the first category in code order
        if pr[top] > 0:
            self.start_root_fix(top)

    def start_root_fix(self, category: int) -> bool:
        """Start a root-cause project for a category unless one is running or the root-cause team is full."""
        if any(c == category for c, _ in self.projects) or len(self.projects) >= self.p.root_fix_capacity:
            return False
        self.projects.append([category, self.p.root_fix_weeks])
        return True

    def hear_escalation(self, category: int) -> None:
        """Leadership heard an escalation: its category's open fixes go first for a while, and a root-cause
        project starts if the team has room (M9)."""
        self.focus[category] = self.p.escalation_focus_weeks
        self.start_root_fix(category)

    def fix_order(self, acc: Accounts, queue: np.ndarray) -> np.ndarray:
        """Order of the reported problems in ``queue`` for fixing (positions into ``queue``).

        Expedited remedies and categories under a heard escalation come first; then, with a closed loop,
        frequency x severity of the category among reported problems (seed 004); with surveys, the
        severity customers reported; without feedback, first come first served. Older problems break ties,
        then the lower account id (``queue`` is in id order and lexsort is stable), the same on every CPU.
        """
        cats = acc.issue[queue]
        focused = self._by_category({c: self.focus[c] > 0 for c in self.focus})[cats] > 0
        if self.p.feedback_loop == "closed_loop":
            key = self._by_category(self.priority(acc))[cats] * acc.issue_sev[queue]
        elif self.p.feedback_loop == "survey":
            key = acc.issue_sev[queue]
        else:
            key = np.zeros(queue.size)
        wait = acc.issue_wait[queue]
        overdue = np.where(wait >= self.p.fix_sla_weeks, wait, -1)
        return np.lexsort((-acc.issue_age[queue], -key, ~focused, ~acc.issue_expedite[queue], -overdue))

    @staticmethod
    def _by_category(values: dict[int, float]) -> np.ndarray:
        """A per-category value as a table indexed by issue code (no issue: 0), for lookups over a queue."""
        table = np.zeros(max(values) + 1)
        for c, v in values.items():
            table[c] = v
        return table

    def fix(self, acc: Accounts, rng: np.random.Generator, key: np.ndarray) -> np.ndarray:
        """Fix reported problems within capacity; returns the uids fixed this week (the account passes are
        compiled, :mod:`sim.kernels.operations`). ``rng`` rounds the capacity; unreported problems fade at
        counter-based draws on ``key``, the week's fix stream."""
        from sim.kernels.operations import open_problems, settle

        # New failure modes appear and old fixes wear off; finished projects lower a category's rate.
        for c, base in self.base.items():
            self.rate[c] += self.p.failure_drift * (base - self.rate[c])
        for proj in list(self.projects):
            proj[1] -= 1
            if proj[1] <= 0:
                c = proj[0]
                self.rate[c] = max(self.floor[c], self.rate[c] * (1 - self.p.root_fix_effect))
                self.root_fixes += 1
                self.projects.remove(proj)
        queue, silent = open_problems(acc.active, acc.issue, acc.issue_reported)
        cap_f = self.p.fix_capacity * np.count_nonzero(acc.active)
        cap = int(cap_f) + int(rng.random() < cap_f - int(cap_f))
        if queue.size > cap:
            queue = queue[self.fix_order(acc, queue)[:cap]]
        for c in self.focus:
            self.focus[c] = max(0, self.focus[c] - 1)
        # Unreported problems sometimes fade without anyone fixing them; the fixed ones are closed.
        waits = settle(queue, silent, key, self.p.self_resolve, acc.issue, acc.issue_sev, acc.issue_age,
                       acc.issue_wait, acc.issue_reported, acc.issue_expedite, acc.sat, self.p.fix_recovery)
        self.fix_wait.extend(waits.tolist())
        return queue

    @staticmethod
    def resolve(acc: Accounts, uids: np.ndarray) -> None:
        """Close the open issue of these accounts."""
        from sim.kernels.accounts import close_problems

        close_problems(uids, acc.issue, acc.issue_sev, acc.issue_age, acc.issue_wait, acc.issue_reported,
                       acc.issue_expedite)
