"""Business time on a working calendar: when an SLA of N business hours falls due. Pure stdlib, no Django.

A calendar has a time zone, weekly working intervals in local time (several a day; an interval whose end is
not after its start runs past midnight into the next day, so 00:00-00:00 is a whole day) and holiday dates.
A holiday removes the intervals that *start* on it. Business time is real elapsed time inside working intervals:
on the day clocks go forward a 09:00-17:00 interval still holds 8 hours, a 00:00-00:00 one holds 23.

Every SLA due time in ChurnOps comes from `business_add`; pauses are measured with `business_seconds`.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = timedelta(days=1)
# How far ahead a clock may look for working time before the calendar is declared unusable (a calendar whose
# holidays cover ten years, or a clock of absurd length): an error instead of an endless loop.
MAX_SEARCH_DAYS = 3660


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalog (makemessages knows the name); this module stays Django-free."""
    return message


class Problem(str):
    """A message in English that keeps its template and values, so that a page can show it translated
    (`interventions.services.clocks.problem_text`)."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        problem = super().__new__(cls, template % params if params else template)
        problem.template, problem.params = template, params
        return problem


class CalendarError(ValueError):
    """A calendar that cannot be used: bad time zone, bad or overlapping intervals, no working time at all."""


@dataclass(frozen=True)
class Calendar:
    """A working calendar: zone name, intervals per weekday (0 = Monday) as (start, end) local times, holidays."""

    tz: str = "UTC"
    week: tuple[tuple[tuple[time, time], ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


ALWAYS_OPEN = Calendar(always_open=True)


def _parse_time(text, where: str, errors: list[tuple[str, str]]) -> time | None:
    try:
        hh, mm = str(text).split(":")
        if hh == "24" and mm == "00":
            return time(0)
        return time(int(hh), int(mm))
    except (ValueError, TypeError):
        errors.append((where, Problem(gettext_noop("%(text)s is not a time HH:MM"), text=repr(text))))
        return None


def _week_minutes(start: time, end: time) -> tuple[int, int]:
    s = start.hour * 60 + start.minute
    e = end.hour * 60 + end.minute
    return s, e if e > s else e + 24 * 60


def validate_calendar(tz: str, hours: dict) -> tuple[Calendar | None, list[tuple[str, str]]]:
    """Parse `hours` ({"mon": [["09:00", "17:00"], ...], ...}) in zone `tz`; (calendar, []) or (None, errors).

    Each error is (field, message) so that a form or serializer can name the field. Intervals may not overlap,
    including one running past midnight into the next day's first interval (Sunday wraps round to Monday).
    """
    errors: list[tuple[str, str]] = []
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        errors.append(("timezone", Problem(gettext_noop("unknown time zone %(zone)s"), zone=repr(tz))))
    if not isinstance(hours, dict):
        return None, [
            *errors,
            ("hours", Problem(gettext_noop("must map weekdays (mon … sun) to lists of [start, end] times"))),
        ]
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        errors.append(
            (
                "hours",
                Problem(
                    gettext_noop("unknown weekday(s) %(unknown)s (use %(known)s)"),
                    unknown=", ".join(map(str, unknown)),
                    known=", ".join(WEEKDAYS),
                ),
            )
        )
    week: list[tuple[tuple[time, time], ...]] = []
    spans: list[tuple[int, int, str]] = []  # minutes from Monday 00:00
    for d, name in enumerate(WEEKDAYS):
        day = []
        for i, pair in enumerate(hours.get(name) or []):
            where = f"hours.{name}[{i}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                errors.append((where, Problem(gettext_noop("must be a [start, end] pair"))))
                continue
            start, end = _parse_time(pair[0], where, errors), _parse_time(pair[1], where, errors)
            if start is None or end is None:
                continue
            day.append((start, end))
            s, e = _week_minutes(start, end)
            spans.append((d * 1440 + s, d * 1440 + e, where))
        week.append(tuple(sorted(day)))
    errors += _overlaps(spans)
    if not errors and not spans:
        errors.append(("hours", Problem(gettext_noop("a calendar needs at least one working interval"))))
    if errors:
        return None, errors
    return Calendar(tz=str(tz), week=tuple(week)), []


def _overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    # Sunday's late interval wraps into Monday: sweep the week twice so that the wrap is compared too.
    week = 7 * 1440
    ordered = sorted([*spans, *((s + week, e + week, w) for s, e, w in spans)])
    errors: set[tuple[str, str]] = set()
    reach, reach_where = -1, ""
    for s, e, where in ordered:
        if s < reach:
            errors.add((where, Problem(gettext_noop("overlaps %(other)s"), other=reach_where)))
        if e > reach:
            reach, reach_where = e, where
    return sorted(errors)


def _local(d: date, t: time, zone: ZoneInfo) -> datetime:
    """A local wall time as an aware UTC instant (a time skipped by DST maps to the instant after the jump)."""
    return datetime.combine(d, t, tzinfo=zone).astimezone(UTC)


def spans_from(cal: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (start, end) as UTC instants, in order, from the one containing `moment` (or the next)."""
    zone = cal.zone
    day = moment.astimezone(zone).date() - DAY  # yesterday's interval may run past midnight into today
    for _ in range(MAX_SEARCH_DAYS):
        if day not in cal.holidays:
            for start, end in cal.week[day.weekday()]:
                s = _local(day, start, zone)
                e = _local(day + DAY if end <= start else day, end, zone)
                if e > moment:
                    yield s, e
        day += DAY
    raise CalendarError(f"no working time within {MAX_SEARCH_DAYS} days of {moment:%Y-%m-%d}")


def business_add(cal: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of business time have passed since `start` (aware, UTC)."""
    start = start.astimezone(UTC)
    if cal.always_open:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    if remaining <= timedelta(0):
        return start
    for s, e in spans_from(cal, start):
        s = max(s, start)
        if remaining <= e - s:
            return s + remaining
        remaining -= e - s
    raise CalendarError("unreachable")  # spans_from raises first


def business_seconds(cal: Calendar, start: datetime, end: datetime) -> float:
    """Business seconds between two instants (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if cal.always_open:
        return (end - start).total_seconds()
    total = timedelta(0)
    for s, e in spans_from(cal, start):
        if s >= end:
            break
        total += min(e, end) - max(s, start)
    return total.total_seconds()


def is_working(cal: Calendar, moment: datetime) -> bool:
    return next_working_moment(cal, moment) == moment.astimezone(UTC)


def next_working_moment(cal: Calendar, moment: datetime) -> datetime:
    """`moment` itself when it is inside working hours, else the start of the next working interval."""
    moment = moment.astimezone(UTC)
    if cal.always_open:
        return moment
    s, _e = next(spans_from(cal, moment))
    return max(s, moment)


def shift_for_pause(cal: Calendar, due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A due time after a pause: the business time it still had left when paused, counted again from the resume.

    A deadline already passed when the clock paused stays where it was.
    """
    if due <= paused_at:
        return due
    return business_add(cal, resumed_at, business_seconds(cal, paused_at, due))
