"""New problems from operations (:meth:`sim.operations.Operations.create_issues`) as one compiled pass."""

from __future__ import annotations

from sim.kernels import kernel
from sim.population import NO_ISSUE


@kernel
def fail(active, issue, issue_sev, issue_age, issue_wait, issue_reported, u, cum_rates, cats, severity_min,
         complaint_rate):
    """Open a problem on each customer without one whose uniform falls under the total failure rate, its
    category where the uniform falls in the cumulative rates; few customers complain unprompted."""
    n_cats = cats.size
    total_rate = cum_rates[n_cats - 1]
    for i in range(active.size):
        if not (active[i] and issue[i] == NO_ISSUE and u[0, i] < total_rate):
            continue
        idx = 0
        while idx < n_cats and cum_rates[idx] <= u[0, i]:
            idx += 1
        issue[i] = cats[min(idx, n_cats - 1)]
        issue_sev[i] = severity_min + (1.0 - severity_min) * u[1, i]
        issue_age[i] = 0
        issue_wait[i] = 0
        issue_reported[i] = u[2, i] < complaint_rate
