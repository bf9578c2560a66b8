"""Role predicates, shared by pages, API and services."""

from churnops.core.roles import is_admin, is_admin_or_lead, is_team_lead


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


def can_bulk_reassign(user, roles=None) -> bool:
    """The team queue's bulk reassign: team leads (within their team) and admins."""
    return is_admin_or_lead(user, roles)


def can_manage_agent(user, agent_user) -> bool:
    """Capacity and leave of a person: admins only (team leads reassign work, they don't edit people)."""
    return is_admin(user)
