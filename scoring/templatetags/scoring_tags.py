"""Template helpers of the scoring pages and of the admin links in the top bar."""

from django import template
from django.utils.translation import gettext

from scoring.permissions import can_edit_scoring

register = template.Library()


@register.filter
def edits_scoring(user) -> bool:
    """Whether the top bar shows Rules / Policy / History.

    Superusers always; other admins are staff (they also use Django admin), so a user who is not staff needs no
    query: the queue page keeps its fixed query count for account managers.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return bool(user.is_staff and can_edit_scoring(user))


@register.filter
def pct(value) -> str:
    """A share as a percentage with one decimal; '—' when there is none."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def signed(value, other) -> str:
    """value − other with its sign: '+12', '−3', '0'."""
    diff = (value or 0) - (other or 0)
    if diff > 0:
        return f"+{diff:,}"
    if diff < 0:
        return f"−{-diff:,}"
    return "0"


@register.filter
def tier_label(tier) -> str:
    return gettext("tier %(tier)s") % {"tier": tier} if tier else gettext("no tier")


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes, rounded up (for 'try again in N minutes')."""
    return int(-(-delta.total_seconds() // 60))
