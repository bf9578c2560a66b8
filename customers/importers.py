"""Pure parsing and validation of customer and event rows (CSV or JSON), plus CSV reading helpers.

Rows come in as ``(line, mapping)`` pairs: for CSV ``line`` is the file line number (header = line 1),
for the API it is the 0-based index in the payload. Values may be strings (CSV) or JSON-typed values.
Nothing here touches the database; references (owners, customers) are resolved in ``customers.services``.
"""

import csv
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TextIO

import numpy as np
from django.conf import settings
from django.utils import timezone

from churnops.core.errors import Refusal
from churnops.text import text_problem

from .choices import EVENT_KINDS, EventKind

Row = tuple[int, Mapping[str, Any]]

CUSTOMER_FIELDS = (
    "external_id", "name", "segment", "region", "owner",
    "lifetime_value", "contract_start", "contract_end", "churned_at",
)  # fmt: skip
CUSTOMER_REQUIRED = ("external_id",)
EVENT_FIELDS = ("customer_external_id", "kind", "occurred_at", "amount", "value", "external_id")
EVENT_REQUIRED = ("customer_external_id", "kind", "occurred_at")
MIN_YEAR, MAX_YEAR = 1900, 2100
SURVEY_RANGE = (0.0, 10.0)


@dataclass(frozen=True)
class RowError:
    """One problem with one field of one input row."""

    line: int
    field: str
    message: str

    def __str__(self):
        return f"line {self.line}: {self.field}: {self.message}"


class ImportValidationError(Refusal):
    """Some rows are invalid and nothing was written; ``errors`` lists every problem."""

    code = "invalid_rows"

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} invalid value(s); first: {self.errors[0]}" if self.errors else "invalid")

    def payload(self) -> dict:
        """The API's body beside detail and code: each problem with its row index, field and message."""
        return {"errors": [{"index": e.line, "field": e.field, "message": e.message} for e in self.errors]}


class ImportFileError(Exception):
    """The input file cannot be read as a CSV in the expected shape (missing file, header, columns)."""


@dataclass(frozen=True)
class UnreadableRow:
    """A CSV record the reader could not split into fields (a field over the size limit, broken quoting)."""

    message: str


class _Invalid(Exception):
    """Internal: one field value failed to parse; carries the message."""


@dataclass
class CustomerRecord:
    """A validated customer row. ``fields`` holds only the columns present in the input
    (``owner`` still as a username); ``attributes`` maps extra columns to a value, or None to remove the key."""

    line: int
    external_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str | None] = field(default_factory=dict)


@dataclass
class EventRecord:
    """A validated event row; ``external_id`` is the source id or a derived stable ``auto:`` id."""

    line: int
    customer_external_id: str
    kind: str
    occurred_at: datetime
    amount: float | None
    value: float | None
    external_id: str


class KeyIndex:
    """A dict of input keys (external ids) to a small integer (a line number, a count) that stays small in memory.

    Keys of the newest rows live in a plain dict; every RECENT_KEYS of them fold into two sorted numpy arrays of
    64-bit key digests and values (16 bytes a key instead of ~150 for a dict entry of a string), so remembering
    every external id of a million-row import costs ~16 MB. A digest collision (odds ~1e-8 at a million keys)
    would report a false duplicate, never miss a real one.
    """

    RECENT_KEYS = 50_000

    def __init__(self, default: int | None = None):
        self.default, self.recent = default, {}
        self.digests, self.values = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)

    @staticmethod
    def _digest(key) -> int:
        text = "\x1f".join(key) if isinstance(key, tuple) else key
        return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")

    def _position(self, key) -> int | None:
        if not len(self.digests):
            return None
        digest = np.uint64(self._digest(key))
        at = int(np.searchsorted(self.digests, digest))
        return at if at < len(self.digests) and self.digests[at] == digest else None

    def __contains__(self, key) -> bool:
        return key in self.recent or self._position(key) is not None

    def __getitem__(self, key) -> int:
        if key in self.recent:
            return self.recent[key]
        at = self._position(key)
        if at is not None:
            return int(self.values[at])
        if self.default is None:
            raise KeyError(key)
        return self.default

    def __setitem__(self, key, value: int) -> None:
        at = None if key in self.recent else self._position(key)
        if at is not None:
            self.values[at] = value
            return
        self.recent[key] = value
        if len(self.recent) >= self.RECENT_KEYS:
            self._fold()

    def _fold(self) -> None:
        digests = np.fromiter((self._digest(k) for k in self.recent), dtype=np.uint64, count=len(self.recent))
        values = np.fromiter(self.recent.values(), dtype=np.int64, count=len(self.recent))
        digests, values = np.concatenate([self.digests, digests]), np.concatenate([self.values, values])
        order = np.argsort(digests, kind="stable")
        self.digests, self.values, self.recent = digests[order], values[order], {}


# --- value parsers -----------------------------------------------------------------------------------------------


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


def _parse_lifetime_value(value):
    number = parse_number(value)
    if number is not None and number < 0:
        raise _Invalid(f"must be >= 0, got {value}")
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
        check.fail("contract_end", f"{end} is before contract_start {start}")
    return fields


def _customer_attributes(check):
    attributes = {}
    for key in check.row:
        if key is not None and key not in CUSTOMER_FIELDS:
            attributes[key] = check.get(key, _attribute)
    return attributes


def validate_customer_rows(rows: Iterable[Row], *, first_line: KeyIndex | None = None
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
            check.fail("external_id", f"duplicate '{external_id}' (first on line {first_line[external_id]})")
        elif external_id:
            first_line[external_id] = line
        errors.extend(check.errors)
        if not check.errors:
            records.append(CustomerRecord(line, external_id, fields, attributes))
    return records, errors


def _check_event_values(check, kind, amount, value):
    if amount is not None and amount < 0:
        check.fail("amount", f"must be >= 0, got {check.row['amount']}")
    if kind == EventKind.SURVEY:
        low, high = SURVEY_RANGE
        if value is None and "value" not in {e.field for e in check.errors}:
            check.fail("value", "is required for kind 'survey' (score 0-10)")
        elif value is not None and not low <= value <= high:
            check.fail("value", f"survey score must be within {low:g}..{high:g}, got {check.row['value']}")


def _parse_kind(value):
    kind = parse_text(value, max_length=20).lower()
    if kind not in EVENT_KINDS:
        raise _Invalid(f"unknown kind '{value}'; allowed: {', '.join(sorted(EVENT_KINDS))}")
    return kind


def _parse_event(line, row):
    check = _RowChecker(line, row)
    customer = check.get("customer_external_id", parse_text, required=True, max_length=64)
    kind = check.get("kind", _parse_kind, required=True)
    occurred_at = check.get("occurred_at", parse_past_datetime, required=True)
    amount, value = check.get("amount", parse_number), check.get("value", parse_number)
    if amount is not None and amount > settings.IMPORT_MAX_MONEY:
        check.fail("amount", f"{check.row['amount']} is more than {settings.IMPORT_MAX_MONEY:g}")
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


def validate_event_rows(rows: Iterable[Row], *, state: tuple[KeyIndex, KeyIndex] | None = None
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
                message = f"duplicate '{record.external_id}' for customer '{key[0]}' (first on line {first_line[key]})"
                row_errors, record = [RowError(line, "external_id", message)], None
            else:
                first_line[key] = line
        errors.extend(row_errors)
        if record:
            records.append(record)
    return records, errors


# --- CSV input ---------------------------------------------------------------------------------------------------


def parse_column_map(pairs: Iterable[str] | None) -> dict[str, str]:
    """Turn ``["ours=theirs", ...]`` into ``{"theirs": "ours"}`` (source column -> our column)."""
    renames = {}
    for pair in pairs or ():
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ImportFileError(f"bad column mapping '{pair}': expected ours=theirs, e.g. occurred_at=date")
        renames[theirs.strip()] = ours.strip()
    return renames


def _header(reader, renames, constants):
    source = [name.strip() for name in (reader.fieldnames or ())]
    if not source:
        raise ImportFileError("the file is empty: expected a header line")
    missing_sources = [theirs for theirs in renames if theirs not in source]
    if missing_sources:
        raise ImportFileError(f"mapped column(s) not in the header: {', '.join(missing_sources)}")
    header = [renames.get(name, name) for name in source]
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise ImportFileError(f"column(s) given more than once: {', '.join(duplicates)}")
    clashes = sorted(set(header) & set(constants))
    if clashes:
        raise ImportFileError(f"column(s) {', '.join(clashes)} in the file and also given as a fixed value")
    return header


def csv_rows(
    fh: TextIO, *, required: Iterable[str], renames: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
) -> Iterator[Row]:  # fmt: skip
    """Check the header of an open CSV file now, then stream ``(line, row)`` pairs.

    ``renames`` maps source column -> our column; ``constants`` adds fixed values for columns the file lacks.
    Raises ImportFileError for an empty file, unknown mapped columns or missing required columns.
    """
    renames, constants = dict(renames or {}), dict(constants or {})
    reader = csv.DictReader(fh)
    reader.fieldnames = _header(reader, renames, constants)
    missing = [name for name in required if name not in reader.fieldnames and name not in constants]
    if missing:
        raise ImportFileError(
            f"missing required column(s): {', '.join(missing)} (header has: {', '.join(reader.fieldnames)})"
        )
    return _records(reader, constants)


def _records(reader: csv.DictReader, constants: Mapping[str, str]) -> Iterator[Row]:
    """Stream the rows; a record the reader cannot split (a field over the limit) is a bad row of its line."""
    rows = iter(reader)
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            message = f"a field is larger than {limit // 1024} KB" if "field limit" in str(exc) else str(exc)
            yield first_line, UnreadableRow(message)
            continue
        yield reader.line_num, {**row, **constants}


def format_errors(errors: list[RowError], *, limit: int = 50) -> list[str]:
    """Human-readable error lines, at most ``limit`` of them plus an "... and N more" line."""
    lines = [str(error) for error in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return lines
