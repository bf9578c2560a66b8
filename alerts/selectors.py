"""Reads for alerts, scoped to the user."""

from django.db.models import QuerySet

from .models import Alert


def control_group(*, since=None) -> QuerySet[Alert]:
    """Alerts drawn into the control group (no work order by design), for admins and the weekly report."""
    alerts = Alert.objects.filter(is_control=True).select_related("customer").order_by("-first_raised_at", "id")
    return alerts.filter(first_raised_at__gte=since) if since is not None else alerts
