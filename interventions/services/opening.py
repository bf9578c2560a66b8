"""Opening work orders from alerts within the teams' capacity, and refreshing the open ones on a re-score."""

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from churnops.core.bulk import model_insert
from interventions.choices import CONTACT_ACTIONS
from interventions.models import Action, AgentProfile, WorkOrder
from interventions.selectors import save_likelihoods

from .announce import work_orders_opened_emit
from .assignment import Assigner
from .clocks import ClockBook, clock_book
from .common import event_row, events_write
from .playbooks import work_order_steps_open

# A re-score moves a work order's priority only when it changes by more than this share; smaller moves would
# fill every timeline with a nightly "priority 41.2 → 41.3" and reorder nobody's queue.
PRIORITY_MIN_CHANGE = 0.05
REFRESH_FIELDS = [
    "tier",
    "probability",
    "priority",
    "first_contact_due_at",
    "resolution_due_at",
    "first_contact_warn_at",
    "resolution_warn_at",
    "updated_at",
]


# A re-score moves a work order's priority only when it changes by more than this share; smaller moves would
# fill every timeline with a nightly "priority 41.2 → 41.3" and reorder nobody's queue.
PRIORITY_MIN_CHANGE = 0.05
REFRESH_FIELDS = [
    "tier",
    "probability",
    "priority",
    "first_contact_due_at",
    "resolution_due_at",
    "first_contact_warn_at",
    "resolution_warn_at",
    "updated_at",
]


def priority_of(*, probability: float, ltv: float, save_likelihood: float, expected_cost: float) -> float:
    """P(churn) × LTV × save likelihood ÷ expected cost: the value an intervention is expected to save per unit cost."""
    return probability * max(ltv, 0.0) * save_likelihood / max(expected_cost, 0.01)


def work_orders_open_for_alerts(*, as_of: date, candidates: list[dict], policy: dict) -> int:
    """Open work orders for the candidates that fit the tier teams' capacity; returns how many were created."""
    return work_orders_open_within_capacity(as_of=as_of, candidates=candidates, policy=policy).opened


@dataclass
class Opening:
    """What one opening pass did, by customer id: who has a person's work order, who did not fit, who was left."""

    opened: int = 0
    worked: list[int] = dc_field(default_factory=list)  # an open work order (refreshed or new)
    over_capacity: list[int] = dc_field(default_factory=list)
    quiet: list[int] = dc_field(default_factory=list)  # contacted for the same tier within the quiet period


def _value(c: dict) -> float:
    return c["value"] if "value" in c else c["customer"].lifetime_value


def work_orders_open_within_capacity(*, as_of: date, candidates: list[dict], policy: dict) -> Opening:
    """Open one work order per candidate customer that has none, as far as the tier teams have room.

    `candidates` have customer (with owner loaded), alert, tier, probability and optionally value and
    value_basis (else the customer's lifetime value). A customer who already has an open work order gets it
    refreshed instead (a more urgent tier with its tighter SLA, a new priority); a customer contacted for the same
    tier within the policy's `recontact_quiet_days` is left alone. The rest are filled in order of expected value
    saved (the priority) while a member of the tier's role has room (ASSIGNMENT_ORDER); who does not fit is
    returned as over capacity, with no work order.
    """
    result = Opening()
    if not candidates:
        return result
    tiers = {t["tier"]: t for t in policy["tiers"]}
    likelihood = save_likelihoods(tiers)
    now = timezone.now()
    open_orders = {
        wo.open_key: wo for wo in WorkOrder.objects.filter(open_key__in=[c["customer"].id for c in candidates])
    }
    book = clock_book(policy)
    _refresh_open(open_orders, candidates, tiers, likelihood, now, book)
    result.worked = list(open_orders)
    waiting = [c for c in candidates if c["customer"].id not in open_orders]
    todo = _not_recently_contacted(waiting, policy.get("recontact_quiet_days") or 0, now)
    result.quiet = sorted({c["customer"].id for c in waiting} - {c["customer"].id for c in todo})
    if not todo:
        return result
    assigner = Assigner.for_roles(
        [tiers[c["tier"]]["assignee_role"] for c in todo], [c["customer"].owner for c in todo], as_of
    )
    for c in todo:
        tier = tiers[c["tier"]]
        c["priority"] = priority_of(
            probability=c["probability"],
            ltv=_value(c),
            save_likelihood=likelihood[c["tier"]],
            expected_cost=tier["expected_cost"],
        )
    picked = []
    for c in sorted(todo, key=lambda c: (-c["priority"], c["tier"], -c["probability"], c["customer"].id)):
        assignee = assigner.pick(owner=c["customer"].owner, role=tiers[c["tier"]]["assignee_role"], now=now)
        if assignee is None:
            result.over_capacity.append(c["customer"].id)
        else:
            picked.append((c, assignee))
    book.load_people({a.id for _c, a in picked})
    orders = []
    for c, assignee in picked:
        tier = tiers[c["tier"]]
        customer = c["customer"]
        cal = book.for_clock(c["tier"], user_id=assignee.id)
        first_warn, first_due = book.times(cal, now, tier["first_contact_hours"])
        resolution_warn, resolution_due = book.times(cal, now, tier["resolution_hours"])
        orders.append(
            WorkOrder(
                customer=customer,
                alert=c["alert"],
                open_key=customer.id,
                tier=c["tier"],
                assignee=assignee,
                probability=c["probability"],
                priority=c["priority"],
                opened_at=now,
                first_contact_due_at=first_due,
                resolution_due_at=resolution_due,
                first_contact_warn_at=first_warn,
                resolution_warn_at=resolution_warn,
            )
        )
    model_insert(model=WorkOrder, objs=orders)  # a concurrent duplicate run loses on the open key
    fresh = list(
        WorkOrder.objects.filter(open_key__in=[o.open_key for o in orders], opened_at=now).select_related(
            "assignee", "customer", "alert"
        )
    )
    events_write(
        [
            event_row(
                wo,
                by=None,
                field="created",
                before=None,
                after=f"tier {wo.tier}",
                at=now,
                note=f"assigned to {wo.assignee.username}; {value_text(wo.alert)}"[:300],
            )
            for wo in fresh
        ]
    )
    assigned = {wo.assignee_id for wo in fresh if wo.assignee_id}
    AgentProfile.objects.filter(user_id__in=assigned).update(last_assigned_at=now)
    work_order_steps_open(work_orders=fresh, candidates=todo)
    work_orders_opened_emit(fresh)
    result.opened = len(fresh)
    result.worked += [wo.open_key for wo in fresh]
    return result


VALUE_WORDS = {"ltv": "lifetime value", "spend": "observed spend", "frequency": "purchase frequency"}


def value_text(alert) -> str:
    """Which value the priority used, in words: 'value from observed spend (1,234)'."""
    if alert is None or not getattr(alert, "value_basis", ""):
        return "value from lifetime value"
    return f"value from {VALUE_WORDS.get(alert.value_basis, alert.value_basis)} ({alert.value:,.0f})"


def _not_recently_contacted(candidates: list[dict], quiet_days: int, now) -> list[dict]:
    """Drop customers reached (call, e-mail, visit, offer) for the same tier within the quiet period."""
    if not candidates or quiet_days <= 0:
        return candidates
    recent = set(
        Action.objects.filter(
            kind__in=CONTACT_ACTIONS,
            at__gte=now - timedelta(days=quiet_days),
            work_order__customer_id__in=[c["customer"].id for c in candidates],
        )
        .values_list("work_order__customer_id", "work_order__tier")
        .distinct()
    )
    return [c for c in candidates if (c["customer"].id, c["tier"]) not in recent]


def _refresh_open(
    open_orders: dict, candidates: list[dict], tiers: dict, likelihood: dict, now, book: ClockBook
) -> None:
    """A re-score of a customer with an open work order: raise its tier, tighten its SLA, move its priority."""
    changed, events = [], []
    book.load_people({wo.assignee_id for wo in open_orders.values()})
    for c in candidates:
        wo = open_orders.get(c["customer"].id)
        if wo is None:
            continue
        before = len(events)
        if c["tier"] < wo.tier and c["tier"] in tiers:
            events += _raise_tier(wo, tiers[c["tier"]], now, book)
        tier = tiers.get(wo.tier)
        if tier is not None:
            priority = priority_of(
                probability=c["probability"],
                ltv=_value(c),
                save_likelihood=likelihood.get(wo.tier, 0.0),
                expected_cost=tier["expected_cost"],
            )
            if abs(priority - wo.priority) > PRIORITY_MIN_CHANGE * max(abs(wo.priority), 1e-9):
                events.append(
                    event_row(
                        wo,
                        by=None,
                        field="priority",
                        before=f"{wo.priority:.1f}",
                        after=f"{priority:.1f}",
                        at=now,
                        note=gettext_noop("re-scored"),
                    )
                )
                wo.priority, wo.probability = priority, c["probability"]
        if len(events) > before:
            wo.updated_at = now
            changed.append(wo)
    WorkOrder.objects.bulk_update(changed, REFRESH_FIELDS, batch_size=1000)
    events_write(events)


def _raise_tier(wo: WorkOrder, tier: dict, now, book: ClockBook) -> list:
    events = [
        event_row(
            wo,
            by=None,
            field="tier",
            before=wo.tier,
            after=tier["tier"],
            at=now,
            note=gettext_noop("re-score put the customer in a more urgent tier"),
        )
    ]
    wo.tier = tier["tier"]
    cal = book.for_clock(wo.tier, user_id=wo.assignee_id)
    # Each running clock moves earlier if the tighter tier's SLA ends sooner (a stopped first-contact clock stays).
    clocks = (
        ("first_contact", tier["first_contact_hours"], wo.first_contact_at is None),
        ("resolution", tier["resolution_hours"], True),
    )
    for clock, hours, is_running in clocks:
        warn, due = book.times(cal, now, hours)
        current = getattr(wo, f"{clock}_due_at")
        if is_running and due < current:
            events.append(
                event_row(
                    wo,
                    by=None,
                    field=f"{clock}_due_at",
                    before=current.isoformat(),
                    after=due.isoformat(),
                    at=now,
                    note=f"SLA of tier {tier['tier']}",
                )
            )
            setattr(wo, f"{clock}_due_at", due)
            setattr(wo, f"{clock}_warn_at", warn)
    return events
