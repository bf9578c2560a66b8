"""ISO weeks (Monday to Sunday) in the configured time zone: labels, bounds as aware datetimes."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week; `start`/`end` are the local midnights that open it and the next week."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> "IsoWeek":
        match = WEEK_RE.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not an ISO week like 2026-W47")
        year, week = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise ValueError(f"{year} has no week {week}") from exc
        return cls(year, week)

    @classmethod
    def of(cls, day: date) -> "IsoWeek":
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def last_completed(cls, now: datetime | None = None) -> "IsoWeek":
        """The latest week that has ended by `now` (on a Monday: the week that ended at midnight)."""
        today = timezone.localdate(now or timezone.now())
        return cls.of(today - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return local_midnight(self.monday)

    @property
    def end(self) -> datetime:
        """Exclusive end: the next Monday's midnight (so a DST week is 167 or 169 hours long)."""
        return local_midnight(self.monday + timedelta(days=7))

    @property
    def hours(self) -> float:
        """Real hours in the week (subtracting in UTC: same-zone datetimes subtract on the wall clock)."""
        return (self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() / 3600

    def shift(self, weeks: int) -> "IsoWeek":
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def previous(self, count: int) -> list["IsoWeek"]:
        """This week and the `count - 1` weeks before it, oldest first."""
        return [self.shift(-k) for k in range(count - 1, -1, -1)]


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
