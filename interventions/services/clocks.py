"""SLA clocks on working calendars: which calendar a clock runs on, its due and warning times, pause and resume.

All the arithmetic is `churnops.core.business_time`; this module picks the calendar and writes the rows.
A clock runs on its tier's calendar when the policy names one (`"calendar": "<name>"` in the tier), else on the
assignee's team calendar (the member's own profile, else their team lead's), else round the clock.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from churnops.core.business_time import (
    ALWAYS_OPEN,
    Calendar,
    Problem,
    business_add,
    business_seconds,
    next_working_moment,
    shift_for_pause,
    validate_calendar,
)
from interventions.models import AgentProfile, BusinessCalendar, SlaPause, WorkOrder

from .common import event_row

# 80% of a clock's business time gone is the at-risk warning.
WARN_SHARE = 0.8
HOUR = 3600


class CalendarInputError(ValueError):
    """A refused calendar: `errors` are (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


def team_calendar(user) -> BusinessCalendar | None:
    """The calendar of a person's team: their own profile's, else their team lead's (None: none set).

    Reads only what is already loaded when the caller selected `agent__calendar` and
    `agent__team_lead__agent__calendar`; otherwise it queries.
    """
    agent = getattr(user, "agent", None) if user is not None else None
    if agent is None:
        return None
    if agent.calendar_id:
        return agent.calendar
    if agent.team_lead_id:
        lead_agent = getattr(agent.team_lead, "agent", None)
        if lead_agent is not None and lead_agent.calendar_id:
            return lead_agent.calendar
    return None


@dataclass
class ClockBook:
    """Calendars of the policy's tiers and of people, read at most once per operation."""

    tiers: dict
    _by_name: dict | None = None
    _team: dict = field(default_factory=dict)  # user id -> BusinessCalendar | None
    _memo: dict = field(default_factory=dict)
    _parsed: dict = field(default_factory=dict)  # (calendar id, updated_at) -> Calendar, one parse per operation

    def _clock(self, row: BusinessCalendar) -> Calendar:
        key = (row.pk, row.updated_at)
        if key not in self._parsed:
            self._parsed[key] = row.clock()
        return self._parsed[key]

    def _named(self, name: str) -> Calendar | None:
        if self._by_name is None:
            self._by_name = {c.name: c for c in BusinessCalendar.objects.all()}
        row = self._by_name.get(name)
        return self._clock(row) if row else None

    def load_people(self, user_ids) -> None:
        """Team calendars of these people in one query (for callers whose users are not loaded with them)."""
        todo = {i for i in user_ids if i is not None and i not in self._team}
        if not todo:
            return
        rows = {c.id: c for c in BusinessCalendar.objects.all()}
        for user_id, own, lead in AgentProfile.objects.filter(user_id__in=todo).values_list(
            "user_id", "calendar_id", "team_lead__agent__calendar_id"
        ):
            self._team[user_id] = rows.get(own or lead)
        for user_id in todo:
            self._team.setdefault(user_id, None)

    def for_clock(self, tier: int, user=None, user_id: int | None = None) -> Calendar:
        """The calendar a tier's clock runs on for this assignee (a loaded user, or an id given to load_people)."""
        name = (self.tiers.get(tier) or {}).get("calendar")
        if name:
            named = self._named(name)
            if named is not None:
                return named
        row = team_calendar(user) if user is not None else self._team.get(user_id)
        return self._clock(row) if row is not None else ALWAYS_OPEN

    def times(self, cal: Calendar, start: datetime, hours: float) -> tuple[datetime, datetime]:
        """(warning time, due time) of a clock of `hours` business hours started at `start`."""
        key = (cal, start, hours)
        if key not in self._memo:  # a nightly run opens thousands of clocks at the same moment
            self._memo[key] = (
                business_add(cal, start, hours * HOUR * WARN_SHARE),
                business_add(cal, start, hours * HOUR),
            )
        return self._memo[key]


def clock_book(policy: dict) -> ClockBook:
    return ClockBook(tiers={t["tier"]: t for t in policy["tiers"]})


def deliver_after(cal: Calendar, now: datetime) -> datetime | None:
    """None when `now` is a working moment on the calendar, else the next working moment."""
    moment = next_working_moment(cal, now)
    return None if moment <= now else moment


# --- pause and resume ----------------------------------------------------------------------------------------------


def clock_pause(wo: WorkOrder, *, by, now: datetime) -> list[str]:
    """Stop the clocks of a work order going to "waiting on customer"; returns the fields to save."""
    if wo.paused_at is not None:
        return []
    wo.paused_at = now
    SlaPause.objects.create(work_order=wo, started_at=now, started_by=by)
    return ["paused_at"]


def clock_resume(wo: WorkOrder, *, cal: Calendar, by, now: datetime) -> tuple[list[str], list]:
    """Restart the clocks with the business time they had left; returns (fields to save, timeline events)."""
    if wo.paused_at is None:
        return [], []
    paused_at, events = wo.paused_at, []
    fields = ["paused_at", "paused_seconds"]
    for clock in ("first_contact", "resolution"):
        if clock == "first_contact" and wo.first_contact_at is not None:
            continue
        due_field = f"{clock}_due_at"
        due = getattr(wo, due_field)
        moved = shift_for_pause(cal, due, paused_at, now)
        if moved != due:
            events.append(
                event_row(
                    wo,
                    by=by,
                    field=due_field,
                    before=due.isoformat(),
                    after=moved.isoformat(),
                    at=now,
                    note=gettext_noop("the clock stood still while waiting on the customer"),
                )
            )
            setattr(wo, due_field, moved)
            fields.append(due_field)
        warn_field = f"{clock}_warn_at"
        warn = getattr(wo, warn_field)
        if warn is not None:
            setattr(wo, warn_field, shift_for_pause(cal, warn, paused_at, now))
            fields.append(warn_field)
    SlaPause.objects.filter(work_order=wo, ended_at__isnull=True).update(
        ended_at=now, business_seconds=int(business_seconds(cal, paused_at, now))
    )
    wo.paused_seconds += int((now - paused_at).total_seconds())
    wo.paused_at = None
    return fields, events


# --- calendars -----------------------------------------------------------------------------------------------------


def problem_text(message: str) -> str:
    """A business-time problem in the language of the request (the pure module keeps English and a template)."""
    if isinstance(message, Problem):
        return gettext(message.template) % message.params
    return message


def calendar_check(*, name: str, timezone: str, hours) -> None:
    errors = [] if name and name.strip() else [("name", gettext("a calendar needs a name"))]
    _cal, problems = validate_calendar(timezone, hours)
    if errors or problems:
        raise CalendarInputError(errors + [(field, problem_text(message)) for field, message in problems])


@transaction.atomic
def calendar_save(
    *, name: str, timezone: str, hours: dict, calendar: BusinessCalendar | None = None
) -> BusinessCalendar:
    """Create or change a calendar; refuses a bad time zone or overlapping intervals, naming the field."""
    calendar_check(name=name, timezone=timezone, hours=hours)
    calendar = calendar or BusinessCalendar()
    calendar.name, calendar.timezone, calendar.hours = name.strip(), timezone, hours
    calendar.save()
    return calendar


def parse_holidays(text: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """Lines of `YYYY-MM-DD[,name]` (a CSV or a pasted list); (holidays, errors naming each bad line)."""
    holidays, errors = [], []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            errors.append(
                (
                    gettext("holidays line %(number)s") % {"number": number},
                    gettext("%(text)s is not a date YYYY-MM-DD") % {"text": repr(row[0].strip())},
                )
            )
            continue
        holidays.append({"date": day.isoformat(), "name": ",".join(row[1:]).strip()[:80]})
    return holidays, errors


@transaction.atomic
def calendar_holidays_import(*, calendar: BusinessCalendar, text: str) -> int:
    """Add a list of holidays to a calendar (all or nothing); a date already there keeps its name.

    Returns how many dates were new. Clocks already running keep their due times; new clocks count the holidays.
    """
    holidays, errors = parse_holidays(text)
    if errors:
        raise CalendarInputError(errors)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    known = {h["date"]: h for h in calendar.holidays}
    added = 0
    for h in holidays:
        if h["date"] not in known:
            known[h["date"]] = h
            added += 1
    calendar.holidays = sorted(known.values(), key=lambda h: h["date"])
    calendar.save(update_fields=["holidays", "updated_at"])
    return added


def pause_total(wo: WorkOrder, now: datetime) -> timedelta:
    """Wall-clock time spent waiting on the customer, the running pause included."""
    running = (now - wo.paused_at) if wo.paused_at else timedelta(0)
    return timedelta(seconds=wo.paused_seconds) + running
