"""Reads for work orders: queues scoped to the user, loads, team members, notifications, save likelihoods."""

from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from alerts.models import Alert
from scoring.selectors import policy_in_force

from .access import work_order_list
from .choices import OPEN_STATUSES, Outcome, Role
from .models import Notification, WorkOrder
from .permissions import is_admin, is_team_lead

# Save likelihood is smoothed toward this prior with the weight of this many outcomes.
SAVE_PRIOR = 0.35
SAVE_PRIOR_WEIGHT = 10

QUEUE_ORDER = ("-is_breached", "sla_due_at", "-priority", "id")
# Roles whose members work retention cases (and so have a capacity, leave and a team).
AGENT_ROLES = (Role.ACCOUNT_MANAGER, Role.TEAM_LEAD, Role.CUSTOMER_SERVICE)


def queue_for(*, user, team: bool = False, roles=None):
    """Open work orders in queue order: breached first, then the running SLA clock due soonest, then priority.

    Control-group customers never appear: they get an alert but, by construction, no work order.
    """
    if team:
        qs = work_order_list(user=user, roles=roles)
    else:  # every row is the user's: no need to join the assignee (the page sets it from the user)
        qs = WorkOrder.objects.select_related("customer").filter(assignee=user)
    # the alert for the value its priority used (a customer without lifetime value)
    return qs.select_related("alert").filter(open_key__isnull=False).order_by(*QUEUE_ORDER)


# A team's (or everyone's) totals count every open row of the scope, 20,000 for a team of ten at 100k open: the
# team queue shows them up to this many seconds old (settings.QUEUE_TEAM_TOTALS_SECONDS; 0: always counted).
# A person's own queue always counts live (2,000 rows: an index-only scan of 0.5 ms).
QUEUE_TEAM_TOTALS_SECONDS = 10


def queue_totals(work_orders, *, user, team: bool) -> dict[str, int]:
    """Open, breached and at-risk (not breached) counts of a queue (`queue_for`), before any filter."""

    def count():
        return work_orders.aggregate(
            open=Count("id"),
            breached=Count("id", filter=Q(is_breached=True)),
            at_risk=Count("id", filter=Q(is_at_risk=True, is_breached=False)),
        )

    seconds = getattr(settings, "QUEUE_TEAM_TOTALS_SECONDS", QUEUE_TEAM_TOTALS_SECONDS)
    if not team or not seconds:
        return count()
    return cache.get_or_set(f"interventions:queue-totals:{user.pk}", count, seconds)


def open_load(user_ids) -> dict[int, int]:
    rows = (
        WorkOrder.objects.filter(open_key__isnull=False, assignee_id__in=list(user_ids))
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {r["assignee_id"]: r["n"] for r in rows}


def role_members(role: str):
    # With their calendars (own and their lead's): the SLA sweep holds notices until each person's working hours.
    return (
        User.objects.filter(groups__name=role, is_active=True)
        .select_related("agent__calendar", "agent__team_lead__agent__calendar")
        .order_by("id")
    )


def assignable_users(*, by, roles=None) -> QuerySet[User]:
    """Who `by` may hand work to: admins (and the system) any active agent, team leads themselves and their team."""
    users = User.objects.filter(is_active=True).select_related("agent").order_by("username")
    if by is None or is_admin(by, roles):
        return users.filter(pk__in=User.objects.filter(groups__name__in=AGENT_ROLES).values("pk"))
    if is_team_lead(by, roles):
        return users.filter(Q(pk=by.pk) | Q(agent__team_lead=by))
    return users.none()


def agent_list(*, user) -> QuerySet[User]:
    """The agents a person manages, with their open load: admins everyone, team leads their team."""
    open_count = (
        WorkOrder.objects.filter(assignee=OuterRef("pk"), open_key__isnull=False)
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        assignable_users(by=user)
        .select_related("agent__team_lead")
        .annotate(open_work_orders=Coalesce(Subquery(open_count), 0))
    )


def absent_with_open_work(*, on: date) -> QuerySet[User]:
    """Users on leave on `on` who still hold open work orders."""
    on_leave = Q(agent__leave_from__lte=on) & (Q(agent__leave_until__isnull=True) | Q(agent__leave_until__gte=on))
    return User.objects.filter(on_leave, work_orders__open_key__isnull=False).distinct().select_related("agent")


def notification_list(*, user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("work_order__customer")
        .order_by("-created_at", "-id")
    )


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def save_likelihoods(tiers) -> dict[int, float]:
    """Per tier: retained / (retained + churned + unreachable), smoothed toward the prior."""
    rows = (
        WorkOrder.objects.filter(open_key__isnull=True, tier__in=list(tiers))
        .exclude(outcome__in=["", Outcome.FALSE_ALARM])
        .values("tier")
        .annotate(n=Count("id"), kept=Count("id", filter=Q(outcome=Outcome.RETAINED)))
    )
    seen = {r["tier"]: (r["kept"], r["n"]) for r in rows}
    return {
        t: (seen.get(t, (0, 0))[0] + SAVE_PRIOR * SAVE_PRIOR_WEIGHT) / (seen.get(t, (0, 0))[1] + SAVE_PRIOR_WEIGHT)
        for t in tiers
    }


__all__ = [
    "OPEN_STATUSES",
    "Role",
    "agent_list",
    "assignable_users",
    "open_load",
    "policy_in_force",
    "queue_for",
    "queue_totals",
    "role_members",
    "save_likelihoods",
    "work_order_list",
]


def interventions_between(*, start: datetime, end: datetime) -> tuple[set[int], set[int]]:
    """(worked, control): customers with a work order open at some moment in [start, end), whose outcome then may
    be the work's; and customers drawn into the control group by an alert first raised in [start, end)."""
    worked = WorkOrder.objects.filter(opened_at__lt=end).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
    control = Alert.objects.filter(is_control=True, first_raised_at__gte=start, first_raised_at__lt=end)
    return (
        set(worked.values_list("customer_id", flat=True).distinct()),
        set(control.values_list("customer_id", flat=True).distinct()),
    )
