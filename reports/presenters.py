"""What the report page and e-mail show: headline figures, their 12-week trend and the charts.

Reads only stored report data (never live tables), so the page shows what was frozen for each week.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interventions.choices import Reason

from .charts import TIER_COLORS, fmt
from .models import WeeklyReport
from .presenters_charts import _get, _high_risk, _max_psi, tier_name, trend_charts, week_charts
from .presenters_evidence import drift_evidence, fairness_tables, flow_tables, tier_uplift_rows
from .selectors import report_trend
from .weeks import IsoWeek
from .wording import localized


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    path: tuple
    kind: str
    higher_is_better: bool | None = None


HEADLINES = (
    Headline("alerts", _("Alerts raised"), ("alerts", "raised"), "int"),
    Headline("high_risk", _("High-risk alerts"), (), "int"),
    Headline("high_rules", _("… by the rules only"), ("alerts", "high_risk", "rules_only"), "int"),
    Headline("high_model", _("… by the model only"), ("alerts", "high_risk", "model_only"), "int"),
    Headline("high_both", _("… by both"), ("alerts", "high_risk", "both"), "int"),
    Headline("opened", _("Work orders opened"), ("work_orders", "opened"), "int"),
    Headline("resolved", _("Work orders resolved"), ("work_orders", "resolved"), "int"),
    Headline("open", _("Still open at week end"), ("work_orders", "open_at_end"), "int"),
    Headline("breached", _("SLA breaches"), ("work_orders", "breached"), "int", False),
    Headline("fc_rate", _("First contact within SLA"), ("sla", "first_contact_rate"), "pct", True),
    Headline("res_rate", _("Resolved within SLA"), ("sla", "resolution_rate"), "pct", True),
    Headline("fc_median", _("Median time to first contact"), ("first_contact_hours", "median"), "hours", False),
    Headline("fc_p90", _("p90 time to first contact"), ("first_contact_hours", "p90"), "hours", False),
    Headline("save_rate", _("Save rate"), ("outcomes", "total", "save_rate"), "pct", True),
    Headline("retained", _("Retained"), ("outcomes", "total", "retained"), "int", True),
    Headline("churned", _("Churned (outcome)"), ("outcomes", "total", "churned"), "int", False),
    Headline("churn_worked", _("Churn, flagged and worked"), ("cohorts", "worked", "rate"), "pct1", False),
    Headline("churn_control", _("Churn, flagged control"), ("cohorts", "control", "rate"), "pct1"),
    Headline("churn_not_flagged", _("Churn, not flagged"), ("cohorts", "not_flagged", "rate"), "pct1"),
    Headline("uplift", _("Uplift (control − worked)"), ("cohorts", "uplift", "difference"), "pp", True),
    Headline(
        "return", _("Return on the work (only when the uplift is real)"), ("cohorts", "return", "ratio"), "x", True
    ),
    Headline("lead_share", _("Churners alerted ≥ 30 days ahead"), ("lead_time", "share_ahead"), "pct", True),
    Headline("lead_median", _("Median warning before churn"), ("lead_time", "median_days"), "days", True),
    Headline("ltv", _("LTV retained"), ("value", "ltv_retained"), "money", True),
    Headline("cost", _("Cost of the work"), ("value", "work_cost"), "money"),
    Headline("auc", _("Realised ROC AUC"), ("health", "performance", "roc_auc"), "f3", True),
    Headline("precision", _("Realised high-risk precision"), ("health", "performance", "precision"), "pct", True),
    Headline("max_psi", _("Largest feature PSI"), (), "f2", False),
    Headline("score_psi", _("Score PSI"), ("health", "drift", "score_psi"), "f2", False),
)
REASON_LABELS = dict(Reason.choices)
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
    left = date_format(start, gettext("j M") if start.year == end.year else gettext("j M Y"))
    return f"{left} – {date_format(end, gettext('j M Y'))}"


def _delta(h: Headline, now, before) -> dict | None:
    if now is None or before is None or now == before:
        return None
    diff = now - before
    text = {
        "pct": gettext("%(points)s pp") % {"points": f"{diff * 100:+.0f}"},
        "pct1": gettext("%(points)s pp") % {"points": f"{diff * 100:+.1f}"},
        "pp": gettext("%(points)s pp") % {"points": f"{diff * 100:+.1f}"},
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


def _reason_label(reason: str) -> str:
    """An outcome reason's label in the reader's language (the workflow's Reason choices)."""
    return str(REASON_LABELS.get(reason, reason.capitalize()))


def _breakdown(rows: dict, label) -> list[dict]:
    return [{"label": label(key), **counts} for key, counts in rows.items()]


def week_context(report: WeeklyReport) -> dict:
    """Everything the page and the e-mail render for one stored week."""
    week = IsoWeek.parse(report.week)
    trend = report_trend(week, settings.REPORT_TREND_WEEKS)
    datas = [r.data if r else None for _w, r in trend]
    previous = datas[-2] if len(datas) > 1 else None
    data = localized(report.data)
    labels = [f"W{w.week:02d}" for w, _r in trend]
    svg = {
        k: mark_safe(v)  # noqa: S308 - our own SVG, built from escaped text
        for k, v in {**trend_charts(labels, datas, data["tiers"]), **week_charts(data)}.items()
    }
    tiers = data["tiers"]

    def named(key: str) -> str:
        return tier_name(tiers, key)

    evidence = drift_evidence(data)
    return {
        "flow": flow_tables(data, named),
        "fairness": fairness_tables(data),
        "tier_uplift": tier_uplift_rows(data, named),
        "drift_evidence": evidence,
        "drift_alarms": [f for f in evidence if f["is_alarm"]],
        "report": report,
        "data": data,
        "week": week,
        "period": period_text(week),
        "kpis": _kpis(data, previous),
        "charts": svg,
        "trend_weeks": [{"label": f"W{w.week:02d}", "week": str(w), "is_built": r is not None} for w, r in trend],
        "trend_rows": _trend_table([w for w, _r in trend], datas),
        "this_week": [
            {
                "label": h.label,
                "value": fmt(headline_value(data, h), h.kind),
                "previous": fmt(headline_value(previous, h), h.kind) if previous else "",
            }
            for h in HEADLINES
        ],
        "outcome_tiers": _breakdown(data["outcomes"]["by_tier"], lambda k: tier_name(tiers, k)),
        "outcome_reasons": [r for r in _breakdown(data["outcomes"]["by_reason"], _reason_label) if r["total"]],
        "outcome_assignees": _breakdown(data["outcomes"]["by_assignee"], str),
        "work_tiers": [
            {
                "label": tier_name(tiers, k),
                **v,
                **data["sla"]["by_tier"][k],
                "contact": data["first_contact_hours"]["by_tier"][k],
            }
            for k, v in data["work_orders"]["by_tier"].items()
        ],
        "tier_costs": ", ".join(
            gettext("tier %(tier)s %(cost)s") % {"tier": t["tier"], "cost": f"{t['expected_cost']:,.0f}"}
            for t in tiers
            if t["creates_work_order"]
        ),
        "tier_legend": [
            {
                "name": gettext("Tier %(tier)s %(name)s") % {"tier": t["tier"], "name": t["name"]},
                "color": TIER_COLORS.get(t["tier"], "#667085"),
            }
            for t in tiers
        ],
    }
