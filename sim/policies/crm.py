"""CRM banner rules: which accounts get a banner (a flagged sales play) this week (M10, seed 004).

- ``spend_drop`` fires when this week's spend falls below its trailing average;
  it is fooled by seasonal troughs and by supply disruptions.
- ``seasonality_aware`` compares deseasonalised spend, so only real drops fire.
- ``advocacy_aware`` flags surveyed promoters and passives with a low share of
  wallet: the accounts with room to grow and goodwill to grow it.
With ``detractor_policy = "fix_first"``, known detractors get no banner until
their score recovers; instead their rep is asked to call them back (see
``SalesModel.crm_raises_banners``).
"""

from __future__ import annotations

import numpy as np

from sim.params import Params
from sim.population import Accounts


def candidates(acc: Accounts, p: Params, observed: np.ndarray, season: np.ndarray) -> np.ndarray:
    """Boolean mask of accounts the rule would flag this week (before eligibility)."""
    if p.crm_rule == "spend_drop":
        return observed < (1.0 - p.spend_drop_threshold) * acc.trail
    if p.crm_rule == "seasonality_aware":
        return observed / season < (1.0 - p.spend_drop_threshold) * acc.trail_deseason
    if p.crm_rule == "advocacy_aware":
        return (acc.known_score >= 7) & (acc.share < p.advocacy_low_share)
    return np.zeros(acc.n, bool)


def update_banners(acc: Accounts, p: Params, observed: np.ndarray, season: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Raise new banners, withdraw banners from known detractors under fix-first; return new uids."""
    eligible = acc.active & ~acc.flag & (acc.flag_cool <= 0)
    if p.detractor_policy == "fix_first":
        detractor = (acc.known_score >= 0) & (acc.known_score <= 6)
        eligible &= ~detractor
        withdrawn = np.flatnonzero(acc.flag & detractor)
        acc.clear_flags(withdrawn, 0)
    new = np.flatnonzero(eligible & candidates(acc, p, observed, season))
    acc.raise_flags(new, p, season, rng)
    acc.trail += p.trail_weight * (observed - acc.trail)
    acc.trail_deseason += p.trail_weight * (observed / season - acc.trail_deseason)
    acc.flag_cool -= acc.flag_cool > 0
    return new
