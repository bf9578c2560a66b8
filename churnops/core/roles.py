"""Roles (Django groups) and the predicates every app's permissions are built from."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Django group names; each user's role is their group."""

    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    TEAM_LEAD = "team_lead", _("Team lead")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    ADMIN = "admin", _("Admin")


# Group names a page has already read for its user (remember_roles): the nav's role checks then cost no query.
ROLES_READ = "_churnops_roles"


def remember_roles(user, roles) -> set[str]:
    """Keep the user's group names on the user object for the rest of this request."""
    setattr(user, ROLES_READ, frozenset(roles))
    return set(roles)


def user_roles(user) -> set[str]:
    """The user's group names, read once per request (the nav, the queue and the role checks all need them)."""
    known = getattr(user, ROLES_READ, None)
    if known is not None:
        return set(known)
    if not (user and user.is_authenticated):
        return set()
    return remember_roles(user, user.groups.values_list("name", flat=True))


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


def is_admin_or_lead(user, roles=None) -> bool:
    return is_admin(user, roles) or is_team_lead(user, roles)


def sees_team(user, roles=None) -> bool:
    """Team leads and admins see the team's queue and people."""
    return is_admin_or_lead(user, roles)
