"""Who may read and change the scoring configuration; shared by pages, API and services.

Roles are Django groups (churnops.core.roles.Role); `is_admin` and `is_team_lead` there define them.
"""

from django.core.exceptions import PermissionDenied

from churnops.core.roles import is_admin, is_team_lead


def can_edit_scoring(user) -> bool:
    """Rules, policy, previews of changes to them, their history and rollbacks: admins only."""
    return is_admin(user)


def can_manage_models(user) -> bool:
    return is_admin(user)


def can_view_score_runs(user) -> bool:
    return is_admin(user) or is_team_lead(user)


def require_scoring_editor(user) -> None:
    """For services: refuse a change by someone who is not allowed to make it (None = the system)."""
    if user is not None and not can_edit_scoring(user):
        raise PermissionDenied("only admins may change rules and policy")
