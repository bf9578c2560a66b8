"""Rows for work order tests, built directly so that each test states exactly what exists."""

from datetime import UTC, date, datetime, timedelta

from customers.models import Customer
from interventions.choices import Role, WorkOrderStatus
from interventions.models import AgentProfile, WorkOrder
from tests.conftest import make_user

NOW = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
TODAY = date(2025, 6, 30)


def agent(username: str, role: str = Role.ACCOUNT_MANAGER, *, capacity=None, team_lead=None, leave=None, **extra):
    """A user in a role, with a profile when capacity, team lead or leave (from, until) are given."""
    user = make_user(username, role, **extra)
    if capacity is not None or team_lead is not None or leave is not None:
        leave_from, leave_until = leave or (None, None)
        AgentProfile.objects.create(user=user, capacity=200 if capacity is None else capacity, team_lead=team_lead,
                                    leave_from=leave_from, leave_until=leave_until)
    return user


def customer(external_id: str, *, owner=None, ltv: float = 5000.0) -> Customer:
    return Customer.objects.create(external_id=external_id, name=f"Customer {external_id}", owner=owner,
                                   lifetime_value=ltv)


def work_order(external_id: str, *, assignee, tier: int = 2, opened_at: datetime = NOW, first_contact_hours: int = 10,
               resolution_hours: int = 100, status: str = WorkOrderStatus.NEW, owner=None, **fields) -> WorkOrder:
    c = customer(external_id, owner=owner if owner is not None else assignee)
    fields.setdefault("open_key", c.id)
    return WorkOrder.objects.create(
        customer=c, tier=tier, status=status, assignee=assignee, probability=0.7,
        priority=fields.pop("priority", 100.0), opened_at=opened_at,
        first_contact_due_at=opened_at + timedelta(hours=first_contact_hours),
        resolution_due_at=opened_at + timedelta(hours=resolution_hours), **fields,
    )


def fresh(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_related("assignee").get(pk=wo.pk)


def timeline(wo: WorkOrder) -> list[tuple]:
    """(field, before, after, actor username or None) of every event, oldest first."""
    return [(e.field, e.before, e.after, e.actor.username if e.actor else None)
            for e in wo.events.select_related("actor").order_by("at", "id")]
