"""A pay plan's shape, and what it makes the next sale worth to a rep (M13, FACTS 1-2).

A plan pays, over each pay period, a commission on the period's sales ``S``
that is piecewise linear in ``S`` with breakpoints at multiples of the quota
``Q``: ``decelerator`` x rate below ``decelerator_below`` x Q, the rate up to
Q, ``accelerator`` x rate above Q, and nothing above ``commission_cap`` x Q.
A non-recoverable draw ``D`` tops the period's commission up to D; the quota
bonus is a lump sum at S >= Q. A plan with none of these is linear: every
sale pays ``commission_rate`` and nothing below depends on the quota.

A rep cannot know its period's sales in advance. It forecasts them from what
it has sold so far plus its own run rate (an exponentially weighted mean and
variance of its weekly deal revenue), as a normal distribution, and values
the next unit of sales at the expected slope of the plan there:

    marginal rate = sum over pieces of rate x P(S ends in the piece, above the draw)
                    + bonus x density of S at Q
                    + foresight x ratchet x E[d next period's pay / d next quota]

The last term is how a ratchet makes selling more this period cost the rep
next period. Everything here is vectorised over pay units (a rep, or a team
under ``team_quota``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.kernels import libm
from sim.params import Params

QUARTER = 13  # weeks
PERIOD_WEEKS = {"quarter": QUARTER, "year": 4 * QUARTER}
_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


@dataclass(frozen=True)
class PayPlan:
    """The plan's elements, read once from the parameters."""

    rate: float
    accelerator: float
    decelerator: float
    decelerator_below: float
    cap: float  # x quota, 0 = none
    bonus: float  # per period
    draw: float  # per rep-week
    period: int  # weeks
    ratchet: float  # 0 unless quotas are ratcheted
    has_quota: bool

    @classmethod
    def of(cls, p: Params) -> PayPlan:
        """The plan a scenario's parameters declare."""
        return cls(rate=p.commission_rate, accelerator=p.accelerator, decelerator=p.decelerator,
                   decelerator_below=p.decelerator_below, cap=p.commission_cap, bonus=p.quota_bonus,
                   draw=p.draw, period=PERIOD_WEEKS[p.pay_period],
                   ratchet=p.ratchet_rate if p.quota_setting == "ratchet" else 0.0,
                   has_quota=p.quota_setting != "none")

    @property
    def linear(self) -> bool:
        """True if every sale pays ``rate`` whatever came before: no tier, cap, draw or quota bonus."""
        return (self.accelerator == 1.0 and self.decelerator == 1.0 and self.cap == 0.0 and self.bonus == 0.0
                and self.draw == 0.0)

    # --- the schedule ----------------------------------------------------------------
    def pieces(self, quota: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start of each linear piece (units x 5, in currency, sorted, the last at infinity) and its rate."""
        q = np.asarray(quota, dtype=float)
        inf = np.full_like(q, np.inf)
        cap = self.cap * q if self.cap > 0 else inf
        starts = np.sort(np.stack([np.zeros_like(q), self.decelerator_below * q, q, cap, inf], axis=-1), axis=-1)
        return starts, self._rate_at(starts, q, cap)

    def _rate_at(self, s: np.ndarray, q: np.ndarray, cap: np.ndarray) -> np.ndarray:
        """Commission per unit of sales at period sales ``s`` (just above it, at a breakpoint)."""
        q2, cap2 = q[..., None], cap[..., None]
        rate = np.where(s < self.decelerator_below * q2, self.rate * self.decelerator,
                        np.where(s < q2, self.rate, self.rate * self.accelerator))
        rate = np.where(q2 > 0, rate, self.rate)  # no quota: one rate throughout
        return np.where(s >= cap2, 0.0, rate)

    def commission(self, sales: np.ndarray, quota: np.ndarray) -> np.ndarray:
        """Commission earned by period sales ``sales`` against ``quota`` (before the draw)."""
        starts, rates = self.pieces(quota)
        lo, hi = starts[..., :-1], starts[..., 1:]
        finite = np.isfinite(lo)
        base = np.where(finite, lo, 0.0)
        over = np.asarray(sales, dtype=float)[..., None] - base
        within = np.where(finite, np.minimum(np.maximum(over, 0.0), hi - base), 0.0)
        return np.sum(rates[..., :-1] * within, axis=-1)

    def _steps(self, starts: np.ndarray, rates: np.ndarray) -> np.ndarray:
        """Commission earned across each whole piece (0 for the open-ended and empty ones)."""
        with np.errstate(invalid="ignore"):
            width = np.diff(starts, axis=-1)
        return np.where(np.isfinite(width), rates[..., :-1] * np.where(np.isfinite(width), width, 0.0), 0.0)

    def _draw_point(self, starts: np.ndarray, rates: np.ndarray, draw: np.ndarray) -> np.ndarray:
        """Sales at which commission first exceeds the draw (-inf with no draw, inf if it never does)."""
        steps = self._steps(starts, rates)
        before = np.concatenate([np.zeros(steps.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
        point = np.full(draw.shape, np.inf)
        for k in range(starts.shape[-1] - 1):
            lo, r = before[..., k], rates[..., k]
            hit = (lo <= draw) & (r > 0) & np.isinf(point)
            at = starts[..., k] + np.where(r > 0, (draw - lo) / np.where(r > 0, r, 1.0), 0.0)
            inside = hit & (at <= starts[..., k + 1])
            point = np.where(inside, at, point)
        return np.where(draw <= 0, -np.inf, point)

    # --- what the next sale is worth ---------------------------------------------------------
    def marginal_rate(self, mean: np.ndarray, sd: np.ndarray, quota: np.ndarray,
                      draw: np.ndarray | float = 0.0) -> np.ndarray:
        """Expected pay per unit of extra sales when period sales end ~ Normal(``mean``, ``sd``)."""
        mean, sd, quota = (np.asarray(x, dtype=float) for x in (mean, sd, quota))
        if self.linear:
            return np.full(mean.shape, self.rate)
        draw = np.broadcast_to(np.asarray(draw, dtype=float), mean.shape)
        starts, rates = self.pieces(quota)
        floor = self._draw_point(starts, rates, draw)[..., None]
        lo = np.maximum(_open_below(starts[..., :-1]), floor)
        hi = np.maximum(starts[..., 1:], floor)
        m, s = mean[..., None], sd[..., None]
        share = ndtr((hi - m) / s) - ndtr((lo - m) / s)
        out = np.sum(rates[..., :-1] * share, axis=-1)
        if self.bonus > 0 and self.has_quota:
            out = out + self.bonus * _density(quota, mean, sd)
        return out

    def quota_slope(self, mean: np.ndarray, sd: np.ndarray, quota: np.ndarray) -> np.ndarray:
        """Expected change of a period's pay per unit of extra quota (<= 0): what a ratchet costs.

        The schedule scales with the quota, so within a piece C = c0 + rate x S changes by c0 / Q per unit
        of quota; the bonus is lost where S is near Q.
        """
        mean, sd, quota = (np.asarray(x, dtype=float) for x in (mean, sd, quota))
        starts, rates = self.pieces(quota)
        steps = self._steps(starts, rates)
        before = np.concatenate([np.zeros(steps.shape[:-1] + (1,)), np.cumsum(steps[..., :-1], axis=-1)],
                                axis=-1)
        lo, hi = starts[..., :-1], starts[..., 1:]
        intercept = np.where(np.isfinite(lo), before - rates[..., :-1] * np.where(np.isfinite(lo), lo, 0.0), 0.0)
        m, s = mean[..., None], sd[..., None]
        share = ndtr((hi - m) / s) - ndtr((_open_below(lo) - m) / s)
        q = np.where(quota > 0, quota, 1.0)
        out = np.where(quota > 0, np.sum(intercept * share, axis=-1) / q, 0.0)
        if self.bonus > 0 and self.has_quota:
            out = out - self.bonus * _density(quota, mean, sd)
        return out


def _open_below(lo: np.ndarray) -> np.ndarray:
    """Piece starts with the first one open below: a forecast's mass under zero sales pays the first rate."""
    out = lo.copy()
    out[..., 0] = -np.inf
    return out


def _density(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Normal density at ``x``."""
    z = (x - mean) / sd
    return libm.exp(-0.5 * z * z) / (sd * _SQRT_2PI)
