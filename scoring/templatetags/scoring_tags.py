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
    """value − other with its sign: '+12', '−3', '0'; '—' when either is unknown (withheld from a sample)."""
    if value is None or other is None:
        return "—"
    diff = value - other
    if diff > 0:
        return f"+{diff:,}"
    if diff < 0:
        return f"−{-diff:,}"
    return "0"


@register.filter
def estimate(value, margin=0) -> str:
    """A preview count: '1,234', '≈ 1,234 ± 56' when estimated from a sample ('≈ 90, up to 590' when the interval
    reaches 0: a count is never negative), 'too few sampled' when withheld."""
    if value is None:
        return gettext("too few sampled")
    if margin and margin >= value:
        return gettext("≈ %(count)s, up to %(high)s") % {"count": f"{value:,}", "high": f"{value + margin:,}"}
    if margin:
        return f"≈ {value:,} ± {margin:,}"
    return f"{value:,}"


@register.filter
def tier_label(tier) -> str:
    return gettext("tier %(tier)s") % {"tier": tier} if tier else gettext("no tier")


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes, rounded up (for 'try again in N minutes')."""
    return int(-(-delta.total_seconds() // 60))
