"""CSV input: a file read in streaming batches, its header mapped, its errors formatted by line."""

import csv
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO

from django.utils.translation import gettext as _

# --- CSV input ---------------------------------------------------------------------------------------------------
from .base import ImportFileError, Row, RowError, UnreadableRow


def parse_column_map(pairs: Iterable[str] | None) -> dict[str, str]:
    """Turn ``["ours=theirs", ...]`` into ``{"theirs": "ours"}`` (source column -> our column)."""
    renames = {}
    for pair in pairs or ():
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ImportFileError(
                _("bad column mapping '%(pair)s': expected ours=theirs, e.g. occurred_at=date") % {"pair": pair}
            )
        renames[theirs.strip()] = ours.strip()
    return renames


def _header(reader, renames, constants):
    source = [name.strip() for name in (reader.fieldnames or ())]
    if not source:
        raise ImportFileError(_("the file is empty: expected a header line"))
    missing_sources = [theirs for theirs in renames if theirs not in source]
    if missing_sources:
        raise ImportFileError(
            _("mapped column(s) not in the header: %(value)s") % {"value": ", ".join(missing_sources)}
        )
    header = [renames.get(name, name) for name in source]
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise ImportFileError(_("column(s) given more than once: %(value)s") % {"value": ", ".join(duplicates)})
    clashes = sorted(set(header) & set(constants))
    if clashes:
        raise ImportFileError(
            _("column(s) %(value)s in the file and also given as a fixed value") % {"value": ", ".join(clashes)}
        )
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
            _("missing required column(s): %(value)s (header has: %(header)s)")
            % {"value": ", ".join(missing), "header": ", ".join(reader.fieldnames)}
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
            message = (
                _("a field is larger than %(size)s KB") % {"size": limit // 1024}
                if "field limit" in str(exc)
                else str(exc)
            )
            yield first_line, UnreadableRow(message)
            continue
        yield reader.line_num, {**row, **constants}


def format_errors(errors: list[RowError], *, limit: int = 50) -> list[str]:
    """Human-readable error lines, at most ``limit`` of them plus an "... and N more" line."""
    lines = [str(error) for error in errors[:limit]]
    if len(errors) > limit:
        lines.append(_("... and %(count)s more") % {"count": len(errors) - limit})
    return lines
