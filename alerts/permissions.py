"""Who may act on an alert; shared by the pages, the API and the services."""

from churnops.core.roles import is_admin


def can_snooze(user, alert) -> bool:
    """Anyone who can see the alert (admins every one, including the control group's)."""
    from interventions.access import alert_list  # access imports alerts.models: read at call time

    if is_admin(user):
        return True
    return alert_list(user=user).filter(pk=alert.pk).exists()
