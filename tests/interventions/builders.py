"""Helpers for work order tests that build no data (rows come from tests.factories)."""

from interventions.models import WorkOrder


def fresh(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_related("assignee").get(pk=wo.pk)


def timeline(wo: WorkOrder) -> list[tuple]:
    """(field, before, after, actor username or None) of every event, oldest first."""
    return [
        (e.field, e.before, e.after, e.actor.username if e.actor else None)
        for e in wo.events.select_related("actor").order_by("at", "id")
    ]
