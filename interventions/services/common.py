"""Pieces shared by the work order services: the domain error and the event rows of the timeline."""

from collections.abc import Iterable, Iterator

from django.utils import timezone

from churnops.core.bulk import model_insert
from churnops.core.errors import Refusal
from interventions.models import WorkOrder, WorkOrderEvent


class WorkOrderError(Refusal):
    """A refused change to a work order (illegal transition, missing outcome, no permission)."""

    code = "work_order_refused"


def event_row(wo: WorkOrder, *, by, field: str, before, after, note: str = "", at=None) -> WorkOrderEvent:
    """An unsaved timeline row; `by` None means the system made the change."""
    return WorkOrderEvent(
        work_order_id=wo.pk,
        at=at or timezone.now(),
        actor=by,
        field=field,
        before="" if before is None else str(before)[:200],
        after="" if after is None else str(after)[:200],
        note=note[:300],
    )


def event_write(wo: WorkOrder, *, by, field: str, before, after, note: str = "", at=None) -> WorkOrderEvent:
    event = event_row(wo, by=by, field=field, before=before, after=after, note=note, at=at)
    event.save()
    return event


def events_write(events: list[WorkOrderEvent]) -> None:
    model_insert(model=WorkOrderEvent, objs=events)


def username(user) -> str | None:
    return user.username if user is not None else None


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most `size` items (itertools.batched arrives with Python 3.12)."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
