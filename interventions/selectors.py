"""Reads for work orders: queues scoped to the user, loads, learned save likelihoods."""

from django.contrib.auth.models import User
from django.db.models import Count, Q

from .choices import OPEN_STATUSES, Outcome, Role
from .models import WorkOrder
from .permissions import is_admin, is_team_lead

# Save likelihood is smoothed toward this prior with the weight of this many outcomes.
SAVE_PRIOR = 0.35
SAVE_PRIOR_WEIGHT = 10


def work_order_list(*, user):
    """Work orders the user may see: admins all, team leads their team's, everyone else their own."""
    qs = WorkOrder.objects.select_related("customer", "assignee")
    if is_admin(user):
        return qs
    if is_team_lead(user):
        return qs.filter(Q(assignee=user) | Q(assignee__agent__team_lead=user))
    return qs.filter(assignee=user)


def queue_for(*, user, team: bool = False):
    """Open work orders in queue order: breached first, then due soonest, then priority."""
    qs = work_order_list(user=user) if team else WorkOrder.objects.select_related("customer", "assignee").filter(
        assignee=user)
    return qs.filter(open_key__isnull=False).order_by("-is_breached", "first_contact_due_at", "-priority", "id")


def open_load(user_ids) -> dict[int, int]:
    rows = (WorkOrder.objects.filter(open_key__isnull=False, assignee_id__in=list(user_ids))
            .values("assignee_id").annotate(n=Count("id")))
    return {r["assignee_id"]: r["n"] for r in rows}


def role_members(role: str):
    return User.objects.filter(groups__name=role, is_active=True).select_related("agent").order_by("id")


def save_likelihoods(tiers) -> dict[int, float]:
    """Per tier: retained / (retained + churned + unreachable), smoothed toward the prior."""
    rows = (WorkOrder.objects.filter(open_key__isnull=True, tier__in=list(tiers))
            .exclude(outcome__in=["", Outcome.FALSE_ALARM]).values("tier")
            .annotate(n=Count("id"), kept=Count("id", filter=Q(outcome=Outcome.RETAINED))))
    seen = {r["tier"]: (r["kept"], r["n"]) for r in rows}
    return {t: (seen.get(t, (0, 0))[0] + SAVE_PRIOR * SAVE_PRIOR_WEIGHT) / (seen.get(t, (0, 0))[1] + SAVE_PRIOR_WEIGHT)
            for t in tiers}


__all__ = ["OPEN_STATUSES", "Role", "open_load", "queue_for", "role_members", "save_likelihoods", "work_order_list"]
