"""The weekly report's figures as pure functions: plain rows and window bounds in, plain dicts out.

No Django here: the selectors read the rows, these functions count. Every figure is decided by
timestamps inside the window [start, end), so a week's figures do not depend on when they are built.
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np

# The uplift section lives in reports.uplift; these names stay importable from here.
from .uplift import UPLIFT_MIN_GROUP as UPLIFT_MIN_GROUP  # noqa: I001
from .uplift import FlagFacts as FlagFacts
from .uplift import cohort_counts as cohort_counts
from .uplift import cohort_figures as cohort_figures
from .uplift import newcombe_interval as newcombe_interval
from .uplift import wilson_interval as wilson_interval
from .windows import in_window, share, utc

OUTCOMES = ("retained", "churned", "unreachable", "false_alarm")
# Save rate = retained / (retained + churned + unreachable); a false alarm was never at risk.
SAVE_DENOMINATOR = ("retained", "churned", "unreachable")


@dataclass(frozen=True)
class WorkOrderFacts:
    """What the report needs of one work order; first_contact_at comes from the first contact action."""

    id: int
    tier: int
    assignee: str
    opened_at: datetime
    first_contact_due_at: datetime
    resolution_due_at: datetime
    first_contact_at: datetime | None
    resolved_at: datetime | None
    outcome: str
    reason: str
    lifetime_value: float
    # Waiting on the customer now: the clocks stand still and their due times move on resume, so neither
    # deadline is due yet (finished pauses are already in the due times).
    paused_at: datetime | None = None
    offer_cost: float = 0.0  # cost of the offers of the kit given on this work order


@dataclass(frozen=True)
class AlertFacts:
    """An alert as it was raised: tier, model probability and rule verdict of its first score."""

    customer_id: int
    tier: int
    probability: float
    is_rule_high_risk: bool
    is_control: bool


def median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def percentile_nearest_rank(values: list[float], q: float) -> float | None:
    """The smallest observed value with at least q% of values at or below it (an actual case, not a blend)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def hours_between(a: datetime, b: datetime) -> float:
    return (utc(b) - utc(a)).total_seconds() / 3600


# --- alerts -------------------------------------------------------------------------------------


def alert_figures(alerts: list[AlertFacts], *, tiers: list[int], high_risk_tier: int, model_threshold: float) -> dict:
    """Alerts raised by tier, and the high-risk ones split by what made them high risk.

    High risk = the rules fired enough (is_rule_high_risk) or the model alone put the customer at
    `high_risk_tier` or above (probability >= that tier's threshold).
    """
    by_tier = Counter(a.tier for a in alerts)
    rules = [a.is_rule_high_risk for a in alerts]
    model = [a.probability >= model_threshold for a in alerts]
    return {
        "raised": len(alerts),
        "by_tier": {str(t): by_tier.get(t, 0) for t in tiers},
        "control": sum(a.is_control for a in alerts),
        "high_risk": {
            "rules_only": sum(r and not m for r, m in zip(rules, model, strict=True)),
            "model_only": sum(m and not r for r, m in zip(rules, model, strict=True)),
            "both": sum(r and m for r, m in zip(rules, model, strict=True)),
        },
        "high_risk_tier": high_risk_tier,
        "model_threshold": model_threshold,
    }


# --- work orders and SLA -------------------------------------------------------------------------


def _first_contact_met(wo: WorkOrderFacts) -> bool:
    """Contacted by the deadline; resolving before it (e.g. a false alarm) also stops the clock."""
    due = utc(wo.first_contact_due_at)
    return (wo.first_contact_at is not None and utc(wo.first_contact_at) <= due) or (
        wo.resolved_at is not None and utc(wo.resolved_at) <= due
    )


def _resolution_met(wo: WorkOrderFacts) -> bool:
    return wo.resolved_at is not None and utc(wo.resolved_at) <= utc(wo.resolution_due_at)


def _due_in(wo: WorkOrderFacts, due: datetime, start: datetime, end: datetime) -> bool:
    return wo.paused_at is None and in_window(due, start, end)


def _breached_in(wo: WorkOrderFacts, start: datetime, end: datetime) -> bool:
    """A deadline (first contact or resolution) fell in the window and was missed."""
    return (_due_in(wo, wo.first_contact_due_at, start, end) and not _first_contact_met(wo)) or (
        _due_in(wo, wo.resolution_due_at, start, end) and not _resolution_met(wo)
    )


def _work_counts(rows: list[WorkOrderFacts], start: datetime, end: datetime) -> dict:
    return {
        "opened": sum(in_window(w.opened_at, start, end) for w in rows),
        "resolved": sum(in_window(w.resolved_at, start, end) for w in rows),
        "open_at_end": sum(
            utc(w.opened_at) < utc(end) and (w.resolved_at is None or utc(w.resolved_at) >= utc(end)) for w in rows
        ),
        "breached": sum(_breached_in(w, start, end) for w in rows),
    }


def work_order_figures(rows: list[WorkOrderFacts], start: datetime, end: datetime, *, tiers: list[int]) -> dict:
    """Opened and resolved in the window, still open at its end, breached in it; overall and by tier."""
    return {
        **_work_counts(rows, start, end),
        "by_tier": {str(t): _work_counts([w for w in rows if w.tier == t], start, end) for t in tiers},
    }


def _sla(rows: list[WorkOrderFacts], start: datetime, end: datetime) -> dict:
    fc_due = [w for w in rows if _due_in(w, w.first_contact_due_at, start, end)]
    res_due = [w for w in rows if _due_in(w, w.resolution_due_at, start, end)]
    fc_met = sum(_first_contact_met(w) for w in fc_due)
    res_met = sum(_resolution_met(w) for w in res_due)
    return {
        "first_contact_due": len(fc_due),
        "first_contact_met": fc_met,
        "first_contact_rate": share(fc_met, len(fc_due)),
        "resolution_due": len(res_due),
        "resolution_met": res_met,
        "resolution_rate": share(res_met, len(res_due)),
    }


def sla_figures(rows: list[WorkOrderFacts], start: datetime, end: datetime, *, tiers: list[int]) -> dict:
    """SLA compliance of the deadlines that fell in the window: met / due, for first contact and resolution."""
    return {
        **_sla(rows, start, end),
        "by_tier": {str(t): _sla([w for w in rows if w.tier == t], start, end) for t in tiers},
    }


def _contact_hours(rows: list[WorkOrderFacts], start: datetime, end: datetime) -> dict:
    hours = [hours_between(w.opened_at, w.first_contact_at) for w in rows if in_window(w.first_contact_at, start, end)]
    return {"n": len(hours), "median": median(hours), "p90": percentile_nearest_rank(hours, 90)}


def first_contact_figures(rows: list[WorkOrderFacts], start: datetime, end: datetime, *, tiers: list[int]) -> dict:
    """Hours from opening to the first contact, for first contacts made in the window (median, p90)."""
    return {
        **_contact_hours(rows, start, end),
        "by_tier": {str(t): _contact_hours([w for w in rows if w.tier == t], start, end) for t in tiers},
    }


# --- outcomes and value ----------------------------------------------------------------------------


def outcome_counts(outcomes: list[str]) -> dict:
    counts = Counter(outcomes)
    out = {o: counts.get(o, 0) for o in OUTCOMES}
    out["total"] = len(outcomes)
    out["save_rate"] = share(out["retained"], sum(out[o] for o in SAVE_DENOMINATOR))
    return out


def outcome_figures(
    rows: list[WorkOrderFacts], start: datetime, end: datetime, *, tiers: list[int], reasons: list[str]
) -> dict:
    """Outcomes of the work orders resolved in the window: overall, by tier, by reason, by assignee."""
    done = [w for w in rows if in_window(w.resolved_at, start, end) and w.outcome]
    assignees = sorted({w.assignee for w in done})
    return {
        "total": outcome_counts([w.outcome for w in done]),
        "by_tier": {str(t): outcome_counts([w.outcome for w in done if w.tier == t]) for t in tiers},
        "by_reason": {r: outcome_counts([w.outcome for w in done if w.reason == r]) for r in reasons},
        "by_assignee": {a: outcome_counts([w.outcome for w in done if w.assignee == a]) for a in assignees},
    }


def _value(done: list[WorkOrderFacts], costs: dict[int, float]) -> dict:
    retained = [w for w in done if w.outcome == "retained"]
    ltv = sum(w.lifetime_value for w in retained)
    cost = sum(costs.get(w.tier, 0.0) + w.offer_cost for w in done)
    # No ratio of the two here: retained customers might have stayed anyway, so LTV / cost is not a return.
    # The return is stated only from the uplift against the control group (reports.uplift.return_figures).
    return {
        "ltv_retained": round(ltv, 2),
        "retained": len(retained),
        "work_cost": round(cost, 2),
        "resolved": len(done),
    }


def value_figures(
    rows: list[WorkOrderFacts], start: datetime, end: datetime, *, costs: dict[int, float], tiers: list[int]
) -> dict:
    """LTV of customers resolved as retained, and the cost of the work resolved (the policy's expected cost per work
    order plus the offers given); by tier too."""
    done = [w for w in rows if in_window(w.resolved_at, start, end) and w.outcome]
    return {**_value(done, costs), "by_tier": {str(t): _value([w for w in done if w.tier == t], costs) for t in tiers}}


# --- lead time ---------------------------------------------------------------------------------------


def lead_time_figures(churners: list[tuple[datetime, datetime | None]], *, bar_days: int) -> dict:
    """For each churner (churned_at, first alert before churn or None): days of warning.

    The share counts every churner in the denominator: one never alerted is one not alerted in time.
    """
    days = sorted((utc(churned) - utc(alerted)).total_seconds() / 86400 for churned, alerted in churners if alerted)
    ahead = sum(d >= bar_days for d in days)
    return {
        "churners": len(churners),
        "alerted": len(days),
        "alerted_ahead": ahead,
        "share_ahead": share(ahead, len(churners)),
        "median_days": median(days),
        "bar_days": bar_days,
        "days": [round(d, 2) for d in days],
    }
