"""What the workflow tells other systems: webhook payloads of work orders (sent by the webhooks app)."""

from interventions.models import WorkOrder
from webhooks.services import webhook_emit, webhook_emit_many

from .notifications import work_order_link


def work_order_payload(wo: WorkOrder) -> dict:
    """The work order as an outside system sees it (customer by external id; ids, times in ISO 8601 UTC)."""
    return {
        "work_order_id": wo.pk,
        "customer": wo.customer.external_id,
        "customer_name": wo.customer.name,
        "tier": wo.tier,
        "status": wo.status,
        "assignee": wo.assignee.username if wo.assignee_id else None,
        "first_contact_due_at": wo.first_contact_due_at.isoformat(),
        "resolution_due_at": wo.resolution_due_at.isoformat(),
        "url": work_order_link(wo.pk),
    }


def work_orders_opened_emit(rows: list[WorkOrder]) -> int:
    return webhook_emit_many(
        event_type="work_order.opened",
        events=[
            (
                f"work_order.opened:{wo.pk}",
                work_order_payload(wo) | {"summary": f"WO-{wo.pk} opened for {wo.customer.name} (tier {wo.tier})"},
            )
            for wo in rows
        ],
    )


def work_order_resolved_emit(wo: WorkOrder) -> int:
    return webhook_emit(
        event_type="work_order.resolved",
        key=f"work_order.resolved:{wo.pk}:{wo.resolved_at:%s}",
        payload=work_order_payload(wo)
        | {
            "outcome": wo.outcome,
            "reason": wo.reason,
            "resolved_at": wo.resolved_at.isoformat(),
            "summary": f"WO-{wo.pk} resolved: {wo.outcome} ({wo.reason})",
        },
    )
