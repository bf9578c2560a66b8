"""Outbound webhooks: endpoints registered by admins and the log of every delivery to them.

This app sits on the core floor: it imports Django, DRF, Celery, the standard library and churnops.core only.
The apps that have something to announce call `webhooks.services.webhook_emit`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

EVENT_TYPES = (
    "alert.opened",
    "alert.escalated",
    "work_order.opened",
    "work_order.breached",
    "work_order.resolved",
    "score_run.finished",
    "weekly_report.built",
)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Waiting to retry")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookEndpoint(models.Model):
    """An outside URL that receives signed ChurnOps events."""

    name = models.CharField(max_length=80)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # a subset of EVENT_TYPES
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    # Send {"text": "... link"} that Slack and Teams incoming webhooks display, instead of the plain event.
    is_slack_compatible = models.BooleanField(default=False)
    # Private, loopback and link-local targets are refused unless the admin allows them (SSRF).
    allows_private = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_endpoints"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # First failed attempt since the last success; an endpoint failing for WEBHOOK_DISABLE_AFTER is switched off.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.url})"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent after commit, retried on 5xx and time-outs, logged attempt by attempt."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The event's natural key (e.g. "alert.opened:42"): unique per endpoint, so an event is sent at most once.
    idempotency_key = models.CharField(max_length=200)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "idempotency_key"], name="webhook_delivery_once")]
        indexes = [
            # The retry sweep reads only deliveries still to be sent.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_todo",
                condition=Q(status__in=["pending", "retrying", "sending"]),
            )
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
