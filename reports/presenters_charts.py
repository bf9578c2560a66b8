"""The report page's charts, built from a week's stored data and the weeks before it (inline SVG)."""

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from . import charts, charts_stats
from .palette import AMBER, BLUE, CRIMSON, GREEN, GREY, GROUP_COLORS, NAVY, OUTCOME_COLORS, PURPLE, RED, TIER_COLORS

GROUP_NAMES = {
    "worked": gettext_noop("Flagged and worked"),
    "control": gettext_noop("Flagged, control (no work order)"),
    "not_flagged": gettext_noop("Not flagged"),
    "flagged_other": gettext_noop("Flagged, monitor only"),
}
# The control group's short name where the chart's own title says what it is.
GROUP_SHORT_NAMES = {**GROUP_NAMES, "control": gettext_noop("Flagged, control")}
OUTCOME_PARTS = [
    ("retained", gettext_noop("Retained"), OUTCOME_COLORS["retained"]),
    ("churned", gettext_noop("Churned"), OUTCOME_COLORS["churned"]),
    ("unreachable", gettext_noop("Unreachable"), OUTCOME_COLORS["unreachable"]),
    ("false_alarm", gettext_noop("False alarm"), OUTCOME_COLORS["false_alarm"]),
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


def _series(datas, path, name, color, **extra) -> dict:
    return {"name": name, "color": color, "values": [_get(d, *path) if d else None for d in datas], **extra}


def trend_charts(labels: list[str], datas: list[dict | None], tiers: list[dict]) -> dict:
    tier_series = [
        {
            "name": gettext("Tier %(tier)s %(name)s") % {"tier": t["tier"], "name": t["name"]},
            "color": TIER_COLORS.get(t["tier"], GREY),
            "values": [_get(d, "alerts", "by_tier", str(t["tier"])) if d else None for d in datas],
        }
        for t in tiers
    ]
    uplift = _series(
        datas,
        ("cohorts", "uplift", "difference"),
        gettext("Uplift"),
        BLUE,
        low=[_get(d, "cohorts", "uplift", "low") if d else None for d in datas],
        high=[_get(d, "cohorts", "uplift", "high") if d else None for d in datas],
    )
    score_psi = _series(datas, ("health", "drift", "score_psi"), gettext("Score PSI"), NAVY)
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
    psi_max = {
        "name": gettext("Largest feature PSI"),
        "color": PURPLE,
        "values": [_max_psi(d) if d else None for d in datas],
    }
    return {
        "alerts": charts.stacked_bars(labels, tier_series, label=gettext("Alerts raised per week by tier")),
        "sla": charts.line_chart(
            labels,
            [
                _series(datas, ("sla", "first_contact_rate"), gettext("First contact"), BLUE),
                _series(datas, ("sla", "resolution_rate"), gettext("Resolution"), GREEN),
            ],
            kind="pct",
            y_max=1.0,
            label=gettext("SLA compliance per week"),
        ),
        "contact": charts.line_chart(
            labels,
            [
                _series(datas, ("first_contact_hours", "median"), gettext("Median"), NAVY),
                _series(datas, ("first_contact_hours", "p90"), gettext("p90"), AMBER, dashed=True),
            ],
            kind="hours",
            label=gettext("Hours to first contact per week"),
        ),
        "save": charts.line_chart(
            labels,
            [
                _series(datas, ("outcomes", "total", "save_rate"), gettext("Save rate"), GREEN),
                _series(datas, ("lead_time", "share_ahead"), gettext("Alerted ≥ 30 days ahead"), PURPLE),
            ],
            kind="pct",
            y_max=1.0,
            label=gettext("Save rate and early-warning share per week"),
        ),
        "churn": charts.line_chart(
            labels,
            [
                _series(datas, ("cohorts", g, "rate"), gettext(GROUP_NAMES[g]), GROUP_COLORS[g])
                for g in ("worked", "control", "not_flagged")
            ],
            kind="pct",
            label=gettext("Churn rate by group per week (trailing horizon)"),
        ),
        "uplift_trend": charts.line_chart(
            labels,
            [uplift],
            kind="pp",
            y_min=None,
            threshold=0.0,
            threshold_label="0",
            # xgettext:no-python-format
            label=gettext("Uplift with its 95% interval per week"),
            height=170,
        ),
        "value": charts.line_chart(
            labels,
            [
                _series(datas, ("value", "ltv_retained"), gettext("LTV retained"), GREEN),
                _series(datas, ("value", "work_cost"), gettext("Cost of the work"), RED, dashed=True),
            ],
            kind="money",
            label=gettext("LTV retained and cost of the work per week"),
        ),
        "auc": charts.line_chart(
            labels,
            [
                _series(datas, ("health", "performance", "roc_auc"), gettext("Realised ROC AUC"), NAVY),
                _series(
                    datas,
                    ("health", "performance", "validation_roc_auc"),
                    gettext("Validation ROC AUC"),
                    GREY,
                    dashed=True,
                ),
            ],
            kind="f2",
            y_min=0.5,
            y_max=1.0,
            label=gettext("Realised vs validation ROC AUC"),
        ),
        "psi": charts.line_chart(
            labels,
            [psi_max, score_psi],
            kind="f2",
            threshold=alarm,
            threshold_label=f"{alarm:g} alarm",
            label=gettext("Largest feature PSI per week"),
        ),
    }


def tier_name(tiers: list[dict], tier: str) -> str:
    name = next((t["name"] for t in tiers if str(t["tier"]) == tier), "")
    return (gettext("Tier %(tier)s %(name)s") % {"tier": tier, "name": name}).strip()


def week_charts(data: dict) -> dict:
    tiers = data["tiers"]
    work = [t for t in tiers if t["creates_work_order"]]
    cohorts = data["cohorts"]
    drift = data["health"]["drift"]
    bar = data["lead_time"]["bar_days"]
    out = {
        "alerts_by_tier": charts.hbars(
            [
                {
                    "label": tier_name(tiers, str(t["tier"])),
                    "value": data["alerts"]["by_tier"].get(str(t["tier"]), 0),
                    "color": TIER_COLORS.get(t["tier"]),
                }
                for t in tiers
            ],
            kind="int",
            label=gettext("Alerts raised by tier"),
        ),
        "sla_by_tier": charts.hbars(
            [
                row
                for t in work
                for row in (
                    {
                        "label": gettext("%(tier)s · contact") % {"tier": tier_name(tiers, str(t["tier"]))},
                        "color": TIER_COLORS.get(t["tier"]),
                        "value": data["sla"]["by_tier"][str(t["tier"])]["first_contact_rate"],
                        "note": gettext("of %(whole)s")
                        % {"whole": data["sla"]["by_tier"][str(t["tier"])]["first_contact_due"]},
                    },
                    {
                        "label": gettext("resolution"),
                        "color": TIER_COLORS.get(t["tier"]),
                        "value": data["sla"]["by_tier"][str(t["tier"])]["resolution_rate"],
                        "note": gettext("of %(whole)s")
                        % {"whole": data["sla"]["by_tier"][str(t["tier"])]["resolution_due"]},
                    },
                )
            ],
            kind="pct",
            max_value=1.0,
            label=gettext("SLA compliance by tier"),
            label_width=190,
        ),
        "outcomes_by_tier": charts.stacked_share_bars(
            [
                {"label": tier_name(tiers, str(t["tier"])), "counts": data["outcomes"]["by_tier"][str(t["tier"])]}
                for t in work
            ],
            [(key, gettext(name), color) for key, name, color in OUTCOME_PARTS],
            label=gettext("Outcomes by tier"),
        ),
        "groups": charts_stats.interval_chart(
            [
                {
                    "label": gettext(GROUP_SHORT_NAMES[g]),
                    "value": cohorts[g]["rate"],
                    "low": cohorts[g]["low"],
                    "high": cohorts[g]["high"],
                    "color": GROUP_COLORS[g],
                    "note": gettext("%(part)s of %(whole)s")
                    % {"part": cohorts[g]["churned"], "whole": cohorts[g]["n"]},
                }
                for g in ("worked", "control", "flagged_other", "not_flagged")
            ],
            # xgettext:no-python-format
            label=gettext("Churn rate by group with 95% intervals"),
            label_width=170,
        ),
        "uplift": charts_stats.interval_chart(
            [
                {
                    "label": gettext("Control − worked"),
                    "value": cohorts["uplift"]["difference"],
                    "low": cohorts["uplift"]["low"],
                    "high": cohorts["uplift"]["high"],
                    "color": BLUE,
                }
            ],
            zero_line=True,
            # xgettext:no-python-format
            label=gettext("Uplift with its 95% interval"),
            label_width=170,
            row_height=40,
        ),
        "value_by_tier": charts.hbars(
            [
                row
                for t in work
                for row in (
                    {
                        "label": gettext("%(tier)s · LTV retained") % {"tier": tier_name(tiers, str(t["tier"]))},
                        "color": GREEN,
                        "value": data["value"]["by_tier"][str(t["tier"])]["ltv_retained"],
                        "note": gettext("%(count)s kept")
                        % {"count": data["value"]["by_tier"][str(t["tier"])]["retained"]},
                    },
                    {
                        "label": gettext("cost of the work"),
                        "color": RED,
                        "value": data["value"]["by_tier"][str(t["tier"])]["work_cost"],
                        "note": gettext("%(count)s resolved")
                        % {"count": data["value"]["by_tier"][str(t["tier"])]["resolved"]},
                    },
                )
            ],
            kind="money",
            label=gettext("LTV retained and cost of the work by tier"),
            label_width=220,
        ),
        "lead_time": charts_stats.histogram(
            data["lead_time"]["days"],
            bin_width=bar / 3,
            marker=bar,
            marker_label=gettext("%(days)s days") % {"days": bar},
            label=gettext("Days from first alert to churn"),
        ),
    }
    if drift["available"]:
        rows = [
            {"label": f["name"], "value": f["psi"], "color": CRIMSON if f["is_flagged"] else PURPLE}
            for f in drift["features"][:DRIFT_ROWS]
        ]
        rows.append(
            {
                "label": gettext("score"),
                "value": drift["score_psi"],
                "color": CRIMSON if drift["is_score_flagged"] else NAVY,
            }
        )
        out["drift"] = charts.hbars(
            rows,
            kind="f2",
            threshold=drift["threshold"],
            threshold_label=gettext("alarm"),
            max_value=max([drift["threshold"] * 1.5, *(r["value"] for r in rows)]) * 1.05,
            label=gettext("PSI by feature vs training data"),
            label_width=190,
            row_height=22,
        )
    return out
