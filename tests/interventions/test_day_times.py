"""The queue's due times: formatted per page with the names read once, the same text as Django's dateformat."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, translation

from interventions.presenters import DayTimes

MOMENTS = [datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(hours=7 * k, minutes=13 * k) for k in range(60)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai", "UTC", "America/New_York"])
def test_due_times_read_as_djangos_dateformat_writes_them(language, zone):
    # given a page in a language and a time zone, and moments across a daylight-saving change and month ends
    tz = ZoneInfo(zone)
    with translation.override(language):
        day_time = DayTimes(tz)
        formats = (translation.gettext("D j M Y, H:i T"), translation.gettext("D j M, H:i T"))

        # when each is formatted for the queue
        fast = [day_time(m) for m in MOMENTS]
        slow = [tuple(dateformat.format(m.astimezone(tz), f) for f in formats) for m in MOMENTS]

    # then the text is Django's, letter for letter (the fast path is the one taken)
    assert day_time.fast
    assert fast == slow


def test_a_format_with_another_letter_falls_back_to_dateformat():
    # given a translation whose format uses a letter the fast path does not know (l: the weekday's full name)
    day_time = DayTimes(ZoneInfo("Europe/Berlin"))
    day_time.formats = ("l j F Y, H:i T", "l j F, H:i T")
    day_time.fast = DayTimes.knows(day_time.formats)
    assert not day_time.fast
    assert DayTimes.knows(("Y年n月j日 D H:i T",))

    # then the text still comes out, from dateformat
    assert day_time(datetime(2026, 12, 3, 13, 0, tzinfo=UTC)) == (
        "Thursday 3 December 2026, 14:00 CET",
        "Thursday 3 December, 14:00 CET",
    )
