"""What the report page and e-mail show: headline figures, their 12-week trend and the charts.

Reads only stored report data (never live tables), so the page shows what was frozen for each week.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe

from . import charts
from .charts import OUTCOME_COLORS, TIER_COLORS, fmt
from .models import WeeklyReport
from .presenters_evidence import drift_evidence, fairness_tables, flow_tables, tier_uplift_rows
from .selectors import report_trend
from .weeks import IsoWeek

GROUP_COLORS = {"worked": "#2563eb", "control": "#f79009", "not_flagged": "#98a2b3", "flagged_other": "#7a5af8"}
GROUP_NAMES = {
    "worked": "Flagged and worked",
    "control": "Flagged, control (no work order)",
    "not_flagged": "Not flagged",
    "flagged_other": "Flagged, monitor only",
}
OUTCOME_PARTS = [
    ("retained", "Retained", OUTCOME_COLORS["retained"]),
    ("churned", "Churned", OUTCOME_COLORS["churned"]),
    ("unreachable", "Unreachable", OUTCOME_COLORS["unreachable"]),
    ("false_alarm", "False alarm", OUTCOME_COLORS["false_alarm"]),
]
DRIFT_ROWS = 12


def _get(data: dict, *path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _max_psi(data: dict):
    features = _get(data, "health", "drift", "features") or []
    return max((f["psi"] for f in features), default=None)


def _high_risk(data: dict):
    parts = _get(data, "alerts", "high_risk") or {}
    return sum(parts.values()) if parts else None


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    path: tuple
    kind: str
    higher_is_better: bool | None = None


HEADLINES = (
    Headline("alerts", "Alerts raised", ("alerts", "raised"), "int"),
    Headline("high_risk", "High-risk alerts", (), "int"),
    Headline("high_rules", "… by the rules only", ("alerts", "high_risk", "rules_only"), "int"),
    Headline("high_model", "… by the model only", ("alerts", "high_risk", "model_only"), "int"),
    Headline("high_both", "… by both", ("alerts", "high_risk", "both"), "int"),
    Headline("opened", "Work orders opened", ("work_orders", "opened"), "int"),
    Headline("resolved", "Work orders resolved", ("work_orders", "resolved"), "int"),
    Headline("open", "Still open at week end", ("work_orders", "open_at_end"), "int"),
    Headline("breached", "SLA breaches", ("work_orders", "breached"), "int", False),
    Headline("fc_rate", "First contact within SLA", ("sla", "first_contact_rate"), "pct", True),
    Headline("res_rate", "Resolved within SLA", ("sla", "resolution_rate"), "pct", True),
    Headline("fc_median", "Median time to first contact", ("first_contact_hours", "median"), "hours", False),
    Headline("fc_p90", "p90 time to first contact", ("first_contact_hours", "p90"), "hours", False),
    Headline("save_rate", "Save rate", ("outcomes", "total", "save_rate"), "pct", True),
    Headline("retained", "Retained", ("outcomes", "total", "retained"), "int", True),
    Headline("churned", "Churned (outcome)", ("outcomes", "total", "churned"), "int", False),
    Headline("churn_worked", "Churn, flagged and worked", ("cohorts", "worked", "rate"), "pct1", False),
    Headline("churn_control", "Churn, flagged control", ("cohorts", "control", "rate"), "pct1"),
    Headline("churn_not_flagged", "Churn, not flagged", ("cohorts", "not_flagged", "rate"), "pct1"),
    Headline("uplift", "Uplift (control − worked)", ("cohorts", "uplift", "difference"), "pp", True),
    Headline("return", "Return on the work (only when the uplift is real)", ("cohorts", "return", "ratio"), "x", True),
    Headline("lead_share", "Churners alerted ≥ 30 days ahead", ("lead_time", "share_ahead"), "pct", True),
    Headline("lead_median", "Median warning before churn", ("lead_time", "median_days"), "days", True),
    Headline("ltv", "LTV retained", ("value", "ltv_retained"), "money", True),
    Headline("cost", "Cost of the work", ("value", "work_cost"), "money"),
    Headline("auc", "Realised ROC AUC", ("health", "performance", "roc_auc"), "f3", True),
    Headline("precision", "Realised high-risk precision", ("health", "performance", "precision"), "pct", True),
    Headline("max_psi", "Largest feature PSI", (), "f2", False),
    Headline("score_psi", "Score PSI", ("health", "drift", "score_psi"), "f2", False),
)
KPI_KEYS = ("alerts", "opened", "fc_rate", "fc_median", "save_rate", "ltv", "lead_share", "auc")


def headline_value(data: dict | None, h: Headline):
    if data is None:
        return None
    if h.key == "max_psi":
        return _max_psi(data)
    if h.key == "high_risk":
        return _high_risk(data)
    return _get(data, *h.path)


def period_text(week: IsoWeek) -> str:
    start, end = week.monday, week.sunday
    left = date_format(start, "j M" if start.year == end.year else "j M Y")
    return f"{left} – {date_format(end, 'j M Y')}"


def _delta(h: Headline, now, before) -> dict | None:
    if now is None or before is None or now == before:
        return None
    diff = now - before
    text = {
        "pct": f"{diff * 100:+.0f} pp",
        "pct1": f"{diff * 100:+.1f} pp",
        "pp": f"{diff * 100:+.1f} pp",
        "f3": f"{diff:+.3f}",
        "f2": f"{diff:+.2f}",
    }.get(h.kind)
    if text is None:
        text = ("+" if diff > 0 else "−") + fmt(abs(diff), h.kind)
    tone = "" if h.higher_is_better is None else ("good" if (diff > 0) == h.higher_is_better else "bad")
    return {"text": text, "tone": tone}


def _kpis(data: dict, previous: dict | None) -> list[dict]:
    by_key = {h.key: h for h in HEADLINES}
    out = []
    for key in KPI_KEYS:
        h = by_key[key]
        value = headline_value(data, h)
        out.append(
            {"label": h.label, "value": fmt(value, h.kind), "delta": _delta(h, value, headline_value(previous, h))}
        )
    return out


def _trend_table(weeks: list[IsoWeek], datas: list[dict | None]) -> list[dict]:
    return [
        {"label": h.label, "cells": [fmt(headline_value(d, h), h.kind) if d else "" for d in datas]} for h in HEADLINES
    ]


def _series(datas, path, name, color, **extra) -> dict:
    return {"name": name, "color": color, "values": [_get(d, *path) if d else None for d in datas], **extra}


def _trend_charts(labels: list[str], datas: list[dict | None], tiers: list[dict]) -> dict:
    tier_series = [
        {
            "name": f"Tier {t['tier']} {t['name']}",
            "color": TIER_COLORS.get(t["tier"], "#667085"),
            "values": [_get(d, "alerts", "by_tier", str(t["tier"])) if d else None for d in datas],
        }
        for t in tiers
    ]
    uplift = _series(
        datas,
        ("cohorts", "uplift", "difference"),
        "Uplift",
        "#2563eb",
        low=[_get(d, "cohorts", "uplift", "low") if d else None for d in datas],
        high=[_get(d, "cohorts", "uplift", "high") if d else None for d in datas],
    )
    score_psi = _series(datas, ("health", "drift", "score_psi"), "Score PSI", "#1f3a5f")
    alarm = (
        next(
            (
                _get(d, "health", "drift", "alarm") or _get(d, "health", "drift", "threshold")
                for d in reversed(datas)
                if d
            ),
            None,
        )
        or settings.REPORT_PSI_ALARM
    )
    psi_max = {"name": "Largest feature PSI", "color": "#7a5af8", "values": [_max_psi(d) if d else None for d in datas]}
    return {
        "alerts": charts.stacked_bars(labels, tier_series, label="Alerts raised per week by tier"),
        "sla": charts.line_chart(
            labels,
            [
                _series(datas, ("sla", "first_contact_rate"), "First contact", "#2563eb"),
                _series(datas, ("sla", "resolution_rate"), "Resolution", "#12b76a"),
            ],
            kind="pct",
            y_max=1.0,
            label="SLA compliance per week",
        ),
        "contact": charts.line_chart(
            labels,
            [
                _series(datas, ("first_contact_hours", "median"), "Median", "#1f3a5f"),
                _series(datas, ("first_contact_hours", "p90"), "p90", "#f79009", dashed=True),
            ],
            kind="hours",
            label="Hours to first contact per week",
        ),
        "save": charts.line_chart(
            labels,
            [
                _series(datas, ("outcomes", "total", "save_rate"), "Save rate", "#12b76a"),
                _series(datas, ("lead_time", "share_ahead"), "Alerted ≥ 30 days ahead", "#7a5af8"),
            ],
            kind="pct",
            y_max=1.0,
            label="Save rate and early-warning share per week",
        ),
        "churn": charts.line_chart(
            labels,
            [
                _series(datas, ("cohorts", g, "rate"), GROUP_NAMES[g], GROUP_COLORS[g])
                for g in ("worked", "control", "not_flagged")
            ],
            kind="pct",
            label="Churn rate by group per week (trailing horizon)",
        ),
        "uplift_trend": charts.line_chart(
            labels,
            [uplift],
            kind="pp",
            y_min=None,
            threshold=0.0,
            threshold_label="0",
            label="Uplift with its 95% interval per week",
            height=170,
        ),
        "value": charts.line_chart(
            labels,
            [
                _series(datas, ("value", "ltv_retained"), "LTV retained", "#12b76a"),
                _series(datas, ("value", "work_cost"), "Cost of the work", "#f04438", dashed=True),
            ],
            kind="money",
            label="LTV retained and cost of the work per week",
        ),
        "auc": charts.line_chart(
            labels,
            [
                _series(datas, ("health", "performance", "roc_auc"), "Realised ROC AUC", "#1f3a5f"),
                _series(
                    datas, ("health", "performance", "validation_roc_auc"), "Validation ROC AUC", "#98a2b3", dashed=True
                ),
            ],
            kind="f2",
            y_min=0.5,
            y_max=1.0,
            label="Realised vs validation ROC AUC",
        ),
        "psi": charts.line_chart(
            labels,
            [psi_max, score_psi],
            kind="f2",
            threshold=alarm,
            threshold_label=f"{alarm:g} alarm",
            label="Largest feature PSI per week",
        ),
    }


def _tier_name(tiers: list[dict], tier: str) -> str:
    name = next((t["name"] for t in tiers if str(t["tier"]) == tier), "")
    return f"Tier {tier} {name}".strip()


def _week_charts(data: dict) -> dict:
    tiers = data["tiers"]
    work = [t for t in tiers if t["creates_work_order"]]
    cohorts = data["cohorts"]
    drift = data["health"]["drift"]
    bar = data["lead_time"]["bar_days"]
    out = {
        "alerts_by_tier": charts.hbars(
            [
                {
                    "label": _tier_name(tiers, str(t["tier"])),
                    "value": data["alerts"]["by_tier"].get(str(t["tier"]), 0),
                    "color": TIER_COLORS.get(t["tier"]),
                }
                for t in tiers
            ],
            kind="int",
            label="Alerts raised by tier",
        ),
        "sla_by_tier": charts.hbars(
            [
                row
                for t in work
                for row in (
                    {
                        "label": f"{_tier_name(tiers, str(t['tier']))} · contact",
                        "color": TIER_COLORS.get(t["tier"]),
                        "value": data["sla"]["by_tier"][str(t["tier"])]["first_contact_rate"],
                        "note": f"of {data['sla']['by_tier'][str(t['tier'])]['first_contact_due']}",
                    },
                    {
                        "label": "resolution",
                        "color": TIER_COLORS.get(t["tier"]),
                        "value": data["sla"]["by_tier"][str(t["tier"])]["resolution_rate"],
                        "note": f"of {data['sla']['by_tier'][str(t['tier'])]['resolution_due']}",
                    },
                )
            ],
            kind="pct",
            max_value=1.0,
            label="SLA compliance by tier",
            label_width=190,
        ),
        "outcomes_by_tier": charts.stacked_share_bars(
            [
                {"label": _tier_name(tiers, str(t["tier"])), "counts": data["outcomes"]["by_tier"][str(t["tier"])]}
                for t in work
            ],
            OUTCOME_PARTS,
            label="Outcomes by tier",
        ),
        "groups": charts.interval_chart(
            [
                {
                    "label": GROUP_NAMES[g].replace(" (no work order)", ""),
                    "value": cohorts[g]["rate"],
                    "low": cohorts[g]["low"],
                    "high": cohorts[g]["high"],
                    "color": GROUP_COLORS[g],
                    "note": f"{cohorts[g]['churned']} of {cohorts[g]['n']}",
                }
                for g in ("worked", "control", "flagged_other", "not_flagged")
            ],
            label="Churn rate by group with 95% intervals",
            label_width=170,
        ),
        "uplift": charts.interval_chart(
            [
                {
                    "label": "Control − worked",
                    "value": cohorts["uplift"]["difference"],
                    "low": cohorts["uplift"]["low"],
                    "high": cohorts["uplift"]["high"],
                    "color": "#2563eb",
                }
            ],
            zero_line=True,
            label="Uplift with its 95% interval",
            label_width=170,
            row_height=40,
        ),
        "value_by_tier": charts.hbars(
            [
                row
                for t in work
                for row in (
                    {
                        "label": f"{_tier_name(tiers, str(t['tier']))} · LTV retained",
                        "color": "#12b76a",
                        "value": data["value"]["by_tier"][str(t["tier"])]["ltv_retained"],
                        "note": f"{data['value']['by_tier'][str(t['tier'])]['retained']} kept",
                    },
                    {
                        "label": "cost of the work",
                        "color": "#f04438",
                        "value": data["value"]["by_tier"][str(t["tier"])]["work_cost"],
                        "note": f"{data['value']['by_tier'][str(t['tier'])]['resolved']} resolved",
                    },
                )
            ],
            kind="money",
            label="LTV retained and cost of the work by tier",
            label_width=220,
        ),
        "lead_time": charts.histogram(
            data["lead_time"]["days"],
            bin_width=bar / 3,
            marker=bar,
            marker_label=f"{bar} days",
            label="Days from first alert to churn",
        ),
    }
    if drift["available"]:
        rows = [
            {"label": f["name"], "value": f["psi"], "color": "#d92d20" if f["is_flagged"] else "#7a5af8"}
            for f in drift["features"][:DRIFT_ROWS]
        ]
        rows.append(
            {
                "label": "score",
                "value": drift["score_psi"],
                "color": "#d92d20" if drift["is_score_flagged"] else "#1f3a5f",
            }
        )
        out["drift"] = charts.hbars(
            rows,
            kind="f2",
            threshold=drift["threshold"],
            threshold_label="alarm",
            max_value=max([drift["threshold"] * 1.5, *(r["value"] for r in rows)]) * 1.05,
            label="PSI by feature vs training data",
            label_width=190,
            row_height=22,
        )
    return out


def _breakdown(rows: dict, label) -> list[dict]:
    return [{"label": label(key), **counts} for key, counts in rows.items()]


def week_context(report: WeeklyReport) -> dict:
    """Everything the page and the e-mail render for one stored week."""
    week = IsoWeek.parse(report.week)
    trend = report_trend(week, settings.REPORT_TREND_WEEKS)
    datas = [r.data if r else None for _, r in trend]
    previous = datas[-2] if len(datas) > 1 else None
    data = report.data
    labels = [f"W{w.week:02d}" for w, _ in trend]
    svg = {
        k: mark_safe(v)  # noqa: S308 - our own SVG, built from escaped text
        for k, v in {**_trend_charts(labels, datas, data["tiers"]), **_week_charts(data)}.items()
    }
    tiers = data["tiers"]

    def tier_name(key: str) -> str:
        return _tier_name(tiers, key)

    evidence = drift_evidence(data)
    return {
        "flow": flow_tables(data, tier_name),
        "fairness": fairness_tables(data),
        "tier_uplift": tier_uplift_rows(data, tier_name),
        "drift_evidence": evidence,
        "drift_alarms": [f for f in evidence if f["is_alarm"]],
        "report": report,
        "data": data,
        "week": week,
        "period": period_text(week),
        "kpis": _kpis(data, previous),
        "charts": svg,
        "trend_weeks": [{"label": f"W{w.week:02d}", "week": str(w), "is_built": r is not None} for w, r in trend],
        "trend_rows": _trend_table([w for w, _ in trend], datas),
        "this_week": [
            {
                "label": h.label,
                "value": fmt(headline_value(data, h), h.kind),
                "previous": fmt(headline_value(previous, h), h.kind) if previous else "",
            }
            for h in HEADLINES
        ],
        "outcome_tiers": _breakdown(data["outcomes"]["by_tier"], lambda k: _tier_name(tiers, k)),
        "outcome_reasons": [r for r in _breakdown(data["outcomes"]["by_reason"], str.capitalize) if r["total"]],
        "outcome_assignees": _breakdown(data["outcomes"]["by_assignee"], str),
        "work_tiers": [
            {
                "label": _tier_name(tiers, k),
                **v,
                **data["sla"]["by_tier"][k],
                "contact": data["first_contact_hours"]["by_tier"][k],
            }
            for k, v in data["work_orders"]["by_tier"].items()
        ],
        "tier_costs": ", ".join(
            f"tier {t['tier']} {t['expected_cost']:,.0f}" for t in tiers if t["creates_work_order"]
        ),
        "tier_legend": [
            {"name": f"Tier {t['tier']} {t['name']}", "color": TIER_COLORS.get(t["tier"], "#667085")} for t in tiers
        ],
    }
