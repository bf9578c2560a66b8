"""Writes for work orders: creation from alerts, assignment, actions, status changes, resolution."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .choices import CONTACT_ACTIONS, TRANSITIONS, ActionKind, Outcome, Reason, WorkOrderStatus
from .models import Action, AgentProfile, WorkOrder, WorkOrderEvent
from .permissions import can_reassign, can_work_on
from .selectors import open_load, role_members, save_likelihoods

DEFAULT_CAPACITY = 200


class WorkOrderError(Exception):
    """A refused change to a work order (illegal transition, missing outcome, no permission)."""


def _is_available(user, on: date) -> bool:
    agent = getattr(user, "agent", None)
    on_leave = bool(agent and agent.leave_from and agent.leave_from <= on <= (agent.leave_until or date.max))
    return user.is_active and not on_leave


def _capacity(user) -> int:
    agent = getattr(user, "agent", None)
    return agent.capacity if agent else DEFAULT_CAPACITY


@dataclass
class Assigner:
    """Picks assignees for a batch: owner first, else the least-loaded member of the tier's role.

    Loads are read once per batch and counted up as work is handed out; ties go round-robin
    (the member assigned longest ago, then lowest id).
    """

    on: date
    loads: dict
    members: dict
    last_assigned: dict

    @classmethod
    def for_roles(cls, roles, owners, on: date) -> "Assigner":
        members = {role: [u for u in role_members(role) if _is_available(u, on)] for role in set(roles)}
        users = {u.id: u for group in members.values() for u in group} | {u.id: u for u in owners if u}
        loads = open_load(users)
        never = datetime.min.replace(tzinfo=UTC)
        last = {uid: (getattr(u, "agent", None) and u.agent.last_assigned_at) or never for uid, u in users.items()}
        return cls(on, loads, members, last)

    def pick(self, *, owner, role: str, now: datetime):
        if owner is not None and _is_available(owner, self.on) and self.loads.get(owner.id, 0) < _capacity(owner):
            chosen = owner
        else:
            free = [u for u in self.members.get(role, []) if self.loads.get(u.id, 0) < _capacity(u)]
            if not free:
                return None
            chosen = min(free, key=lambda u: (self.loads.get(u.id, 0), self.last_assigned[u.id], u.id))
        self.loads[chosen.id] = self.loads.get(chosen.id, 0) + 1
        self.last_assigned[chosen.id] = now
        return chosen


def priority_of(*, probability: float, ltv: float, save_likelihood: float, expected_cost: float) -> float:
    return probability * max(ltv, 0.0) * save_likelihood / max(expected_cost, 0.01)


def work_orders_open_for_alerts(*, as_of: date, candidates: list[dict], policy: dict) -> int:
    """Open one work order per candidate customer that has none; returns how many were created.

    `candidates` have customer (with owner loaded), alert, tier and probability.
    """
    if not candidates:
        return 0
    tiers = {t["tier"]: t for t in policy["tiers"]}
    already = set(WorkOrder.objects.filter(open_key__in=[c["customer"].id for c in candidates])
                  .values_list("open_key", flat=True))
    todo = [c for c in candidates if c["customer"].id not in already]
    if not todo:
        return 0
    now = timezone.now()
    likelihood = save_likelihoods(tiers)
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
    created = WorkOrder.objects.bulk_create(orders, batch_size=1000, ignore_conflicts=True)
    fresh = WorkOrder.objects.filter(open_key__in=[o.open_key for o in created], opened_at=now)
    WorkOrderEvent.objects.bulk_create([
        WorkOrderEvent(work_order=wo, at=now, field="created", after=f"tier {wo.tier}",
                       note=f"assigned to {wo.assignee.username}" if wo.assignee else "no eligible assignee")
        for wo in fresh.select_related("assignee")
    ])
    assigned = {o.assignee_id for o in orders if o.assignee_id}
    AgentProfile.objects.filter(user_id__in=assigned).update(last_assigned_at=now)
    return len(orders)


def _event(wo, *, by, field: str, before, after, note: str = "", at=None):
    WorkOrderEvent.objects.create(work_order=wo, at=at or timezone.now(), actor=by, field=field,
                                  before="" if before is None else str(before),
                                  after="" if after is None else str(after), note=note[:300])


def _locked(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=work_order.pk)


@transaction.atomic
def work_order_set_status(*, work_order: WorkOrder, status: str, by, note: str = "") -> WorkOrder:
    wo = _locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError("you may not change this work order")
    if status == WorkOrderStatus.RESOLVED:
        raise WorkOrderError("use resolve (with an outcome and a reason) to resolve a work order")
    if status not in TRANSITIONS.get(wo.status, set()):
        raise WorkOrderError(f"cannot move a work order from {wo.status} to {status}")
    before = wo.status
    wo.status = status
    fields = ["status", "updated_at"]
    if before == WorkOrderStatus.RESOLVED:  # reopen
        wo.open_key, wo.resolved_at, wo.outcome, wo.reason = wo.customer_id, None, "", ""
        fields += ["open_key", "resolved_at", "outcome", "reason"]
    wo.save(update_fields=fields)
    _event(wo, by=by, field="status", before=before, after=status, note=note)
    return wo


@transaction.atomic
def work_order_log_action(*, work_order: WorkOrder, kind: str, note: str = "", by) -> Action:
    """Log an action; the first customer contact stops the first-contact clock and starts the work."""
    wo = _locked(work_order)
    if not can_work_on(by, wo):
        raise WorkOrderError("you may not log actions on this work order")
    if kind not in ActionKind.values:
        raise WorkOrderError(f"unknown action '{kind}' (one of {', '.join(ActionKind.values)})")
    if wo.status == WorkOrderStatus.RESOLVED:
        raise WorkOrderError("this work order is resolved; reopen it first")
    now = timezone.now()
    action = Action.objects.create(work_order=wo, kind=kind, note=note, author=by, at=now)
    if kind in CONTACT_ACTIONS and wo.first_contact_at is None:
        wo.first_contact_at = now
        wo.save(update_fields=["first_contact_at", "updated_at"])
        _event(wo, by=by, field="first_contact_at", before=None, after=now.isoformat(), at=now)
    if wo.status == WorkOrderStatus.NEW:
        wo.status = WorkOrderStatus.IN_PROGRESS
        wo.save(update_fields=["status", "updated_at"])
        _event(wo, by=by, field="status", before=WorkOrderStatus.NEW, after=WorkOrderStatus.IN_PROGRESS, at=now)
    return action


@transaction.atomic
def work_order_resolve(*, work_order: WorkOrder, outcome: str, reason: str, note: str = "", by) -> WorkOrder:
    """Resolve with an outcome and a reason code; the outcome becomes a label for training and reports."""
    wo = _locked(work_order)
    if by is not None and not can_work_on(by, wo):
        raise WorkOrderError("you may not resolve this work order")
    if outcome not in Outcome.values:
        raise WorkOrderError(f"outcome must be one of {', '.join(Outcome.values)}")
    if reason not in Reason.values:
        raise WorkOrderError(f"reason must be one of {', '.join(Reason.values)}")
    if wo.status == WorkOrderStatus.RESOLVED:
        raise WorkOrderError("this work order is already resolved")
    before = wo.status
    now = timezone.now()
    wo.status, wo.outcome, wo.reason, wo.resolution_note = WorkOrderStatus.RESOLVED, outcome, reason, note
    wo.resolved_at, wo.open_key = now, None
    wo.save(update_fields=["status", "outcome", "reason", "resolution_note", "resolved_at", "open_key", "updated_at"])
    _event(wo, by=by, field="status", before=before, after=WorkOrderStatus.RESOLVED,
           note=f"outcome {outcome}, reason {reason}", at=now)
    return wo


@transaction.atomic
def work_order_assign(*, work_order: WorkOrder, assignee, by, note: str = "") -> WorkOrder:
    wo = _locked(work_order)
    if by is not None and not can_reassign(by, wo):
        raise WorkOrderError("only team leads and admins can reassign work orders")
    before = wo.assignee.username if wo.assignee else None
    wo.assignee = assignee
    wo.save(update_fields=["assignee", "updated_at"])
    _event(wo, by=by, field="assignee", before=before, after=assignee.username if assignee else None, note=note)
    return wo
