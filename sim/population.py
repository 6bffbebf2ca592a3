"""Customer accounts: many and simple, so their state lives in uid-indexed arrays.

The arrays hold the whole reachable market: customers (``active``) and
prospects, a fixed number of seats for the whole run (``n_accounts`` customers
at the start plus ``prospect_pool`` prospects per customer). An account's uid
is its seat; a customer who leaves becomes a prospect again and may be won
back later; prospects become customers through marketing leads, referrals and
the reps' prospecting (M11). Because the seat count never changes, every
per-account random draw has the same size whatever the policy, so paired runs
stay paired. Reps own seats through the ``rep`` index array (a territory).
Every weekly update here is vectorised over seats.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import betaincinv, digamma, zeta

from sim.kernels import libm, per_params
from sim.params import Params

if TYPE_CHECKING:
    from sim.book import Book

# Need kinds
NO_NEED, PURCHASE, SERVICE = 0, 1, 2
# Issue categories (seed 004: product performance, price, service around the product)
NO_ISSUE, PRODUCT, PRICE, SERVICE_ISSUE = 0, 1, 2, 3
# Churn causes (M4 competing risks)
ALIVE, NEGLECT, SERVICE_FAILURE, PITCH, PRICE_CAUSE = 0, 1, 2, 3, 4
CAUSE_NAMES = ("alive", "neglect", "service", "pitch", "price")


def nps_score(sat: np.ndarray) -> np.ndarray:
    """0-10 likelihood-to-recommend score implied by satisfaction."""
    return np.clip(np.floor(sat * 10.0 + 0.5), 0, 10).astype(np.int8)


def willingness(p: Params, sat: np.ndarray) -> np.ndarray:
    """Multiplier on buying probability: happy customers buy more (FACTS 10, seed 004)."""
    return p.willingness_base + sat


# The range of buying-intent means the quantile table covers, and its grid; the kernels clip a mean into it.
INTENT_MEAN_MIN, INTENT_MEAN_MAX, INTENT_MEAN_STEPS = 0.01, 0.99, 99


@functools.lru_cache(maxsize=8)
def _intent_table(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beta quantiles (concentration ``k``) on a grid of means x probabilities, for fast inverse-CDF draws."""
    means = np.linspace(INTENT_MEAN_MIN, INTENT_MEAN_MAX, INTENT_MEAN_STEPS)
    probs = np.linspace(0.0, 1.0, 1025)
    table = betaincinv(means[:, None] * k, (1.0 - means[:, None]) * k, probs[None, :])
    return means, probs, table


def intent_table(concentration: float) -> tuple[np.ndarray, float, float]:
    """The Beta quantile table buying intents are drawn from (by inverting the CDF at each account's own
    uniform, :func:`sim.kernels.needs.intent_at`, so an account keeps its number whatever the others do),
    with the first mean and the step between means, as the kernels read them."""
    means, _, table = _intent_table(concentration)
    return table, float(means[0]), float(means[1] - means[0])


@per_params
def needs_scalars(p: Params) -> np.ndarray:
    """The parameters the needs kernel reads, in its order."""
    return np.array([p.need_rate, p.purchase_share, p.deal_weeks, p.p_purchase, p.willingness_base], np.float64)


_EPS = float(np.finfo(float).eps)  # the kernel's guard against a log of zero, looked up once


def read_intents(out: np.ndarray, uids: np.ndarray, true: np.ndarray, mean: np.ndarray, key: np.ndarray, noise: float,
                 concentration: float, need: np.ndarray | None = None) -> None:
    """What a rep makes of each opportunity's buying intent: a noisy read, weighed against the typical buyer.

    Sets ``out[uids]`` (with ``need`` given, only for purchase needs; service needs read 0). The rep sees
    ``logit(intent) + noise * z`` and knows how intent varies among this week's buyers of the kind (the logit
    of a Beta at their average mean, ``mean`` over ``uids``, has mean digamma(a) - digamma(b) and variance
    trigamma(a) + trigamma(b)); its estimate is the normal posterior mean on the log-odds scale
    (:func:`sim.kernels.needs.read`). With no noise it reads intent exactly; with much noise every buyer
    looks typical.
    """
    from sim.kernels.needs import read

    if uids.size == 0:
        return
    m = float(mean.sum() / mean.size)  # np.mean's pairwise sum over the count, without its checks
    ab = np.array([m * concentration, (1.0 - m) * concentration])
    psi, trigamma = digamma(ab), zeta(2.0, ab)  # trigamma(x) = zeta(2, x), as scipy's polygamma(1, x) computes it
    prior_mean = psi[0] - psi[1]
    prior_var = trigamma[0] + trigamma[1]
    weight = prior_var / (prior_var + noise * noise)
    read(out, uids, true, key, float(prior_mean), float(weight), noise, _EPS,
         need if need is not None else np.empty(0, np.int8))


def market_seats(p: Params) -> int:
    """Seats in the market: the starting customers plus the prospect pool."""
    return p.n_accounts + max(1, round(p.n_accounts * p.prospect_pool))


def share_draw(p: Params, u: np.ndarray) -> np.ndarray:
    """Share of wallet a won customer starts with, at uniforms ``u`` (clipped as the starting book's)."""
    return np.clip(betaincinv(p.won_share_beta_a, p.won_share_beta_b, u), p.share_min, p.share_max)


def disposition_draw(p: Params, u: np.ndarray) -> np.ndarray:
    """Satisfaction a customer returns to when nothing happens, at uniforms ``u``."""
    k = p.disposition_concentration
    return betaincinv(p.init_satisfaction * k, (1 - p.init_satisfaction) * k, u)


class Accounts:
    """State of every seat in the market (customers and prospects), one array per attribute."""

    def __init__(self, p: Params, n_slots: int, rng: np.random.Generator, book: Book | None = None) -> None:
        """Draw a synthetic market, or with ``book`` start its first seats from the book's accounts."""
        n = market_seats(p)
        self.n = n
        self.uid = np.arange(n)
        # Seats are dealt to rep slots in contiguous territories of near-equal size.
        self.rep = (self.uid * n_slots // n).astype(np.int32)
        self.seats_by_slot = np.bincount(self.rep, minlength=n_slots).astype(float)
        self.wallet = p.mean_spend * rng.lognormal(-0.5 * p.spend_sigma**2, p.spend_sigma, n) / p.wallet_sizing_share
        self.share = np.clip(rng.beta(p.start_share_beta_a, p.start_share_beta_b, n), p.share_min, p.share_max)
        # Industries share seasonal calendars: clusters of evenly spaced phase, small jitter.
        clusters = p.season_clusters
        self.phase = rng.integers(0, clusters, n) * (2 * np.pi / clusters) + rng.normal(0.0, p.season_phase_jitter, n)
        # Each customer has a disposition its satisfaction returns to when nothing happens.
        k = p.disposition_concentration
        self.disposition = rng.beta(p.init_satisfaction * k, (1 - p.init_satisfaction) * k, n)
        # The starting book is a long-running one: customers who stay longer are more of it (M11). It is
        # drawn as a long-running book would look: dispositions resampled in proportion to expected
        # tenure, the inverse of the churn hazards' shape (SalesModel.customers_decide) plus a floor;
        # satisfaction starts a typical distance below disposition.
        cand = rng.beta(p.init_satisfaction * k, (1 - p.init_satisfaction) * k, (p.tenure_draws, n))
        tenure = 1.0 / (p.tenure_hazard_floor + libm.power((1.0 - cand) / (1.0 - p.churn_reference_sat),
                                                           p.churn_dissatisfaction_exponent))
        pick = (tenure.cumsum(axis=0) / tenure.sum(axis=0) < rng.random(n)).sum(axis=0)
        self.disposition = cand[np.minimum(pick, p.tenure_draws - 1), np.arange(n)]
        self.sat = np.maximum(0.0, self.disposition - p.start_sat_gap)
        self.since = rng.uniform(0.0, p.neglect_horizon, n)
        self.unserved = np.zeros(n)
        # Which seats start as customers: exactly n_accounts of them, spread over every territory.
        self.active = np.zeros(n, bool)
        self.active[rng.permutation(n)[: p.n_accounts]] = True
        if book is not None:
            self._start_from_book(p, book, n_slots)
        self.ever_customer = self.active.copy()  # was a customer at some point in the run
        self.winback_left = np.zeros(n, np.int16)  # weeks until a lost customer can be won back
        # The starting book, followed until each account first leaves: value by NPS class (seed 004).
        self.cohort = self.active.copy()
        self.start_score = np.where(self.active, nps_score(self.sat), -1).astype(np.int8)
        self.value = np.zeros(n)  # net revenue a starting account has paid while in the cohort
        self.profit = np.zeros(n)  # its contribution after costs and word of mouth, same period
        # pending need
        self.need = np.zeros(n, np.int8)
        self.need_age = np.zeros(n, np.int16)
        self.need_value = np.zeros(n)
        self.need_buy = np.zeros(n, bool)
        self.need_intent = np.zeros(n)  # chance the customer buys (hidden: outcomes are drawn from it)
        self.need_read = np.zeros(n)  # the rep's estimate of it (what the rep decides on)
        # banner (sales play) raised by the CRM rule
        self.flag = np.zeros(n, bool)
        self.flag_left = np.zeros(n, np.int16)
        self.flag_cool = np.zeros(n, np.int16)
        self.flag_declined = np.zeros(n, bool)
        self.play_buy = np.zeros(n, bool)
        self.play_intent = np.zeros(n)
        self.play_u = np.ones(n)  # the uniform that decides whether the play finds a willing buyer
        self.play_read = np.zeros(n)
        self.play_value = np.zeros(n)
        # open issue
        self.issue = np.zeros(n, np.int8)
        self.issue_sev = np.zeros(n)
        self.issue_age = np.zeros(n, np.int16)
        self.issue_reported = np.zeros(n, bool)
        self.issue_wait = np.zeros(n, np.int16)  # weeks since the problem was reported (the firm's ticket clock)
        self.issue_expedite = np.zeros(n, bool)  # an empowered rep asked for an official fix
        self.follow_up = np.zeros(n, bool)  # a known detractor the rep should call back (fix first)
        self.disrupted = np.zeros(n, bool)
        # hidden concession weeks left (M8)
        self.conc_left = np.zeros(n, np.int16)
        # official discount weeks left: a granted discount is paid as the customer buys, not up front
        self.disc_left = np.zeros(n, np.int16)
        self.disc_depth = np.zeros(n)  # fraction of spend the official discount takes
        self.remedy_left = np.zeros(n, np.int16)  # weeks of an empowered rep's official remedy left
        # churn
        self.cause = np.zeros(n, np.int8)
        self.known_score = np.full(n, -1, np.int8)
        self.pitched = np.zeros(n, bool)
        self.unwanted_pitch = np.zeros(n, bool)
        self.campaign = np.zeros(n, bool)  # listed for an outreach campaign: the CRM raises a banner when it can
        # timing and clawback of sales (M13)
        self.prebooked = np.zeros(n, bool)  # signed early: its next purchase need is already bought
        self.claw_left = np.zeros(n, np.int16)  # weeks the last sale's commission can still be clawed back
        self.claw_commission = np.zeros(n)  # the commission at stake
        if book is not None:
            self._open_book_problems(p, book, rng)
        from sim.kernels.week import phase_terms, spend

        self.cos_phase, self.sin_phase = phase_terms(self.phase)
        # The CRM rule's trailing spend starts at week 0's spend (no disruption yet).
        _, self.trail = spend(self.cos_phase, self.sin_phase, self.season_angle(0), p.seasonality, self.wallet,
                              self.share, np.zeros(n, bool), p.disruption_cut)
        self.trail_deseason = self.spend.copy()

    def _start_from_book(self, p: Params, book: Book, n_slots: int) -> None:
        """The book's accounts take the first seats: owner, spend, share, satisfaction and last contact from the
        book where it gives them, the synthetic draws where it does not; the other seats stay prospects."""
        k, n = book.n_accounts, self.n
        self.active[:] = False
        self.active[:k] = True
        self.rep[:k] = book.slot
        self.rep[k:] = (np.arange(n - k) * n_slots // max(n - k, 1)).astype(np.int32)
        self.seats_by_slot = np.bincount(self.rep, minlength=n_slots).astype(float)
        share = np.where(np.isnan(book.share), self.share[:k], book.share)
        self.share[:k] = share
        self.wallet[:k] = book.spend / share
        known = ~np.isnan(book.sat)
        self.sat[:k][known] = book.sat[known]
        self.disposition[:k][known] = np.minimum(1.0, book.sat[known] + p.start_sat_gap)
        self.since[:k] = np.where(np.isnan(book.since), self.since[:k], book.since)

    def _open_book_problems(self, p: Params, book: Book, rng: np.random.Generator) -> None:
        """Problems open at the start, as the book lists them: reported (a CRM ticket), severity drawn."""
        uids = np.flatnonzero(book.issue > 0)
        low = p.issue_severity_min
        self.issue[uids] = book.issue[uids]
        self.issue_age[uids] = book.issue_age[uids]
        self.issue_wait[uids] = book.issue_age[uids]
        self.issue_reported[uids] = True
        self.issue_sev[uids] = low + (1.0 - low) * rng.random(uids.size)

    @property
    def spend(self) -> np.ndarray:
        """Base weekly spend with us: wallet times share of wallet."""
        return self.wallet * self.share

    @staticmethod
    def season_angle(week: int) -> float:
        """Where ``week`` falls in the seasonal year (radians); an account's season is 1 + amplitude x
        sin(angle + its phase) (:func:`sim.kernels.week.spend`)."""
        return 2 * np.pi * week / 52.0

    def spend_of(self, uids: np.ndarray) -> np.ndarray:
        """Base weekly spend of these accounts only (cheaper than ``spend[uids]`` on a few)."""
        return self.wallet[uids] * self.share[uids]

    def room(self, uids: np.ndarray) -> np.ndarray:
        """Unbought share of wallet of these accounts: the room a sale can fill."""
        return 1.0 - self.share[uids]

    def deal_value(self, p: Params, uids: np.ndarray) -> np.ndarray:
        """Value of a deal on these accounts: it fills part of their unbought wallet."""
        return p.deal_weeks * self.wallet[uids] * self.room(uids)

    def arrive_needs(self, p: Params, season: np.ndarray, key: np.ndarray) -> np.ndarray:
        """New needs (purchase or service-only) with the customer's latent willingness to buy.

        Needs also arrive on churned accounts (shadow demand) so that what churn
        costs shows in ``revenue_potential``; those needs can never be served. A
        purchase need on an account that signed early (``prebooked``) is the
        purchase already made, so it opens nothing.
        Returns the uids with a new need. One compiled pass (:func:`sim.kernels.needs.arrive`).
        """
        from sim.kernels.needs import arrive

        table, mean0, mean_step = intent_table(float(p.intent_concentration))
        uids, mean = arrive(self.need, self.need_age, self.need_value, self.need_intent, self.need_buy,
                            self.prebooked, self.wallet, self.share, self.sat, season, key, table,
                            mean0, mean_step, needs_scalars(p))
        read_intents(self.need_read, uids, self.need_intent, mean, key, p.read_noise, p.intent_concentration,
                     self.need)
        return uids

    def raise_flags(self, uids: np.ndarray, mean: np.ndarray, p: Params, key: np.ndarray) -> None:
        """Finish the banners the CRM kernel raised on ``uids`` (intent means ``mean``; the week's banner
        stream ``key``): the rep's read of each play."""
        read_intents(self.play_read, uids, self.play_intent, mean, key, p.read_noise, p.intent_concentration)

    def clear_flags(self, uids: np.ndarray, cooldown: int) -> None:
        """Take banners down (worked or expired) and start their cooldown."""
        from sim.kernels.accounts import lower_flags

        lower_flags(uids, cooldown, self.flag, self.flag_left, self.flag_cool, self.flag_declined)

    def lose(self, uids: np.ndarray, causes: np.ndarray, winback_weeks: int) -> None:
        """Customers leave: they become prospects that cannot be won back for a while."""
        self.active[uids] = False
        self.cause[uids] = causes
        self.cohort[uids] = False
        self.winback_left[uids] = winback_weeks

    def win(self, p: Params, uids: np.ndarray, season: np.ndarray, u: np.ndarray) -> None:
        """Prospects become customers with a fresh relationship; ``u`` holds two uniforms per uid (one compiled
        pass, :func:`sim.kernels.accounts.welcome`)."""
        from sim.kernels.accounts import welcome

        welcome(uids, share_draw(p, u[0]), disposition_draw(p, u[1]), season, self.active, self.ever_customer,
                self.share, self.disposition, self.sat, self.since, self.unserved, self.cause, self.known_score,
                self.conc_left, self.disc_left, self.disc_depth, self.remedy_left, self.prebooked, self.claw_left,
                self.claw_commission, self.need, self.issue, self.issue_sev, self.issue_age, self.issue_wait,
                self.issue_reported, self.issue_expedite, self.follow_up, self.flag, self.flag_left, self.flag_cool,
                self.flag_declined, self.wallet, self.trail, self.trail_deseason)
