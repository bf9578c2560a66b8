"""Who may read and rebuild the weekly reports."""

from churnops.core.roles import is_admin, is_team_lead


def can_view_reports(user) -> bool:
    """Admins and team leads (the report compares account managers with each other)."""
    return is_admin(user) or is_team_lead(user)


def can_rebuild_reports(user) -> bool:
    return is_admin(user)
