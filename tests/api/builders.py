"""Rows for API tests, built directly so that each test states exactly what exists."""

from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from alerts.models import Alert
from customers.models import Customer
from interventions.choices import WorkOrderStatus
from interventions.models import AgentProfile, WorkOrder

NOW = datetime.fromisoformat("2025-06-30T09:00:00+00:00")
AS_OF = date(2025, 6, 30)
FACTORS = [{"feature": "days_since_last_visit", "weight": 1.25, "text": "no visit for 120 days"}]


def login(client: APIClient, user) -> APIClient:
    client.force_authenticate(user=user)
    return client


def join(user, group_name: str):
    group, _ = Group.objects.get_or_create(name=group_name)
    user.groups.add(group)
    return user


def in_team(member, lead):
    AgentProfile.objects.update_or_create(user=member, defaults={"team_lead": lead})
    return member


def customer(external_id: str, **fields) -> Customer:
    fields.setdefault("name", f"Customer {external_id}")
    return Customer.objects.create(external_id=external_id, **fields)


def alert(customer: Customer, *, tier=2, probability=0.8, is_control=False, **fields) -> Alert:
    fields.setdefault("rules_fired", ["Visits stopped", "Competitor signal"])
    fields.setdefault("factors", FACTORS)
    return Alert.objects.create(
        customer=customer, open_key=customer.id, tier=tier, max_tier=tier, probability=probability,
        is_control=is_control, first_raised_at=NOW, first_run_as_of=AS_OF, last_run_as_of=AS_OF, **fields,
    )  # fmt: skip


def work_order(customer: Customer, *, assignee=None, tier=2, status=WorkOrderStatus.NEW, **fields) -> WorkOrder:
    return WorkOrder.objects.create(
        customer=customer, open_key=customer.id, tier=tier, status=status, assignee=assignee, probability=0.8,
        opened_at=NOW, first_contact_due_at=NOW + timedelta(hours=72), resolution_due_at=NOW + timedelta(days=14),
        **fields,
    )  # fmt: skip


def customers_with_work_orders(n: int, *, assignee, prefix="C") -> list[WorkOrder]:
    return [work_order(customer(f"{prefix}{i:03d}", owner=assignee), assignee=assignee) for i in range(n)]
