"""The customers' weekly update (:meth:`sim.model.SalesModel.customers_decide`) as one compiled pass.

Satisfaction drifts, problems age, share of wallet follows satisfaction, and each customer faces the four
competing churn hazards; same arithmetic in the same order as the NumPy formulation it replaced.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import kernel
from sim.kernels.draws import uniform, uniforms_all
from sim.kernels.libm import scalar_power
from sim.population import NEGLECT, NO_ISSUE, PITCH, PRICE, PRICE_CAUSE, PRODUCT, SERVICE_FAILURE, SERVICE_ISSUE


@kernel
def decide(active, sat, disposition, since, issue, issue_sev, issue_age, issue_wait, issue_reported, unserved,
           share, conc_left, remedy_left, unwanted_pitch, key, f):
    """Update the customers in place; return (uids lost, their churn causes). ``f`` holds the parameters in
    the order of :func:`sim.model.decide_scalars`."""
    (neglect_horizon, sat_relax, neglect_decay, issue_drag, unserved_memory, share_per_satisfaction, share_min,
     share_max, share_drift, churn_reference_sat, exponent, concession_relief, churn_neglect,
     unserved_churn_weight, churn_service, churn_pitch, churn_price, price_issue_churn) = (
        f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15],
        f[16], f[17])
    n = active.size
    u0 = uniforms_all(key, n, 0)  # every seat's churn draw, in one vectorised pass; its cause's only if it leaves
    gone = np.empty(n, np.int64)
    cause = np.empty(n, np.int8)
    k = 0
    for i in range(n):
        unserved[i] *= unserved_memory
        if not active[i]:
            continue  # churned accounts keep their state frozen
        neglect = min(1.0, since[i] / neglect_horizon)
        sev = issue_sev[i]
        s = sat[i] + sat_relax * (disposition[i] - sat[i]) - neglect_decay * neglect - issue_drag * sev
        s = min(max(s, 0.0), 1.0)
        sat[i] = s
        iss = issue[i]
        if iss != NO_ISSUE:
            issue_age[i] += 1
            if issue_reported[i]:
                issue_wait[i] += 1
        target = min(max(share_per_satisfaction * s, share_min), share_max)
        share[i] = min(max(share[i] + share_drift * (target - share[i]), share_min), share_max)
        dis = scalar_power(((1.0 - s) / (1.0 - churn_reference_sat)), exponent)
        relief = 1.0 - concession_relief * (1.0 if (conc_left[i] > 0 or remedy_left[i] > 0) else 0.0)
        h0 = churn_neglect * dis * (neglect + unserved_churn_weight * unserved[i])
        product_or_service = iss == PRODUCT or iss == SERVICE_ISSUE  # noqa: SIM109 (plain compares for numba)
        h1 = churn_service * dis * sev * (1.0 if product_or_service else 0.0) * relief
        h2 = churn_pitch * (1.0 - s) * (1.0 if unwanted_pitch[i] else 0.0)
        h3 = churn_price * dis * (1.0 + price_issue_churn * sev * (1.0 if iss == PRICE else 0.0)) * relief
        c1 = h0 + h1
        c2 = c1 + h2
        hazard = c2 + h3
        # 1 - exp(-h) < h < 2h for h > 0, so a uniform at or above 2h never churns: most seats skip the expm1
        if u0[i] < hazard + hazard and u0[i] < -np.expm1(-hazard):
            pick = uniform(key, i, 1) * hazard
            idx = (1 if pick > h0 else 0) + (1 if pick > c1 else 0) + (1 if pick > c2 else 0)
            gone[k] = i
            cause[k] = (NEGLECT, SERVICE_FAILURE, PITCH, PRICE_CAUSE)[min(idx, 3)]
            k += 1
    return gone[:k].copy(), cause[:k].copy()
