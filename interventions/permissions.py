"""Role predicates, shared by pages, API and services."""

from .choices import Role


def _in(user, role: str) -> bool:
    return bool(user and user.is_authenticated and user.groups.filter(name=role).exists())


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or _in(user, Role.ADMIN)))


def is_team_lead(user) -> bool:
    return _in(user, Role.TEAM_LEAD)


def can_view_work_order(user, work_order) -> bool:
    if is_admin(user) or work_order.assignee_id == user.id:
        return True
    if is_team_lead(user) and work_order.assignee_id:
        agent = getattr(work_order.assignee, "agent", None)
        return bool(agent and agent.team_lead_id == user.id)
    return False


def can_work_on(user, work_order) -> bool:
    """Logging actions, changing status and resolving: the assignee, their team lead, or an admin."""
    return can_view_work_order(user, work_order)


def can_reassign(user, work_order) -> bool:
    return is_admin(user) or (is_team_lead(user) and can_view_work_order(user, work_order))
