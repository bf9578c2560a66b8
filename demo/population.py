"""Synthetic demo population: customers and their activity, with the churn behaviour the seed articles describe.

Pure numpy, no ORM: ``generate_population`` returns plain lists and arrays that the ``seed_demo`` command
writes in bulk. Churners decline the way the seeds observe it before customers leave: service visits fall
~50% from 60-90 days before, app logins ~70% from 30-60 days before, satisfaction drops in the last months
(~70% of churners), competitor signals show up in the last 30 days (~50%), tickets pile up; ~20% of churners
leave silently, with nothing but fading activity.

Each customer draws from its own stream ``default_rng([seed, index])``, so customer ``C000007`` is the same
whatever ``n_customers`` is: a bigger run with the same seed, as-of and months extends a smaller one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from .activity import KINDS, Events, customer_events
from .names import customer_name
from .roster import OWNER_USERNAMES

DEMO_SOURCE = "seed_demo"  # Customer.attributes["source"] of every generated customer
# Raised whenever the generator draws differently: customers seeded by another version are another run, which
# `seed_demo --reset` deletes (re-seeding on top of them would keep their old events beside the new ones).
GENERATOR_VERSION = 2

UNOWNED_SHARE = 0.04

MIN_MONTHS = 18  # the features look back 365 + 90 days; less history than that starves them


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    ltv_mu: float  # lognormal LTV: median exp(mu)
    ltv_sigma: float
    has_contract: bool  # annual contract renewed on the anniversary of contract_start
    visits_per_month: float
    purchases_per_month: float
    purchase_mu: float  # lognormal purchase amount
    churn_rate: float  # share of the segment's customers who leave within 20 months


SEGMENTS = (
    Segment("retail", 0.45, 7.0, 0.7, False, 0.9, 1.1, 3.8, 0.50),
    Segment("smb", 0.30, 8.6, 0.8, True, 1.3, 0.9, 5.5, 0.45),
    Segment("enterprise", 0.10, 10.8, 0.9, True, 2.2, 0.7, 7.5, 0.27),
    Segment("premium", 0.15, 9.3, 0.6, True, 1.1, 1.0, 5.0, 0.35),
)
REGIONS = ("north", "south", "east", "west")
REGION_WEIGHTS = (0.3, 0.25, 0.25, 0.2)

SILENT_SHARE = 0.20  # of churners: no complaint, no survey drop, no competitor signal
SATISFACTION_DROP_SHARE = 0.70 / (1 - SILENT_SHARE)  # of the others, so ~70% of all churners
COMPETITOR_SHARE = 0.50 / (1 - SILENT_SHARE)  # of the others, so ~50% of all churners
ANNIVERSARY_CHURN_SHARE = 0.75  # of contract churners: leave by not renewing
ABANDON_APP_SHARE = 0.35  # of churners: stop using the app altogether in the last weeks

# Non-churners who go through a quiet spell (holidays, a project ending, a budget freeze) and come back: the
# false alarms every real early-warning system has, so the model cannot be certain and rarely says 100%.
DIP_SHARE = 0.95
# Month-to-month engagement of every customer varies (gamma, mean 1, sd 1/sqrt(shape) = 0.29).
ENGAGEMENT_SHAPE = 12
CHURN_RATE_WINDOW_DAYS = round(20 * 365.25 / 12)
# A churn date this far after as-of still shapes the customer's activity before as-of (the decline starts up to
# ~5 months ahead); a later one is too far ahead to matter, and the customer is generated as one who stays.
FUTURE_CHURN_DAYS = 150
# Longest tenure generated (40 years): the exponential tail beyond it is a fraction of a percent.
MAX_TENURE_DAYS = 40 * 365


@dataclass(frozen=True)
class DemoCustomer:
    """One generated customer; churn_date is the planned day of leaving (None: stays), churned_at only if past."""

    external_id: str
    name: str
    segment: str
    region: str
    owner: str | None  # username of the owning account manager
    lifetime_value: float
    contract_start: date
    contract_end: date | None
    churn_date: date | None
    churned_at: datetime | None
    is_silent_churner: bool


@dataclass(frozen=True, eq=False)
class Population:
    """Customers and their events; events are parallel arrays sorted by customer, then time."""

    as_of: date
    seed: int
    months: int
    customers: list[DemoCustomer]
    event_customer: np.ndarray  # int32 index into customers
    event_kind: np.ndarray  # int8 index into KINDS
    event_at: np.ndarray  # datetime64[s], UTC
    event_amount: np.ndarray  # float64, NaN = none
    event_value: np.ndarray  # float64, NaN = none
    event_seq: np.ndarray  # int32, number of the event within its customer

    @property
    def churned(self) -> list[DemoCustomer]:
        return [c for c in self.customers if c.churned_at is not None]

    @property
    def about_to_churn(self) -> list[DemoCustomer]:
        return [c for c in self.customers if c.churn_date is not None and c.churned_at is None]

    def event_rows(self, start: int = 0, stop: int | None = None) -> list[tuple]:
        """(customer external id, event external id, kind, aware occurred_at, amount | None, value | None)."""
        part = slice(start, stop)
        customer_ids = [c.external_id for c in self.customers]
        occurred = [t.replace(tzinfo=UTC) for t in self.event_at[part].astype("datetime64[us]").tolist()]
        amounts = [None if math.isnan(a) else a for a in self.event_amount[part].tolist()]
        values = [None if math.isnan(v) else v for v in self.event_value[part].tolist()]
        rows = []
        for ci, seq, k, at, amount, value in zip(
            self.event_customer[part].tolist(), self.event_seq[part].tolist(), self.event_kind[part].tolist(),
            occurred, amounts, values, strict=True,
        ):  # fmt: skip
            cid = customer_ids[ci]
            rows.append((cid, event_external_id(cid, seq), KINDS[k], at, amount, value))
        return rows


def event_external_id(customer_external_id: str, seq: int) -> str:
    return f"demo-{customer_external_id}-{seq}"


@dataclass(frozen=True)
class _Calendar:
    as_of: date
    window_days: int  # events happen in [-window_days, 0) days relative to as-of midnight UTC
    as_of_doy: int
    campaign_days: np.ndarray  # day offsets of brand events, shared by all customers
    seed: int = 0


@dataclass
class _Profile:
    segment: Segment
    start: int  # contract_start, days relative to as-of
    churn: int | None  # churn day relative to as-of
    is_silent: bool
    has_sat_drop: bool
    has_competitor: bool
    visit_low_at: float  # days before churn by which visits (purchases, campaigns) are down to ~50%
    login_low_at: float  # days before churn by which logins are down ~70% (~90% for those who drop the app)
    login_low: float
    login_end: float
    onset_sat: float  # days before churn satisfaction starts to drop
    visit_rate: float  # per day
    login_rate: float
    purchase_rate: float
    ticket_rate: float
    survey_rate: float
    campaign_p: float
    base_sat: float
    sat_drop: float
    noise: np.ndarray  # engagement factor per 30-day block of the window
    renewal_days: np.ndarray = field(default_factory=lambda: np.empty(0))
    dip_start: float | None = None  # a quiet spell of a customer who stays: start day relative to as-of
    dip_days: float = 0.0
    dip_low: float = 1.0  # activity multiplier at the bottom of the spell
    dip_unhappy: bool = False  # a bad survey during the spell
    dip_competitor: bool = False  # a competitor signal during the spell
    annual_value: float = 0.0


def generate_population(n_customers: int, seed: int, as_of: date, months: int = 20) -> Population:
    """Generate ``n_customers`` customers and their events over ``months`` before ``as_of``, reproducibly."""
    if n_customers < 0:
        raise ValueError("n_customers must be >= 0")
    if months < MIN_MONTHS:
        raise ValueError(f"months must be >= {MIN_MONTHS}")
    calendar = _calendar(seed, as_of, months)
    customers, chunks = [], []
    for index in range(n_customers):
        rng = np.random.default_rng([seed, index])
        customer, profile = _draw_customer(rng, index, calendar)
        customers.append(customer)
        chunks.append(customer_events(rng, profile, calendar))
    return _assemble(seed, months, calendar, customers, chunks)


def _calendar(seed: int, as_of: date, months: int) -> _Calendar:
    window_days = round(months * 365.25 / 12)
    rng = np.random.default_rng(seed)
    gaps = rng.uniform(30, 60, size=window_days // 30 + 2)  # a brand event every 30-60 days
    campaign_days = np.floor(-window_days + np.cumsum(gaps))
    return _Calendar(as_of, window_days, as_of.timetuple().tm_yday, campaign_days[campaign_days < 0], seed)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _hazard(segment: Segment) -> float:
    """Daily churn hazard of a segment: ``churn_rate`` of its customers leave within 20 months."""
    return -math.log(1 - segment.churn_rate) / CHURN_RATE_WINDOW_DAYS


def _draw_life(rng: np.random.Generator, segment: Segment, calendar: _Calendar) -> tuple[int | None, int]:
    """Churn day and contract_start, both relative to as-of, from a base in steady state.

    A real customer base is stationary: customers sign up at a steady rate and leave at the segment's hazard, so
    the tenure and activity of the customers active on any day look alike from week to week. Every generated
    customer is one who was a customer at some point of the window: with a constant hazard h the customers
    present at the window's start have tenure ~ Exp(h) and a remaining life ~ Exp(h) (memoryless), and new
    customers join at the rate that replaces those who leave, which makes the joiners' share h*W / (1 + h*W).
    """
    hazard, window = _hazard(segment), calendar.window_days
    if rng.random() < hazard * window / (1 + hazard * window):
        start = int(rng.integers(-window, 0))  # joined during the window
        churn = start + 1 + int(rng.exponential(1 / hazard))
    else:
        start = -window - int(min(rng.exponential(1 / hazard), MAX_TENURE_DAYS))
        churn = -window + 1 + int(rng.exponential(1 / hazard))
    if segment.has_contract and rng.random() < ANNIVERSARY_CHURN_SHARE:
        churn = _next_anniversary(calendar.as_of, start, churn)  # leaves by not renewing
    return (churn if churn <= FUTURE_CHURN_DAYS else None), start


def _next_anniversary(as_of: date, start: int, day: int) -> int:
    """The first anniversary of contract_start on or after ``day`` (days relative to as-of)."""
    contract_start = as_of + timedelta(days=start)
    years = max(1, (day - start) // 366)
    while (anniversary := (_add_years(contract_start, years) - as_of).days) < day:
        years += 1
    return anniversary


def _draw_contract(rng, segment: Segment, start: int, churn: int | None, calendar: _Calendar) -> np.ndarray:
    """The renewal days (relative to as-of) inside the window of an annual contract renewed 3-40 days early.

    Anniversaries the customer does not live to (those at or after the churn day) are not renewed.
    """
    if not segment.has_contract:
        return np.empty(0)
    contract_start = calendar.as_of + timedelta(days=start)
    years = max(1, (-calendar.window_days - start) // 366)
    renewals = []
    while True:
        anniversary = (_add_years(contract_start, years) - calendar.as_of).days
        renewal = anniversary - int(rng.integers(3, 41))
        if (churn is not None and anniversary >= churn) or renewal >= 0:
            return np.asarray(renewals, dtype=float)
        if renewal >= -calendar.window_days:
            renewals.append(renewal)
        years += 1


def _draw_customer(rng: np.random.Generator, index: int, calendar: _Calendar) -> tuple[DemoCustomer, _Profile]:
    segment = SEGMENTS[rng.choice(len(SEGMENTS), p=[s.share for s in SEGMENTS])]
    churn, start = _draw_life(rng, segment, calendar)
    lifetime_value = round(float(rng.lognormal(segment.ltv_mu, segment.ltv_sigma)), 2)
    renewal_days = _draw_contract(rng, segment, start, churn, calendar)
    profile = _draw_behaviour(rng, segment, churn, start, calendar)
    profile.renewal_days = renewal_days
    profile.annual_value = lifetime_value * rng.uniform(0.15, 0.3)
    owner = None if rng.random() < UNOWNED_SHARE else OWNER_USERNAMES[rng.integers(len(OWNER_USERNAMES))]
    churn_date = None if churn is None else calendar.as_of + timedelta(days=churn)
    churned_at = None
    if churn is not None and churn <= 0:
        churned_at = datetime.combine(churn_date, datetime.min.time(), tzinfo=UTC)
    customer = DemoCustomer(
        external_id=f"C{index + 1:06d}",
        name=customer_name(index, calendar.seed, is_person=segment.name == "retail"),
        segment=segment.name,
        region=REGIONS[rng.choice(len(REGIONS), p=REGION_WEIGHTS)],
        owner=owner,
        lifetime_value=lifetime_value,
        contract_start=calendar.as_of + timedelta(days=start),
        # No end date on file: contracts renew automatically. A single stored end date (the next anniversary
        # after today) would be wrong at every past cut-off the model trains on: renewing customers would never
        # show an end within the training horizon, so "contract ends soon" would mean "certain to leave" and the
        # model would say 100% for every renewing customer whose anniversary is near. Renewals stay as events.
        contract_end=None,
        churn_date=churn_date,
        churned_at=churned_at,
        is_silent_churner=profile.is_silent,
    )
    return customer, profile


def _draw_behaviour(
    rng: np.random.Generator, segment: Segment, churn: int | None, start: int, calendar: _Calendar
) -> _Profile:
    is_churner = churn is not None
    is_silent = is_churner and rng.random() < SILENT_SHARE
    is_app_user = rng.random() < (0.9 if segment.name == "enterprise" else 0.8)
    is_lukewarm = rng.random() < 0.12
    abandons_app = is_churner and rng.random() < ABANDON_APP_SHARE
    return _Profile(
        segment=segment,
        start=start,
        churn=churn,
        is_silent=is_silent,
        has_sat_drop=is_churner and not is_silent and rng.random() < SATISFACTION_DROP_SHARE,
        has_competitor=is_churner and not is_silent and rng.random() < COMPETITOR_SHARE,
        # The decline runs on the customer's own clock, before their churn day (also for those leaving after
        # as-of): someone leaving in four months shows only its first signs today.
        visit_low_at=rng.uniform(60, 90),
        login_low_at=rng.uniform(30, 60),
        login_low=0.1 if abandons_app else 0.3,
        login_end=0.0 if abandons_app else 0.1,
        onset_sat=rng.uniform(60, 120),
        visit_rate=segment.visits_per_month / 30 * rng.lognormal(0, 0.35),
        login_rate=(min(rng.lognormal(math.log(1.6), 0.5), 8) if is_app_user else 0.03) / 7,
        purchase_rate=segment.purchases_per_month / 30 * rng.lognormal(0, 0.4),
        ticket_rate=0.15 / 30 * rng.lognormal(0, 0.5),
        survey_rate=1 / rng.uniform(60, 100),
        campaign_p=0.0 if rng.random() < 0.35 else rng.uniform(0.2, 0.7),
        base_sat=rng.normal(7.0, 0.8) if is_lukewarm else float(np.clip(rng.normal(8.7, 0.6), 7.0, 9.8)),
        sat_drop=rng.uniform(3, 5),
        noise=rng.gamma(ENGAGEMENT_SHAPE, 1 / ENGAGEMENT_SHAPE, size=calendar.window_days // 30 + 1),
        **_draw_dip(rng, is_churner, calendar),
    )


def _draw_dip(rng: np.random.Generator, is_churner: bool, calendar: _Calendar) -> dict:
    """A quiet spell (60-180 days at 25-60% of the usual activity) for nearly every customer who stays: mostly a
    holiday or a project ending (a bad survey in one in ten, a competitor's offer in one in twenty)."""
    if is_churner or rng.random() >= DIP_SHARE:
        return {}
    days = rng.uniform(60, 180)
    return {
        "dip_start": rng.uniform(-calendar.window_days + 120, 10) - days / 2,
        "dip_days": days,
        "dip_low": rng.uniform(0.25, 0.6),
        "dip_unhappy": bool(rng.random() < 0.1),
        "dip_competitor": bool(rng.random() < 0.05),
    }


# --- events -----------------------------------------------------------------------------------------


def _assemble(seed, months, calendar: _Calendar, customers: list[DemoCustomer], chunks: list[Events]) -> Population:
    cust, kind, seconds = [np.empty(0, np.int32)], [np.empty(0, np.int8)], [np.empty(0, np.int64)]
    amount, value = [np.empty(0)], [np.empty(0)]
    for index, events in enumerate(chunks):
        for k, t, a, v in events.parts:
            n = len(t)
            cust.append(np.full(n, index, dtype=np.int32))
            kind.append(np.full(n, k, dtype=np.int8))
            # floor, not round: an event must stay strictly before the churn / as-of midnight it precedes
            seconds.append(np.floor(t * 86400).astype(np.int64))
            amount.append(np.full(n, np.nan) if a is None else np.asarray(a, dtype=float))
            value.append(np.full(n, np.nan) if v is None else np.asarray(v, dtype=float))
    cust, kind, seconds = np.concatenate(cust), np.concatenate(kind), np.concatenate(seconds)
    order = np.lexsort((kind, seconds, cust))
    cust, kind, seconds = cust[order], kind[order], seconds[order]
    first_of_customer = np.searchsorted(cust, cust, side="left")
    return Population(
        as_of=calendar.as_of,
        seed=seed,
        months=months,
        customers=customers,
        event_customer=cust,
        event_kind=kind,
        event_at=np.datetime64(calendar.as_of.isoformat(), "s") + seconds.astype("timedelta64[s]"),
        event_amount=np.concatenate(amount)[order],
        event_value=np.concatenate(value)[order],
        event_seq=(np.arange(len(cust)) - first_of_customer).astype(np.int32),
    )
