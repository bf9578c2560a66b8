"""Hand-made rows for report tests: customers, alerts, work orders, actions and scores at exact local times."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.utils import timezone

from alerts.models import Alert
from customers.models import Customer, Event
from interventions.choices import WorkOrderStatus
from interventions.models import Action, WorkOrder
from scoring.models import CustomerScore, ScoreRun

SLA_HOURS = {1: (24, 168), 2: (72, 336), 3: (168, 720)}  # the default policy's (first contact, resolution)


def local(year, month, day, hour=0, minute=0) -> datetime:
    """An aware datetime in the configured time zone (Europe/Berlin)."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def customer(external_id: str, *, ltv: float = 1000.0, churned_at: datetime | None = None, **fields) -> Customer:
    return Customer.objects.create(external_id=external_id, name=external_id, lifetime_value=ltv,
                                   churned_at=churned_at, **fields)


def event(c: Customer, at: datetime, kind: str = "visit", n: int = 0) -> None:
    Event.objects.create(customer=c, kind=kind, occurred_at=at, external_id=f"{kind}-{at.isoformat()}-{n}")


def work_order(c: Customer, *, tier: int, assignee, opened_at: datetime) -> WorkOrder:
    first, resolution = SLA_HOURS[tier]
    opened_at = opened_at.astimezone(UTC)  # SLA clocks run in absolute hours, as in the pipeline
    return WorkOrder.objects.create(
        customer=c, open_key=c.id, tier=tier, assignee=assignee, probability=0.7, opened_at=opened_at,
        first_contact_due_at=opened_at + timedelta(hours=first),
        resolution_due_at=opened_at + timedelta(hours=resolution),
    )


def contact(wo: WorkOrder, at: datetime, kind: str = "call") -> Action:
    """An action at `at`; a contact kind also stamps first_contact_at the way the service does."""
    action = Action.objects.create(work_order=wo, kind=kind, author=wo.assignee, at=at)
    if kind != "note" and wo.first_contact_at is None:
        WorkOrder.objects.filter(pk=wo.pk).update(first_contact_at=at, status=WorkOrderStatus.IN_PROGRESS)
        wo.refresh_from_db()
    return action


def resolve(wo: WorkOrder, at: datetime, outcome: str, reason: str) -> WorkOrder:
    WorkOrder.objects.filter(pk=wo.pk).update(status=WorkOrderStatus.RESOLVED, resolved_at=at, outcome=outcome,
                                              reason=reason, open_key=None)
    wo.refresh_from_db()
    return wo


def alert(c: Customer, *, raised_at: datetime, tier: int, probability: float = 0.5, rule_high: bool = False,
          control: bool = False, max_tier: int | None = None, is_open: bool = True) -> Alert:
    as_of = timezone.localdate(raised_at)
    return Alert.objects.create(
        customer=c, open_key=c.id if is_open else None, status=Alert.Status.OPEN if is_open else Alert.Status.CLOSED,
        probability=probability, tier=tier, max_tier=max_tier or tier, is_rule_high_risk=rule_high,
        is_control=control, first_raised_at=raised_at, first_run_as_of=as_of, last_run_as_of=as_of,
    )


def score(c: Customer, as_of: date, *, probability: float, tier: int | None = None, rule_high: bool = False,
          model_version=None) -> CustomerScore:
    run, _ = ScoreRun.objects.get_or_create(as_of=as_of, defaults={"status": ScoreRun.Status.DONE,
                                                                    "model_version": model_version})
    return CustomerScore.objects.create(run=run, customer=c, as_of=as_of, probability=probability, tier=tier,
                                        is_rule_high_risk=rule_high)


class FixedModel:
    """A stand-in estimator: P(churn) = 0.9 for customers without a visit in the last 30 days, else 0.1."""

    def predict_proba(self, X):
        p = np.where(X["visits_30d"].to_numpy() > 0, 0.1, 0.9)
        return np.column_stack([1 - p, p])
