"""Import commands; ``run_import`` is the CSV plumbing they share."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from customers.importers import ImportFileError, ImportValidationError, csv_rows, format_errors, parse_column_map


def add_import_arguments(parser) -> None:
    """The arguments every CSV import takes: the file, --skip-invalid and --map ours=theirs."""
    parser.add_argument("path", help="CSV file (UTF-8)")
    parser.add_argument("--skip-invalid", action="store_true", help="import the valid rows, warn about the rest")
    parser.add_argument(
        "--map",
        dest="column_map",
        action="append",
        default=[],
        metavar="OURS=THEIRS",
        help="read the file column THEIRS as our column OURS (repeatable)",
    )


def run_import(command, path, *, required, column_map, upsert, constants=None):
    """Open ``path``, check its header, run ``upsert(rows)`` and report errors on the command's stderr.

    Raises CommandError for an unreadable file, a bad header or (without skipping) invalid rows.
    """
    path = Path(path)
    if not path.is_file():
        raise CommandError(_("%(path)s: no such file") % {"path": path})
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = csv_rows(fh, required=required, renames=parse_column_map(column_map), constants=constants)
            result = upsert(rows)
    except ImportFileError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(
            _("%(path)s: not valid UTF-8 text (%(reason)s at byte %(start)s)")
            % {"path": path, "reason": exc.reason, "start": exc.start}
        ) from exc
    except ImportValidationError as exc:
        for line in format_errors(exc.errors):
            command.stderr.write(line)
        invalid = len({error.line for error in exc.errors})
        raise CommandError(
            _("%(path)s: %(invalid)s invalid row(s); nothing was imported") % {"path": path, "invalid": invalid}
        ) from exc
    for line in format_errors(result.errors):
        command.stderr.write(command.style.WARNING(_("skipped: %(line)s") % {"line": line}))
    return result
