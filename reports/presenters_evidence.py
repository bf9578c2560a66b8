"""What the page shows beside the headline figures: the flow with definitions, the return or the sentence that
replaces it, per-tier uplift, the fairness table and the drift evidence. Reads only the stored report data."""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .charts_drift import paired_histogram
from .fairness import TOO_FEW

FLOW_ALERT_COLUMNS = ("carried_over", "opened", "closed", "open_at_end")
FLOW_WORK_COLUMNS = (
    "carried_over",
    "opened_from_new_alerts",
    "opened_from_earlier_alerts",
    "opened",
    "resolved",
    "open_at_end",
)
COLUMN_NAMES = {
    "carried_over": _("Carried over"),
    "opened": _("Opened"),
    "closed": _("Closed"),
    "open_at_end": _("Open at end"),
    "opened_from_new_alerts": _("From this week's alerts"),
    "opened_from_earlier_alerts": _("From earlier alerts"),
    "resolved": _("Resolved"),
}


def _flow_table(flow: dict, kind: str, columns: tuple[str, ...], tier_name) -> dict:
    definitions = flow.get("definitions", {})
    head = [{"name": COLUMN_NAMES[c], "title": definitions.get(f"{kind}.{c}", "")} for c in columns]

    def cells(counts):
        return [{"value": counts.get(c, 0), "title": definitions.get(f"{kind}.{c}", "")} for c in columns]

    rows = [{"label": tier_name(tier), "cells": cells(counts)} for tier, counts in flow[kind]["by_tier"].items()]
    return {"head": head, "rows": rows, "total": cells(flow[kind])}


def flow_tables(data: dict, tier_name) -> dict | None:
    flow = data.get("flow")
    if not flow:
        return None
    return {
        "alerts": _flow_table(flow, "alerts", FLOW_ALERT_COLUMNS, tier_name),
        "work_orders": _flow_table(flow, "work_orders", FLOW_WORK_COLUMNS, tier_name),
    }


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _fair_rows(rows: list[dict]) -> list[dict]:
    too_few = gettext(TOO_FEW)
    out = []
    for r in rows:
        auc = (
            too_few
            if r["too_few"]["auc"]
            else (
                f"{r['auc']:.2f} ({r['auc_low']:.2f}–{r['auc_high']:.2f})"
                if r["auc_low"] is not None
                else f"{r['auc']:.2f}"
            )
        )
        out.append(
            {
                "group": r["group"],
                "is_small": r["is_small"],
                "auc": auc,
                "auc_note": gettext("%(churners)s churners of %(scored)s scored")
                % {"churners": r["churners"], "scored": r["scored"]},
                "flag_rate": too_few if r["too_few"]["flag_rate"] else _pct(r["flag_rate"]),
                "flag_note": gettext("%(flagged)s of %(active)s active")
                % {"flagged": r["flagged"], "active": r["active"]},
                "save_rate": too_few if r["too_few"]["save_rate"] else _pct(r["save_rate"]),
                "save_note": gettext("%(retained)s of %(resolved)s resolved")
                % {"retained": r["retained"], "resolved": r["resolved"]},
            }
        )
    return out


def fairness_tables(data: dict) -> dict | None:
    fairness = data.get("fairness")
    if not fairness:
        return None
    return {
        "segment": _fair_rows(fairness["segment"]),
        "region": _fair_rows(fairness["region"]),
        "rules": fairness["rules"]["text"],
    }


def tier_uplift_rows(data: dict, tier_name) -> list[dict]:
    rows = []
    for tier, t in (data.get("cohorts", {}).get("by_tier") or {}).items():
        u = t["uplift"]
        rows.append(
            {
                "label": tier_name(tier),
                "worked": t["worked"],
                "control": t["control"],
                "difference": u["difference"],
                "low": u["low"],
                "high": u["high"],
                "verdict": u["verdict"],
                "text": u["text"],
            }
        )
    return rows


def drift_evidence(data: dict) -> list[dict]:
    """One entry per feature at warning or alarm: its level, weeks in a row, and its two histograms."""
    drift = data.get("health", {}).get("drift", {})
    out = []
    for f in drift.get("features", []):
        if f.get("level", "ok") == "ok" or "histogram" not in f:
            continue
        out.append(
            {
                "name": f["name"],
                "psi": f["psi"],
                "level": f["level"],
                "streak": f.get("streak", 0),
                "is_alarm": f.get("is_alarm", False),
                "anchor": f"drift-{f['name']}",
                "chart": mark_safe(paired_histogram(f["name"], f["histogram"], psi=f["psi"])),  # noqa: S308
            }
        )
    return out
