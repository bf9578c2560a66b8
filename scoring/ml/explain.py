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
from .text import Text, fields_of, gettext_noop

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


_CHANGE = {
    "up": gettext_noop("up {pct:.0f}% vs the prior 90 days"),
    "down": gettext_noop("down {pct:.0f}% vs the prior 90 days"),
}
# Recency sentences per kind of activity (whole sentences, so that each language words them its own way).
_RECENCY_TEXT = {
    "purchase": {
        "one": gettext_noop("only one purchase ever, {days:.0f} days ago"),
        "two": gettext_noop("only two purchases so far, the last {days:.0f} days ago"),
        "none_for": gettext_noop("no purchase for {days:.0f} days"),
        "overdue": gettext_noop("no purchase for {days:.0f} days — {times} their usual gap"),
        "rhythm": gettext_noop("purchases only every {gap:.0f} days or so (last {days:.0f} days ago)"),
    },
    "visit": {
        "one": gettext_noop("only one visit ever, {days:.0f} days ago"),
        "two": gettext_noop("only two visits so far, the last {days:.0f} days ago"),
        "none_for": gettext_noop("no visit for {days:.0f} days"),
        "overdue": gettext_noop("no visit for {days:.0f} days — {times} their usual gap"),
        "rhythm": gettext_noop("visits only every {gap:.0f} days or so (last {days:.0f} days ago)"),
    },
    "login": {
        "one": gettext_noop("only one login ever, {days:.0f} days ago"),
        "two": gettext_noop("only two logins so far, the last {days:.0f} days ago"),
        "none_for": gettext_noop("no login for {days:.0f} days"),
        "overdue": gettext_noop("no login for {days:.0f} days — {times} their usual gap"),
        "rhythm": gettext_noop("logins only every {gap:.0f} days or so (last {days:.0f} days ago)"),
    },
    "activity": {
        "one": gettext_noop("only one activity ever, {days:.0f} days ago"),
        "two": gettext_noop("only two activities so far, the last {days:.0f} days ago"),
        "none_for": gettext_noop("no activity for {days:.0f} days"),
        "overdue": gettext_noop("no activity for {days:.0f} days — {times} their usual gap"),
        "rhythm": gettext_noop("activities only every {gap:.0f} days or so (last {days:.0f} days ago)"),
    },
}
SHARE_OF_RISK = gettext_noop("{reason}: {share:.0%} of the risk")


def _pct(ratio) -> Text:
    if ratio is None or pd.isna(ratio):
        return Text(gettext_noop("unchanged"))
    if ratio <= -0.995:
        return Text(gettext_noop("stopped (down 100% vs the prior 90 days)"))
    return Text(_CHANGE["up" if ratio > 0 else "down"], {"pct": abs(ratio) * 100})


def phrase_values(row: dict) -> dict:
    """A feature row plus the 'down 75% vs the prior 90 days' wordings, ready for the catalog phrases."""
    values = {k: (np.nan if v is None else v) for k, v in row.items()}
    values.update({k: _pct(values.get(k.replace("_pct", "_ratio"))) for k in _CHANGE_PCTS})
    return values


def _missing(value) -> bool:
    return value is None or value != value  # NaN


def phrase_text(name: str, values: dict) -> Text:
    """What feature `name` of this customer shows, as a Text carrying only the values its phrase uses."""
    feature = FEATURES_BY_NAME[name]
    value = values.get(name)
    if _missing(value):
        return Text(gettext_noop("{feature}: not recorded"), {"feature": Text(feature.description)})
    phrase = Text(feature.phrase, {k: values[k] for k in fields_of(feature.phrase) if k in values})
    try:
        feature.phrase.format_map({k: str(v) if isinstance(v, Text) else v for k, v in phrase.args.items()})
    except (KeyError, ValueError, TypeError):
        return Text(gettext_noop("{feature}: {value}"), {"feature": Text(feature.description), "value": value})
    return phrase


def phrase_of(name: str, values: dict) -> str:
    return str(phrase_text(name, values))


def _times(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 2 else f"{ratio:.1f}×"


def _recency_phrase(values: dict, features: list[str]) -> Text | None:
    for name, kind in _RECENCY:
        if name in features and not _missing(values.get(name)):
            days = values[name]
            says = _RECENCY_TEXT[kind]
            if (values.get("activity_total") or 0) == 1:
                return Text(says["one"], {"days": days})
            ratio = values.get("recency_typical_gap_ratio") if kind == "purchase" else None
            gap = values.get("purchase_gap_median") if kind == "purchase" else values.get("activity_gap_days")
            if _missing(ratio) and (values.get("activity_total") or 0) >= 3:
                ratio = values.get("recency_gap_ratio")  # the usual gap is a habit only from two gaps on
            if _missing(ratio):
                if (values.get("activity_total") or 0) == 2:
                    return Text(says["two"], {"days": days})
                return Text(says["none_for"], {"days": days})
            if ratio >= 1.05:
                return Text(says["overdue"], {"days": days, "times": _times(ratio)})
            # Not overdue: what the model holds against them is the rhythm itself.
            if _missing(gap):
                return Text(says["none_for"], {"days": days})
            return Text(says["rhythm"], {"days": days, "gap": gap})
    if "bgnbd_p_alive" in features and not _missing(values.get("bgnbd_p_alive")):
        return phrase_text("bgnbd_p_alive", values)
    return None


def signal_text(signal: str, values: dict, features: list[str]) -> Text | None:
    """One sentence for a signal from the first of its model features the customer has a value for."""
    if signal == "recency":
        return _recency_phrase(values, features)
    for name in SIGNALS[signal]:
        if name in features and not _missing(values.get(name)):
            return phrase_text(name, values)
    return None


def signal_phrase(signal: str, values: dict, features: list[str]) -> str | None:
    text = signal_text(signal, values, features)
    return None if text is None else str(text)


def factor(feature: str, share: float, reason: Text) -> dict:
    """A stored factor: the feature, its share of the raised risk, the English sentence (`text`, for readers of
    the stored JSON) and the sentence's parts (`why`), which pages render again in the reader's language."""
    why = Text(SHARE_OF_RISK, {"reason": reason, "share": share})
    return {"feature": feature, "weight": share, "text": str(why), "why": why.as_json()}


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
            text = signal_text(signals[j], values, features)
            if text is not None:
                lead = next(c for c in present[signals[j]] if not _missing(values.get(c)))
                rows.append((lead, float(raising[i, j]), text))
        total = float(raising[i].sum()) or 1.0
        out.append([factor(f, round(w / total, 4), text) for f, w, text in rows])
    return out
