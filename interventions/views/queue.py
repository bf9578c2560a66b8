"""The queue: my open work orders (or the team's), in SLA order, and the team queue's bulk reassign."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from churnops.core.pages import form_errors, nav_context, page
from churnops.core.roles import Role, sees_team, user_roles
from scoring.ml.policy import tier_names
from scoring.selectors import policy_tiers

from ..choices import OPEN_STATUSES
from ..forms import BulkReassignForm, QueueFilterForm
from ..permissions import can_bulk_reassign
from ..playbook_selectors import has_overdue_step
from ..presenters import QUEUE_COLUMNS, queue_lines, queue_rows_html, sla_of
from ..selectors import assignable_users, queue_for, queue_totals
from ..services import WorkOrderError, work_orders_reassign

QUEUE_PAGE_SIZE = 50


class LivePaginator(Paginator):
    """Pages numbered by a count that may be a few seconds old (the team queue's kept totals): a page always holds
    up to a page of the live rows, whatever that count said."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


def _queue_scope(user, roles: set[str], team: bool) -> str:
    if not team:
        return _("Your open work orders")
    return _("All open work orders") if user.is_superuser or Role.ADMIN in roles else _("Open work orders of your team")


@page()
@require_GET
def queue(request):
    """My open work orders (or, for team leads and admins with ?team=1, the team's), in SLA order."""
    user = request.user
    roles = user_roles(user)
    team = request.GET.get("team") == "1" and sees_team(user, roles)
    tiers = policy_tiers()
    names = tier_names(tiers)
    # One read of the team serves the person filter and the bulk reassign's list.
    members = (
        assignable_users(by=user, roles=roles)
        .select_related(None)
        .values_list("pk", "first_name", "last_name", "username")
        if team
        else []
    )
    # (id, name) as User.get_full_name() or the username: the only columns the filter and the bulk list show
    people = [(pk, f"{first} {last}".strip() or username) for pk, first, last, username in members] if team else None
    form = QueueFilterForm(
        request.GET,
        tiers=[(t["tier"], f"{t['tier']} · {t['name']}") for t in tiers if t.get("creates_work_order", True)],
        statuses=[(s.value, s.label) for s in OPEN_STATUSES],
        people=people,
    )
    form.is_valid()  # invalid filters are dropped; cleaned_data keeps the valid ones
    work_orders = queue_for(user=user, team=team, roles=roles)
    totals = queue_totals(work_orders, user=user, team=team)
    data = form.cleaned_data
    filtered = bool(data.get("tier") or data.get("status") or data.get("assignee"))
    if tier := data.get("tier"):
        work_orders = work_orders.filter(tier=tier)
    if status := data.get("status"):
        work_orders = work_orders.filter(status=status)
    if assignee := data.get("assignee"):
        work_orders = work_orders.filter(assignee_id=assignee)
    work_orders = work_orders.order_by(*form.order())

    columns = QUEUE_COLUMNS if team else tuple(c for c in QUEUE_COLUMNS if not c.startswith("assignee__"))
    now = timezone.now()
    paginator = LivePaginator(work_orders.only(*columns).annotate(step_overdue=has_overdue_step(now)), QUEUE_PAGE_SIZE)
    if not filtered:
        paginator.count = totals["open"]  # already counted (or kept): spare the page its own COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(wo, sla_of(wo, now), names.get(wo.tier, "")) for wo in page.object_list]
    if not team:
        for wo, _sla, _name in rows:
            wo.assignee = user
    lines = queue_lines(rows)
    bulk = team and can_bulk_reassign(user, roles)
    context = {
        "team": team,
        "title": _("Team queue") if team else _("My queue"),
        "scope": _queue_scope(user, roles, team),
        "form": form,
        "filtered": filtered,
        "page": page,
        "rows": rows,
        "lines": lines,
        "rows_html": queue_rows_html(lines, pick=bulk),
        "totals": totals,
        "bulk_assignees": people if bulk and rows else [],
        "sorted": (data.get("sort") or "sla") != "sla",
        "bulk": bulk,
        **nav_context(user, roles, "team" if team else "queue"),
    }
    return render(request, "interventions/workorder_queue.html", context)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@page(can_bulk_reassign, hide=True)
@require_POST
def bulk_reassign(request):
    """The team queue's checkboxes: hand the selected work orders to one person, all or nothing."""
    user = request.user
    back = _safe_next(request, f"{reverse('interventions:queue')}?team=1")
    form = BulkReassignForm(request.POST, assignees=assignable_users(by=user))
    if not form.is_valid():
        messages.error(request, _("Nothing was reassigned: %(error)s") % {"error": form_errors(form)})
        return redirect(back)
    data = form.cleaned_data
    try:
        moved = work_orders_reassign(
            work_order_ids=data["work_orders"], assignee=data["assignee"], by=user, note=data["note"]
        )
    except WorkOrderError as exc:
        messages.error(request, _("Nothing was reassigned: %(error)s") % {"error": exc})
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s work order reassigned to %(person)s.",
                "%(count)s work orders reassigned to %(person)s.",
                moved,
            )
            % {"count": moved, "person": data["assignee"].get_full_name() or data["assignee"].username},
        )
    return redirect(back)
