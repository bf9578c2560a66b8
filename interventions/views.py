"""Pages of the retention workflow: the queue, a work order, and the POST endpoints that change one.

Views read through selectors, decide access with the predicates in permissions.py, validate with
forms.py and write only through services.py (post/redirect/get, errors as flash messages).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scoring.models import Rule
from scoring.selectors import score_then_and_now

from .choices import OPEN_STATUSES, TRANSITIONS, ActionKind, Outcome, Reason, Role, SlaClock, WorkOrderStatus
from .forms import AgentForm, BulkReassignForm, LogActionForm, QueueFilterForm, ResolveForm, SetStatusForm, form_errors
from .models import WorkOrder
from .permissions import (
    can_bulk_reassign,
    can_manage_agent,
    can_reassign,
    can_view_work_order,
    can_work_on,
    is_admin,
    remember_roles,
)
from .selectors import agent_list, assignable_users, notification_list, policy_in_force, queue_for
from .services import (
    WorkOrderError,
    agent_update,
    capacity_of,
    is_on_leave,
    notifications_mark_read,
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
    work_orders_reassign,
)

QUEUE_PAGE_SIZE = 50


# --- helpers shared with customers/views.py ---------------------------------------------------


def user_roles(user) -> set[str]:
    """The user's group names, read once per request (the nav, the queue and the role checks all need them)."""
    return remember_roles(user, user.groups.values_list("name", flat=True))


def sees_team(user, roles: set[str]) -> bool:
    return bool(user.is_superuser or roles & {Role.ADMIN, Role.TEAM_LEAD})


def nav_context(user, roles: set[str], active: str) -> dict:
    return {"nav_team": sees_team(user, roles), "nav_active": active}


def policy_tiers() -> list[dict]:
    """Tiers of the policy in force (the default policy before the first nightly run installs one)."""
    return policy_in_force()["tiers"]


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


# The queue renders 50 rows per request under load: each row's cells are formatted here in one str.format call
# from escaped values (as the template would escape them), because ~17 template lookups, filters and {% url %}
# tags per row were most of the page's time. The row markup lives in ROW_CELLS; the template places the rows.
ROW_CELLS = (
    '<td class="nowrap"><a href="{url}"><b>WO-{pk}</b></a></td>'
    '<td><a href="{customer_url}">{customer}</a><span class="sub">{customer_sub}</span></td>'
    '<td><span class="tier tier-{tier}">{tier_label}</span></td>'
    '<td><span class="status status-{status}">{status_label}</span></td>'
    '<td class="nowrap"><span class="sla sla-{sla_state}" title="{sla_title}">{sla_text}</span>'
    '<span class="sub">{sla_sub}</span></td>'
    '<td class="num">{priority}</td><td class="num">{probability}</td><td class="num">{ltv}</td>'
    "<td>{assignee}</td>"
)
# Only what a queue row shows: no JSON attributes, timestamps or password hashes to decode 50 times per page.
QUEUE_COLUMNS = (
    "id", "customer_id", "tier", "status", "assignee_id", "probability", "priority", "first_contact_at",
    "first_contact_due_at", "resolution_due_at", "resolved_at", "is_breached", "is_at_risk",
    "customer__name", "customer__external_id", "customer__segment", "customer__lifetime_value",
    "assignee__username", "assignee__first_name", "assignee__last_name",
)


@dataclass(frozen=True)
class QueueLine:
    """One queue row: its pk and row class for the template, its cells as safe HTML."""

    pk: int
    css: str
    cells: str


def _url_format(name: str) -> str:
    """A URL pattern with its one integer argument as a format field: reversed once, filled per row."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def _day_time(moment: datetime, tz, *, year: bool = False) -> str:
    local = moment.astimezone(tz)
    day = f"{local:%a} {local.day} {local:%b} {local.year}" if year else f"{local:%a} {local.day} {local:%b}"
    return f"{day}, {local:%H:%M}"


_STATUS_LABELS = dict(WorkOrderStatus.choices)


def queue_lines(rows: list[tuple]) -> list[QueueLine]:
    work_order_url, customer_url = _url_format("interventions:work_order"), _url_format("customers:detail")
    tz = timezone.get_current_timezone()
    lines = []
    for wo, sla, tier_name in rows:
        customer, assignee = wo.customer, wo.assignee
        cells = ROW_CELLS.format(  # every value is escaped (ints and formatted numbers need not be)
            pk=wo.pk, url=work_order_url.format(wo.pk), customer_url=customer_url.format(wo.customer_id),
            customer=escape(customer.name or customer.external_id),
            customer_sub=escape(f"{customer.external_id} · {customer.segment}" if customer.segment
                                else customer.external_id),
            tier=wo.tier, tier_label=escape(f"T{wo.tier} · {tier_name}" if tier_name else f"T{wo.tier}"),
            status=escape(wo.status), status_label=escape(_STATUS_LABELS.get(wo.status, wo.status)),
            sla_state=sla.state, sla_text=f"⚠ {sla.text}" if sla.state == "breached" else sla.text,
            sla_title=f"{sla.kind} due {_day_time(sla.due_at, tz, year=True)}" if sla.due_at else sla.kind,
            sla_sub=f"{sla.kind} · {_day_time(sla.due_at, tz)}" if sla.due_at else sla.kind,
            priority=f"{wo.priority:,.1f}", probability=f"{round(wo.probability * 100)}%",
            ltv=f"{customer.lifetime_value:,.0f}",
            assignee=escape((assignee.get_full_name() or assignee.username) if assignee else "unassigned"),
        )
        lines.append(QueueLine(pk=wo.pk, css={"breached": "is-breached", "at-risk": "is-at-risk"}.get(sla.state, ""),
                               cells=mark_safe(cells)))  # noqa: S308 - built from escaped values above
    return lines


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
    work_orders = queue_for(user=user, team=team, roles=roles)
    totals = work_orders.aggregate(
        open=Count("id"),
        breached=Count("id", filter=Q(is_breached=True)),
        at_risk=Count("id", filter=Q(is_at_risk=True, is_breached=False)),
    )
    filtered = bool(form.cleaned_data.get("tier") or form.cleaned_data.get("status"))
    if tier := form.cleaned_data.get("tier"):
        work_orders = work_orders.filter(tier=tier)
    if status := form.cleaned_data.get("status"):
        work_orders = work_orders.filter(status=status)

    columns = QUEUE_COLUMNS if team else tuple(c for c in QUEUE_COLUMNS if not c.startswith("assignee__"))
    paginator = Paginator(work_orders.only(*columns), QUEUE_PAGE_SIZE)
    if not filtered:
        paginator.count = totals["open"]  # already counted: spare the page its own COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(wo, sla_of(wo, now), names.get(wo.tier, "")) for wo in page.object_list]
    if not team:
        for wo, _sla, _name in rows:
            wo.assignee = user
    lines = queue_lines(rows)
    bulk = team and can_bulk_reassign(user, roles)
    context = {
        "team": team,
        "title": "Team queue" if team else "My queue",
        "scope": _queue_scope(user, roles, team),
        "form": form,
        "filtered": filtered,
        "page": page,
        "rows": rows,
        "lines": lines,
        "totals": totals,
        "bulk_assignees": list(assignable_users(by=user, roles=roles)) if bulk and rows else [],
        "bulk": bulk,
        **nav_context(user, roles, "team" if team else "queue"),
    }
    return render(request, "interventions/workorder_queue.html", context)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def bulk_reassign(request):
    """The team queue's checkboxes: hand the selected work orders to one person, all or nothing."""
    user = request.user
    back = _safe_next(request, f"{reverse('interventions:queue')}?team=1")
    if not can_bulk_reassign(user):
        raise Http404("No such page.")
    form = BulkReassignForm(request.POST, assignees=assignable_users(by=user))
    if not form.is_valid():
        messages.error(request, f"Nothing was reassigned: {form_errors(form)}")
        return redirect(back)
    data = form.cleaned_data
    try:
        moved = work_orders_reassign(work_order_ids=data["work_orders"], assignee=data["assignee"], by=user,
                                     note=data["note"])
    except WorkOrderError as exc:
        messages.error(request, f"Nothing was reassigned: {exc}")
    else:
        messages.success(request, f"{moved} work order{'s' if moved != 1 else ''} reassigned to "
                                  f"{data['assignee'].get_full_name() or data['assignee'].username}.")
    return redirect(back)


# --- one work order ---------------------------------------------------------------------------


_EVENT_FIELDS = {
    "status": "Status", "assignee": "Assignee", "tier": "Tier", "priority": "Priority",
    "first_contact_due_at": "First contact due", "resolution_due_at": "Resolution due",
}
_CLOCKS = dict(SlaClock.choices)


def _when(value: str) -> str:
    """An ISO timestamp from the timeline in the local time of the page; anything else unchanged."""
    try:
        moment = timezone.localtime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return value
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def _event_line(event) -> str:
    """One timeline entry in words an account manager reads without knowing the schema."""
    labels = dict(WorkOrderStatus.choices)
    if event.field == "created":
        return f"Opened, {event.after}" if event.after else "Opened"
    if event.field == "first_contact_at":
        return "First contact made (first-contact clock stopped)"
    if event.field == "status":
        return f"Status {labels.get(event.before, event.before)} → {labels.get(event.after, event.after)}"
    if event.field == "sla_at_risk":
        if event.after:
            return f"{_CLOCKS.get(event.after, event.after)} SLA at risk (80% elapsed)"
        return f"{_CLOCKS.get(event.before, event.before)} SLA no longer at risk"
    if event.field == "sla_breached":
        return f"{_CLOCKS.get(event.after, event.after)} SLA breached"
    if event.field == "escalated":
        return f"Escalated to {event.after}"
    name = _EVENT_FIELDS.get(event.field, event.field.replace("_", " ").capitalize())
    if event.field.endswith("_due_at"):
        return f"{name} {_when(event.before) or '—'} → {_when(event.after) or '—'}"
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
    notifications_mark_read(user=user, work_order_id=wo.pk)  # opening the case reads its notifications
    reassign = can_reassign(user, wo) and wo.is_open
    context = {
        "wo": wo,
        "customer": wo.customer,
        "tier_name": names.get(wo.tier, ""),
        "sla": sla_of(wo, timezone.now()),
        "alert": alert,
        "rules": [(name, descriptions.get(name, "")) for name in rules_fired],
        "factors": factors,
        "score": score_then_and_now(customer_id=wo.customer_id, probability=wo.probability, opened_at=wo.opened_at),
        "actions": wo.actions.select_related("author"),
        "events": events,
        "can_work": can_work_on(user, wo),
        "is_resolved": wo.status == WorkOrderStatus.RESOLVED,
        "transitions": transitions,
        "action_form": LogActionForm(initial={"kind": ActionKind.CALL}),
        "resolve_form": ResolveForm(),
        "reassign_assignees": list(assignable_users(by=user)) if reassign else [],
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


# --- notifications ----------------------------------------------------------------------------

NOTIFICATION_PAGE_SIZE = 50


@login_required
@require_GET
def notifications(request):
    """The signed-in user's notifications, newest first, unread ones marked."""
    user = request.user
    page = Paginator(notification_list(user=user), NOTIFICATION_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, **nav_context(user, user_roles(user), "notifications")}
    return render(request, "interventions/notification_list.html", context)


@login_required
@require_POST
def notifications_read(request):
    marked = notifications_mark_read(user=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return redirect("interventions:notifications")


# --- team: capacity and leave -----------------------------------------------------------------


@login_required
@require_GET
def team(request):
    """The people a team lead or admin manages: role, capacity, open load and leave."""
    user = request.user
    roles = user_roles(user)
    if not sees_team(user, roles):
        raise Http404("No such page.")
    today = timezone.localdate()
    people = [(u, capacity_of(u), is_on_leave(u, today)) for u in agent_list(user=user).prefetch_related("groups")]
    context = {"people": people, "can_edit": is_admin(user), **nav_context(user, roles, "people")}
    return render(request, "interventions/agent_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def agent_edit(request, user_id: int):
    """Capacity and leave of one person; a leave starting today hands their open work to others at once."""
    user = request.user
    person = get_object_or_404(get_user_model().objects.select_related("agent"), pk=user_id)
    if not can_manage_agent(user, person):
        raise Http404("No such person.")
    agent = getattr(person, "agent", None)
    initial = {"capacity": capacity_of(person), "leave_from": agent and agent.leave_from,
               "leave_until": agent and agent.leave_until}
    form = AgentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            moved = agent_update(user=person, by=user, **form.cleaned_data)
        except WorkOrderError as exc:
            messages.error(request, f"Not saved: {exc}")
        else:
            extra = f" {moved} open work order{'s' if moved != 1 else ''} reassigned." if moved else ""
            messages.success(request, f"Saved {person.get_full_name() or person.username}.{extra}")
            return redirect("interventions:team")
    context = {"person": person, "form": form, **nav_context(user, user_roles(user), "people")}
    return render(request, "interventions/agent_form.html", context)
