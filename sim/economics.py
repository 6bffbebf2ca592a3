"""Every money flow in one place: what the firm earns and what each policy costs (M12).

The model's stages say *what happened* (a deal closed, a need was served, a
problem was fixed, a bonus fell due); this module books the money, on both
sides, in the week's ledger and in the starting book's per-account accounts:

- revenue: recurring spend, deals and big deals at list price (``revenue_gross``),
  less official discounts, hidden concessions and early-signing (timing)
  discounts (``revenue``, net);
- cost of goods: ``1 - gross_margin`` of gross revenue;
- pay: base salary of reps in post, commission (less clawbacks), a draw's
  top-ups, banner, close-rate and quota bonuses, retention and NPS pay;
- cost to serve: hours with or for customers at ``hour_cost``, each need served
  at ``cost_per_need``, each problem fixed at ``cost_per_fix``;
- management: managers' salaries; audits: review effort per banner checked;
- acquisition: marketing's cost per customer won, prospecting and big-deal
  hours at ``hour_cost``.

``profit`` = ``revenue`` - every cost above, exactly (a test reconciles it).
Per starting account (value by NPS class, seed 004) the same flows are
booked where they can be traced to the account, plus word of mouth valued at
what marketing pays to win a customer: a promoter's referrals are credited, a
detractor's deterrals charged, so a detractor can be worth less than nothing.
No agent decides on anything here.
"""

from __future__ import annotations

import numpy as np

from sim.kpis import COST_KEYS, PAY_KEYS, SERVE_KEYS, WEEKS_PER_YEAR, Ledger
from sim.params import Params
from sim.population import Accounts


class Economics:
    """Books the money of each week's events in the ledger and in the starting book's accounts."""

    def __init__(self, p: Params, acc: Accounts, ledger: Ledger) -> None:
        self.p, self.acc, self.led = p, acc, ledger
        self.claw_due = 0.0  # clawed-back commission not yet netted against commission paid

    def _account(self, uids: np.ndarray | slice, value: np.ndarray | float, profit: np.ndarray | float) -> None:
        """Add net revenue and contribution to the starting accounts among ``uids`` (others are not followed)."""
        a = self.acc
        keep = a.cohort[uids]
        if not isinstance(value, float) or value != 0.0:
            a.value[uids] += value * keep
        a.profit[uids] += profit * keep

    # --- revenue -------------------------------------------------------------------
    def potential(self, value: float) -> None:
        """Revenue the book could have earned this week, booked by the stage that sees it: recurring spend of
        customers and lost customers, every willing buyer's deal (served, lapsed or lost) and big deals.
        ``revenue_lost`` is the potential not earned."""
        self.led.add("revenue_potential", value)

    def recurring(self, observed: np.ndarray) -> None:
        """This week's spend of every customer at list price, less hidden concessions (M8)."""
        from sim.kernels.money import recurring

        p, a, led = self.p, self.acc, self.led
        gross_sum, hidden_sum = recurring(a.active, observed, a.conc_left, a.cohort, a.value, a.profit,
                                          p.concession_discount, 1.0 - p.gross_margin)
        led.add("revenue_gross", gross_sum)
        led.add("hidden_concessions", hidden_sum)
        led.add("revenue", gross_sum - hidden_sum)
        led.add("cost_goods", (1.0 - p.gross_margin) * gross_sum)

    def deals(self, uids: np.ndarray, values: np.ndarray, commission: np.ndarray) -> None:
        """Deals closed on accounts: revenue at list price, goods cost, and the commission they paid."""
        from sim.kernels.money import deals

        a, led = self.acc, self.led
        revenue, goods, paid = deals(uids, values, commission, a.cohort, a.value, a.profit, 1.0 - self.p.gross_margin)
        led.add("revenue_gross", revenue)
        led.add("revenue", revenue)
        led.add("cost_goods", goods)
        led.add("pay_commission", paid)

    def big_deals(self, total: float, commission: float) -> None:
        """New-logo deals from big-deal chasing (not on any account of the book)."""
        p, led = self.p, self.led
        led.add("revenue_gross", total)
        led.add("revenue", total)
        led.add("big_deals", total)
        led.add("cost_goods", (1.0 - p.gross_margin) * total)
        led.add("pay_commission", commission)

    def early_signings(self, uids: np.ndarray, values: np.ndarray, discount: np.ndarray,
                       commission: np.ndarray) -> None:
        """Purchases customers signed early for a discount (M13): list value, the timing discount off it, and
        the commission on what was paid."""
        paid = values - discount
        self._account(uids, paid, self.p.gross_margin * values - discount - commission)
        led = self.led
        led.add("revenue_gross", values.sum())
        led.add("revenue", paid.sum())
        led.add("timing_discounts", discount.sum())
        led.add("cost_goods", (1.0 - self.p.gross_margin) * values.sum())
        led.add("pay_commission", commission.sum())

    def draw_top_up(self, amount: float) -> None:
        """What a non-recoverable draw pays on top of a period's commission."""
        self.led.add("pay_draw", amount)

    def clawback(self, uids: np.ndarray, amounts: np.ndarray) -> None:
        """Commission to take back on accounts that churned soon after a sale: netted against the commission
        the reps earn, as firms recover it (:meth:`settle_clawbacks`)."""
        self.claw_due += float(amounts.sum())
        self._account(uids, 0.0, amounts)

    def settle_clawbacks(self) -> None:
        """Net what is due from clawbacks against this week's commission; the rest waits for later weeks."""
        if self.claw_due > 0:
            recovered = min(self.claw_due, self.led.week["pay_commission"])
            self.led.add("pay_commission", -recovered)
            self.claw_due -= recovered

    def discounts(self, observed: np.ndarray) -> None:
        """This week's official discounts (extracted by detractors, or official remedies), paid off the price
        after any hidden concession as customers buy, so no account's net revenue goes below zero."""
        from sim.kernels.money import discounts

        a = self.acc
        amount = discounts(a.active, a.disc_left, a.disc_depth, observed, a.conc_left, a.cohort, a.value, a.profit,
                           self.p.concession_discount)
        self.led.add("official_discounts", amount)
        self.led.add("revenue", -amount)

    # --- pay ----------------------------------------------------------------------
    def base_pay(self, reps_in_post: int) -> None:
        """A week of base salary for every rep in post and of every manager's salary."""
        p, led = self.p, self.led
        led.add("pay_base", reps_in_post * p.base_salary / WEEKS_PER_YEAR)
        led.add("cost_management", p.n_managers * p.manager_salary / WEEKS_PER_YEAR)

    def bonus(self, amount: float) -> None:
        """Banner, close-rate or quota bonuses (not traceable to one account)."""
        self.led.add("pay_bonus", amount)

    def relationship_pay(self, uids: np.ndarray, per_account: float) -> None:
        """Retention or NPS pay for these accounts (kept through a quarter, or promoters found)."""
        amount = np.full(uids.size, per_account)
        self.led.add("pay_relationship", amount.sum())
        self._account(uids, 0.0, -amount)

    # --- serving and fixing -------------------------------------------------------
    def serve(self, uids: np.ndarray, hours: np.ndarray, needs_served: np.ndarray) -> None:
        """Hours reps spent on these accounts and the needs among them that were served."""
        from sim.kernels.money import serve

        p, a, led = self.p, self.acc, self.led
        hours_cost, needs_cost = serve(uids, hours, needs_served, a.cohort, a.profit, p.hour_cost, p.cost_per_need)
        led.add("cost_hours", hours_cost)
        led.add("cost_needs", needs_cost)

    def fixes(self, uids: np.ndarray) -> None:
        """Problems operations fixed on these accounts."""
        cost = np.full(uids.size, self.p.cost_per_fix)
        self.led.add("cost_fixes", cost.sum())
        self._account(uids, 0.0, -cost)

    def audits(self, banners_checked: float) -> None:
        """Review effort of checking expired banners for avoidance."""
        self.led.add("cost_audits", banners_checked * self.p.audit_review_cost)

    # --- acquisition --------------------------------------------------------------
    def acquisition(self, marketing_wins: int, selling_hours: float) -> None:
        """Marketing's cost of the customers it won, and reps' hours spent winning new business."""
        p = self.p
        self.led.add("cost_acquisition", marketing_wins * p.lead_cost + selling_hours * p.hour_cost)

    def word_of_mouth(self, promoters: np.ndarray, detractors: np.ndarray, open_share: float) -> None:
        """Credit promoters with the referrals they bring and charge detractors the customers they deter.

        Valued at ``lead_cost``, what marketing pays to win a customer; ``open_share``
        is the share of the market still open to winning (prospects / seats).
        """
        from sim.kernels.money import credit

        p, a = self.p, self.acc
        credit(promoters, p.referral_rate * open_share * p.lead_cost, a.cohort, a.profit)
        credit(detractors, -p.deter_rate * open_share * p.lead_cost, a.cohort, a.profit)


def profit_lines(total: dict[str, float]) -> dict[str, float]:
    """Group a ledger's money totals into the lines of a profit statement (same unit as the totals)."""
    pay = sum(total[k] for k in PAY_KEYS)
    serve = sum(total[k] for k in SERVE_KEYS)
    costs = sum(total[k] for k in COST_KEYS)
    return {
        "revenue": total["revenue"],
        "cost_goods": total["cost_goods"],
        "pay": pay,
        "serve": serve,
        "management": total["cost_management"],
        "acquisition": total["cost_acquisition"],
        "audits": total["cost_audits"],
        "profit": total["revenue"] - costs,
    }
