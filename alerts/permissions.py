"""Who may act on an alert; shared by the pages, the API and the services."""

from interventions.permissions import is_admin


def can_snooze(user, alert) -> bool:
    """Anyone who can see the alert (admins every one, including the control group's)."""
    from .selectors import alert_list  # selectors import the interventions selectors, which import permissions

    if is_admin(user):
        return True
    return alert_list(user=user).filter(pk=alert.pk).exists()
