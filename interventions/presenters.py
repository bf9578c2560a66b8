"""How work orders read on a page: the SLA clock a person should look at, queue rows, timeline lines."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape as _html_escape

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .choices import SlaClock, WorkOrderStatus
from .models import WorkOrder


@dataclass(frozen=True)
class Sla:
    """The clock a person should look at: first contact until contacted, then resolution."""

    kind: str  # "first contact" | "resolution" | "resolved"
    due_at: datetime | None
    state: str  # "ok" | "at-risk" | "breached" | "done"
    text: str

    @property
    def label(self) -> str:
        """The clock's name in the page's language (`kind` stays English: templates and code compare it)."""
        return str(SLA_LABELS.get(self.kind, self.kind))


SLA_LABELS = {
    "first contact": pgettext_lazy("SLA clock", "first contact"),
    "resolution": pgettext_lazy("SLA clock", "resolution"),
    "resolved": pgettext_lazy("SLA clock", "resolved"),
}


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": rest // 60}
    return _("%(minutes)sm") % {"minutes": rest // 60}


def sla_of(wo: WorkOrder, now: datetime) -> Sla:
    if wo.status == WorkOrderStatus.RESOLVED:
        return Sla("resolved", wo.resolved_at, "done", _("resolved"))
    if wo.first_contact_at is None:
        kind, due = "first contact", wo.first_contact_due_at
    else:
        kind, due = "resolution", wo.resolution_due_at
    left = due - now
    if wo.is_breached or left < timedelta(0):
        text = _("overdue %(span)s") % {"span": _span(left)} if left < timedelta(0) else _("breached")
        return Sla(kind, due, "breached", text)
    return Sla(kind, due, "at-risk" if wo.is_at_risk else "ok", _("%(span)s left") % {"span": _span(left)})


# The queue renders 50 rows per request under load: each row's cells are formatted here in one str.format call
# from escaped values (as the template would escape them), because ~17 template lookups, filters and {% url %}
# tags per row were most of the page's time. The row markup lives in ROW_CELLS; the template places the rows.
# On a phone the rows become cards (app.css): data-label names each cell there.
ROW_CELLS = (
    '<td class="nowrap case"><a href="{url}"><b>WO-{pk}</b></a></td>'
    '<td class="customer"><a href="{customer_url}">{customer}</a><span class="sub">{customer_sub}</span></td>'
    '<td data-label="{l_tier}"><span class="tier tier-{tier}">{tier_label}</span></td>'
    '<td data-label="{l_status}"><span class="status status-{status}">{status_label}</span>{step_flag}</td>'
    '<td class="nowrap sla-cell" data-label="{l_sla}">'
    '<span class="sla sla-{sla_state}" title="{sla_title}">{sla_text}</span><span class="sub">{sla_sub}</span></td>'
    '<td class="num" data-label="{l_priority}">{priority}</td>'
    '<td class="num" data-label="{l_probability}">{probability}</td>'
    '<td class="num" data-label="{l_ltv}">{ltv}</td>'
    '<td data-label="{l_assignee}">{assignee}</td>'
)
# A playbook step of the work order is past due (the queue annotates `step_overdue`).
STEP_OVERDUE = '<span class="sub step-overdue">⚑ {}</span>'
# Only what a queue row shows: no JSON attributes, timestamps or password hashes to decode 50 times per page.
# When a customer has no lifetime value, the priority used what the nightly run found instead (alert.value).
VALUE_LABELS = {"spend": gettext_lazy("spend, 12 months"), "frequency": gettext_lazy("purchases, 12 months")}
LIFETIME_VALUE = "lifetime value"


def priority_text(priority: float) -> str:
    """Two significant digits below 1: a priority of 0.04 is not "0.0" (value from purchase counts is small)."""
    return f"{priority:,.1f}" if priority >= 1 else f"{priority:.2g}"


def value_of(wo: WorkOrder) -> tuple[float, str]:
    """The customer value a work order's priority used, and what it is: lifetime value, else the fallback."""
    alert = wo.alert if wo.alert_id else None
    if alert is not None and alert.value_basis in VALUE_LABELS:
        return alert.value, str(VALUE_LABELS[alert.value_basis])
    return wo.customer.lifetime_value, LIFETIME_VALUE


QUEUE_COLUMNS = (
    "id",
    "customer_id",
    "tier",
    "status",
    "assignee_id",
    "probability",
    "priority",
    "first_contact_at",
    "first_contact_due_at",
    "resolution_due_at",
    "resolved_at",
    "is_breached",
    "is_at_risk",
    "customer__name",
    "customer__external_id",
    "customer__segment",
    "customer__lifetime_value",
    "alert_id",
    "alert__value",
    "alert__value_basis",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


@dataclass(frozen=True)
class QueueLine:
    """One queue row: its pk and row class for the template, its cells as safe HTML."""

    pk: int
    css: str
    cells: str


def escape(text) -> str:
    """django.utils.html.escape's output as a plain str: 300 calls a page, without its lazy-string wrapper."""
    return _html_escape(str(text))


def _url_format(name: str) -> str:
    """A URL pattern with its one integer argument as a format field: reversed once, filled per row."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


class DayTimes:
    """Due times of one page in its time zone and language with the zone named, with and without the year
    ("Mon 3 Dec 2026, 14:00 CET" / "Mon 3 Dec, 14:00 CET"; "2026年12月3日 周四 14:00 CET").

    The translated formats and day and month names are read once per page: Django's dateformat looks each name up
    again (two formats a row cost ~7 ms of a 30 ms team queue). Formats using a letter other than these fall back
    to dateformat; tests hold both equal."""

    CODES = frozenset("DjMYnHiT")

    def __init__(self, tz):
        self.tz = tz
        self.formats = (_("D j M Y, H:i T"), _("D j M, H:i T"))
        self.fast = self.knows(self.formats)
        self.days = [str(WEEKDAYS_ABBR[i]) for i in range(7)]
        self.months = [""] + [str(MONTHS_3[i]).title() for i in range(1, 13)]

    @classmethod
    def knows(cls, formats) -> bool:
        """Whether every format letter is one the fast path writes (others: CJK text, spaces, punctuation)."""
        return all(c in cls.CODES or not (c.isascii() and c.isalpha()) for c in "".join(formats))

    def _format(self, local: datetime, fmt: str) -> str:
        parts = {
            "D": self.days[local.weekday()],
            "j": str(local.day),
            "M": self.months[local.month],
            "Y": str(local.year),
            "n": str(local.month),
            "H": f"{local.hour:02d}",
            "i": f"{local.minute:02d}",
            "T": local.tzname() or "",
        }
        return "".join(parts.get(c, c) for c in fmt)

    def __call__(self, moment: datetime) -> tuple[str, str]:
        local = moment.astimezone(self.tz)
        if not self.fast:
            return tuple(dateformat.format(local, f) for f in self.formats)
        return self._format(local, self.formats[0]), self._format(local, self.formats[1])


_STATUS_LABELS = dict(WorkOrderStatus.choices)


def _tier_label(tier: int, name: str) -> str:
    short = _("T%(tier)s") % {"tier": tier}
    return f"{short} · {name}" if name else short


def _value_cell(wo: WorkOrder) -> str:
    value, label = value_of(wo)
    return f"{value:,.0f}" if label == LIFETIME_VALUE else f'{value:,.0f}<span class="sub">{escape(label)}</span>'


PICK_CELL = '<td class="pick"><input type="checkbox" name="work_orders" value="{pk}" aria-label="Select WO-{pk}"></td>'


def queue_rows_html(lines: list[QueueLine], *, pick: bool) -> str:
    """The table rows of the queue in one string (with the team queue's checkboxes): 50 rows through the template's
    loop cost more than the cells themselves."""
    return mark_safe(  # noqa: S308 - class names are constants, pk an int, cells escaped in queue_lines
        "".join(
            f'<tr class="{line.css}">{PICK_CELL.format(pk=line.pk) if pick else ""}{line.cells}</tr>\n'
            for line in lines
        )
    )


def queue_lines(rows: list[tuple]) -> list[QueueLine]:
    work_order_url, customer_url = _url_format("interventions:work_order"), _url_format("customers:detail")
    day_time = DayTimes(timezone.get_current_timezone())
    labels = {  # the cards' cell names on a phone, in the page's language (once per page, not per row)
        "l_tier": escape(_("Tier")),
        "l_status": escape(_("Status")),
        "l_sla": escape(_("SLA")),
        "l_priority": escape(_("Priority")),
        "l_probability": escape(_("P(churn)")),
        "l_ltv": escape(_("LTV")),
        "l_assignee": escape(_("Assignee")),
    }
    step_flag, unassigned = STEP_OVERDUE.format(escape(_("step overdue"))), escape(_("unassigned"))
    lines = []
    for wo, sla, tier_name in rows:
        customer, assignee = wo.customer, wo.assignee
        due = day_time(sla.due_at) if sla.due_at else None
        cells = ROW_CELLS.format(  # every value is escaped (ints and formatted numbers need not be)
            pk=wo.pk,
            url=work_order_url.format(wo.pk),
            customer_url=customer_url.format(wo.customer_id),
            customer=escape(customer.name or customer.external_id),
            customer_sub=escape(
                f"{customer.external_id} · {customer.segment}" if customer.segment else customer.external_id
            ),
            tier=wo.tier,
            tier_label=escape(_tier_label(wo.tier, tier_name)),
            status=escape(wo.status),
            status_label=escape(_STATUS_LABELS.get(wo.status, wo.status)),
            step_flag=step_flag if getattr(wo, "step_overdue", False) else "",
            sla_state=sla.state,
            sla_text=f"⚠ {sla.text}" if sla.state == "breached" else sla.text,
            sla_title=escape(_("%(clock)s due %(due)s") % {"clock": sla.label, "due": due[0]} if due else sla.label),
            sla_sub=escape(f"{sla.label} · {due[1]}" if due else sla.label),
            priority=priority_text(wo.priority),
            probability=f"{round(wo.probability * 100)}%",
            ltv=_value_cell(wo),
            assignee=escape(assignee.get_full_name() or assignee.username) if assignee else unassigned,
            **labels,
        )
        lines.append(
            QueueLine(
                pk=wo.pk,
                css={"breached": "is-breached", "at-risk": "is-at-risk"}.get(sla.state, ""),
                cells=mark_safe(cells),  # noqa: S308 - built from escaped values above
            )
        )
    return lines


_EVENT_FIELDS = {
    "status": gettext_lazy("Status"),
    "assignee": gettext_lazy("Assignee"),
    "tier": gettext_lazy("Tier"),
    "priority": gettext_lazy("Priority"),
    "first_contact_due_at": gettext_lazy("First contact due"),
    "resolution_due_at": gettext_lazy("Resolution due"),
}
_CLOCKS = dict(SlaClock.choices)


def _when(value: str) -> str:
    """An ISO timestamp from the timeline in the local time of the page, zone named; anything else unchanged."""
    try:
        moment = timezone.localtime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return value
    return dateformat.format(moment, _("D j M Y, H:i T"))


def event_line(event) -> str:  # noqa: C901 - one branch per kind of timeline entry
    """One timeline entry in words an account manager reads without knowing the schema."""
    labels = dict(WorkOrderStatus.choices)
    before, after = event.before, event.after
    if event.field == "created":
        tier = re.fullmatch(r"tier (\d+)", after or "")
        how = _("tier %(tier)s") % {"tier": tier.group(1)} if tier else after
        return _("Opened, %(how)s") % {"how": how} if after else _("Opened")
    if event.field == "step_done":
        return _("Step done: %(step)s") % {"step": after}
    if event.field == "first_contact_at":
        return _("First contact made (first-contact clock stopped)")
    if event.field == "status":
        return _("Status %(before)s → %(after)s") % {
            "before": labels.get(before, before),
            "after": labels.get(after, after),
        }
    if event.field == "sla_at_risk":
        if after:
            return _("%(clock)s SLA at risk (80%% elapsed)") % {"clock": _CLOCKS.get(after, after)}
        return _("%(clock)s SLA no longer at risk") % {"clock": _CLOCKS.get(before, before)}
    if event.field == "sla_breached":
        return _("%(clock)s SLA breached") % {"clock": _CLOCKS.get(after, after)}
    if event.field == "escalated":
        return _("Escalated to %(person)s") % {"person": after}
    name = _EVENT_FIELDS.get(event.field, event.field.replace("_", " ").capitalize())
    if event.field.endswith("_due_at"):
        before, after = _when(before), _when(after)
    return _("%(field)s %(before)s → %(after)s") % {"field": name, "before": before or "—", "after": after or "—"}


@dataclass(frozen=True)
class _PauseEntry:
    """A pause as a timeline entry (the timeline template reads at, actor and note)."""

    at: datetime
    actor: object
    note: str


def _hours_span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes >= 60:
        return _("%(hours)s h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}
    return _("%(minutes)s min") % {"minutes": minutes}


def timeline_with_pauses(wo, events: list[tuple]) -> list[tuple]:
    """The work order's timeline (newest first) with each pause of its SLA clocks: when it began and ended."""
    entries = []
    for pause in wo.pauses.select_related("started_by"):
        waiting = _PauseEntry(pause.started_at, pause.started_by, _("waiting on the customer"))
        entries.append((waiting, _("SLA clock paused")))
        if pause.ended_at:
            wall = (pause.ended_at - pause.started_at).total_seconds()
            note = _("paused %(wall)s, %(business)s of working time given back") % {
                "wall": _hours_span(wall),
                "business": _hours_span(pause.business_seconds),
            }
            entries.append((_PauseEntry(pause.ended_at, None, note), _("SLA clock resumed")))
    if not entries:
        return events
    return sorted([*events, *entries], key=lambda pair: pair[0].at, reverse=True)
