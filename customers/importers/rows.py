"""Customer and event rows: each row validated field by field into a record, every problem named by line."""

import hashlib
from collections.abc import Iterable
from datetime import UTC
from functools import partial

from django.conf import settings
from django.utils.translation import gettext as _

from ..choices import EVENT_KINDS, EventKind
from .base import CUSTOMER_FIELDS, SURVEY_RANGE, CustomerRecord, EventRecord, KeyIndex, Row, RowError, _Invalid
from .values import (
    _attribute,
    _RowChecker,
    parse_contract_date,
    parse_money,
    parse_number,
    parse_past_datetime,
    parse_text,
)


def _parse_lifetime_value(value):
    number = parse_number(value)
    if number is not None and number < 0:
        raise _Invalid(_("must be >= 0, got %(value)s") % {"value": value})
    return parse_money(value) or 0.0


def _parse_owner(value):
    return parse_text(value, max_length=150) or None


_CUSTOMER_PARSERS = {
    "name": partial(parse_text, max_length=200),
    "segment": partial(parse_text, max_length=64),
    "region": partial(parse_text, max_length=64),
    "owner": _parse_owner,
    "lifetime_value": _parse_lifetime_value,
    "contract_start": parse_contract_date,
    "contract_end": parse_contract_date,
    "churned_at": parse_past_datetime,
}


def _customer_fields(check):
    fields = {name: check.get(name, parse) for name, parse in _CUSTOMER_PARSERS.items() if name in check.row}
    start, end = fields.get("contract_start"), fields.get("contract_end")
    if start and end and end < start:
        check.fail("contract_end", _("%(end)s is before contract_start %(start)s") % {"end": end, "start": start})
    return fields


def _customer_attributes(check):
    attributes = {}
    for key in check.row:
        if key is not None and key not in CUSTOMER_FIELDS:
            attributes[key] = check.get(key, _attribute)
    return attributes


def validate_customer_rows(
    rows: Iterable[Row], *, first_line: KeyIndex | None = None
) -> tuple[list[CustomerRecord], list[RowError]]:
    """Parse customer rows; return (records, errors). A repeated external_id is an error on the later line.

    `first_line` (external_id -> line) carries what earlier batches of the same input have seen.
    """
    records, errors = [], []
    first_line = KeyIndex() if first_line is None else first_line
    for line, row in rows:
        check = _RowChecker(line, row)
        external_id = check.get("external_id", parse_text, required=True, max_length=64)
        fields, attributes = _customer_fields(check), _customer_attributes(check)
        if external_id and external_id in first_line:
            check.fail(
                "external_id",
                _("duplicate '%(external_id)s' (first on line %(line)s)")
                % {"external_id": external_id, "line": first_line[external_id]},
            )
        elif external_id:
            first_line[external_id] = line
        errors.extend(check.errors)
        if not check.errors:
            records.append(CustomerRecord(line, external_id, fields, attributes))
    return records, errors


def _check_event_values(check, kind, amount, value):
    if amount is not None and amount < 0:
        check.fail("amount", _("must be >= 0, got %(value)s") % {"value": check.row["amount"]})
    if kind == EventKind.SURVEY:
        low, high = SURVEY_RANGE
        if value is None and "value" not in {e.field for e in check.errors}:
            check.fail("value", _("is required for kind 'survey' (score 0-10)"))
        elif value is not None and not low <= value <= high:
            check.fail(
                "value",
                _("survey score must be within %(low)s..%(high)s, got %(value)s")
                % {"low": format(low, "g"), "high": format(high, "g"), "value": check.row["value"]},
            )


def _parse_kind(value):
    kind = parse_text(value, max_length=20).lower()
    if kind not in EVENT_KINDS:
        raise _Invalid(
            _("unknown kind '%(value)s'; allowed: %(allowed)s")
            % {"value": value, "allowed": ", ".join(sorted(EVENT_KINDS))}
        )
    return kind


def _parse_event(line, row):
    check = _RowChecker(line, row)
    customer = check.get("customer_external_id", parse_text, required=True, max_length=64)
    kind = check.get("kind", _parse_kind, required=True)
    occurred_at = check.get("occurred_at", parse_past_datetime, required=True)
    amount, value = check.get("amount", parse_number), check.get("value", parse_number)
    if amount is not None and amount > settings.IMPORT_MAX_MONEY:
        check.fail(
            "amount",
            _("%(value)s is more than %(max)s")
            % {"value": check.row["amount"], "max": format(settings.IMPORT_MAX_MONEY, "g")},
        )
    external_id = check.get("external_id", parse_text, max_length=80)
    _check_event_values(check, kind, amount, value)
    if check.errors:
        return None, check.errors
    return EventRecord(line, customer, kind, occurred_at, amount, value, external_id), []


def derived_event_key(record: EventRecord) -> str:
    """Stable 32-hex digest of the normalized row (customer, kind, UTC instant, amount, value)."""
    parts = (
        record.customer_external_id,
        record.kind,
        record.occurred_at.astimezone(UTC).isoformat(),
        "" if record.amount is None else repr(record.amount),
        "" if record.value is None else repr(record.value),
    )
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:32]


def event_state() -> tuple[KeyIndex, KeyIndex]:
    """What event validation remembers across batches: identical-row counts and first lines of source ids."""
    return KeyIndex(default=0), KeyIndex()


def validate_event_rows(
    rows: Iterable[Row], *, state: tuple[KeyIndex, KeyIndex] | None = None
) -> tuple[list[EventRecord], list[RowError]]:
    """Parse event rows; return (records, errors).

    Rows without external_id get ``auto:<digest>#n`` where n counts identical earlier rows of this input, so
    identical rows stay distinct events and re-importing the same input yields the same ids.
    A repeated (customer, external_id) pair is an error on the later line. `state`
    carries what earlier batches of the same input have seen (see ``event_state``).
    """
    records, errors = [], []
    seen, first_line = state if state is not None else event_state()
    for line, row in rows:
        record, row_errors = _parse_event(line, row)
        if record and not record.external_id:
            digest = derived_event_key(record)
            record.external_id = f"auto:{digest}#{seen[digest]}"
            seen[digest] += 1
        elif record:
            key = (record.customer_external_id, record.external_id)
            if key in first_line:
                message = _("duplicate '%(external_id)s' for customer '%(customer)s' (first on line %(line)s)") % {
                    "external_id": record.external_id,
                    "customer": key[0],
                    "line": first_line[key],
                }
                row_errors, record = [RowError(line, "external_id", message)], None
            else:
                first_line[key] = line
        errors.extend(row_errors)
        if record:
            records.append(record)
    return records, errors
