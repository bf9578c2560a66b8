"""Why a customer is at risk, in an account manager's words: model factors phrased from the feature catalog."""

from .features import compute_features
from .ml.explain import explain_rows, phrase_of, phrase_values
from .ml.text import Text
from .models import LatestScore
from .scorer import model_bundle
from .texts import say


def _phrase(name: str, row: dict) -> str:
    """How an account manager would say what feature `name` of this customer shows."""
    return phrase_of(name, phrase_values(row))


def score_factors(score: LatestScore) -> list[dict]:
    """A score's top factors: stored for customers who reached a tier, worked out on demand for the rest.

    The nightly run phrases explanations only for at-risk customers (a million sentences a night would tell
    nobody anything); anyone who opens a calm customer still gets the model's reasons, from the same features.
    """
    if score.factors:
        return score.factors
    bundle = model_bundle(score.run)
    if bundle is None:
        return []
    X = compute_features(
        as_of=score.as_of,
        id_from=score.customer_id,
        id_to=score.customer_id + 1,
        bgnbd_params=bundle.get("bgnbd_params"),
    )
    if X.empty:
        return []
    return explain_rows(bundle["estimator"], X, bundle["features"], bundle["reference"])[0]


def factor_text(factor: dict) -> str:
    """A stored factor's sentence in the reader's language, rendered again from its parts (`why`); a factor stored
    before the parts were kept shows its English sentence."""
    if isinstance(factor.get("why"), dict):
        try:
            return say(Text.from_json(factor["why"]))
        except (KeyError, TypeError, ValueError):
            pass
    return factor.get("text") or factor.get("feature", "")


def factor_rows(raw: list[dict]) -> list[dict]:
    """Model factors for display: the sentence, the signed weight and a bar length relative to the largest."""
    rows = [
        {
            "text": factor_text(f),
            "feature": f.get("feature", ""),
            "weight": float(f.get("weight") or 0.0),
        }
        for f in raw or []
    ]
    largest = max((abs(f["weight"]) for f in rows), default=0.0) or 1.0
    for f in rows:
        f["bar"] = round(100 * abs(f["weight"]) / largest)
    return rows
