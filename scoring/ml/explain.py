"""Why a customer is at risk, in words an account manager can act on (no Django).

Features are grouped into signals (scoring.ml.signals.SIGNALS): collinear copies such as "purchases last 90
days" and "purchase change ratio" are switched to the training median together, and the drop in the churn
log-odds is that signal's contribution. Only signals that raise this customer's risk are listed, each once,
never for a value the customer does not have, and each as its share of all the risk-raising contributions.
"""

import numpy as np
import pandas as pd

from .catalog import FEATURES_BY_NAME
from .signals import SIGNALS

TOP_SIGNALS = 5
# A signal moving the log-odds by less than this is noise, not a reason.
MIN_CONTRIBUTION = 0.01
# Nor is a signal carrying under 5% of the risk: "customer for 576 days: 0% of the risk" tells nobody anything.
MIN_SHARE = 0.05

_CHANGE_PCTS = (
    "visit_change_pct",
    "login_change_pct",
    "purchase_change_pct",
    "spend_change_pct",
    "activity_change_pct",
)
_RECENCY = (
    ("days_since_last_purchase", "purchase"),
    ("days_since_last_visit", "visit"),
    ("days_since_last_login", "login"),
    ("days_since_last_activity", "activity"),
)


def _pct(ratio) -> str:
    if ratio is None or pd.isna(ratio):
        return "unchanged"
    if ratio <= -0.995:
        return "stopped (down 100% vs the prior 90 days)"
    return f"{'up' if ratio > 0 else 'down'} {abs(ratio) * 100:.0f}% vs the prior 90 days"


def phrase_values(row: dict) -> dict:
    """A feature row plus the 'down 75% vs the prior 90 days' wordings, ready for the catalog phrases."""
    values = {k: (np.nan if v is None else v) for k, v in row.items()}
    values.update({k: _pct(values.get(k.replace("_pct", "_ratio"))) for k in _CHANGE_PCTS})
    return values


def _missing(value) -> bool:
    return value is None or value != value  # NaN


def phrase_of(name: str, values: dict) -> str:
    value = values.get(name)
    if _missing(value):
        return f"{FEATURES_BY_NAME[name].description}: not recorded"
    try:
        return FEATURES_BY_NAME[name].phrase.format_map(values)
    except (KeyError, ValueError, TypeError):
        return f"{FEATURES_BY_NAME[name].description}: {value}"


def _times(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 2 else f"{ratio:.1f}×"


def _plural(kind: str) -> str:
    return "activities" if kind == "activity" else f"{kind}s"


def _recency_phrase(values: dict, features: list[str]) -> str | None:
    for name, kind in _RECENCY:
        if name in features and not _missing(values.get(name)):
            days = values[name]
            if (values.get("activity_total") or 0) == 1:
                return f"only one {kind} ever, {days:.0f} days ago"
            ratio = values.get("recency_typical_gap_ratio") if kind == "purchase" else None
            gap = values.get("purchase_gap_median") if kind == "purchase" else values.get("activity_gap_days")
            if _missing(ratio) and (values.get("activity_total") or 0) >= 3:
                ratio = values.get("recency_gap_ratio")  # the usual gap is a habit only from two gaps on
            if _missing(ratio):
                if (values.get("activity_total") or 0) == 2:
                    return f"only two {_plural(kind)} so far, the last {days:.0f} days ago"
                return f"no {kind} for {days:.0f} days"
            if ratio >= 1.05:
                return f"no {kind} for {days:.0f} days — {_times(ratio)} their usual gap"
            # Not overdue: what the model holds against them is the rhythm itself.
            if _missing(gap):
                return f"no {kind} for {days:.0f} days"
            return f"{_plural(kind)} only every {gap:.0f} days or so (last {days:.0f} days ago)"
    if "bgnbd_p_alive" in features and not _missing(values.get("bgnbd_p_alive")):
        return phrase_of("bgnbd_p_alive", values)
    return None


def signal_phrase(signal: str, values: dict, features: list[str]) -> str | None:
    """One sentence for a signal from the first of its model features the customer has a value for."""
    if signal == "recency":
        return _recency_phrase(values, features)
    for name in SIGNALS[signal]:
        if name in features and not _missing(values.get(name)):
            return phrase_of(name, values)
    return None


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def signal_contributions(
    estimator, X: pd.DataFrame, features: list[str], reference: dict
) -> tuple[np.ndarray, list[str]]:
    """Rows x signals: how much each signal moves the churn log-odds versus the training median."""
    X = X[features]
    base = _logit(estimator.predict_proba(X)[:, 1])
    names, columns = [], []
    for signal, members in SIGNALS.items():
        present = [c for c in members if c in features]
        if not present:
            continue
        moved = X.copy()
        for c in present:
            moved[c] = np.nan if reference.get(c) is None else reference[c]
        columns.append(base - _logit(estimator.predict_proba(moved)[:, 1]))
        names.append(signal)
    return (np.column_stack(columns) if columns else np.zeros((len(X), 0))), names


def explain_rows(
    estimator, X: pd.DataFrame, features: list[str], reference: dict, k: int = TOP_SIGNALS
) -> list[list[dict]]:
    """Per row, up to k risk-raising signals: feature, weight (share of the raised risk, 0-1) and a sentence.

    `X` may hold more columns than the model uses (phrases read them); signals whose model features are all
    missing for the customer are never given as a reason.
    """
    if X.empty:
        return []
    contrib, signals = signal_contributions(estimator, X, features, reference)
    present = {s: [c for c in SIGNALS[s] if c in features] for s in signals}
    has_value = (
        np.column_stack([X[present[s]].notna().any(axis=1).to_numpy() for s in signals])
        if signals
        else np.zeros((len(X), 0), dtype=bool)
    )
    raising = np.where(has_value & (contrib > MIN_CONTRIBUTION), contrib, 0.0)
    out = []
    for i, record in enumerate(X.to_dict("records")):
        values = phrase_values(record)
        rows = []
        for j in np.argsort(-raising[i], kind="stable"):
            if raising[i, j] <= 0 or len(rows) == k or raising[i, j] < MIN_SHARE * raising[i].sum():
                break
            text = signal_phrase(signals[j], values, features)
            if text:
                lead = next(c for c in present[signals[j]] if not _missing(values.get(c)))
                rows.append((lead, float(raising[i, j]), text))
        total = float(raising[i].sum()) or 1.0
        out.append(
            [
                {"feature": f, "weight": round(w / total, 4), "text": f"{text}: {w / total:.0%} of the risk"}
                for f, w, text in rows
            ]
        )
    return out
