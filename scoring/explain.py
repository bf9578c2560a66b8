"""Why a customer is at risk, in an account manager's words: model factors phrased from the feature catalog."""

import numpy as np
import pandas as pd

from .features import compute_features
from .ml import model as ml
from .ml.catalog import FEATURES_BY_NAME
from .models import CustomerScore
from .scorer import model_bundle

_CHANGE_PCTS = ("visit_change_pct", "login_change_pct", "purchase_change_pct", "spend_change_pct",
                "activity_change_pct")


def _phrase_values(row: dict) -> dict:
    """A feature row plus the 'down 75% vs the prior 90 days' wordings, ready for the catalog phrases."""
    values = {k: (np.nan if v is None else v) for k, v in row.items()}
    values.update({k: _pct(values.get(k.replace("_pct", "_ratio"))) for k in _CHANGE_PCTS})
    return values


def _phrase_of(name: str, values: dict) -> str:
    value = values.get(name)
    if value is None or value != value:  # NaN
        return f"{FEATURES_BY_NAME[name].description}: not recorded"
    try:
        return FEATURES_BY_NAME[name].phrase.format_map(values)
    except (KeyError, ValueError, TypeError):
        return f"{FEATURES_BY_NAME[name].description}: {value}"


def _phrase(name: str, row: dict) -> str:
    """How an account manager would say what feature `name` of this customer shows."""
    return _phrase_of(name, _phrase_values(row))


def _pct(ratio) -> str:
    if ratio is None or pd.isna(ratio):
        return "unchanged"
    if ratio <= -0.995:
        return "stopped (down 100% vs the prior 90 days)"
    return f"{'up' if ratio > 0 else 'down'} {abs(ratio) * 100:.0f}% vs the prior 90 days"


def explain_rows(algorithm: str, estimator, reference: dict, X: pd.DataFrame) -> list[list[dict]]:
    """Top factors per row, with signed log-odds weights and a sentence for the account manager."""
    if X.empty:
        return []
    contrib = ml.contributions(algorithm, estimator, X, reference)
    factors = ml.top_factors(contrib, list(X.columns))
    records = X.to_dict("records")
    out = []
    for row, rec in zip(factors, records, strict=True):
        values = _phrase_values(rec)
        out.append([{"feature": f, "weight": round(w, 4), "text": _phrase_of(f, values)} for f, w in row])
    return out


def score_factors(score: CustomerScore) -> list[dict]:
    """A score's top factors: stored for customers who reached a tier, worked out on demand for the rest.

    The nightly run phrases explanations only for at-risk customers (a million sentences a night would tell
    nobody anything); anyone who opens a calm customer still gets the model's reasons, from the same features.
    """
    if score.factors:
        return score.factors
    bundle = model_bundle(score.run)
    if bundle is None:
        return []
    X = compute_features(as_of=score.as_of, id_from=score.customer_id, id_to=score.customer_id + 1)
    if X.empty:
        return []
    return explain_rows(bundle["algorithm"], bundle["estimator"], bundle["reference"], X[bundle["features"]])[0]




def factor_rows(raw: list[dict]) -> list[dict]:
    """Model factors for display: the sentence, the signed weight and a bar length relative to the largest."""
    rows = [
        {
            "text": f.get("text") or f.get("feature", ""),
            "feature": f.get("feature", ""),
            "weight": float(f.get("weight") or 0.0),
        }
        for f in raw or []
    ]
    largest = max((abs(f["weight"]) for f in rows), default=0.0) or 1.0
    for f in rows:
        f["bar"] = round(100 * abs(f["weight"]) / largest)
    return rows
