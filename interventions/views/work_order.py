"""One work order: everything needed to work the case, and the POST endpoints that change it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from churnops.core.pages import form_errors, nav_context, page
from churnops.core.roles import user_roles
from customers.selectors import contact_list
from scoring.explain import factor_rows
from scoring.ml.policy import tier_names
from scoring.models import Rule
from scoring.selectors import policy_tiers, score_then_and_now

from ..choices import TRANSITIONS, ActionKind, Outcome, Reason, WorkOrderStatus
from ..forms import LogActionForm, ResolveForm, SetStatusForm
from ..permissions import can_reassign, can_work_on
from ..playbook_selectors import offer_approvals_of, offer_kit, work_order_plan
from ..presenters import event_line, priority_text, sla_of, timeline_with_pauses, value_of
from ..selectors import assignable_users
from ..services import (
    OfferNeedsApproval,
    OfferRefused,
    WorkOrderError,
    can_decide_offer,
    notifications_mark_read,
    offer_approval_request,
    offer_needs_approval,
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
)
from .common import _back, _visible_work_order


@page()
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
    events = timeline_with_pauses(
        wo, [(e, event_line(e)) for e in wo.events.select_related("actor").order_by("-at", "-id")]
    )
    notifications_mark_read(user=user, work_order_id=wo.pk)  # opening the case reads its notifications
    reassign = can_reassign(user, wo) and wo.is_open
    now = timezone.now()
    plan = work_order_plan(work_order=wo)
    approvals = list(offer_approvals_of(work_order=wo))
    context = {
        "plan": plan,
        "now": now,
        "decisions": [("approve", _("Approve")), ("decline", _("Decline"))],
        "next_step": plan.next_step,
        "next_step_overdue": bool(plan.next_step and plan.next_step.due_at < now),
        "contacts": list(contact_list(customer=wo.customer)),
        "offers": [(o, offer_needs_approval(user, o)) for o in offer_kit()],
        "approvals": [(a, a.status == "pending" and can_decide_offer(user, a)) for a in approvals],
        "wo": wo,
        "customer": wo.customer,
        "tier_name": names.get(wo.tier, ""),
        "sla": sla_of(wo, now),
        "alert": alert,
        "rules": [(name, descriptions.get(name, "")) for name in rules_fired],
        "factors": factors,
        "priority": priority_text(wo.priority),
        **dict(zip(("value", "value_label"), value_of(wo), strict=True)),
        "score": score_then_and_now(customer_id=wo.customer_id, probability=wo.probability, opened_at=wo.opened_at),
        "actions": wo.actions.select_related("author"),
        "events": events,
        "can_work": can_work_on(user, wo),
        "is_resolved": wo.status == WorkOrderStatus.RESOLVED,
        "transitions": transitions,
        "action_form": LogActionForm(initial={"kind": ActionKind.CALL}, auto_id="id_action_%s"),
        "resolve_form": ResolveForm(auto_id="id_resolve_%s"),  # two note fields: one id each
        "reassign_assignees": list(assignable_users(by=user)) if reassign else [],
        **nav_context(user, roles, "queue"),
    }
    return render(request, "interventions/workorder_detail.html", context)


@page()
@require_POST
def log_action(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = LogActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was logged: %(error)s") % {"error": form_errors(form)})
        return _back(wo)
    try:
        action = work_order_log_action(work_order=wo, by=request.user, **form.cleaned_data)
    except OfferNeedsApproval as exc:
        _ask_approval(request, wo, form.cleaned_data, exc)
    except (WorkOrderError, OfferRefused) as exc:
        messages.error(request, _("Nothing was logged: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("%(action)s logged.") % {"action": action.get_kind_display()})
    return _back(wo)


def _ask_approval(request, wo, data: dict, refusal: OfferNeedsApproval) -> None:
    """An offer above the AM's limit: nothing is logged; a lead is asked to approve it."""
    try:
        offer_approval_request(work_order=wo, offer=data["offer"], by=request.user, note=data.get("note", "")[:300])
    except OfferRefused as exc:
        messages.error(request, _("Nothing was logged: %(error)s") % {"error": exc})
        return
    messages.warning(
        request,
        _(
            "Not logged yet: %(reason)s. Your team lead was asked to approve it; "
            "log the offer again once it is approved."
        )
        % {"reason": refusal},
    )


@page()
@require_POST
def resolve(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not resolved: %(error)s") % {"error": form_errors(form)})
        return _back(wo)
    try:
        wo = work_order_resolve(work_order=wo, by=request.user, **form.cleaned_data)
    except WorkOrderError as exc:
        messages.error(request, _("Not resolved: %(error)s") % {"error": exc})
        return _back(wo)
    messages.success(
        request,
        _("WO-%(pk)s for %(customer)s resolved: %(outcome)s, reason %(reason)s.")
        % {
            "pk": wo.pk,
            "customer": wo.customer.name or wo.customer.external_id,
            "outcome": Outcome(wo.outcome).label,
            "reason": Reason(wo.reason).label.lower(),
        },
    )
    return redirect(reverse("interventions:queue"))


@page()
@require_POST
def set_status(request, pk: int):
    wo = _visible_work_order(request, pk)
    form = SetStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Status not changed: %(error)s") % {"error": form_errors(form)})
        return _back(wo)
    try:
        wo = work_order_set_status(work_order=wo, by=request.user, **form.cleaned_data)
    except WorkOrderError as exc:
        messages.error(request, _("Status not changed: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("Status set to %(status)s.") % {"status": wo.get_status_display()})
    return _back(wo)
