"""The week's flow of alerts and work orders, counted so that it reconciles: what was open when the week began,
plus what opened in it, minus what closed in it, is what was open when it ended (and next week carries over).
Pure functions; every number has a one-line definition (shown on hover and written to the CSV), stored in English
and translated where it is shown.
"""

from dataclasses import dataclass
from datetime import datetime

from scoring.ml.text import gettext_noop

from .windows import in_window, utc


@dataclass(frozen=True)
class AlertSpan:
    """An alert's life: raised, closed (None while open), the most urgent tier it reached."""

    tier: int
    raised_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class WorkOrderSpan:
    """A work order's life and when the alert it came from was first raised (None: no alert)."""

    tier: int
    opened_at: datetime
    resolved_at: datetime | None
    alert_raised_at: datetime | None


DEFINITIONS = {
    "alerts.carried_over": gettext_noop("Alerts raised before the week that were still open when it began."),
    "alerts.opened": gettext_noop(
        "Alerts first raised during the week (re-scores of an open alert are not new alerts)."
    ),
    "alerts.closed": gettext_noop("Alerts closed during the week, whenever they were raised."),
    "alerts.open_at_end": gettext_noop("Alerts open when the week ended: carried over + opened − closed."),
    "work_orders.carried_over": gettext_noop("Work orders opened before the week that were still open when it began."),
    "work_orders.opened_from_new_alerts": gettext_noop(
        "Work orders opened during the week for alerts raised during the week."
    ),
    "work_orders.opened_from_earlier_alerts": gettext_noop(
        "Work orders opened during the week for alerts raised before it "
        "(e.g. escalated to a tier with human work, or freed capacity)."
    ),
    "work_orders.opened": gettext_noop(
        "All work orders opened during the week: from new alerts + from earlier alerts."
    ),
    "work_orders.resolved": gettext_noop("Work orders resolved during the week, whenever they were opened."),
    "work_orders.open_at_end": gettext_noop("Work orders open when the week ended: carried over + opened − resolved."),
}


def _open_at(start_ts: datetime, end_ts: datetime | None, moment: datetime) -> bool:
    """Open at `moment`: started before it and not yet ended."""
    return utc(start_ts) < utc(moment) and (end_ts is None or utc(end_ts) >= utc(moment))


def _alerts(rows: list[AlertSpan], start: datetime, end: datetime) -> dict:
    carried = sum(_open_at(a.raised_at, a.closed_at, start) for a in rows)
    opened = sum(in_window(a.raised_at, start, end) for a in rows)
    closed = sum(in_window(a.closed_at, start, end) for a in rows)
    return {"carried_over": carried, "opened": opened, "closed": closed, "open_at_end": carried + opened - closed}


def _work_orders(rows: list[WorkOrderSpan], start: datetime, end: datetime) -> dict:
    carried = sum(_open_at(w.opened_at, w.resolved_at, start) for w in rows)
    opened = [w for w in rows if in_window(w.opened_at, start, end)]
    from_new = sum(in_window(w.alert_raised_at, start, end) for w in opened)
    resolved = sum(in_window(w.resolved_at, start, end) for w in rows)
    return {
        "carried_over": carried,
        "opened_from_new_alerts": from_new,
        "opened_from_earlier_alerts": len(opened) - from_new,
        "opened": len(opened),
        "resolved": resolved,
        "open_at_end": carried + len(opened) - resolved,
    }


def flow_figures(
    alerts: list[AlertSpan],
    work_orders: list[WorkOrderSpan],
    start: datetime,
    end: datetime,
    *,
    tiers: list[int],
    work_tiers: list[int],
) -> dict:
    """Alerts and work orders carried over, opened, closed and open at the end; overall and by tier."""
    return {
        "alerts": {
            **_alerts(alerts, start, end),
            "by_tier": {str(t): _alerts([a for a in alerts if a.tier == t], start, end) for t in tiers},
        },
        "work_orders": {
            **_work_orders(work_orders, start, end),
            "by_tier": {str(t): _work_orders([w for w in work_orders if w.tier == t], start, end) for t in work_tiers},
        },
        "definitions": DEFINITIONS,
    }
