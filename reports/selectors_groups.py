"""Reads for the report's flow (alerts and work orders carried over, opened, closed) and its fairness table."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max, Q

from alerts.models import Alert
from customers.models import Customer
from interventions.models import WorkOrder

from .fairness import DIMENSIONS, GroupFacts
from .flow import AlertSpan, WorkOrderSpan

UNKNOWN_GROUP = "(none)"


def alert_spans(*, start: datetime, end: datetime) -> list[AlertSpan]:
    """Alerts raised before `end` that were still open at `start` or later."""
    rows = (
        Alert.objects.filter(first_raised_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .exclude(status=Alert.Status.CLOSED, closed_at__isnull=True)  # closed at an unknown time: not in the flow
        .values_list("max_tier", "first_raised_at", "closed_at")
        .order_by("id")
    )
    return [AlertSpan(tier=r[0], raised_at=r[1], closed_at=r[2]) for r in rows]


def work_order_spans(*, start: datetime, end: datetime) -> list[WorkOrderSpan]:
    """Work orders opened before `end` that were still open at `start` or later, with their alert's raising."""
    rows = (
        WorkOrder.objects.filter(opened_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .values_list("tier", "opened_at", "resolved_at", "alert__first_raised_at")
        .order_by("id")
    )
    # A work order without an alert (opened by hand) counts as coming from a new alert, raised when it opened.
    return [WorkOrderSpan(tier=r[0], opened_at=r[1], resolved_at=r[2], alert_raised_at=r[3] or r[1]) for r in rows]


def _name(value: str) -> str:
    return value or UNKNOWN_GROUP


def fairness_facts(
    *, start: datetime, end: datetime, active_days: int, customer_ids: list[int], probabilities, labels
) -> dict[str, list[GroupFacts]]:
    """Per segment and per region: active customers at `end`, those first alerted in [start, end), the matured
    scores (customer_ids, probabilities, labels) and the outcomes of work orders resolved in [start, end)."""
    people = {pk: (_name(seg), _name(reg)) for pk, seg, reg in Customer.objects.values_list("id", "segment", "region")}
    facts = {
        dim: defaultdict(lambda: {"active": 0, "flagged": 0, "scores": [], "labels": [], "retained": 0, "lost": 0})
        for dim in DIMENSIONS
    }

    def add(customer_id, key, amount=1):
        for dim, group in zip(DIMENSIONS, people.get(customer_id, (UNKNOWN_GROUP, UNKNOWN_GROUP)), strict=True):
            facts[dim][group][key] += amount

    active = (
        Customer.objects.annotate(last_seen=Max("events__occurred_at", filter=Q(events__occurred_at__lt=end)))
        .filter(last_seen__gte=end - timedelta(days=active_days))
        .values_list("id", flat=True)
    )
    for pk in active:
        add(pk, "active")
    for pk in (
        Alert.objects.filter(first_raised_at__gte=start, first_raised_at__lt=end)
        .values_list("customer_id", flat=True)
        .distinct()
    ):
        add(pk, "flagged")
    for pk, p, y in zip(customer_ids, probabilities, labels, strict=True):
        for dim, group in zip(DIMENSIONS, people.get(pk, (UNKNOWN_GROUP, UNKNOWN_GROUP)), strict=True):
            facts[dim][group]["scores"].append(float(p))
            facts[dim][group]["labels"].append(int(y))
    for pk, outcome in WorkOrder.objects.filter(
        resolved_at__gte=start, resolved_at__lt=end, outcome__in=("retained", "churned", "unreachable")
    ).values_list("customer_id", "outcome"):
        add(pk, "retained" if outcome == "retained" else "lost")
    return {
        dim: [
            GroupFacts(
                name=name,
                active=f["active"],
                flagged=f["flagged"],
                scores=tuple(f["scores"]),
                labels=tuple(f["labels"]),
                retained=f["retained"],
                lost=f["lost"],
            )
            for name, f in groups.items()
        ]
        for dim, groups in facts.items()
    }
