"""Scoring a feature frame: rules fired, probability and tier per customer, with the model a run pinned."""

import numpy as np
import pandas as pd

from .ml import model as ml
from .ml.policy import Policy, assign_tiers
from .ml.rules import evaluate
from .models import ScoreRun
from .training import load_estimator


def _baseline_probability(fired_count: np.ndarray, n_rules: int) -> np.ndarray:
    """Without a trained model the rules alone give the probability (share of rules fired)."""
    return fired_count / max(n_rules, 1)


def score_frame(
    *, features: pd.DataFrame, policy: Policy, rules, model_bundle: dict | None, ranked: dict | None = None
):
    """Pure scoring of a feature frame: probabilities, rules fired, tiers. Returns a DataFrame.

    `ranked`: under rank-based tiers, the thresholds pinned for the run (else ranks within this frame).
    """
    fired = evaluate(rules, features)
    fired_count = fired.sum(axis=1)
    rule_high = fired_count >= policy["high_risk_min_rules"]
    if model_bundle:
        probability = ml.predict(model_bundle["estimator"], features[model_bundle["features"]])
    else:
        probability = _baseline_probability(fired_count, len(rules))
    tiers = assign_tiers(policy, probability, rule_high, ranked)
    # Customers share a handful of fired-rule combinations: name each combination once, not per customer.
    codes = (
        fired.astype(np.int64) @ (np.int64(1) << np.arange(len(rules), dtype=np.int64))
        if rules
        else np.zeros(len(features), dtype=np.int64)
    )
    combos = {int(code): [r.name for j, r in enumerate(rules) if code >> j & 1] for code in np.unique(codes)}
    return pd.DataFrame(
        {
            "probability": probability,
            "tier": tiers,
            "is_rule_high_risk": rule_high,
            "rules_fired": [combos[int(c)] for c in codes],
        },
        index=features.index,
    )


def model_bundle(run: ScoreRun) -> dict | None:
    if run.model_version is None:
        return None
    bundle = load_estimator(run.model_version)
    return {**bundle, "features": run.model_version.features, "algorithm": run.model_version.algorithm}
