"""The SLA sweep: warn at 80% of a clock, escalate a breach, in bulk and safe to run twice at once.

Each step selects candidate ids, then claims them in batches with one conditional UPDATE that re-checks the
step's condition and tags the rows with the step's claim token. Two sweeps racing for a row cannot both win it:
on PostgreSQL the loser's UPDATE waits for the winner's row lock and then finds the condition false; SQLite
serialises writers, and the claim is each batch transaction's first statement. Only the winner writes the
events and the notifications, and the notifications' unique key stops any repeat besides.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interventions.choices import AT_RISK_KIND, BREACHED_KIND, ESCALATED_KIND, Role, SlaClock
from interventions.models import SlaSweep, WorkOrder, WorkOrderEvent
from interventions.selectors import policy_in_force, role_members
from webhooks.services import webhook_emit_many

from .announce import work_order_payload
from .assignment import Assigner, is_available
from .clocks import ClockBook, clock_book, deliver_after
from .common import batched, event_row, events_write, username
from .notifications import Notice, in_locale_of, moment_text, notifications_send
from .reassign import reassign_rows

log = logging.getLogger(__name__)

# Rows per claim: one UPDATE, one read-back and a few bulk INSERTs per 1,000 work orders, so 100,000
# breaching at once cost ~100 short transactions instead of 100,000 saves, and no lock is held for long.
SWEEP_BATCH = 1000
# A clock is at risk once 80% of it has elapsed: elapsed ≥ 4 × what is left.
AT_RISK_ELAPSED_TO_LEFT = 4
# Breaches of this tier are handed to a team lead when the assignee is not one.
LEAD_TAKES_BREACHES_OF_TIER = 1
CLOCK_WORDS = {SlaClock.FIRST_CONTACT: "first-contact", SlaClock.RESOLUTION: "resolution"}
# The clock's name in notices, in the recipient's language.
CLOCK_NAMES = {SlaClock.FIRST_CONTACT: gettext_lazy("first-contact"), SlaClock.RESOLUTION: gettext_lazy("resolution")}
# Timeline notes are stored once for everyone, in English and without a clock time: the due times are on the page
# in the reader's zone, and the at-risk line itself says what the old note said.


def _clock_alias(due: str, now: datetime) -> dict:
    """Elapsed and (remaining × 4) of a clock as durations: at risk once elapsed ≥ 4 × remaining (80% gone).

    Durations compare on both backends (intervals on PostgreSQL, microseconds on SQLite), where dividing one
    by a number does not work on SQLite.
    """
    moment = Value(now, output_field=DateTimeField())
    remaining = ExpressionWrapper((F(due) - moment) * AT_RISK_ELAPSED_TO_LEFT, output_field=DurationField())
    return {
        "elapsed": ExpressionWrapper(moment - F("opened_at"), output_field=DurationField()),
        "scaled_left": remaining,
    }


@dataclass(frozen=True)
class Step:
    number: int
    clock: SlaClock
    is_breach: bool

    @property
    def due(self) -> str:
        return "first_contact_due_at" if self.clock == SlaClock.FIRST_CONTACT else "resolution_due_at"

    @property
    def warn(self) -> str:
        return "first_contact_warn_at" if self.clock == SlaClock.FIRST_CONTACT else "resolution_warn_at"

    def condition(self, now: datetime) -> Q:
        contacted = self.clock == SlaClock.RESOLUTION
        running = Q(open_key__isnull=False, paused_at__isnull=True)  # waiting on the customer: the clock stands
        if self.clock == SlaClock.FIRST_CONTACT:
            running &= Q(first_contact_at__isnull=True, breached_clock="")
        else:
            running &= ~Q(breached_clock=SlaClock.RESOLUTION)
        if self.is_breach:
            return running & Q(**{f"{self.due}__lte": now})
        # 80% of the business time stored with the clock; rows from before calendars: 80% of the wall-clock span.
        warned = Q(**{f"{self.warn}__lte": now}) | Q(**{f"{self.warn}__isnull": True}, elapsed__gte=F("scaled_left"))
        return (
            running & warned & Q(first_contact_at__isnull=not contacted, is_at_risk=False, **{f"{self.due}__gt": now})
        )

    def queryset(self, now: datetime):
        return WorkOrder.objects.alias(**_clock_alias(self.due, now)).filter(self.condition(now))

    def changes(self, now: datetime, token: int) -> dict:
        if not self.is_breach:
            return {"is_at_risk": True, "sla_claim": token, "updated_at": now}
        return {
            "is_breached": True,
            "breached_clock": self.clock,
            "breach_count": F("breach_count") + 1,
            "breached_at": Coalesce(F("breached_at"), Value(now)),
            "is_at_risk": False,
            "escalated_at": now,
            "sla_claim": token,
            "updated_at": now,
        }


# Breaches before warnings: a clock that ran out between two sweeps is a breach, not a warning.
STEPS = (
    Step(1, SlaClock.FIRST_CONTACT, is_breach=True),
    Step(2, SlaClock.RESOLUTION, is_breach=True),
    Step(3, SlaClock.FIRST_CONTACT, is_breach=False),
    Step(4, SlaClock.RESOLUTION, is_breach=False),
)


@dataclass
class _People:
    """Who can take escalations today, read once per sweep."""

    now: datetime
    tiers: dict
    book: ClockBook
    _members: dict = field(default_factory=dict)
    _lead_assigner: Assigner | None = None
    _holds: dict = field(default_factory=dict)  # calendar -> next working moment (the sweep has one `now`)

    def members(self, role: str) -> dict:
        if role not in self._members:
            self._members[role] = {u.id: u for u in role_members(role) if is_available(u, self.now.date())}
        return self._members[role]

    def escalation_recipients(self, wo: WorkOrder) -> list:
        """The assignee's team lead when they hold the tier's escalation role, else everyone in that role."""
        role = (self.tiers.get(wo.tier) or {}).get("escalation_role") or ""
        if not role:
            return []
        members = self.members(role)
        agent = getattr(wo.assignee, "agent", None) if wo.assignee else None
        if agent and agent.team_lead_id in members:
            return [members[agent.team_lead_id]]
        return [u for uid, u in members.items() if uid != wo.assignee_id]

    def lead_for(self, wo: WorkOrder):
        """A team lead to take a breached case. The case stays in its team: an assignee with a team lead goes to
        that lead (however loaded), or to nobody while that lead is away; never to another team's lead. Only a
        case without a team goes to the least loaded lead."""
        if self._lead_assigner is None:
            self._lead_assigner = Assigner.for_roles([Role.TEAM_LEAD], [], self.now.date())
        agent = getattr(wo.assignee, "agent", None) if wo.assignee else None
        if agent and agent.team_lead_id:
            others = frozenset(self.members(Role.TEAM_LEAD)) - {agent.team_lead_id}
            own = self.members(Role.TEAM_LEAD).get(agent.team_lead_id)
            return self._lead_assigner.pick(
                owner=own, role=Role.TEAM_LEAD, now=self.now, exclude=others, over_capacity=True
            )
        return self._lead_assigner.pick(owner=None, role=Role.TEAM_LEAD, now=self.now, over_capacity=True)

    def is_lead(self, user) -> bool:
        return user is not None and user.id in self.members(Role.TEAM_LEAD)

    def hold_until(self, wo: WorkOrder, user, *, escalation: bool = False) -> datetime | None:
        """When a notice to `user` about `wo` may go out: None now, else their next working moment.

        A tier the policy marks `escalation_24x7` escalates at any hour (the tier-1 hand-over to a lead).
        """
        if escalation and (self.tiers.get(wo.tier) or {}).get("escalation_24x7"):
            return None
        cal = self.book.for_clock(wo.tier, user=user)
        key = id(cal)  # parsed once per sweep by the book, so one object per calendar
        if key not in self._holds:
            self._holds[key] = deliver_after(cal, self.now)
        return self._holds[key]


def sla_sweep(*, now: datetime | None = None) -> SlaSweep:
    """Mark work orders at risk and breached, notify and escalate; returns the sweep with its counts."""
    now = now or timezone.now()
    sweep = SlaSweep.objects.create(started_at=now)
    policy = policy_in_force()
    people = _People(now=now, tiers={t["tier"]: t for t in policy["tiers"]}, book=clock_book(policy))
    for step in STEPS:
        ids = list(step.queryset(now).order_by("id").values_list("id", flat=True))
        for chunk in batched(ids, SWEEP_BATCH):
            _claim_and_handle(step, chunk, sweep, people, now)
    sweep.finished_at = timezone.now()
    sweep.save(update_fields=["at_risk", "breached", "escalated", "reassigned", "notified", "finished_at"])
    log.info(
        "SLA sweep %s: %s at risk, %s breached, %s escalated, %s reassigned, %s notifications",
        sweep.pk,
        sweep.at_risk,
        sweep.breached,
        sweep.escalated,
        sweep.reassigned,
        sweep.notified,
    )
    return sweep


@transaction.atomic
def _claim_and_handle(step: Step, chunk: list[int], sweep: SlaSweep, people: _People, now: datetime) -> None:
    token = sweep.pk * 10 + step.number
    if not step.queryset(now).filter(id__in=chunk).update(**step.changes(now, token)):
        return  # another sweep got there first
    # The assignee's calendar and their lead's come in the same query: notices wait for working hours.
    rows = list(
        WorkOrder.objects.filter(id__in=chunk, sla_claim=token)
        .select_related("customer", "assignee__agent__calendar", "assignee__agent__team_lead__agent__calendar")
        .order_by("id")
    )
    handle = _breached if step.is_breach else _at_risk
    notices = handle(step, rows, sweep, people, now)
    sweep.notified += len(notifications_send(notices))


def _subject(wo: WorkOrder, what: str) -> str:
    return _("%(what)s: WO-%(pk)s %(customer)s (tier %(tier)s)") % {
        "what": what,
        "pk": wo.pk,
        "customer": wo.customer.name or wo.customer.external_id,
        "tier": wo.tier,
    }


def _at_risk_notice(step: Step, wo: WorkOrder, people: _People) -> Notice:
    with in_locale_of(wo.assignee):
        clock = CLOCK_NAMES[step.clock]
        return Notice(
            recipient_id=wo.assignee_id,
            kind=AT_RISK_KIND[step.clock],
            work_order_id=wo.pk,
            subject=_subject(wo, capfirst(_("%(clock)s SLA at risk") % {"clock": clock})),
            body=_("80%% of the %(clock)s SLA of WO-%(pk)s has elapsed; it is due %(due)s.")
            % {"clock": clock, "pk": wo.pk, "due": moment_text(getattr(wo, step.due))},
            deliver_after=people.hold_until(wo, wo.assignee),
        )


def _at_risk(step: Step, rows: list[WorkOrder], sweep: SlaSweep, people: _People, now: datetime) -> list[Notice]:
    """Warn the assignee; the warning waits for their working hours."""
    events_write(
        [
            event_row(
                wo,
                by=None,
                field="sla_at_risk",
                before="",
                after=step.clock,
                at=now,
            )
            for wo in rows
        ]
    )
    sweep.at_risk += len(rows)
    return [_at_risk_notice(step, wo, people) for wo in rows if wo.assignee_id]


def _breached(step: Step, rows: list[WorkOrder], sweep: SlaSweep, people: _People, now: datetime) -> list[Notice]:
    words = CLOCK_WORDS[step.clock]
    events, notices, moving, targets = [], [], [], {}
    for wo in rows:
        due = getattr(wo, step.due)
        events.append(
            event_row(
                wo,
                by=None,
                field="sla_breached",
                at=now,
                before=SlaClock.FIRST_CONTACT if wo.breach_count > 1 else "",
                after=step.clock,
                note=f"{words} SLA passed; breach #{wo.breach_count}",
            )
        )
        recipients = {u.id: u for u in people.escalation_recipients(wo)}
        if wo.tier == LEAD_TAKES_BREACHES_OF_TIER and not people.is_lead(wo.assignee):
            lead = people.lead_for(wo)
            if lead is not None:
                moving.append(wo)
                targets[wo.id] = lead
                recipients[lead.id] = lead
        if wo.assignee_id:
            notices.append(_breached_notice(step, wo, due, people))
        recipients.pop(wo.assignee_id, None)
        handed = f" and handed to {targets[wo.id].username}" if wo.id in targets else ""
        events.append(
            event_row(
                wo,
                by=None,
                field="escalated",
                before="",
                at=now,
                after=", ".join(sorted(u.username for u in recipients.values())) or "nobody",
                note=f"{words} SLA breach escalated{handed}",
            )
        )
        notices += [
            _escalation_notice(
                step, wo, due, recipients[uid], people, taken=uid == getattr(targets.get(wo.id), "id", None)
            )
            for uid in sorted(recipients)
        ]
        sweep.escalated += bool(recipients)
    events_write(events)
    sweep.breached += len(rows)
    sweep.reassigned += reassign_rows(
        moving,
        targets,
        by=None,
        note=f"tier-{LEAD_TAKES_BREACHES_OF_TIER} {words} SLA breach: a team lead takes it over",
        notify=False,
    )
    return notices


def _breached_notice(step: Step, wo: WorkOrder, due: datetime, people: _People) -> Notice:
    with in_locale_of(wo.assignee):
        clock = CLOCK_NAMES[step.clock]
        return Notice(
            recipient_id=wo.assignee_id,
            kind=BREACHED_KIND[step.clock],
            work_order_id=wo.pk,
            subject=_subject(wo, capfirst(_("%(clock)s SLA breached") % {"clock": clock})),
            body=_("The %(clock)s SLA of WO-%(pk)s passed at %(due)s.")
            % {"clock": clock, "pk": wo.pk, "due": moment_text(due)},
            deliver_after=people.hold_until(wo, wo.assignee),
        )


def _escalation_notice(step: Step, wo: WorkOrder, due: datetime, recipient, people: _People, *, taken: bool) -> Notice:
    with in_locale_of(recipient):
        clock = CLOCK_NAMES[step.clock]
        body = _("The %(clock)s SLA of WO-%(pk)s (assignee %(assignee)s) passed at %(due)s.") % {
            "clock": clock,
            "pk": wo.pk,
            "assignee": username(wo.assignee) or _("nobody"),
            "due": moment_text(due),
        }
        return Notice(
            recipient_id=recipient.id,
            kind=ESCALATED_KIND[step.clock],
            work_order_id=wo.pk,
            subject=_subject(wo, _("Escalation: %(clock)s SLA breached") % {"clock": clock}),
            body=body + (" " + _("The work order is now yours.") if taken else ""),
            deliver_after=people.hold_until(wo, recipient, escalation=True),
        )


def work_orders_breached_announce(*, sweep_id: int) -> int:
    """Send the `work_order.breached` webhook event for each breach a sweep marked (after the sweep, so the
    sweep's own queries stay as they were); at most once per work order and clock, whoever calls it again."""
    sweep = SlaSweep.objects.get(pk=sweep_id)
    rows = (
        WorkOrderEvent.objects.filter(field="sla_breached", at=sweep.started_at, actor__isnull=True)
        .select_related("work_order__customer", "work_order__assignee")
        .order_by("id")
    )
    events = [
        (
            f"work_order.breached:{e.pk}",
            work_order_payload(e.work_order)
            | {
                "clock": e.after,
                "summary": f"WO-{e.work_order_id} breached its {CLOCK_WORDS.get(e.after, e.after)} SLA",
            },
        )
        for e in rows
    ]
    return webhook_emit_many(event_type="work_order.breached", events=events)
