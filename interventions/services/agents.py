"""Writes for the people who work cases: capacity and leave; leave hands their open work to others."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import AgentProfile, WorkOrder
from interventions.permissions import can_manage_agent
from interventions.selectors import absent_with_open_work, policy_in_force

from .assignment import Assigner, is_available
from .common import WorkOrderError
from .reassign import reassign_rows

MAX_CAPACITY = 10_000


@transaction.atomic
def agent_update(*, user, capacity: int, leave_from: date | None, leave_until: date | None, by) -> int:
    """Set a person's capacity and leave; if the leave covers today, their open work is reassigned at once.

    Returns how many work orders were reassigned. A leave that starts later is picked up by the periodic
    `work_orders_reassign_absent`.
    """
    if by is not None and not can_manage_agent(by, user):
        raise WorkOrderError(_("only admins may change capacity and leave"), code="not_allowed")
    if not 0 <= capacity <= MAX_CAPACITY:
        raise WorkOrderError(_("capacity must be between 0 and %(max)s") % {"max": MAX_CAPACITY})
    if leave_until and not leave_from:
        raise WorkOrderError(_("a leave needs its first day"))
    if leave_from and leave_until and leave_until < leave_from:
        raise WorkOrderError(_("the leave cannot end before it starts"))
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
    profile.capacity, profile.leave_from, profile.leave_until = capacity, leave_from, leave_until
    profile.save(update_fields=["capacity", "leave_from", "leave_until"])
    user.agent = profile
    return work_orders_reassign_absent(on=timezone.localdate(), user_ids=[user.id], by=by)


@transaction.atomic
def work_orders_reassign_absent(*, on: date, user_ids=None, by=None) -> int:
    """Hand the open work of everyone on leave on `on` to the owner or the least-loaded member of the tier's role.

    Work that nobody in the role can take (everyone else is full or away) goes to the person's team lead; with
    no lead available it stays where it is and shows in the team queue.
    Returns how many work orders changed hands; each gets an assignee event naming the leave.
    """
    absent = absent_with_open_work(on=on)
    if user_ids is not None:
        absent = absent.filter(id__in=list(user_ids))
    absent = {u.id: u for u in absent}
    if not absent:
        return 0
    tiers = {t["tier"]: t for t in policy_in_force()["tiers"]}
    rows = list(
        WorkOrder.objects.select_for_update(of=("self",))
        .filter(assignee_id__in=list(absent), open_key__isnull=False)
        .select_related("assignee__agent__team_lead__agent", "customer__owner__agent")
        .order_by("tier", "-priority", "id")
    )
    roles = [tiers[wo.tier]["assignee_role"] for wo in rows if wo.tier in tiers]
    assigner = Assigner.for_roles(roles, [wo.customer.owner for wo in rows], on)
    now = timezone.now()
    targets = {}
    for wo in rows:
        role = tiers.get(wo.tier, {}).get("assignee_role", "")
        target = assigner.pick(owner=wo.customer.owner, role=role, now=now, exclude=frozenset(absent))
        lead = getattr(getattr(wo.assignee, "agent", None), "team_lead", None)
        if target is None and lead is not None and lead.id not in absent and is_available(lead, on):
            target = lead
        if target is not None:
            targets[wo.id] = target
    moving = [wo for wo in rows if wo.id in targets]
    by_user = {}
    for wo in moving:
        by_user.setdefault(wo.assignee_id, []).append(wo)
    moved = 0
    for uid, group in by_user.items():
        agent = absent[uid].agent
        until = f" until {agent.leave_until:%d %b %Y}" if agent.leave_until else ""
        moved += reassign_rows(group, targets, by=by, note=f"{absent[uid].username} is on leave{until}")
    AgentProfile.objects.filter(user_id__in={t.id for t in targets.values()}).update(last_assigned_at=now)
    return moved
