"""Pure parsing and validation of customer and event rows (CSV or JSON), plus CSV reading helpers.

Rows come in as ``(line, mapping)`` pairs: for CSV ``line`` is the file line number (header = line 1),
for the API it is the 0-based index in the payload. Values may be strings (CSV) or JSON-typed values.
Nothing here touches the database; references (owners, customers) are resolved in ``customers.services``.
"""

from .base import (
    CUSTOMER_FIELDS,
    CUSTOMER_REQUIRED,
    EVENT_FIELDS,
    EVENT_REQUIRED,
    CustomerRecord,
    EventRecord,
    ImportFileError,
    ImportValidationError,
    KeyIndex,
    Row,
    RowError,
    UnreadableRow,
    _Invalid,
)
from .csvfile import csv_rows, format_errors, parse_column_map
from .rows import derived_event_key, event_state, validate_customer_rows, validate_event_rows
from .values import (
    _RowChecker,
    parse_contract_date,
    parse_date,
    parse_datetime,
    parse_money,
    parse_number,
    parse_past_datetime,
    parse_text,
)

__all__ = [
    "CUSTOMER_FIELDS",
    "CUSTOMER_REQUIRED",
    "EVENT_FIELDS",
    "EVENT_REQUIRED",
    "CustomerRecord",
    "EventRecord",
    "ImportFileError",
    "ImportValidationError",
    "KeyIndex",
    "Row",
    "RowError",
    "UnreadableRow",
    "_Invalid",
    "_RowChecker",
    "csv_rows",
    "derived_event_key",
    "event_state",
    "format_errors",
    "parse_column_map",
    "parse_contract_date",
    "parse_date",
    "parse_datetime",
    "parse_money",
    "parse_number",
    "parse_past_datetime",
    "parse_text",
    "validate_customer_rows",
    "validate_event_rows",
]
