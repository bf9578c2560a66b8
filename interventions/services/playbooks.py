"""Writes for playbooks: validated, versioned saves (who, why, what changed), the defaults, the steps a new work
order gets from its playbook, and ticking a step done when its action is logged."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from churnops.core.errors import Refusal
from churnops.core.roles import is_admin
from interventions.choices import StepChannel
from interventions.defaults import DEFAULT_PLAYBOOKS
from interventions.models import Action, Playbook, PlaybookStep, PlaybookVersion, WorkOrder, WorkOrderStep
from interventions.playbook_models import MAX_DUE_OFFSET_DAYS
from interventions.playbooks import PlaybookChoice, playbook_pick, signals_of

from .common import event_row, events_write

PLAYBOOK_FIELDS = ("name", "description", "tiers", "segments", "signals", "is_active", "position")
STEP_FIELDS = ("title", "instruction", "channel", "due_offset_days", "talk_track")
# A step is due by the end of its day (local time): "day 0" is the opening day, not the opening minute.
STEP_DUE_TIME = time(23, 59)
STEP_BATCH = 1000  # step rows per INSERT; a night opens at most a few thousand work orders × ~8 steps


class PlaybookInvalid(Refusal):
    """A playbook that cannot be saved; `field` names the first problem (e.g. steps[2].due_offset_days)."""

    code = "invalid_playbook"

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        field, message = problems[0]
        super().__init__(
            f"{field}: {message}"
            + (" " + _("(and %(count)s more)") % {"count": len(problems) - 1} if len(problems) > 1 else ""),
            field=field,
        )

    def payload(self) -> dict:
        return {"errors": [{"field": f, "message": m} for f, m in self.problems]}


class PlaybookRefused(Refusal):
    status = 403
    code = "not_allowed"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_problems(data: dict, key: str, kind) -> list[tuple[str, str]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
        return [(key, _("must be a list of numbers") if kind is int else _("must be a list of texts"))]
    return []


def _step_problems(i: int, step) -> list[tuple[str, str]]:
    where = f"steps[{i}]"
    if not isinstance(step, dict):
        return [(where, _("must be an object"))]
    problems = [(f"{where}.{k}", _("unknown field")) for k in sorted(set(step) - set(STEP_FIELDS))]
    if not str(step.get("title") or "").strip():
        problems.append((f"{where}.title", _("a step needs a title")))
    if step.get("channel") not in StepChannel.values:
        problems.append(
            (
                f"{where}.channel",
                _("unknown channel %(channel)s; one of %(known)s")
                % {"channel": repr(step.get("channel")), "known": ", ".join(StepChannel.values)},
            )
        )
    offset = step.get("due_offset_days", 0)
    if not _is_int(offset) or not 0 <= offset <= MAX_DUE_OFFSET_DAYS:
        problems.append(
            (
                f"{where}.due_offset_days",
                _("must be a whole number of days from 0 to %(max)s, got %(value)s")
                % {"max": MAX_DUE_OFFSET_DAYS, "value": repr(offset)},
            )
        )
    return problems


def playbook_problems(data: dict) -> list[tuple[str, str]]:
    """Every problem of a proposed playbook, each as (field, message)."""
    problems = [(k, _("unknown field")) for k in sorted(set(data) - {*PLAYBOOK_FIELDS, "steps"})]
    if not str(data.get("name") or "").strip():
        problems.append(("name", _("a playbook needs a name")))
    problems += _list_problems(data, "tiers", int) + _list_problems(data, "segments", str)
    problems += _list_problems(data, "signals", str)
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        return [*problems, ("steps", _("a playbook needs at least one step"))]
    for i, step in enumerate(steps):
        problems += _step_problems(i, step)
    return problems


def playbook_as_dict(playbook: Playbook) -> dict:
    steps = [{k: getattr(s, k) for k in STEP_FIELDS} for s in playbook.steps.order_by("position", "id")]
    return {**{k: getattr(playbook, k) for k in PLAYBOOK_FIELDS}, "steps": steps}


def _diff(before, after, path="") -> list[dict]:
    """Flat list of {path, before, after} between two JSON-like values (the shape rules and policy use)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            d
            for key in sorted(set(before) | set(after))
            for d in _diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True)) for d in _diff(b, a, f"{path}[{i}]")]
    return [] if before == after else [{"path": path, "before": before, "after": after}]


@transaction.atomic
def playbook_snapshot(*, playbook: Playbook, by=None, comment: str = "") -> PlaybookVersion:
    """Record the playbook as it now is as its next version (unless nothing changed since the last one)."""
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    data = playbook_as_dict(locked)
    previous = locked.versions.order_by("-number").first()
    if previous is not None and previous.data == data:
        return previous
    number = locked.version + 1
    version = PlaybookVersion.objects.create(
        playbook=locked,
        name=locked.name,
        number=number,
        data=data,
        author=by,
        comment=comment[:300],
        diff=_diff(previous.data if previous else {}, data),
    )
    Playbook.objects.filter(pk=locked.pk).update(version=number)
    playbook.version = number
    return version


def _require_admin(by) -> None:
    if by is not None and not is_admin(by):
        raise PlaybookRefused(_("only admins may change playbooks and offers"))


@transaction.atomic
def playbook_save(*, data: dict, by, playbook: Playbook | None = None, comment: str = "") -> Playbook:
    """Create or replace a playbook (its fields and all its steps) and record the new version.

    Work orders opened earlier keep the steps of the version they opened with.
    """
    _require_admin(by)
    problems = playbook_problems(data)
    clash = Playbook.objects.filter(name=str(data.get("name") or "").strip())
    if playbook is not None:
        clash = clash.exclude(pk=playbook.pk)
    if clash.exists():
        problems.append(("name", _("another playbook has this name")))
    if problems:
        raise PlaybookInvalid(problems)
    playbook = playbook or Playbook()
    for key in PLAYBOOK_FIELDS:
        if key in data:
            setattr(playbook, key, data[key].strip() if isinstance(data[key], str) else data[key])
    playbook.save()
    playbook.steps.all().delete()
    PlaybookStep.objects.bulk_create(
        [
            PlaybookStep(
                playbook=playbook,
                position=i,
                title=s["title"].strip(),
                instruction=s.get("instruction", ""),
                channel=s["channel"],
                due_offset_days=s.get("due_offset_days", 0),
                talk_track=s.get("talk_track", ""),
            )
            for i, s in enumerate(data["steps"])
        ]
    )
    playbook_snapshot(playbook=playbook, by=by, comment=comment)
    return playbook


@transaction.atomic
def playbook_delete(*, playbook: Playbook, by, comment: str = "") -> None:
    """Delete a playbook; its versions stay (work orders' steps point at them) and record the deletion."""
    _require_admin(by)
    PlaybookVersion.objects.create(
        playbook=None,
        name=playbook.name,
        number=playbook.version + 1,
        data={"deleted": True},
        author=by,
        comment=comment or "deleted",
        diff=[{"path": "deleted", "before": False, "after": True}],
    )
    playbook.delete()


@transaction.atomic
def playbooks_install_defaults() -> int:
    """Install the default playbooks on an installation that has none (idempotent); returns how many."""
    if Playbook.objects.exists():
        return 0
    for data in DEFAULT_PLAYBOOKS:
        playbook_save(data=data, by=None, comment="default playbook")
    return len(DEFAULT_PLAYBOOKS)


# --- steps of work orders ----------------------------------------------------------------------------------------


def step_due_at(opened_at: datetime, offset_days: int) -> datetime:
    """End of the local day `offset_days` after the opening day."""
    day = timezone.localtime(opened_at).date() + timedelta(days=offset_days)
    return timezone.make_aware(datetime.combine(day, STEP_DUE_TIME))


def _choices() -> list[PlaybookChoice]:
    versions = PlaybookVersion.objects.filter(playbook__is_active=True, number=F("playbook__version"))
    return [PlaybookChoice(version_id=v.pk, data=v.data) for v in versions.order_by("playbook__position", "name")]


def work_order_steps_open(*, work_orders: list[WorkOrder], candidates: list[dict]) -> int:
    """Give each new work order the steps of the playbook that fits its tier, segment and top risk signal.

    `candidates` are the nightly candidates (customer, alert) the work orders were opened for. Returns the number
    of steps written (bulk, ignoring rows a concurrent or repeated call already wrote).
    """
    choices = _choices()
    if not work_orders or not choices:
        return 0
    by_customer = {c["customer"].id: c for c in candidates}
    rows = []
    for wo in work_orders:
        candidate = by_customer.get(wo.customer_id)
        customer, alert = (candidate["customer"], candidate["alert"]) if candidate else (wo.customer, wo.alert)
        chosen = playbook_pick(choices, tier=wo.tier, segment=customer.segment, signals=signals_of(alert))
        if chosen is None:
            continue
        rows += [
            WorkOrderStep(
                work_order_id=wo.pk,
                playbook_version_id=chosen.version_id,
                position=i,
                title=s["title"],
                instruction=s.get("instruction", ""),
                channel=s["channel"],
                due_at=step_due_at(wo.opened_at, s.get("due_offset_days", 0)),
                talk_track=s.get("talk_track", ""),
            )
            for i, s in enumerate(chosen.data["steps"])
        ]
    WorkOrderStep.objects.bulk_create(rows, batch_size=STEP_BATCH, ignore_conflicts=True)
    return len(rows)


def work_order_step_tick(*, work_order: WorkOrder, action: Action, by) -> WorkOrderStep | None:
    """Tick done the first open step (in plan order) whose channel is the logged action's kind.

    Called inside work_order_log_action's transaction, with the work order locked.
    """
    step = (
        WorkOrderStep.objects.filter(work_order=work_order, done_at__isnull=True, channel=action.kind)
        .order_by("position")
        .first()
    )
    if step is None:
        return None
    WorkOrderStep.objects.filter(pk=step.pk, done_at__isnull=True).update(done_at=action.at, action=action)
    step.done_at, step.action = action.at, action
    events_write([event_row(work_order, by=by, field="step_done", before=None, after=step.title, at=action.at)])
    return step
