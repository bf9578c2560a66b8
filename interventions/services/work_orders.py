"""Writes for work orders once they are open: status changes, actions and resolution.

Opening (and refreshing) work orders from alerts is in opening.py, reassignment in reassign.py."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from interventions.choices import CONTACT_ACTIONS, TRANSITIONS, ActionKind, Outcome, Reason
from interventions.choices import WorkOrderStatus as Status
from interventions.models import Action, Offer, WorkOrder
from interventions.permissions import can_work_on
from interventions.selectors import policy_in_force

from .announce import work_order_resolved_emit
from .clocks import clock_book, clock_pause, clock_resume
from .common import WorkOrderError, event_row, event_write, events_write
from .offers import offer_approval_use, offer_for_action
from .playbooks import work_order_step_tick


def work_order_locked(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=work_order.pk)


@transaction.atomic
def work_order_set_status(*, work_order: WorkOrder, status: str, by, note: str = "") -> WorkOrder:
    """Move along TRANSITIONS; reopening a resolved work order gives it a fresh resolution clock if its ran out."""
    wo = work_order_locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError(_("you may not change this work order"), code="not_allowed")
    if status == Status.RESOLVED:
        raise WorkOrderError(
            _("use resolve (with an outcome and a reason) to resolve a work order"), code="use_resolve"
        )
    if status not in TRANSITIONS.get(wo.status, set()):
        raise WorkOrderError(
            _("cannot move a work order from %(before)s to %(after)s") % {"before": wo.status, "after": status},
            code="illegal_transition",
        )
    now = timezone.now()
    before = wo.status
    wo.status = status
    fields = ["status", "updated_at"]
    events = [event_row(wo, by=by, field="status", before=before, after=status, note=note, at=now)]
    if before == Status.RESOLVED:
        fields += _reopen(wo, by, now, events)
    if status == Status.WAITING:
        fields += clock_pause(wo, by=by, now=now)
    elif before == Status.WAITING:
        fields += _resume(wo, by, now, events)
    try:
        with transaction.atomic():
            wo.save(update_fields=fields)
    except IntegrityError:
        raise WorkOrderError("the customer already has another open work order", code="already_open") from None
    events_write(events)
    return wo


def _resume(wo: WorkOrder, by, now, events: list) -> list[str]:
    if wo.paused_at is None:
        return []
    cal = clock_book(policy_in_force()).for_clock(wo.tier, user=wo.assignee)
    fields, resumed = clock_resume(wo, cal=cal, by=by, now=now)
    events += resumed
    return fields


def _reopen(wo: WorkOrder, by, now, events: list) -> list[str]:
    wo.open_key, wo.resolved_at, wo.outcome, wo.reason = wo.customer_id, None, "", ""
    fields = ["open_key", "resolved_at", "outcome", "reason", "is_at_risk"]
    wo.is_at_risk = False
    if wo.resolution_due_at <= now:
        policy = policy_in_force()
        hours = next((t["resolution_hours"] for t in policy["tiers"] if t["tier"] == wo.tier), None) or 24
        book = clock_book(policy)
        warn, due = book.times(book.for_clock(wo.tier, user=wo.assignee), now, hours)
        wo.resolution_warn_at = warn
        fields.append("resolution_warn_at")
        events.append(
            event_row(
                wo,
                by=by,
                field="resolution_due_at",
                before=wo.resolution_due_at.isoformat(),
                after=due.isoformat(),
                at=now,
                note=gettext_noop("reopened: a fresh resolution clock"),
            )
        )
        wo.resolution_due_at = due
        fields.append("resolution_due_at")
        if wo.breached_clock == "resolution":
            # The first-contact clock cannot breach again once it has; the new resolution clock may.
            wo.breached_clock = "first_contact"
            fields.append("breached_clock")
    return fields


@transaction.atomic
def work_order_log_action(
    *, work_order: WorkOrder, kind: str, note: str = "", by, offer: Offer | None = None
) -> Action:
    """Log an action; the first customer contact stops the first-contact clock and starts the work.

    It ticks done the next open playbook step of the same channel. An offer action names an offer of the kit
    (above the giver's limit only once a lead approved it) and records its cost.
    """
    wo = work_order_locked(work_order)
    if not can_work_on(by, wo):
        raise WorkOrderError(_("you may not log actions on this work order"), code="not_allowed")
    if kind not in ActionKind.values:
        raise WorkOrderError(
            _("unknown action '%(kind)s' (one of %(known)s)") % {"kind": kind, "known": ", ".join(ActionKind.values)}
        )
    if wo.status == Status.RESOLVED:
        raise WorkOrderError(_("this work order is resolved; reopen it first"), code="resolved")
    approval = _offer_check(wo, kind, offer, by)
    now = timezone.now()
    action = Action.objects.create(
        work_order=wo,
        kind=kind,
        note=note,
        author=by,
        at=now,
        offer=offer if kind == ActionKind.OFFER else None,
        offer_cost=offer.cost if offer is not None and kind == ActionKind.OFFER else None,
    )
    if approval is not None:
        offer_approval_use(approval=approval, action=action)
    work_order_step_tick(work_order=wo, action=action, by=by)
    fields, events = [], []
    if kind in CONTACT_ACTIONS and wo.first_contact_at is None:
        wo.first_contact_at = now
        fields.append("first_contact_at")
        events.append(event_row(wo, by=by, field="first_contact_at", before=None, after=now.isoformat(), at=now))
        if wo.is_at_risk:  # the warning was about the clock that just stopped
            wo.is_at_risk = False
            fields.append("is_at_risk")
            events.append(
                event_row(
                    wo,
                    by=by,
                    field="sla_at_risk",
                    before="first_contact",
                    after="",
                    at=now,
                    note=gettext_noop("first contact made"),
                )
            )
    if wo.status == Status.NEW:
        wo.status = Status.IN_PROGRESS
        fields.append("status")
        events.append(event_row(wo, by=by, field="status", before=Status.NEW, after=Status.IN_PROGRESS, at=now))
    if fields:
        wo.save(update_fields=[*fields, "updated_at"])
    events_write(events)
    return action


def _offer_check(wo: WorkOrder, kind: str, offer: Offer | None, by):
    if kind != ActionKind.OFFER:
        if offer is not None:
            raise WorkOrderError(_("only an offer action names an offer"), code="offer_not_expected", field="offer")
        return None
    if offer is None:
        if Offer.objects.filter(is_active=True).exists():
            raise WorkOrderError(
                _("choose the offer you gave from the offer kit"), code="offer_required", field="offer"
            )
        return None
    return offer_for_action(work_order=wo, offer=offer, by=by)


@transaction.atomic
def work_order_resolve(*, work_order: WorkOrder, outcome: str, reason: str, note: str = "", by) -> WorkOrder:
    """Resolve with an outcome and a reason code; the outcome becomes a label for training and reports."""
    wo = work_order_locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError(_("you may not resolve this work order"), code="not_allowed")
    if outcome not in Outcome.values:
        raise WorkOrderError(_("outcome must be one of %(known)s") % {"known": ", ".join(Outcome.values)})
    if reason not in Reason.values:
        raise WorkOrderError(_("reason must be one of %(known)s") % {"known": ", ".join(Reason.values)})
    if wo.status == Status.RESOLVED:
        raise WorkOrderError(_("this work order is already resolved"), code="resolved")
    before = wo.status
    now = timezone.now()
    events: list = []
    # A pause ends with the case: the due times take it into account, so that compliance counts working time only.
    paused = _resume(wo, by, now, events)
    wo.status, wo.outcome, wo.reason, wo.resolution_note = Status.RESOLVED, outcome, reason, note
    wo.resolved_at, wo.open_key = now, None
    wo.save(
        update_fields=[
            "status",
            "outcome",
            "reason",
            "resolution_note",
            "resolved_at",
            "open_key",
            "updated_at",
            *paused,
        ]
    )
    events_write(events)
    event_write(
        wo,
        by=by,
        field="status",
        before=before,
        after=Status.RESOLVED,
        note=f"outcome {outcome}, reason {reason}",
        at=now,
    )
    work_order_resolved_emit(wo)
    return wo
