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

QUARTER = 13  # weeks
BONUS_SCALE = 10_000.0  # quota bonus at which ``quota_chase`` is calibrated (currency)
EXPECTED_BANNER_OPENINGS = 6.0  # banner openings per rep per review that a bonus is spread over (assumption)
RELATIONSHIP_PAY_SCALE = 100.0  # retention or NPS pay that doubles a rep's care weight (assumption)


def close_rate_bonus_stake(p: Params) -> float:
    """Bonus at risk per unit of close-rate shortfall caused by one banner opening."""
    return p.close_rate_bonus / EXPECTED_BANNER_OPENINGS


def relationship_pay_weight(p: Params) -> float:
    """Extra weight on caring for accounts that retention- or NPS-linked pay adds."""
    return (p.retention_pay + p.nps_pay) / RELATIONSHIP_PAY_SCALE


def quota_gamble(p: Params, week_in_quarter: int, attained: float) -> float:
    """Extra share of time a rep behind quota puts on a big deal late in the quarter.

    ``attained`` is quota attainment so far (1 = met). Only a lump-sum quota
    bonus creates this pull, and only in the second half of the quarter.
    """
    if p.quota_bonus <= 0 or week_in_quarter < QUARTER // 2:
        return 0.0
    pace = (week_in_quarter + 1) / QUARTER
    behind = max(0.0, pace - attained)
    return p.quota_chase * behind * min(2.0, p.quota_bonus / BONUS_SCALE)


def commission(p: Params, deal_value):
    """Commission earned on deals of this value (a number or an array of deals)."""
    return p.commission_rate * deal_value


def banner_pay(p: Params, banner_closes: int) -> float:
    """Banner bonuses earned on this week's banner closes."""
    return p.banner_bonus * banner_closes
