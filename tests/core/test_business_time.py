"""Due times on a working calendar: the one pure function behind every SLA clock."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from churnops.core.business_time import (
    ALWAYS_OPEN,
    CalendarError,
    business_add,
    business_seconds,
    is_working,
    next_working_moment,
    shift_for_pause,
    validate_calendar,
)

HOUR = 3600
NINE_TO_FIVE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def calendar(tz="UTC", hours=None, holidays=()):
    cal, errors = validate_calendar(tz, NINE_TO_FIVE if hours is None else hours)
    assert errors == []
    return type(cal)(tz=cal.tz, week=cal.week, holidays=frozenset(holidays))


def at(*args, tz="UTC"):
    return datetime(*args, tzinfo=ZoneInfo(tz))


def test_friday_five_pm_plus_24_business_hours_lands_on_wednesday_five_pm():
    # given 9-17 Monday to Friday; Friday 2026-01-09 17:00
    # when 24 business hours are added
    due = business_add(calendar(), at(2026, 1, 9, 17), 24 * HOUR)
    # then three working days later: Monday, Tuesday, Wednesday
    assert due == at(2026, 1, 14, 17)


def test_a_holiday_in_between_moves_the_due_time_a_day():
    cal = calendar(holidays={date(2026, 1, 12)})
    assert business_add(cal, at(2026, 1, 9, 17), 24 * HOUR) == at(2026, 1, 15, 17)


def test_a_clock_started_outside_hours_starts_at_the_next_opening():
    # Saturday 03:00 + 1 h -> Monday 10:00
    assert business_add(calendar(), at(2026, 1, 10, 3), HOUR) == at(2026, 1, 12, 10)


def test_the_default_calendar_runs_around_the_clock():
    start = at(2026, 1, 9, 17)
    assert business_add(ALWAYS_OPEN, start, 24 * HOUR) == at(2026, 1, 10, 17)
    assert business_seconds(ALWAYS_OPEN, start, start + timedelta(hours=5)) == 5 * HOUR


def test_several_intervals_a_day():
    cal = calendar(hours={"mon": [["09:00", "12:00"], ["13:00", "17:00"]]})
    # Monday 11:00 + 2 h: one hour before lunch, one after
    assert business_add(cal, at(2026, 1, 12, 11), 2 * HOUR) == at(2026, 1, 12, 14)
    assert business_seconds(cal, at(2026, 1, 12, 8), at(2026, 1, 12, 18)) == 7 * HOUR


def test_an_interval_crossing_midnight():
    # a night shift Friday 22:00 to Saturday 06:00
    cal = calendar(hours={"fri": [["22:00", "06:00"]]})
    assert business_add(cal, at(2026, 1, 9, 23), 3 * HOUR) == at(2026, 1, 10, 2)
    # Saturday 01:00 is inside Friday's shift
    assert is_working(cal, at(2026, 1, 10, 1))
    assert business_add(cal, at(2026, 1, 10, 5), 2 * HOUR) == at(2026, 1, 16, 23)


def test_a_holiday_removes_the_intervals_that_start_on_it():
    cal = calendar(hours={"fri": [["22:00", "06:00"]]}, holidays={date(2026, 1, 9)})
    assert not is_working(cal, at(2026, 1, 10, 1))
    assert next_working_moment(cal, at(2026, 1, 10, 1)) == at(2026, 1, 16, 22)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Europe/Berlin springs forward on Sunday 2026-03-29: the 9-17 hours stay 8 real hours a day
        (datetime(2026, 3, 27, 16, 0), 2, datetime(2026, 3, 30, 10, 0)),
        # and falls back on Sunday 2026-10-25
        (datetime(2026, 10, 23, 16, 0), 2, datetime(2026, 10, 26, 10, 0)),
    ],
)
def test_local_working_hours_across_dst_switches(start, hours, expected):
    tz = "Europe/Berlin"
    due = business_add(calendar(tz=tz), start.replace(tzinfo=ZoneInfo(tz)), hours * HOUR)
    assert due.astimezone(ZoneInfo(tz)).replace(tzinfo=None) == expected


def test_a_round_the_clock_calendar_has_a_23_hour_day_when_clocks_go_forward():
    tz = "Europe/Berlin"
    cal = calendar(tz=tz, hours={d: [["00:00", "00:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    sunday = at(2026, 3, 29, 0, tz=tz)
    assert business_seconds(cal, sunday, at(2026, 3, 30, 0, tz=tz)) == 23 * HOUR
    assert business_add(cal, sunday, 24 * HOUR) == at(2026, 3, 30, 1, tz=tz).astimezone(UTC)


def test_a_long_outage_of_holidays_is_skipped():
    # every working day of February and March off
    outage = {date(2026, 2, 1) + timedelta(days=i) for i in range(59)}
    assert business_add(calendar(holidays=outage), at(2026, 1, 30, 16), 2 * HOUR) == at(2026, 4, 1, 10)


def test_a_calendar_with_no_working_time_left_is_an_error_not_a_hang():
    cal = calendar(
        hours={"mon": [["09:00", "10:00"]]}, holidays={date(2026, 1, 5) + timedelta(weeks=i) for i in range(600)}
    )
    with pytest.raises(CalendarError):
        business_add(cal, at(2026, 1, 1), HOUR)


def test_pause_gives_back_the_business_time_left_when_it_started():
    cal = calendar()
    due = at(2026, 1, 14, 17)  # Wednesday 17:00
    # paused Monday 12:00 (left: Monday 5 h + Tuesday 8 h + Wednesday 8 h = 21 h), resumed Thursday 09:00
    assert business_seconds(cal, at(2026, 1, 12, 12), due) == 21 * HOUR
    assert shift_for_pause(cal, due, at(2026, 1, 12, 12), at(2026, 1, 15, 9)) == at(2026, 1, 19, 14)
    # a pause over a weekend only costs nothing when no working time passed
    assert shift_for_pause(cal, due, at(2026, 1, 10, 12), at(2026, 1, 11, 12)) == due
    # a deadline already passed when the pause began stays passed
    assert shift_for_pause(cal, due, at(2026, 1, 15, 9), at(2026, 1, 16, 9)) == due


@pytest.mark.parametrize(
    ("tz", "hours", "field"),
    [
        ("Mars/Olympus", NINE_TO_FIVE, "timezone"),
        ("UTC", {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "hours.mon[1]"),
        ("UTC", {"sun": [["20:00", "10:00"]], "mon": [["09:00", "17:00"]]}, "hours.mon[0]"),
        ("UTC", {"mon": [["9am", "17:00"]]}, "hours.mon[0]"),
        ("UTC", {"funday": [["09:00", "17:00"]]}, "hours"),
        ("UTC", {}, "hours"),
    ],
)
def test_bad_calendars_are_refused_with_the_field_named(tz, hours, field):
    cal, errors = validate_calendar(tz, hours)
    assert cal is None
    assert field in [f for f, _ in errors]


def test_valid_calendar_parses_times():
    cal, errors = validate_calendar("Asia/Shanghai", {"mon": [["13:00", "17:30"], ["08:30", "12:00"]]})
    assert errors == []
    assert cal.week[0] == ((time(8, 30), time(12)), (time(13), time(17, 30)))
