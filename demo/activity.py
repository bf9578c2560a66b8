"""The demo's activity: each customer's events over time (visits, logins, purchases, tickets, surveys, ...).

Pure numpy. Intensities follow the customer's profile (demo.population) and decline before a churn date
the way the seed articles observe it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from customers.choices import EventKind

if TYPE_CHECKING:
    from .population import _Calendar, _Profile

# Event kinds in a fixed order: Population.event_kind holds indexes into this tuple.
KINDS = (
    EventKind.VISIT.value,
    EventKind.LOGIN.value,
    EventKind.PURCHASE.value,
    EventKind.TICKET_OPENED.value,
    EventKind.TICKET_CLOSED.value,
    EventKind.SURVEY.value,
    EventKind.CAMPAIGN.value,
    EventKind.RENEWAL.value,
    EventKind.COMPETITOR.value,
)
(K_VISIT, K_LOGIN, K_PURCHASE, K_TICKET_OPENED, K_TICKET_CLOSED, K_SURVEY, K_CAMPAIGN, K_RENEWAL, K_COMPETITOR) = range(
    len(KINDS)
)

# Hours of the day (UTC, start and end) in which each kind happens.
KIND_HOURS = {
    K_VISIT: (8, 18),
    K_LOGIN: (6, 23),
    K_PURCHASE: (9, 20),
    K_TICKET_OPENED: (8, 20),
    K_SURVEY: (9, 21),
    K_CAMPAIGN: (10, 19),
    K_RENEWAL: (9, 17),
    K_COMPETITOR: (0, 24),
}


class Events:
    """Collects one customer's events per kind before they are merged and sorted."""

    def __init__(self):
        self.parts: list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray | None]] = []

    def add(self, kind: int, at: np.ndarray, amount: np.ndarray | None = None, value: np.ndarray | None = None):
        if len(at):
            self.parts.append((kind, at, amount, value))


def _season(t: np.ndarray, calendar: _Calendar, amplitude: float, peak_doy: float) -> np.ndarray:
    return 1 + amplitude * np.cos(2 * np.pi * (calendar.as_of_doy + t - peak_doy) / 365.25)


def _decline(t: np.ndarray, churn: int | None, low_at: float, low: float, end: float) -> np.ndarray:
    """Activity multiplier: 1, falling over 30 days to ``low`` at ``low_at`` days before churn, ``end`` at churn."""
    if churn is None:
        return np.ones_like(t)
    return np.interp(churn - t, [0, low_at, low_at + 30], [end, low, 1.0])


def _dip(t: np.ndarray, p: _Profile) -> np.ndarray:
    """Activity multiplier of a quiet spell: down over 10 days to ``dip_low``, back up over 15 days after it."""
    if p.dip_start is None:
        return np.ones_like(t)
    a, b = p.dip_start, p.dip_start + p.dip_days
    return np.interp(t, [a - 10, a, b, b + 15], [1.0, p.dip_low, p.dip_low, 1.0])


def _dip_depth(t: np.ndarray, p: _Profile) -> np.ndarray:
    """0 outside the quiet spell, 1 at its bottom."""
    return (1 - _dip(t, p)) / (1 - p.dip_low) if p.dip_start is not None and p.dip_low < 1 else np.zeros_like(t)


def _poisson_times(rng, rate_max: float, t0: float, t1: float) -> np.ndarray:
    if t1 <= t0 or rate_max <= 0:
        return np.empty(0)
    return rng.uniform(t0, t1, rng.poisson(rate_max * (t1 - t0)))


def _thinned(rng, t0, t1, base_rate, intensity, bound: float) -> np.ndarray:
    """Arrival times of an inhomogeneous Poisson process with rate base_rate * intensity(t) <= base_rate * bound."""
    t = _poisson_times(rng, base_rate * bound, t0, t1)
    return t[rng.random(len(t)) * bound < intensity(t)]


def _regular(rng, t0: float, t1: float, base_rate: float, intensity, shape: float) -> np.ndarray:
    """Arrival times with rate base_rate * intensity(t), more regular than Poisson: gamma gaps of ``shape``.

    Service visits and purchases come at a customer's rhythm (a monthly visit, a weekly shop), not as a Poisson
    process: with Poisson gaps one customer in four who visits five times a year would go 90 days without a visit
    in any quarter, and "visits stopped" would fire on loyal customers week after week. The gaps are drawn in the
    customer's own time (the integrated intensity, on a daily grid) and mapped back to days.
    """
    if t1 <= t0 or base_rate <= 0:
        return np.empty(0)
    grid = np.append(np.arange(t0, t1, 1.0), t1)
    steps = np.diff(grid)
    clock = np.concatenate([[0.0], np.cumsum(base_rate * intensity(grid[:-1] + steps / 2) * steps)])
    gaps = rng.gamma(shape, 1 / shape, int(clock[-1] * 1.5) + 10)
    while gaps.sum() < clock[-1] + 1:
        gaps = np.concatenate([gaps, rng.gamma(shape, 1 / shape, len(gaps))])
    arrivals = np.cumsum(gaps) - rng.random() * gaps[0]  # a random phase: the rhythm began before t0
    arrivals = arrivals[(arrivals >= 0) & (arrivals < clock[-1])]
    return np.interp(arrivals, clock, grid)


# Regularity of each activity (gamma shape of the gaps; 1 would be Poisson): services are booked at a rhythm,
# shopping less so, app use is bursty.
VISIT_REGULARITY = 4.0
PURCHASE_REGULARITY = 2.0
# A mild year-end peak in purchases. A stronger season is real in some trades, but then every autumn week's
# purchase counts drift from a spring-trained model's baseline, and the demo would show a drift alarm where
# nothing about the customers changed.
PURCHASE_SEASON = 0.1
BAD_EXPERIENCE_SURVEY_SHARE = 0.5
# Competitor signals a year of a customer who is not leaving (an offer mentioned, a price comparison): a signal
# alone is a reason to watch, not proof of leaving.
COMPETITOR_RATE = 0.12


def _at_hours(rng, t: np.ndarray, kind: int) -> np.ndarray:
    lo, hi = KIND_HOURS[kind]
    return np.floor(t) + (lo + rng.random(len(t)) * (hi - lo)) / 24


def customer_events(rng, p: _Profile, calendar: _Calendar) -> Events:
    t0 = float(max(-calendar.window_days, p.start))
    t1 = float(0 if p.churn is None else min(0, p.churn))
    events = Events()
    _activity_events(rng, p, calendar, t0, t1, events)
    _ticket_events(rng, p, t0, t1, events)
    _survey_events(rng, p, t0, t1, events)
    _campaign_events(rng, p, calendar, t0, t1, events)
    _competitor_events(rng, p, t0, t1, events)
    _renewal_events(rng, p, t0, t1, events)
    return events


def _activity_events(rng, p: _Profile, calendar: _Calendar, t0: float, t1: float, events: Events) -> None:
    blocks = len(p.noise) - 1

    def engagement(t):
        return p.noise[np.clip(((t + calendar.window_days) // 30).astype(int), 0, blocks)]

    bound = float(p.noise.max()) * 1.3

    def visits(t):
        return (
            _season(t, calendar, 0.1, 120) * engagement(t) * _decline(t, p.churn, p.visit_low_at, 0.5, 0.3) * _dip(t, p)
        )

    def logins(t):
        return (
            _season(t, calendar, 0.1, 30)
            * engagement(t)
            * _decline(t, p.churn, p.login_low_at, p.login_low, p.login_end)
            * _dip(t, p)
        )

    def purchases(t):
        return (
            _season(t, calendar, PURCHASE_SEASON, 350)
            * engagement(t)
            * _decline(t, p.churn, p.visit_low_at, 0.5, 0.3)
            * _dip(t, p)
        )

    events.add(K_VISIT, _at_hours(rng, _regular(rng, t0, t1, p.visit_rate, visits, VISIT_REGULARITY), K_VISIT))
    events.add(K_LOGIN, _at_hours(rng, _thinned(rng, t0, t1, p.login_rate, logins, bound), K_LOGIN))
    t = _at_hours(rng, _regular(rng, t0, t1, p.purchase_rate, purchases, PURCHASE_REGULARITY), K_PURCHASE)
    spend = 0.6 + 0.4 * _decline(t, p.churn, p.visit_low_at, 0.5, 0.3)  # fading customers also spend less
    amount = rng.lognormal(p.segment.purchase_mu, 0.6, len(t)) * spend
    events.add(K_PURCHASE, t, np.round(amount, 2))


def _ticket_events(rng, p: _Profile, t0: float, t1: float, events: Events) -> None:
    opened = _poisson_times(rng, p.ticket_rate, t0, t1)
    if p.churn is not None and not p.is_silent:  # unhappy churners complain more in their last months
        opened = np.concatenate([opened, _poisson_times(rng, 0.04, max(t0, p.churn - p.onset_sat), t1)])
    opened = _at_hours(rng, opened, K_TICKET_OPENED)
    closed = opened + rng.lognormal(math.log(1.5), 0.9, len(opened))  # median 1.5 days to close
    events.add(K_TICKET_OPENED, opened)
    events.add(K_TICKET_CLOSED, closed[closed < t1])  # still open at as-of or churn otherwise


def _survey_events(rng, p: _Profile, t0: float, t1: float, events: Events) -> None:
    t = _poisson_times(rng, p.survey_rate, t0, t1)
    # Half of the unhappy churners answer a survey after their last bad experience, in the weeks before leaving;
    # the others' drop shows only if a periodic survey falls in it (a survey is not sent for every bad day).
    if p.has_sat_drop and rng.random() < BAD_EXPERIENCE_SURVEY_SHARE:
        latest = rng.uniform(p.churn - 40, p.churn - 3, 1)
        t = np.concatenate([t, latest[(latest >= t0) & (latest < t1)]])
    if p.dip_unhappy and p.dip_start + 10 < t1:  # an unhappy quiet spell: a bad survey in it, then recovery
        t = np.concatenate([t, rng.uniform(p.dip_start + 5, min(t1, p.dip_start + p.dip_days), 1)])
    t = _at_hours(rng, t, K_SURVEY)
    drop = 0.0
    if p.has_sat_drop:
        drop_start = p.churn - p.onset_sat
        drop = p.sat_drop * np.interp(t, [drop_start, drop_start + 45], [0.0, 1.0])
    if p.dip_unhappy:
        drop = drop + p.sat_drop * _dip_depth(t, p)
    score = np.clip(np.round(p.base_sat + rng.normal(0, 0.8, len(t)) - drop), 0, 10)
    events.add(K_SURVEY, t, value=score)


def _campaign_events(rng, p: _Profile, calendar: _Calendar, t0: float, t1: float, events: Events) -> None:
    days = calendar.campaign_days[(calendar.campaign_days >= t0) & (calendar.campaign_days < t1)]
    attend = rng.random(len(days)) < p.campaign_p * _decline(days, p.churn, p.visit_low_at, 0.2, 0.05) * _dip(days, p)
    events.add(K_CAMPAIGN, _at_hours(rng, days[attend], K_CAMPAIGN))


def _competitor_events(rng, p: _Profile, t0: float, t1: float, events: Events) -> None:
    t = _poisson_times(rng, COMPETITOR_RATE / 365, t0, t1)  # now and then for everyone
    if p.has_competitor:
        # The last 30 days before leaving (on their own clock: after as-of for those leaving later).
        t = np.concatenate([t, rng.uniform(p.churn - 30, p.churn, 1 + rng.poisson(0.8))])
    if p.dip_competitor:  # shopped around during the quiet spell, and stayed
        t = np.concatenate([t, rng.uniform(p.dip_start, p.dip_start + p.dip_days, 1)])
    events.add(K_COMPETITOR, _at_hours(rng, t[(t >= t0) & (t < t1)], K_COMPETITOR))


def _renewal_events(rng, p: _Profile, t0: float, t1: float, events: Events) -> None:
    days = p.renewal_days[(p.renewal_days >= t0) & (p.renewal_days < t1)]
    amount = np.round(p.annual_value * rng.uniform(0.9, 1.1, len(days)), 2)
    events.add(K_RENEWAL, _at_hours(rng, days, K_RENEWAL), amount)
