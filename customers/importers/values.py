"""Value parsers: each turns one raw value (CSV text or JSON) into a stored value or refuses it with a reason."""

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from churnops.text import text_problem

# --- value parsers -----------------------------------------------------------------------------------------------
from .base import MAX_YEAR, MIN_YEAR, RowError, UnreadableRow, _Invalid


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value, *, max_length):
    """Return a stripped string ('' for blank); numbers are accepted and converted."""
    if _blank(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(f"expected text, got {value!r}")
    text = str(value).strip()
    _check_storable(text)
    if len(text) > max_length:
        raise _Invalid(f"'{text[:20]}...' is longer than {max_length} characters")
    return text


def _check_storable(text: str) -> None:
    problem = text_problem(text)
    if problem:
        raise _Invalid(problem)


def parse_number(value):
    """Return a finite float, or None for blank."""
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise _Invalid(f"cannot parse '{value}' as a number") from None
    if not math.isfinite(number):
        raise _Invalid(f"'{value}' is not a finite number")
    return number


def parse_date(value):
    """Return a date from an ISO ``YYYY-MM-DD`` string (or a date), or None for blank."""
    if _blank(value):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (ValueError, OverflowError):
        raise _Invalid(f"cannot parse '{value}' as a date (expected YYYY-MM-DD)") from None


def parse_datetime(value):
    """Return an aware datetime from an ISO date or date-time, or None for blank.

    A date means midnight and a naive date-time is local time, both in settings.TIME_ZONE.
    """
    if _blank(value):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, datetime.min.time())
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except (ValueError, OverflowError):
            raise _Invalid(f"cannot parse '{value}' as a date/time") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise _Invalid(f"year {parsed.year} in '{value}' is outside {MIN_YEAR}..{MAX_YEAR}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.get_default_timezone())


def _attribute(value):
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"expected text, got {value!r}")
    text = str(value).strip()
    _check_storable(text)
    limit = settings.IMPORT_MAX_ATTRIBUTE_CHARS
    if len(text) > limit:
        raise _Invalid(f"attribute value of {len(text)} characters is longer than {limit}")
    return text


def parse_money(value):
    """A finite amount of money within 0..IMPORT_MAX_MONEY, or None for blank."""
    number = parse_number(value)
    if number is not None and not 0 <= number <= settings.IMPORT_MAX_MONEY:
        raise _Invalid(f"{value} is outside 0..{settings.IMPORT_MAX_MONEY:g}")
    return number


def parse_contract_date(value):
    """A contract date within IMPORT_CONTRACT_YEARS (a year 1 or 9999 contract is a typo, not a deal)."""
    parsed = parse_date(value)
    low, high = settings.IMPORT_CONTRACT_YEARS
    if parsed is not None and not low <= parsed.year <= high:
        raise _Invalid(f"year {parsed.year} is outside {low}..{high}")
    return parsed


def parse_past_datetime(value):
    """A date/time no later than IMPORT_FUTURE_DAYS from now (events and churn dates are things that happened)."""
    parsed = parse_datetime(value)
    latest = timezone.now() + timedelta(days=settings.IMPORT_FUTURE_DAYS)
    if parsed is not None and parsed > latest:
        raise _Invalid(f"{value} is more than {settings.IMPORT_FUTURE_DAYS} day(s) in the future")
    return parsed


# --- row validation ----------------------------------------------------------------------------------------------


class _RowChecker:
    """Collects field errors of one row while parsing its values."""

    def __init__(self, line, row):
        self.line, self.row, self.errors, self.shapeless = line, row, [], not isinstance(row, Mapping)
        if isinstance(row, UnreadableRow):
            self.row = {}
            self.fail("row", row.message)
        elif self.shapeless:  # reported once; get() then yields None for every field
            self.row = {}
            self.fail("row", f"expected an object with named fields, got {type(row).__name__}")
        elif row.get(None):  # csv.DictReader puts surplus values under the None key
            self.fail("row", f"has {len(row[None])} more value(s) than the header has columns")

    def fail(self, name, message):
        self.errors.append(RowError(self.line, name, message))

    def get(self, name, parser, *, required=False, **kwargs):
        if self.shapeless:
            return None
        value = self.row.get(name)
        if required and _blank(value):
            self.fail(name, "is required")
            return None
        try:
            return parser(value, **kwargs)
        except _Invalid as exc:
            self.fail(name, str(exc))
            return None
