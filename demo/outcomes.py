"""How a demo case ends, and what the work changes: the replay's model of account managers and customers.

A customer the population planned to lose can be saved by the work, with a chance that moves from week to week
(a team's good and bad weeks); a saved customer stays: the churn is cancelled and they keep visiting and logging
in. Customers drawn into the control group get no work order, so they leave as planned: the control's churn
is higher than the treated customers' by a margin that is real but noisy.
"""

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from customers.choices import EventKind
from customers.models import Customer, Event

from .roster import DEMO_USERS, TEAM_LEAD_USERNAME

# Share of first contacts made after the SLA, per person: some account managers are slower than others.
_LATE = (0.06, 0.14, 0.28, 0.12, 0.22)
LATE_CONTACT = {
    TEAM_LEAD_USERNAME: 0.08,
    **{
        u.username: late
        for u, late in zip(
            [u for u in DEMO_USERS if u.username not in ("admin", TEAM_LEAD_USERNAME)], _LATE, strict=True
        )
    },
}
LATE_RESOLUTION = 0.12
SAVE_CHANCE = (0.36, 0.05, 0.25, 0.5)  # weekly chance to save a customer who meant to leave: mean, sd, clip
FALSE_ALARM_SHARE = 0.75  # of customers who were never going to leave: the AM closes the case as a false alarm
SAVED_VISIT_DAYS = (4, 12)  # a saved customer's visits and logins come every 4-12 days afterwards
REASONS = {
    "retained": (("price", "service", "product", "competitor", "other"), (0.35, 0.3, 0.15, 0.1, 0.1)),
    "false_alarm": (("other", "service", "product"), (0.6, 0.2, 0.2)),
    "churned": (
        ("competitor", "price", "service", "relocation", "product", "other"),
        (0.35, 0.25, 0.15, 0.1, 0.1, 0.05),
    ),
}
REASONS["unreachable"] = REASONS["churned"]


@dataclass(frozen=True)
class CasePlan:
    contact_at: datetime | None
    resolve_at: datetime
    outcome: str
    reason: str
    saves: bool = False  # the work kept a customer who would have left


def customer_key(customer: Customer) -> int:
    """A number for the customer's random draws that survives a re-seed: the external id's, not the row id
    (row ids are never reused, so keyed by them a replay after `seed_demo --reset` would draw differently)."""
    return zlib.crc32(customer.external_id.encode())


def planned_churn(customer: Customer) -> datetime | None:
    """The moment the customer leaves unless someone keeps them: churned_at, or the seeded future date."""
    if customer.churned_at is not None:
        return customer.churned_at
    if (customer.attributes or {}).get("demo_saved_at"):
        return None  # kept by earlier work
    planned = (customer.attributes or {}).get("demo_churn_date")
    return datetime.combine(date.fromisoformat(planned), time.min, tzinfo=UTC) if planned else None


def save_chance(seed: int, day: date) -> float:
    """This ISO week's chance of keeping a customer who meant to leave."""
    year, week, _ = day.isocalendar()
    mean, sd, low, high = SAVE_CHANCE
    return float(np.clip(np.random.default_rng([seed, year, week, 1]).normal(mean, sd), low, high))


def plan_case(
    *, rng: np.random.Generator, seed: int, opened_at: datetime, username: str, tier: dict, churn_at: datetime | None
) -> CasePlan:
    """When the assignee reaches the customer and how the case ends, from what the customer was going to do."""
    first_h, resolution_h = tier["first_contact_hours"], tier["resolution_hours"]
    late = rng.random() < LATE_CONTACT.get(username, 0.15)
    contact_at = opened_at + timedelta(hours=first_h * (rng.uniform(1.05, 1.8) if late else rng.uniform(0.02, 0.9)))
    if rng.random() < LATE_RESOLUTION:
        resolve_at = opened_at + timedelta(hours=resolution_h * rng.uniform(1.02, 1.3))
    else:
        resolve_at = contact_at + timedelta(hours=(resolution_h - first_h) * rng.uniform(0.05, 0.7))
    saves = False
    if churn_at is None:
        outcome = "false_alarm" if rng.random() < FALSE_ALARM_SHARE else "retained"
    elif churn_at < contact_at:  # gone before anyone called
        outcome, contact_at = "churned", None
        resolve_at = churn_at + timedelta(days=rng.uniform(0.5, 3))
    elif rng.random() < save_chance(seed, contact_at.date()):
        outcome, saves = "retained", True
    elif churn_at <= resolve_at + timedelta(days=21):  # the case stays open until the customer has gone
        outcome, resolve_at = "churned", max(churn_at, contact_at) + timedelta(days=rng.uniform(0.5, 3))
    else:
        outcome = "unreachable"
    names, weights = REASONS[outcome]
    return CasePlan(contact_at, resolve_at, outcome, str(rng.choice(names, p=weights)), saves)


def saves_undo() -> None:
    """Put back the churn of customers an earlier replay saved, and remove the activity it gave them."""
    Event.objects.filter(external_id__startswith="demo-saved-").delete()
    for customer in Customer.objects.filter(attributes__has_key="demo_saved_at"):
        attributes = dict(customer.attributes)
        before = attributes.pop("demo_churned_at_unsaved", None)
        attributes.pop("demo_saved_at", None)
        Customer.objects.filter(pk=customer.pk).update(
            churned_at=datetime.fromisoformat(before) if before else None, attributes=attributes
        )


def customer_saved(*, customer_id: int, at: datetime, until: datetime, seed: int) -> None:
    """The work kept the customer: no churn any more, a good survey answer, and visits and logins from `at` on
    (to `until`)."""
    customer = Customer.objects.get(pk=customer_id)
    before = customer.churned_at.isoformat() if customer.churned_at else None
    attributes = {**(customer.attributes or {}), "demo_saved_at": at.isoformat(), "demo_churned_at_unsaved": before}
    Customer.objects.filter(pk=customer_id).update(churned_at=None, attributes=attributes)
    rng = np.random.default_rng([seed, customer_key(customer), 2])
    # The save dealt with what made them unhappy: a good survey answer a few days later.
    survey_at = at + timedelta(days=float(rng.uniform(3, 10)))
    rows = []
    if survey_at < until:
        rows.append(
            Event(
                customer_id=customer_id,
                external_id=f"demo-saved-{customer.external_id}-survey",
                kind=EventKind.SURVEY.value,
                occurred_at=survey_at,
                value=float(rng.integers(8, 11)),
            )
        )
    moment, k = at, 0
    while True:
        moment += timedelta(days=float(rng.uniform(*SAVED_VISIT_DAYS)), hours=float(rng.uniform(0, 8)))
        if moment >= until:
            break
        for kind in (EventKind.VISIT, EventKind.LOGIN):
            rows.append(
                Event(
                    customer_id=customer_id,
                    external_id=f"demo-saved-{customer.external_id}-{k}",
                    kind=kind.value,
                    occurred_at=moment + timedelta(hours=k % 3),
                )
            )
            k += 1
    Event.objects.bulk_create(rows, ignore_conflicts=True)
