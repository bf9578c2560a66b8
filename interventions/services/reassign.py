"""Writes that hand work orders to someone else: one, many at once, or rows the sweeps and leave move."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.choices import NotificationKind
from interventions.models import WorkOrder
from interventions.permissions import can_reassign, is_admin, is_team_lead
from interventions.selectors import assignable_users, work_order_list

from .common import WorkOrderError, event_row, events_write, username
from .notifications import Notice, in_locale_of, notifications_send
from .work_orders import work_order_locked


@transaction.atomic
def work_order_assign(*, work_order: WorkOrder, assignee, by, note: str = "") -> WorkOrder:
    wo = work_order_locked(work_order)
    if by is not None and not can_reassign(by, wo):
        raise WorkOrderError(_("only team leads and admins can reassign work orders"), code="not_allowed")
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
        raise WorkOrderError(_("select at least one work order"))
    if by is not None and not (is_admin(by) or is_team_lead(by)):
        raise WorkOrderError(_("only team leads and admins can reassign work orders"), code="not_allowed")
    if assignee is None or not assignable_users(by=by).filter(pk=assignee.pk).exists():
        raise WorkOrderError(_("choose an active member of your team"), code="assignee_not_in_team")
    scope = work_order_list(user=by) if by is not None else WorkOrder.objects.all()
    rows = list(scope.select_for_update(of=("self",)).filter(id__in=ids, open_key__isnull=False).order_by("id"))
    if len(rows) != len(ids):
        raise WorkOrderError(
            _(
                "%(missing)s of the %(selected)s selected work orders are closed or not in your team; "
                "nothing was reassigned"
            )
            % {"missing": len(ids) - len(rows), "selected": len(ids)}
        )
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
    events_write(
        [
            event_row(
                wo,
                by=by,
                field="assignee",
                before=username(wo.assignee),
                after=username(targets[wo.id]),
                note=note,
                at=now,
            )
            for wo in rows
        ]
    )
    if notify:
        notifications_send(
            [
                n
                for target, group in groups.items()
                if target is not None and target != by
                for n in _assigned_notices(target, group, by)
            ]
        )
    return len(rows)


def _assigned_notices(target, group: list[WorkOrder], by) -> list[Notice]:
    who = (by.get_full_name() or by.username) if by is not None else "ChurnOps"
    with in_locale_of(target):
        if len(group) == 1:
            wo = group[0]
            return [
                Notice(
                    recipient_id=target.id,
                    kind=NotificationKind.ASSIGNED,
                    work_order_id=wo.id,
                    subject=_("WO-%(pk)s was assigned to you") % {"pk": wo.id},
                    body=_("%(who)s assigned WO-%(pk)s (tier %(tier)s) to you.")
                    % {"who": who, "pk": wo.id, "tier": wo.tier},
                )
            ]
        listed = ", ".join(f"WO-{wo.id}" for wo in group[:20]) + (" …" if len(group) > 20 else "")
        return [
            Notice(
                recipient_id=target.id,
                kind=NotificationKind.ASSIGNED_MANY,
                subject=_("%(count)s work orders were assigned to you") % {"count": len(group)},
                body=_("%(who)s assigned %(count)s work orders to you: %(listed)s.")
                % {"who": who, "count": len(group), "listed": listed},
            )
        ]
