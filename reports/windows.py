"""Time windows and shares shared by the report's pure figures (no Django)."""

from datetime import UTC, datetime


def utc(ts: datetime) -> datetime:
    """Python compares and subtracts two datetimes of the same zone on the wall clock; in UTC it is real time."""
    return ts.astimezone(UTC)


def in_window(ts: datetime | None, start: datetime, end: datetime) -> bool:
    return ts is not None and utc(start) <= utc(ts) < utc(end)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
