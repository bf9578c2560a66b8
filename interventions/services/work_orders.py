"""Writes for work orders: creation from alerts, re-scores, actions, status changes, resolution, reassignment."""

from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from churnops.core.bulk import model_insert
from interventions.choices import CONTACT_ACTIONS, TRANSITIONS, ActionKind, NotificationKind, Outcome, Reason
from interventions.choices import WorkOrderStatus as Status
from interventions.models import Action, AgentProfile, Offer, WorkOrder
from interventions.permissions import can_reassign, can_work_on, is_admin, is_team_lead
from interventions.selectors import assignable_users, policy_in_force, save_likelihoods, work_order_list

from .assignment import Assigner
from .common import WorkOrderError, event_row, event_write, events_write, username
from .notifications import Notice, notifications_send
from .offers import offer_approval_use, offer_for_action
from .playbooks import work_order_step_tick, work_order_steps_open

# A re-score moves a work order's priority only when it changes by more than this share; smaller moves would
# fill every timeline with a nightly "priority 41.2 → 41.3" and reorder nobody's queue.
PRIORITY_MIN_CHANGE = 0.05
REFRESH_FIELDS = ["tier", "probability", "priority", "first_contact_due_at", "resolution_due_at", "updated_at"]


def priority_of(*, probability: float, ltv: float, save_likelihood: float, expected_cost: float) -> float:
    """P(churn) × LTV × save likelihood ÷ expected cost: the value an intervention is expected to save per unit cost."""
    return probability * max(ltv, 0.0) * save_likelihood / max(expected_cost, 0.01)


def work_orders_open_for_alerts(*, as_of: date, candidates: list[dict], policy: dict) -> int:
    """Open one work order per candidate customer that has none; returns how many were created.

    `candidates` have customer (with owner loaded), alert, tier and probability. A customer who already has an
    open work order gets it refreshed instead (a more urgent tier with its tighter SLA, a new priority); a
    customer contacted for the same tier within the policy's `recontact_quiet_days` is left alone.
    """
    if not candidates:
        return 0
    tiers = {t["tier"]: t for t in policy["tiers"]}
    likelihood = save_likelihoods(tiers)
    now = timezone.now()
    open_orders = {wo.open_key: wo for wo in WorkOrder.objects.filter(
        open_key__in=[c["customer"].id for c in candidates])}
    _refresh_open(open_orders, candidates, tiers, likelihood, now)
    todo = _not_recently_contacted([c for c in candidates if c["customer"].id not in open_orders],
                                   policy.get("recontact_quiet_days") or 0, now)
    if not todo:
        return 0
    assigner = Assigner.for_roles([tiers[c["tier"]]["assignee_role"] for c in todo],
                                  [c["customer"].owner for c in todo], as_of)
    orders = []
    for c in sorted(todo, key=lambda c: (c["tier"], -c["probability"], c["customer"].id)):
        tier = tiers[c["tier"]]
        customer = c["customer"]
        orders.append(WorkOrder(
            customer=customer, alert=c["alert"], open_key=customer.id, tier=c["tier"],
            assignee=assigner.pick(owner=customer.owner, role=tier["assignee_role"], now=now),
            probability=c["probability"],
            priority=priority_of(probability=c["probability"], ltv=customer.lifetime_value,
                                 save_likelihood=likelihood[c["tier"]], expected_cost=tier["expected_cost"]),
            opened_at=now,
            first_contact_due_at=now + timedelta(hours=tier["first_contact_hours"]),
            resolution_due_at=now + timedelta(hours=tier["resolution_hours"]),
        ))
    model_insert(model=WorkOrder, objs=orders)  # a concurrent duplicate chunk loses on the open key
    fresh = list(WorkOrder.objects.filter(open_key__in=[o.open_key for o in orders], opened_at=now)
                 .select_related("assignee"))
    events_write([
        event_row(wo, by=None, field="created", before=None, after=f"tier {wo.tier}", at=now,
                  note=f"assigned to {wo.assignee.username}" if wo.assignee else "no eligible assignee")
        for wo in fresh
    ])
    assigned = {wo.assignee_id for wo in fresh if wo.assignee_id}
    AgentProfile.objects.filter(user_id__in=assigned).update(last_assigned_at=now)
    work_order_steps_open(work_orders=fresh, candidates=todo)
    return len(fresh)


def _not_recently_contacted(candidates: list[dict], quiet_days: int, now) -> list[dict]:
    """Drop customers reached (call, e-mail, visit, offer) for the same tier within the quiet period."""
    if not candidates or quiet_days <= 0:
        return candidates
    recent = set(Action.objects.filter(
        kind__in=CONTACT_ACTIONS, at__gte=now - timedelta(days=quiet_days),
        work_order__customer_id__in=[c["customer"].id for c in candidates],
    ).values_list("work_order__customer_id", "work_order__tier").distinct())
    return [c for c in candidates if (c["customer"].id, c["tier"]) not in recent]


def _refresh_open(open_orders: dict, candidates: list[dict], tiers: dict, likelihood: dict, now) -> None:
    """A re-score of a customer with an open work order: raise its tier, tighten its SLA, move its priority."""
    changed, events = [], []
    for c in candidates:
        wo = open_orders.get(c["customer"].id)
        if wo is None:
            continue
        before = len(events)
        if c["tier"] < wo.tier and c["tier"] in tiers:
            events += _raise_tier(wo, tiers[c["tier"]], now)
        tier = tiers.get(wo.tier)
        if tier is not None:
            priority = priority_of(probability=c["probability"], ltv=c["customer"].lifetime_value,
                                   save_likelihood=likelihood.get(wo.tier, 0.0), expected_cost=tier["expected_cost"])
            if abs(priority - wo.priority) > PRIORITY_MIN_CHANGE * max(abs(wo.priority), 1e-9):
                events.append(event_row(wo, by=None, field="priority", before=f"{wo.priority:.1f}",
                                        after=f"{priority:.1f}", at=now, note="re-scored"))
                wo.priority, wo.probability = priority, c["probability"]
        if len(events) > before:
            wo.updated_at = now
            changed.append(wo)
    WorkOrder.objects.bulk_update(changed, REFRESH_FIELDS, batch_size=1000)
    events_write(events)


def _raise_tier(wo: WorkOrder, tier: dict, now) -> list:
    events = [event_row(wo, by=None, field="tier", before=wo.tier, after=tier["tier"], at=now,
                        note="re-score put the customer in a more urgent tier")]
    wo.tier = tier["tier"]
    first = min(wo.first_contact_due_at, now + timedelta(hours=tier["first_contact_hours"]))
    if wo.first_contact_at is None and first != wo.first_contact_due_at:
        events.append(event_row(wo, by=None, field="first_contact_due_at", before=wo.first_contact_due_at.isoformat(),
                                after=first.isoformat(), at=now, note=f"SLA of tier {tier['tier']}"))
        wo.first_contact_due_at = first
    resolution = min(wo.resolution_due_at, now + timedelta(hours=tier["resolution_hours"]))
    if resolution != wo.resolution_due_at:
        events.append(event_row(wo, by=None, field="resolution_due_at", before=wo.resolution_due_at.isoformat(),
                                after=resolution.isoformat(), at=now, note=f"SLA of tier {tier['tier']}"))
        wo.resolution_due_at = resolution
    return events


def _locked(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=work_order.pk)


@transaction.atomic
def work_order_set_status(*, work_order: WorkOrder, status: str, by, note: str = "") -> WorkOrder:
    """Move along TRANSITIONS; reopening a resolved work order gives it a fresh resolution clock if its ran out."""
    wo = _locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError("you may not change this work order", code="not_allowed")
    if status == Status.RESOLVED:
        raise WorkOrderError("use resolve (with an outcome and a reason) to resolve a work order", code="use_resolve")
    if status not in TRANSITIONS.get(wo.status, set()):
        raise WorkOrderError(f"cannot move a work order from {wo.status} to {status}", code="illegal_transition")
    now = timezone.now()
    before = wo.status
    wo.status = status
    fields = ["status", "updated_at"]
    events = [event_row(wo, by=by, field="status", before=before, after=status, note=note, at=now)]
    if before == Status.RESOLVED:
        fields += _reopen(wo, by, now, events)
    try:
        with transaction.atomic():
            wo.save(update_fields=fields)
    except IntegrityError:
        raise WorkOrderError("the customer already has another open work order", code="already_open") from None
    events_write(events)
    return wo


def _reopen(wo: WorkOrder, by, now, events: list) -> list[str]:
    wo.open_key, wo.resolved_at, wo.outcome, wo.reason = wo.customer_id, None, "", ""
    fields = ["open_key", "resolved_at", "outcome", "reason", "is_at_risk"]
    wo.is_at_risk = False
    if wo.resolution_due_at <= now:
        hours = next((t["resolution_hours"] for t in policy_in_force()["tiers"] if t["tier"] == wo.tier), None) or 24
        due = now + timedelta(hours=hours)
        events.append(event_row(wo, by=by, field="resolution_due_at", before=wo.resolution_due_at.isoformat(),
                                after=due.isoformat(), at=now, note="reopened: a fresh resolution clock"))
        wo.resolution_due_at = due
        fields.append("resolution_due_at")
        if wo.breached_clock == "resolution":
            # The first-contact clock cannot breach again once it has; the new resolution clock may.
            wo.breached_clock = "first_contact"
            fields.append("breached_clock")
    return fields


@transaction.atomic
def work_order_log_action(*, work_order: WorkOrder, kind: str, note: str = "", by, offer: Offer | None = None
                          ) -> Action:
    """Log an action; the first customer contact stops the first-contact clock and starts the work.

    It ticks done the next open playbook step of the same channel. An offer action names an offer of the kit
    (above the giver's limit only once a lead approved it) and records its cost.
    """
    wo = _locked(work_order)
    if not can_work_on(by, wo):
        raise WorkOrderError("you may not log actions on this work order", code="not_allowed")
    if kind not in ActionKind.values:
        raise WorkOrderError(f"unknown action '{kind}' (one of {', '.join(ActionKind.values)})")
    if wo.status == Status.RESOLVED:
        raise WorkOrderError("this work order is resolved; reopen it first", code="resolved")
    approval = _offer_check(wo, kind, offer, by)
    now = timezone.now()
    action = Action.objects.create(work_order=wo, kind=kind, note=note, author=by, at=now,
                                   offer=offer if kind == ActionKind.OFFER else None,
                                   offer_cost=offer.cost if offer is not None and kind == ActionKind.OFFER else None)
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
            events.append(event_row(wo, by=by, field="sla_at_risk", before="first_contact", after="", at=now,
                                    note="first contact made"))
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
            raise WorkOrderError("only an offer action names an offer", code="offer_not_expected", field="offer")
        return None
    if offer is None:
        if Offer.objects.filter(is_active=True).exists():
            raise WorkOrderError("choose the offer you gave from the offer kit", code="offer_required", field="offer")
        return None
    return offer_for_action(work_order=wo, offer=offer, by=by)


@transaction.atomic
def work_order_resolve(*, work_order: WorkOrder, outcome: str, reason: str, note: str = "", by) -> WorkOrder:
    """Resolve with an outcome and a reason code; the outcome becomes a label for training and reports."""
    wo = _locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError("you may not resolve this work order", code="not_allowed")
    if outcome not in Outcome.values:
        raise WorkOrderError(f"outcome must be one of {', '.join(Outcome.values)}")
    if reason not in Reason.values:
        raise WorkOrderError(f"reason must be one of {', '.join(Reason.values)}")
    if wo.status == Status.RESOLVED:
        raise WorkOrderError("this work order is already resolved", code="resolved")
    before = wo.status
    now = timezone.now()
    wo.status, wo.outcome, wo.reason, wo.resolution_note = Status.RESOLVED, outcome, reason, note
    wo.resolved_at, wo.open_key = now, None
    wo.save(update_fields=["status", "outcome", "reason", "resolution_note", "resolved_at", "open_key", "updated_at"])
    event_write(wo, by=by, field="status", before=before, after=Status.RESOLVED,
                note=f"outcome {outcome}, reason {reason}", at=now)
    return wo


@transaction.atomic
def work_order_assign(*, work_order: WorkOrder, assignee, by, note: str = "") -> WorkOrder:
    wo = _locked(work_order)
    if by is not None and not can_reassign(by, wo):
        raise WorkOrderError("only team leads and admins can reassign work orders", code="not_allowed")
    if wo.assignee_id != (assignee.id if assignee else None):
        reassign_rows([wo], {wo.id: assignee}, by=by, note=note)
        wo.assignee = assignee
    return wo


@transaction.atomic
def work_orders_reassign(*, work_order_ids, assignee, by, note: str = "") -> int:
    """Reassign many open work orders at once (team leads within their team, admins anywhere).

    All or nothing: if any selected work order is not open or not the caller's to reassign, nothing changes.
    Returns how many changed hands.
    """
    ids = sorted({int(i) for i in work_order_ids})
    if not ids:
        raise WorkOrderError("select at least one work order")
    if by is not None and not (is_admin(by) or is_team_lead(by)):
        raise WorkOrderError("only team leads and admins can reassign work orders", code="not_allowed")
    if assignee is None or not assignable_users(by=by).filter(pk=assignee.pk).exists():
        raise WorkOrderError("choose an active member of your team", code="assignee_not_in_team")
    scope = work_order_list(user=by) if by is not None else WorkOrder.objects.all()
    rows = list(scope.select_for_update(of=("self",)).filter(id__in=ids, open_key__isnull=False).order_by("id"))
    if len(rows) != len(ids):
        raise WorkOrderError(f"{len(ids) - len(rows)} of the {len(ids)} selected work orders are closed or not "
                             "in your team; nothing was reassigned")
    moving = [wo for wo in rows if wo.assignee_id != assignee.id]
    return reassign_rows(moving, dict.fromkeys((wo.id for wo in moving), assignee), by=by, note=note)


def reassign_rows(rows: list[WorkOrder], targets: dict, *, by, note: str, notify: bool = True) -> int:
    """Hand rows (locked by the caller, `assignee` loaded) to targets[row.id]: one UPDATE per new assignee.

    Writes an assignee event per row and tells each new assignee: per work order, or once for many.
    """
    if not rows:
        return 0
    now = timezone.now()
    groups = defaultdict(list)
    for wo in rows:
        groups[targets[wo.id]].append(wo)
    for target, group in groups.items():
        WorkOrder.objects.filter(id__in=[wo.id for wo in group]).update(assignee=target, updated_at=now)
    events_write([event_row(wo, by=by, field="assignee", before=username(wo.assignee),
                            after=username(targets[wo.id]), note=note, at=now) for wo in rows])
    if notify:
        notifications_send([n for target, group in groups.items() if target is not None and target != by
                            for n in _assigned_notices(target, group, by)])
    return len(rows)


def _assigned_notices(target, group: list[WorkOrder], by) -> list[Notice]:
    who = (by.get_full_name() or by.username) if by is not None else "ChurnOps"
    if len(group) == 1:
        wo = group[0]
        return [Notice(recipient_id=target.id, kind=NotificationKind.ASSIGNED, work_order_id=wo.id,
                       subject=f"WO-{wo.id} was assigned to you",
                       body=f"{who} assigned WO-{wo.id} (tier {wo.tier}) to you.")]
    listed = ", ".join(f"WO-{wo.id}" for wo in group[:20]) + (" …" if len(group) > 20 else "")
    return [Notice(recipient_id=target.id, kind=NotificationKind.ASSIGNED_MANY,
                   subject=f"{len(group)} work orders were assigned to you",
                   body=f"{who} assigned {len(group)} work orders to you: {listed}.")]
