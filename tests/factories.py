"""The one place tests build data: factory_boy factories for each row, and named builders on top of them.

Builders that change state (logging an action, resolving a work order) call the services, so a test's data is
in a state the product itself can reach; when a test needs that state in the past, the builder travels there.
"""

from datetime import UTC, date, datetime, time, timedelta

import factory
import pandas as pd
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone

from alerts.models import Alert
from churnops.core.roles import Role
from customers.choices import EventKind
from customers.models import Contact, Customer, Event
from customers.services import contacts_upsert
from interventions.choices import WorkOrderStatus
from interventions.models import Action, AgentProfile, WorkOrder
from interventions.services import work_order_log_action, work_order_resolve
from scoring.history import ScorePoint
from scoring.models import ScoreRun
from scoring.score_writes import scores_record

NOW = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
TODAY = date(2025, 6, 30)
PASSWORD = "pw-Test-12345"
FACTORS = [{"feature": "days_since_last_visit", "weight": 1.25, "text": "no visit for 120 days"}]
SLA_HOURS = {1: (24, 168), 2: (72, 336), 3: (168, 720)}  # the default policy's (first contact, resolution)


# --- factories -------------------------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in with PASSWORD, in the group of `role` when one is given."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    role = None

    @classmethod
    def _create(cls, model_class, *args, role=None, **kwargs):
        user = model_class.objects.create_user(*args, password=PASSWORD, **kwargs)
        if role is not None:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory, role=Role.ACCOUNT_MANAGER)
    capacity = 200
    team_lead = None
    leave_from = None
    leave_until = None


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.LazyAttribute(lambda c: f"Customer {c.external_id}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    customer = factory.SubFactory(CustomerFactory)
    kind = EventKind.PURCHASE
    occurred_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    amount = 10.0
    external_id = factory.Sequence(lambda n: f"E{n}")


class AlertFactory(factory.django.DjangoModelFactory):
    """An open alert raised on TODAY's run."""

    class Meta:
        model = Alert

    customer = factory.SubFactory(CustomerFactory)
    open_key = factory.LazyAttribute(lambda a: a.customer.id)
    tier = 2
    max_tier = factory.LazyAttribute(lambda a: a.tier)
    probability = 0.8
    is_control = False
    rules_fired = factory.LazyFunction(lambda: ["Visits stopped", "Competitor signal"])
    factors = factory.LazyFunction(lambda: list(FACTORS))
    first_raised_at = NOW
    first_run_as_of = TODAY
    last_run_as_of = TODAY


class WorkOrderFactory(factory.django.DjangoModelFactory):
    """An open work order whose SLA clocks follow the default policy for its tier."""

    class Meta:
        model = WorkOrder

    customer = factory.SubFactory(CustomerFactory)
    open_key = factory.LazyAttribute(lambda wo: wo.customer.id)
    tier = 2
    status = WorkOrderStatus.NEW
    assignee = None
    probability = 0.7
    opened_at = NOW
    # SLA clocks run in absolute hours, as in the pipeline, whatever time zone opened_at is given in.
    first_contact_due_at = factory.LazyAttribute(
        lambda wo: wo.opened_at.astimezone(UTC) + timedelta(hours=SLA_HOURS[wo.tier][0])
    )
    resolution_due_at = factory.LazyAttribute(
        lambda wo: wo.opened_at.astimezone(UTC) + timedelta(hours=SLA_HOURS[wo.tier][1])
    )


class ScoreRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoreRun
        django_get_or_create = ("as_of",)

    as_of = TODAY
    status = ScoreRun.Status.DONE
    model_version = None


# --- people ----------------------------------------------------------------------------------------------------


def user_with_role(username: str, role: str, **extra) -> User:
    return UserFactory(username=username, role=role, **extra)


def agent_user(
    username: str, role: str = Role.ACCOUNT_MANAGER, *, capacity=None, team_lead=None, leave=None, **extra
) -> User:
    """A user in a role, with a profile when capacity, team lead or leave (from, until) are given."""
    user = user_with_role(username, role, **extra)
    if capacity is not None or team_lead is not None or leave is not None:
        leave_from, leave_until = leave or (None, None)
        AgentProfileFactory(
            user=user,
            capacity=200 if capacity is None else capacity,
            team_lead=team_lead,
            leave_from=leave_from,
            leave_until=leave_until,
        )
    return user


def team_member_of(member: User, lead: User) -> User:
    AgentProfile.objects.update_or_create(user=member, defaults={"team_lead": lead})
    return member


# --- customers and their history -------------------------------------------------------------------------------


def customer(external_id: str, *, ltv: float = 1000.0, **fields) -> Customer:
    """A customer named by its external id (CustomerFactory names it "Customer <id>")."""
    fields.setdefault("lifetime_value", ltv)
    return CustomerFactory(external_id=external_id, name=external_id, **fields)


def contact_of(customer: Customer, name: str, *, phone: str = "", email: str = "", **fields) -> Contact:
    """A contact written through the import service (so its phone digits are indexed as imports index them)."""
    contacts_upsert(
        rows=[
            (0, {"customer_external_id": customer.external_id, "name": name, "phone": phone, "email": email, **fields})
        ]
    )
    return Contact.objects.get(customer=customer, name=name)


def _noon(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def events_on_days(customer: Customer, kind: str, days, *, amount=None, value=None) -> None:
    """Events of one kind at noon (local time) on the given dates."""
    Event.objects.bulk_create(
        [
            EventFactory.build(
                customer=customer,
                kind=kind,
                occurred_at=_noon(d),
                amount=amount,
                value=value,
                external_id=f"{kind}-{d.isoformat()}-{i}",
            )
            for i, d in enumerate(days)
        ]
    )


def event_at(customer: Customer, at: datetime, kind: str = "visit", n: int = 0) -> Event:
    return EventFactory(
        customer=customer, kind=kind, occurred_at=at, amount=None, external_id=f"{kind}-{at.isoformat()}-{n}"
    )


def score_on(
    customer: Customer,
    as_of: date,
    *,
    probability: float,
    tier: int | None = None,
    rule_high: bool = False,
    model_version=None,
    rules_fired: tuple[str, ...] = (),
) -> ScorePoint:
    """The customer's score in the (done) run of `as_of`, creating that run the first time; written as the nightly
    run writes it (history, and the latest score where it changed)."""
    run = ScoreRunFactory(as_of=as_of, model_version=model_version)
    scored = pd.DataFrame(
        {
            "probability": [probability],
            "tier": [tier or 0],
            "is_rule_high_risk": [rule_high],
            "rules_fired": [list(rules_fired)],
        },
        index=pd.Index([customer.pk], name="customer_id"),
    )
    scores_record(run=run, scored=scored, factors={})
    return ScorePoint(as_of=as_of, probability=probability, tier=tier, is_rule_high_risk=rule_high)


# --- alerts ----------------------------------------------------------------------------------------------------


def alert_for(customer: Customer, **fields) -> Alert:
    """An open alert raised today at tier 2, with rules fired and factors."""
    return AlertFactory(customer=customer, **fields)


def alert_raised(
    customer: Customer,
    *,
    raised_at: datetime,
    tier: int,
    probability: float = 0.5,
    rule_high: bool = False,
    control: bool = False,
    max_tier: int | None = None,
    is_open: bool = True,
) -> Alert:
    """An alert first raised at `raised_at` (open, or closed), without rules or factors."""
    as_of = timezone.localdate(raised_at)
    return AlertFactory(
        customer=customer,
        open_key=customer.id if is_open else None,
        status=Alert.Status.OPEN if is_open else Alert.Status.CLOSED,
        probability=probability,
        tier=tier,
        max_tier=max_tier or tier,
        is_rule_high_risk=rule_high,
        is_control=control,
        rules_fired=[],
        factors=[],
        first_raised_at=raised_at,
        first_run_as_of=as_of,
        last_run_as_of=as_of,
    )


# --- work orders -----------------------------------------------------------------------------------------------


def work_order_for(customer: Customer, **fields) -> WorkOrder:
    """An open work order for the customer, opened at NOW unless `opened_at` is given."""
    if "opened_at" in fields:
        fields["opened_at"] = fields["opened_at"].astimezone(UTC)
    return WorkOrderFactory(customer=customer, **fields)


def work_orders_for_new_customers(n: int, *, assignee, prefix: str = "C", **fields) -> list[WorkOrder]:
    """n customers owned by the assignee (C000, C001, ...), each with an open work order."""
    return [
        work_order_for(CustomerFactory(external_id=f"{prefix}{i:03d}", owner=assignee), assignee=assignee, **fields)
        for i in range(n)
    ]


def work_order_with_clocks(
    external_id: str,
    *,
    assignee,
    tier: int = 2,
    opened_at: datetime = NOW,
    first_contact_hours: int = 10,
    resolution_hours: int = 100,
    owner=None,
    **fields,
) -> WorkOrder:
    """A work order for a new customer (LTV 5,000, owned by the assignee unless `owner` is given), priority 100,
    with its first-contact and resolution deadlines the given hours after it opened."""
    c = CustomerFactory(external_id=external_id, owner=owner if owner is not None else assignee, lifetime_value=5000.0)
    fields.setdefault("priority", 100.0)
    return WorkOrderFactory(
        customer=c,
        tier=tier,
        assignee=assignee,
        opened_at=opened_at,
        first_contact_due_at=opened_at + timedelta(hours=first_contact_hours),
        resolution_due_at=opened_at + timedelta(hours=resolution_hours),
        **fields,
    )


def action_logged(wo: WorkOrder, at: datetime, kind: str = "call") -> Action:
    """The assignee logs an action at `at` through the service (a contact stops the first-contact clock)."""
    with time_machine.travel(at, tick=False):
        action = work_order_log_action(work_order=wo, kind=kind, by=wo.assignee)
    wo.refresh_from_db()
    return action


def work_order_resolved(wo: WorkOrder, at: datetime, outcome: str, reason: str) -> WorkOrder:
    """The assignee resolves the work order at `at` through the service."""
    with time_machine.travel(at, tick=False):
        work_order_resolve(work_order=wo, outcome=outcome, reason=reason, by=wo.assignee)
    wo.refresh_from_db()
    return wo


def customer_flagged_by_two_rules(external_id: str, *, as_of: date = TODAY, **fields) -> Customer:
    """A customer who fires 'Visits stopped' and 'Competitor signal' on `as_of` (tier 2, and nothing else):
    visits every 14 days from 300 to 120 days before, and a competitor signal 5 days before."""
    c = customer(external_id, **fields)
    events_on_days(c, "visit", _every(as_of - timedelta(days=300), as_of - timedelta(days=120), 14))
    events_on_days(c, "competitor", [as_of - timedelta(days=5)])
    return c


def _every(start: date, end: date, step_days: int) -> list[date]:
    return [start + timedelta(days=d) for d in range(0, (end - start).days + 1, step_days)]
