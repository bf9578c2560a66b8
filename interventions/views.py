"""Pages of the retention workflow: the queue, a work order, and the POST endpoints that change one.

Views read through selectors, decide access with the predicates in permissions.py, validate with
forms.py and write only through services.py (post/redirect/get, errors as flash messages).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from scoring.ml.policy import default_policy
from scoring.models import Rule
from scoring.selectors import policy_current

from .choices import OPEN_STATUSES, TRANSITIONS, ActionKind, Outcome, Reason, Role, WorkOrderStatus
from .forms import LogActionForm, QueueFilterForm, ResolveForm, SetStatusForm, form_errors
from .models import WorkOrder
from .permissions import can_view_work_order, can_work_on
from .selectors import queue_for
from .services import WorkOrderError, work_order_log_action, work_order_resolve, work_order_set_status

QUEUE_PAGE_SIZE = 50


# --- helpers shared with customers/views.py ---------------------------------------------------


def user_roles(user) -> set[str]:
    """The user's group names, read once per request (the nav and the queue both need them)."""
    return set(user.groups.values_list("name", flat=True))


def sees_team(user, roles: set[str]) -> bool:
    return bool(user.is_superuser or roles & {Role.ADMIN, Role.TEAM_LEAD})


def nav_context(user, roles: set[str], active: str) -> dict:
    return {"nav_team": sees_team(user, roles), "nav_active": active}


def policy_tiers() -> list[dict]:
    """Tiers of the policy in force (the default policy before the first nightly run installs one)."""
    policy = policy_current()
    return (policy.data if policy else default_policy())["tiers"]


def tier_names(tiers: list[dict]) -> dict[int, str]:
    return {t["tier"]: t["name"] for t in tiers}


@dataclass(frozen=True)
class Sla:
    """The clock a person should look at: first contact until contacted, then resolution."""

    kind: str  # "first contact" | "resolution" | "resolved"
    due_at: datetime | None
    state: str  # "ok" | "at-risk" | "breached" | "done"
    text: str


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {rest // 60}m"
    return f"{rest // 60}m"


def sla_of(wo: WorkOrder, now: datetime) -> Sla:
    if wo.status == WorkOrderStatus.RESOLVED:
        return Sla("resolved", wo.resolved_at, "done", "resolved")
    if wo.first_contact_at is None:
        kind, due = "first contact", wo.first_contact_due_at
    else:
        kind, due = "resolution", wo.resolution_due_at
    left = due - now
    if wo.is_breached or left < timedelta(0):
        return Sla(kind, due, "breached", f"overdue {_span(left)}" if left < timedelta(0) else "breached")
    return Sla(kind, due, "at-risk" if wo.is_at_risk else "ok", f"{_span(left)} left")


def factor_rows(raw: list[dict]) -> list[dict]:
    """Model factors for display: the sentence, the signed weight and a bar length relative to the largest."""
    rows = [
        {
            "text": f.get("text") or f.get("feature", ""),
            "feature": f.get("feature", ""),
            "weight": float(f.get("weight") or 0.0),
        }
        for f in raw or []
    ]
    largest = max((abs(f["weight"]) for f in rows), default=0.0) or 1.0
    for f in rows:
        f["bar"] = round(100 * abs(f["weight"]) / largest)
    return rows


def _visible_work_order(request, pk: int) -> WorkOrder:
    """The work order if the user may see it; 404 otherwise, so that its existence does not leak."""
    wo = get_object_or_404(WorkOrder.objects.select_related("customer__owner", "assignee__agent", "alert"), pk=pk)
    if not can_view_work_order(request.user, wo):
        raise Http404("No work order matches the given query.")
    return wo


def _back(wo: WorkOrder):
    return redirect("interventions:work_order", pk=wo.pk)


# --- the queue --------------------------------------------------------------------------------


def _queue_scope(user, roles: set[str], team: bool) -> str:
    if not team:
        return "Your open work orders"
    return "All open work orders" if user.is_superuser or Role.ADMIN in roles else "Open work orders of your team"


@login_required
@require_GET
def queue(request):
    """My open work orders (or, for team leads and admins with ?team=1, the team's), in SLA order."""
    user = request.user
    roles = user_roles(user)
    team = request.GET.get("team") == "1" and sees_team(user, roles)
    tiers = policy_tiers()
    names = tier_names(tiers)
    form = QueueFilterForm(
        request.GET,
        tiers=[(t["tier"], f"{t['tier']} · {t['name']}") for t in tiers if t.get("creates_work_order", True)],
        statuses=[(s.value, s.label) for s in OPEN_STATUSES],
    )
    form.is_valid()  # invalid filters are dropped; cleaned_data keeps the valid ones
    work_orders = queue_for(user=user, team=team)
    totals = work_orders.aggregate(
        open=Count("id"),
        breached=Count("id", filter=Q(is_breached=True)),
        at_risk=Count("id", filter=Q(is_at_risk=True, is_breached=False)),
    )
    if tier := form.cleaned_data.get("tier"):
        work_orders = work_orders.filter(tier=tier)
    if status := form.cleaned_data.get("status"):
        work_orders = work_orders.filter(status=status)

    page = Paginator(work_orders, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(wo, sla_of(wo, now), names.get(wo.tier, "")) for wo in page.object_list]
    context = {
        "team": team,
        "title": "Team queue" if team else "My queue",
        "scope": _queue_scope(user, roles, team),
        "form": form,
        "filtered": bool(form.cleaned_data.get("tier") or form.cleaned_data.get("status")),
        "page": page,
        "rows": rows,
        "totals": totals,
        **nav_context(user, roles, "team" if team else "queue"),
    }
    return render(request, "interventions/workorder_queue.html", context)


# --- one work order ---------------------------------------------------------------------------


_EVENT_FIELDS = {"status": "Status", "assignee": "Assignee", "tier": "Tier", "priority": "Priority"}


def _event_line(event) -> str:
    """One timeline entry in words an account manager reads without knowing the schema."""
    labels = dict(WorkOrderStatus.choices)
    if event.field == "created":
        return f"Opened, {event.after}" if event.after else "Opened"
    if event.field == "first_contact_at":
        return "First contact made (first-contact clock stopped)"
    if event.field == "status":
        return f"Status {labels.get(event.before, event.before)} → {labels.get(event.after, event.after)}"
    name = _EVENT_FIELDS.get(event.field, event.field.replace("_", " ").capitalize())
    return f"{name} {event.before or '—'} → {event.after or '—'}"


@login_required
@require_GET
def work_order(request, pk: int):
    """Everything needed to work one case: the customer, why it is at risk, the history, the forms."""
    wo = _visible_work_order(request, pk)
    user = request.user
    roles = user_roles(user)
    names = tier_names(policy_tiers())
    alert = wo.alert
    rules_fired = list(alert.rules_fired) if alert else []
    descriptions = dict(Rule.objects.filter(name__in=rules_fired).values_list("name", "description"))
    factors = factor_rows(alert.factors if alert else [])
    transitions = [
        (s, WorkOrderStatus(s).label)
        for s in WorkOrderStatus.values
        if s in TRANSITIONS.get(wo.status, set()) and s != WorkOrderStatus.RESOLVED
    ]
    events = [(e, _event_line(e)) for e in wo.events.select_related("actor").order_by("-at", "-id")]
    context = {
        "wo": wo,
        "customer": wo.customer,
        "tier_name": names.get(wo.tier, ""),
        "sla": sla_of(wo, timezone.now()),
        "alert": alert,
        "rules": [(name, descriptions.get(name, "")) for name in rules_fired],
        "factors": factors,
        "actions": wo.actions.select_related("author"),
        "events": events,
        "can_work": can_work_on(user, wo),
        "is_resolved": wo.status == WorkOrderStatus.RESOLVED,
        "transitions": transitions,
        "action_form": LogActionForm(initial={"kind": ActionKind.CALL}),
        "resolve_form": ResolveForm(),
        **nav_context(user, roles, "queue"),
    }
    return render(request, "interventions/workorder_detail.html", context)


@login_required
@require_POST
def log_action(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = LogActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was logged: {form_errors(form)}")
        return _back(wo)
    try:
        action = work_order_log_action(work_order=wo, by=request.user, **form.cleaned_data)
    except WorkOrderError as exc:
        messages.error(request, f"Nothing was logged: {exc}")
    else:
        messages.success(request, f"{action.get_kind_display()} logged.")
    return _back(wo)


@login_required
@require_POST
def resolve(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not resolved: {form_errors(form)}")
        return _back(wo)
    try:
        wo = work_order_resolve(work_order=wo, by=request.user, **form.cleaned_data)
    except WorkOrderError as exc:
        messages.error(request, f"Not resolved: {exc}")
        return _back(wo)
    messages.success(
        request,
        f"WO-{wo.pk} for {wo.customer.name or wo.customer.external_id} resolved: "
        f"{Outcome(wo.outcome).label}, reason {Reason(wo.reason).label.lower()}.",
    )
    return redirect(reverse("interventions:queue"))


@login_required
@require_POST
def set_status(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = SetStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Status not changed: {form_errors(form)}")
        return _back(wo)
    try:
        wo = work_order_set_status(work_order=wo, by=request.user, **form.cleaned_data)
    except WorkOrderError as exc:
        messages.error(request, f"Status not changed: {exc}")
    else:
        messages.success(request, f"Status set to {wo.get_status_display()}.")
    return _back(wo)
