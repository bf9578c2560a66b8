"""The shapes of an import: rows, records, the errors that name a line and field, and the key index that
catches duplicates across batches."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from churnops.core.errors import Refusal

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
        super().__init__(
            _("%(count)s invalid value(s); first: %(first)s") % {"count": len(self.errors), "first": self.errors[0]}
            if self.errors
            else _("invalid")
        )

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
