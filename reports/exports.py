"""The report as CSV: one row per figure (week, section, group, metric, value), for any number of weeks.

The columns and the section/group/metric keys are for other systems and stay English; the definition column is
for people and is written in the active language.
"""

import csv
import io

from django.utils.translation import gettext

SECTIONS = (
    "alerts",
    "flow",
    "work_orders",
    "sla",
    "first_contact_hours",
    "outcomes",
    "cohorts",
    "fairness",
    "lead_time",
    "value",
    "health",
)
HEADER = ("week", "section", "group", "metric", "value", "definition")
# Lists kept for the page's charts, not figures: per-churner lead times, a drifting feature's histograms.
CHART_ONLY = {"days", "histogram"}


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
            if key in CHART_ONLY or key in ("definitions", "text_parts"):
                continue
            _walk([*path, str(key)], item, out)
    elif isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            key = next(k for k in ("name", "group", "as_of") if k in value[0])  # features, fairness groups, runs
            for item in value:
                _walk([*path, str(item.get(key))], {k: v for k, v in item.items() if k != key}, out)
        elif path[-1] not in CHART_ONLY:
            out.append((path, ";".join(str(v) for v in value)))
    else:
        out.append((path, value))


def _definition(section: str, path: list[str], definitions: dict) -> str:
    """The one-line definition of a flow figure (by tier too), else empty."""
    if section != "flow" or len(path) < 2:
        return ""
    definition = definitions.get(f"{path[0]}.{path[-1]}", "")
    return gettext(definition) if definition else ""


def flatten(data: dict) -> list[tuple[str, str, str, str, str]]:
    """(section, group, metric, value, definition) rows of one report's figures."""
    rows = []
    definitions = data.get("flow", {}).get("definitions", {})
    for section in SECTIONS:
        found: list[tuple[list[str], object]] = []
        _walk([], data.get(section, {}), found)
        rows += [
            (section, "/".join(path[:-1]), path[-1], _cell(value), _definition(section, path, definitions))
            for path, value in found
        ]
    return rows


def report_csv(reports) -> str:
    """CSV of the given stored reports, oldest week first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for report in sorted(reports, key=lambda r: r.week_start):
        writer.writerows((report.week, *row) for row in flatten(report.data))
    return buffer.getvalue()
