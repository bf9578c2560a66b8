"""Date helpers for scoring tests that build no data (rows come from tests.factories)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def every(start: date, end: date, step_days: int) -> list[date]:
    out, d = [], start
    while d <= end:
        out.append(d)
        d += timedelta(days=step_days)
    return out
