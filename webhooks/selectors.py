"""Reads of the webhooks app: endpoints and their delivery log, for admins only."""

from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("owner").order_by("name", "id")


def delivery_list(*, endpoint_id: int | None = None) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-id")
    return qs.filter(endpoint_id=endpoint_id) if endpoint_id else qs
