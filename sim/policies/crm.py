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

from sim.kernels import per_params
from sim.params import Params
from sim.population import Accounts, intent_table


@per_params
def banner_scalars(p: Params) -> np.ndarray:
    """The parameters the banner kernel reads, in its order."""
    return np.array([p.spend_drop_threshold, p.advocacy_low_share, p.flag_weeks, p.p_upsell, p.willingness_base,
                     p.upsell_room_gain, p.open_issue_appetite, p.deal_weeks, p.trail_weight], np.float64)


def update_banners(acc: Accounts, p: Params, observed: np.ndarray, season: np.ndarray,
                   key: np.ndarray) -> np.ndarray:
    """Raise new banners, withdraw banners from known detractors under fix-first; return new uids.

    One compiled pass (:func:`sim.kernels.needs.raise_banners`): ``spend_drop`` fires when this week's spend
    falls below its trailing average, ``seasonality_aware`` compares deseasonalised spend, ``advocacy_aware``
    flags surveyed promoters and passives (scores 7-10) with a share of wallet below ``advocacy_low_share``.
    Each new banner carries a latent sales play; its uniforms and the read are counter-based draws at the seat's
    address on ``key``, the week's banner stream (:mod:`sim.kernels.draws`).
    """
    from sim.kernels.needs import RULES, raise_banners

    table, mean0, mean_step = intent_table(float(p.intent_concentration))
    rule = RULES.index(p.crm_rule) if p.crm_rule in RULES else -1
    new, mean = raise_banners(rule, p.detractor_policy == "fix_first", acc.active, acc.flag, acc.flag_left,
                              acc.flag_cool, acc.flag_declined, acc.known_score, acc.share, acc.trail,
                              acc.trail_deseason, observed, season, acc.sat, acc.wallet, acc.issue, acc.play_intent,
                              acc.play_u, acc.play_buy, acc.play_value, acc.campaign, key, table, mean0, mean_step,
                              banner_scalars(p))
    acc.raise_flags(new, mean, p, key)
    return new
