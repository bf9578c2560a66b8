"""Segment and region fairness: does the early warning work as well for every group? Pure numpy, no Django.

Per group: realised ROC AUC of the scores one horizon old (with Hanley-McNeil's interval), the share of active
customers flagged this week, and the save rate of the work orders resolved this week. A figure from too few
customers is not shown as a number but as "too few to tell".
"""

import math
from dataclasses import dataclass

import numpy as np

from scoring.ml.text import Text, gettext_noop

from .uplift import Z_95

MIN_ACTIVE = 30  # active customers in a group before its flag rate means anything
MIN_CLASS = 5  # churners and stayers each, among a group's matured scores, before its AUC means anything
MIN_RESOLVED = 10  # resolved work orders (retained, churned or unreachable) before a save rate means anything
TOO_FEW = gettext_noop("too few to tell")
DIMENSIONS = ("segment", "region")


@dataclass(frozen=True)
class GroupFacts:
    """What the fairness table needs of one group of customers."""

    name: str
    active: int = 0
    flagged: int = 0
    scores: tuple[float, ...] = ()
    labels: tuple[int, ...] = ()
    retained: int = 0
    lost: int = 0  # churned or unreachable


def roc_auc(scores, labels) -> float | None:
    """Probability that a churner scored above a stayer (ties count half); None without both classes."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=int)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def auc_interval(auc: float | None, positives: int, negatives: int) -> tuple[float, float] | None:
    """Hanley and McNeil's (1982) 95% interval of a ROC AUC from the numbers of churners and stayers."""
    if auc is None or not positives or not negatives:
        return None
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (
        positives * negatives
    )
    half = Z_95 * math.sqrt(max(var, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def _row(g: GroupFacts) -> dict:
    churners = int(sum(g.labels))
    stayers = len(g.labels) - churners
    auc = roc_auc(g.scores, g.labels)
    interval = auc_interval(auc, churners, stayers)
    resolved = g.retained + g.lost
    too_few = {
        "flag_rate": g.active < MIN_ACTIVE,
        "auc": min(churners, stayers) < MIN_CLASS,
        "save_rate": resolved < MIN_RESOLVED,
    }
    return {
        "group": g.name,
        "active": g.active,
        "flagged": g.flagged,
        "flag_rate": None if too_few["flag_rate"] else g.flagged / g.active,
        "scored": len(g.labels),
        "churners": churners,
        "auc": None if too_few["auc"] else auc,
        "auc_low": None if too_few["auc"] or interval is None else interval[0],
        "auc_high": None if too_few["auc"] or interval is None else interval[1],
        "resolved": resolved,
        "retained": g.retained,
        "save_rate": None if too_few["save_rate"] else g.retained / resolved,
        "too_few": too_few,
        "is_small": any(too_few.values()),
    }


def fairness_figures(groups: dict[str, list[GroupFacts]]) -> dict:
    """Rows per dimension (segment, region), largest group first; small groups' figures are withheld."""
    out = {dim: [_row(g) for g in sorted(groups.get(dim, []), key=lambda g: (-g.active, g.name))] for dim in DIMENSIONS}
    text = Text(
        gettext_noop(
            "Figures from fewer than {min_active} active customers, {min_class} churners or stayers "
            'among the matured scores, or {min_resolved} resolved cases are marked "{too_few}".'
        ),
        {"min_active": MIN_ACTIVE, "min_class": MIN_CLASS, "min_resolved": MIN_RESOLVED, "too_few": Text(TOO_FEW)},
    )
    out["rules"] = {
        "min_active": MIN_ACTIVE,
        "min_class": MIN_CLASS,
        "min_resolved": MIN_RESOLVED,
        "text": str(text),
        "text_parts": text.as_json(),
    }
    return out
