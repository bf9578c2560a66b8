"""Role predicates, shared by pages, API and services."""

from .choices import Role

# Group names a page has already read for its user (remember_roles): the nav's role checks then cost no query.
ROLES_READ = "_churnops_roles"


def remember_roles(user, roles) -> set[str]:
    """Keep the user's group names on the user object for the rest of this request."""
    setattr(user, ROLES_READ, frozenset(roles))
    return set(roles)


def _in(user, role: str, roles=None) -> bool:
    """Whether the user is in the group; the group names, when the caller or the page has read them, save a query."""
    if not (user and user.is_authenticated):
        return False
    if roles is None:
        roles = getattr(user, ROLES_READ, None)
    return role in roles if roles is not None else user.groups.filter(name=role).exists()


def is_admin(user, roles=None) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or _in(user, Role.ADMIN, roles)))


def is_team_lead(user, roles=None) -> bool:
    return _in(user, Role.TEAM_LEAD, roles)


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
    return is_admin(user, roles) or is_team_lead(user, roles)


def can_manage_agent(user, agent_user) -> bool:
    """Capacity and leave of a person: admins only (team leads reassign work, they don't edit people)."""
    return is_admin(user)
