"""Pay schemes: what a rep stands to earn from each kind of work (M3, M6).

Salary does not depend on behaviour and so does not enter decisions. Every
part is paid, and what it costs the firm is booked by :mod:`sim.economics`.
The variable parts each change what a rep weighs:
- ``commission_rate``: a share of deal value, for any deal;
- ``banner_bonus``: money per banner close (seed 000: by default nothing extra);
- ``close_rate_bonus``: paid per review if the banner close rate meets the
  target, so each low-odds banner opening puts part of it at risk;
- ``quota_bonus``: a quarterly lump sum that tempts reps behind quota to
  gamble on one big deal ("flash in the pan", seed 001);
- ``retention_pay`` and ``nps_pay``: money for kept accounts and promoters,
  which makes care for the relationship pay.
"""

from __future__ import annotations

from sim.params import Params
from sim.policies.plan import PERIOD_WEEKS, QUARTER


def close_rate_bonus_stake(p: Params) -> float:
    """Bonus at risk per unit of close-rate shortfall caused by one banner opening."""
    return p.close_rate_bonus / p.close_rate_bonus_openings


def relationship_pay_weight(p: Params) -> float:
    """Extra weight on caring for accounts that retention- or NPS-linked pay adds."""
    return (p.retention_pay + p.nps_pay) / p.relationship_pay_scale


def quota_gamble(p: Params, week: int, attained: float) -> float:
    """Extra share of time a rep behind quota puts on a big deal late in the pay period.

    ``attained`` is quota attainment so far (1 = met). Only a lump-sum quota
    bonus creates this pull, and only late in the period (from ``quota_chase_from_week``
    of a quarter, the same share of a year).
    """
    if p.quota_bonus <= 0:
        return 0.0
    period = PERIOD_WEEKS[p.pay_period]
    week_in_period = week % period
    if week_in_period * QUARTER < p.quota_chase_from_week * period:
        return 0.0
    pace = (week_in_period + 1) / period
    behind = max(0.0, pace - attained)
    return p.quota_chase * behind * min(p.quota_chase_bonus_cap, p.quota_bonus / p.quota_chase_reference_bonus)


def commission(p: Params, deal_value):
    """Commission earned on deals of this value (a number or an array of deals)."""
    return p.commission_rate * deal_value


def banner_pay(p: Params, banner_closes: int) -> float:
    """Banner bonuses earned on this week's banner closes."""
    return p.banner_bonus * banner_closes
