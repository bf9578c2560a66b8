"""Reads of a work order's plan: its steps, the next open one, the playbook version they came from, the offer kit
and the offer approvals a person may decide."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from .access import work_order_list
from .choices import OfferApprovalStatus
from .models import Offer, OfferApproval, Playbook, WorkOrder, WorkOrderStep


@dataclass(frozen=True)
class Plan:
    """A work order's steps in order, the next open step, and where they came from."""

    steps: list[WorkOrderStep]
    next_step: WorkOrderStep | None
    playbook_name: str
    version: int | None
    current_version: int | None  # the playbook's version now (None: the playbook was deleted)

    @property
    def is_outdated(self) -> bool:
        return self.version is not None and self.current_version != self.version


def next_open_step(steps: list[WorkOrderStep]) -> WorkOrderStep | None:
    """The first step not done, in plan order (not the earliest due: a plan is followed in its order)."""
    return next((s for s in steps if s.done_at is None), None)


def work_order_plan(*, work_order: WorkOrder) -> Plan:
    steps = list(
        WorkOrderStep.objects.filter(work_order=work_order).select_related("playbook_version").order_by("position")
    )
    version = steps[0].playbook_version if steps else None
    current = None
    if version is not None and version.playbook_id:
        current = Playbook.objects.filter(pk=version.playbook_id).values_list("version", flat=True).first()
    return Plan(
        steps=steps,
        next_step=next_open_step(steps),
        playbook_name=version.name if version else "",
        version=version.number if version else None,
        current_version=current,
    )


def has_overdue_step(now):
    """An EXISTS for annotating work orders: an open step was due before `now`."""
    return Exists(WorkOrderStep.objects.filter(work_order=OuterRef("pk"), done_at__isnull=True, due_at__lt=now))


def offer_kit() -> QuerySet[Offer]:
    return Offer.objects.filter(is_active=True).order_by("cost", "name")


def offer_approvals_of(*, work_order: WorkOrder) -> QuerySet[OfferApproval]:
    return (
        OfferApproval.objects.filter(work_order=work_order)
        .select_related("offer", "requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )


def offer_approvals_pending(*, user) -> QuerySet[OfferApproval]:
    """Pending requests on work orders the user may see (a lead's team; admins all), oldest first."""
    return (
        OfferApproval.objects.filter(
            status=OfferApprovalStatus.PENDING, work_order__in=work_order_list(user=user).values("pk")
        )
        .exclude(requested_by=user)
        .select_related("offer", "requested_by", "work_order__customer")
        .order_by("requested_at", "id")
    )
