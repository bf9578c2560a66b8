"""Reads for alerts, scoped to the user."""

from django.db.models import Q, QuerySet

from customers.selectors import customer_list
from interventions.permissions import is_admin
from interventions.selectors import work_order_list

from .models import Alert


def alert_list(*, user) -> QuerySet[Alert]:
    """Alerts the user may see, with the customer joined.

    Admins see all. Everyone else sees alerts of customers they can see (customer_list: owners, their team
    leads, customer service) or whose work order they can see (work_order_list: assignees, their team leads),
    and never a control-group alert: hold-outs must not be worked on, or the uplift measurement breaks.
    """
    # id last: a stable order for pagination
    alerts = Alert.objects.select_related("customer").order_by("tier", "-probability", "id")
    if is_admin(user):
        return alerts
    visible = Q(customer_id__in=customer_list(user=user).values("pk")) | Q(
        customer_id__in=work_order_list(user=user).values("customer_id")
    )
    return alerts.filter(visible, is_control=False)


def control_group(*, since=None) -> QuerySet[Alert]:
    """Alerts drawn into the control group (no work order by design), for admins and the weekly report."""
    alerts = Alert.objects.filter(is_control=True).select_related("customer").order_by("-first_raised_at", "id")
    return alerts.filter(first_raised_at__gte=since) if since is not None else alerts
