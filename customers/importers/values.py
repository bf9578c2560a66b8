"""Value parsers: each turns one raw value (CSV text or JSON) into a stored value or refuses it with a reason."""

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

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
        raise _Invalid(_("expected text, got %(value)s") % {"value": repr(value)})
    text = str(value).strip()
    _check_storable(text)
    if len(text) > max_length:
        raise _Invalid(
            _("'%(text)s...' is longer than %(max_length)s characters") % {"text": text[:20], "max_length": max_length}
        )
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
        raise _Invalid(_("expected a number, got %(value)s") % {"value": repr(value)})
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise _Invalid(_("cannot parse '%(value)s' as a number") % {"value": value}) from None
    if not math.isfinite(number):
        raise _Invalid(_("'%(value)s' is not a finite number") % {"value": value})
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
        raise _Invalid(_("cannot parse '%(value)s' as a date (expected YYYY-MM-DD)") % {"value": value}) from None


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
            raise _Invalid(_("cannot parse '%(value)s' as a date/time") % {"value": value}) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise _Invalid(
            _("year %(year)s in '%(value)s' is outside %(low)s..%(high)s")
            % {"year": parsed.year, "value": value, "low": MIN_YEAR, "high": MAX_YEAR}
        )
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.get_default_timezone())


def _attribute(value):
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(_("expected text, got %(value)s") % {"value": repr(value)})
    text = str(value).strip()
    _check_storable(text)
    limit = settings.IMPORT_MAX_ATTRIBUTE_CHARS
    if len(text) > limit:
        raise _Invalid(
            _("attribute value of %(count)s characters is longer than %(limit)s") % {"count": len(text), "limit": limit}
        )
    return text


def parse_money(value):
    """A finite amount of money within 0..IMPORT_MAX_MONEY, or None for blank."""
    number = parse_number(value)
    if number is not None and not 0 <= number <= settings.IMPORT_MAX_MONEY:
        raise _Invalid(
            _("%(value)s is outside 0..%(max)s") % {"value": value, "max": format(settings.IMPORT_MAX_MONEY, "g")}
        )
    return number


def parse_contract_date(value):
    """A contract date within IMPORT_CONTRACT_YEARS (a year 1 or 9999 contract is a typo, not a deal)."""
    parsed = parse_date(value)
    low, high = settings.IMPORT_CONTRACT_YEARS
    if parsed is not None and not low <= parsed.year <= high:
        raise _Invalid(
            _("year %(year)s is outside %(low)s..%(high)s") % {"year": parsed.year, "low": low, "high": high}
        )
    return parsed


def parse_past_datetime(value):
    """A date/time no later than IMPORT_FUTURE_DAYS from now (events and churn dates are things that happened)."""
    parsed = parse_datetime(value)
    latest = timezone.now() + timedelta(days=settings.IMPORT_FUTURE_DAYS)
    if parsed is not None and parsed > latest:
        raise _Invalid(
            _("%(value)s is more than %(days)s day(s) in the future")
            % {"value": value, "days": settings.IMPORT_FUTURE_DAYS}
        )
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
            self.fail("row", _("expected an object with named fields, got %(type)s") % {"type": type(row).__name__})
        elif row.get(None):  # csv.DictReader puts surplus values under the None key
            self.fail("row", _("has %(count)s more value(s) than the header has columns") % {"count": len(row[None])})

    def fail(self, name, message):
        self.errors.append(RowError(self.line, name, message))

    def get(self, name, parser, *, required=False, **kwargs):
        if self.shapeless:
            return None
        value = self.row.get(name)
        if required and _blank(value):
            self.fail(name, _("is required"))
            return None
        try:
            return parser(value, **kwargs)
        except _Invalid as exc:
            self.fail(name, str(exc))
            return None
