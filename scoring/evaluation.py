"""Out-of-time evaluation of the production feature and training code on what is in the database."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from .ml import model as ml
from .selectors import policy_in_force
from .training import examples_at, rules_only_scores, train


@dataclass
class Evaluation:
    model: dict
    recency: dict
    rules: dict
    algorithm: str
    candidates: dict
    params: dict


def evaluate(*, train_cutoff: date, test_cutoff: date, horizon_days: int, active_days: int | None) -> Evaluation:
    """Train as of `train_cutoff`, score every (active) customer as of `test_cutoff`, label the horizon after it.

    Labels follow the policy's churn definition; for data without `churned_at` that means no activity
    in the horizon after the cut-off. References: recency alone and the rules alone.
    """
    policy = policy_in_force()
    result = train(as_of=train_cutoff, horizon_days=horizon_days, policy=policy, active_days=active_days)
    X, y = examples_at(as_of=test_cutoff, horizon_days=horizon_days, churn_definition=policy["churn_definition"],
                       active_days=active_days)
    if len(y) == 0:
        raise ValueError(f"no customers to evaluate at {test_cutoff}")
    p = ml.predict(result.estimator, X[result.features])
    recency = X["days_since_last_activity"].to_numpy()
    # Recency and rule counts are scores, not probabilities: squash them into [0, 1] for the Brier score.
    recency_p = recency / max(recency.max(), 1.0)
    rules = rules_only_scores(X)
    rules_p = rules / max(rules.max(), 1.0)
    return Evaluation(
        model=ml.evaluate_scores(y, p),
        recency=ml.evaluate_scores(y, recency_p),
        rules=ml.evaluate_scores(y, np.asarray(rules_p, dtype=float)),
        algorithm=result.algorithm,
        candidates=result.candidates,
        params={"train_cutoff": str(train_cutoff), "test_cutoff": str(test_cutoff),
                "horizon_days": horizon_days, "active_days": active_days},
    )
