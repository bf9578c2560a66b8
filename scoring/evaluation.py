"""Out-of-time evaluation of the production feature and training code on what is in the database."""

from dataclasses import dataclass
from datetime import date, timedelta

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
    logistic_regression: dict
    bgnbd: dict
    dropped_features: dict


def evaluate(*, train_cutoff: date, test_cutoff: date, horizon_days: int, active_days: int | None) -> Evaluation:
    """Train on cut-offs up to `train_cutoff`, score every (active) customer as of `test_cutoff`.

    `train_cutoff` is the newest cut-off whose features train the model; its labels run `horizon_days` after
    it, which must not pass the test cut-off (so training sees nothing the test period knows). Labels follow the
    policy's churn definition; for data without `churned_at` that means no activity in the horizon after the
    cut-off. References in the same run: recency alone, the rules alone, plain logistic regression on the same
    training rows and the BG/NBD P(alive) fitted at the test cut-off.
    """
    policy = policy_in_force()
    labels_end = min(train_cutoff + timedelta(days=horizon_days), test_cutoff)
    result = train(as_of=labels_end, horizon_days=horizon_days, policy=policy, active_days=active_days)
    X, y = examples_at(
        as_of=test_cutoff,
        horizon_days=horizon_days,
        churn_definition=policy["churn_definition"],
        active_days=active_days,
    )
    if len(y) == 0:
        raise ValueError(f"no customers to evaluate at {test_cutoff}")
    p = ml.predict(result.estimator, X[result.features])
    X_train, y_train = result.training_data
    logistic = ml.fit_one("logistic_regression", X_train, y_train)
    recency = X["days_since_last_activity"].to_numpy()
    # Recency and rule counts are scores, not probabilities: squash them into [0, 1] for the Brier score.
    recency_p = recency / max(recency.max(), 1.0)
    rules = rules_only_scores(X)
    rules_p = rules / max(rules.max(), 1.0)
    # One-time buyers have no repeat to judge by: BG/NBD gives them P(alive) = 1 (NaN only without a fit).
    bgnbd_p = 1.0 - X["bgnbd_p_alive"].fillna(0.5).to_numpy()
    return Evaluation(
        model=ml.evaluate_scores(y, p),
        recency=ml.evaluate_scores(y, recency_p),
        rules=ml.evaluate_scores(y, np.asarray(rules_p, dtype=float)),
        algorithm=result.algorithm,
        candidates=result.candidates,
        params={
            "train_cutoff": str(train_cutoff),
            "test_cutoff": str(test_cutoff),
            "horizon_days": horizon_days,
            "active_days": active_days,
            "train_cutoffs": result.metrics["train_cutoffs"],
            "validation_cutoffs": result.metrics["validation_cutoffs"],
        },
        logistic_regression=ml.evaluate_scores(y, ml.predict(logistic.estimator, X[result.features])),
        bgnbd=ml.evaluate_scores(y, bgnbd_p),
        dropped_features=result.dropped_features,
    )
