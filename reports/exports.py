"""The report as CSV: one row per figure (week, section, group, metric, value), for any number of weeks."""

import csv
import io

SECTIONS = ("alerts", "work_orders", "sla", "first_contact_hours", "outcomes", "cohorts", "lead_time", "value",
            "health")
HEADER = ("week", "section", "group", "metric", "value")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{round(value, 6):g}" if abs(value) < 1e15 else f"{value:.0f}"
    return str(value)


def _walk(path: list[str], value, out: list[tuple[list[str], object]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _walk([*path, str(key)], item, out)
    elif isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            key = "name" if "name" in value[0] else "as_of"  # drift features by name, retrain runs by date
            for item in value:
                _walk([*path, str(item.get(key))], {k: v for k, v in item.items() if k != key}, out)
        elif path[-1] != "days":  # per-churner lead times are in the page's histogram, not the CSV
            out.append((path, ";".join(str(v) for v in value)))
    else:
        out.append((path, value))


def flatten(data: dict) -> list[tuple[str, str, str, str]]:
    """(section, group, metric, value) rows of one report's figures."""
    rows = []
    for section in SECTIONS:
        found: list[tuple[list[str], object]] = []
        _walk([], data.get(section, {}), found)
        rows += [(section, "/".join(path[:-1]), path[-1], _cell(value)) for path, value in found]
    return rows


def report_csv(reports) -> str:
    """CSV of the given stored reports, oldest week first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for report in sorted(reports, key=lambda r: r.week_start):
        writer.writerows((report.week, *row) for row in flatten(report.data))
    return buffer.getvalue()
