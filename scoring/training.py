"""Building training sets from history with time-based cut-offs, training and evaluating models."""

import io
from dataclasses import dataclass
from datetime import date, timedelta

import joblib
import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer

from .features import _param, active_only, compute_features, cutoff_for
from .ml import model as ml
from .ml.policy import active_days as policy_active_days
from .models import ModelVersion
from .selectors import model_active, policy_in_force, rule_specs, ruleset_current
from .services import defaults_install

# Training cut-offs step back this many days from the validation cut-off.
CUTOFF_STEP_DAYS = 30
TRAIN_CUTOFFS = 6


class TrainingError(Exception):
    """Not enough history or labels to train a model."""


def _active_customer_ids(start, end) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT customer_id FROM customers_event WHERE occurred_at >= %s AND occurred_at < %s",
            [_param(start), _param(end)],
        )
        return {row[0] for row in cursor.fetchall()}


def labels_for(*, customer_ids, as_of: date, horizon_days: int, churn_definition: dict) -> np.ndarray:
    """1 where the customer churned in (cut-off, cut-off + horizon], per the policy's churn definition."""
    cutoff = cutoff_for(as_of)
    end = cutoff + timedelta(days=horizon_days)
    ids = pd.Index(customer_ids)
    churned = pd.Series(False, index=ids)
    mode = churn_definition.get("mode", "explicit_or_inactive")
    if mode in ("explicit", "explicit_or_inactive"):
        explicit = Customer.objects.filter(churned_at__gte=cutoff, churned_at__lt=end).values_list("id", flat=True)
        churned[ids.intersection(list(explicit))] = True
    if mode in ("inactive", "explicit_or_inactive"):
        active_after = _active_customer_ids(cutoff, end)
        churned |= ~ids.isin(list(active_after))
    return churned.to_numpy(dtype=int)


def examples_at(*, as_of: date, horizon_days: int, churn_definition: dict, active_days: int | None):
    """Features as of the cut-off (nothing after it) and labels from the horizon after it."""
    X = active_only(compute_features(as_of=as_of), active_days)
    y = labels_for(customer_ids=X.index, as_of=as_of, horizon_days=horizon_days, churn_definition=churn_definition)
    return X, y


@dataclass
class TrainOutcome:
    version: ModelVersion
    promoted: bool
    reason: str


def _tier_thresholds(policy: dict) -> dict[str, float]:
    return {f"tier{t['tier']}": t["min_probability"] for t in policy["tiers"]}


def train(*, as_of: date, horizon_days: int | None = None, policy: dict | None = None,
          active_days: int | None = -1, n_cutoffs: int = TRAIN_CUTOFFS) -> ml.TrainResult:
    """Train on cut-offs stepping back from `as_of - horizon` and validate on the latest one."""
    policy = policy or policy_in_force()
    horizon = horizon_days or policy["horizon_days"]
    active = policy_active_days(policy) if active_days == -1 else active_days
    val_cutoff = as_of - timedelta(days=horizon)
    train_cutoffs = [val_cutoff - timedelta(days=horizon + CUTOFF_STEP_DAYS * k) for k in range(n_cutoffs)]
    churn_def = policy["churn_definition"]
    frames, labels = [], []
    for cutoff in train_cutoffs:
        X, y = examples_at(as_of=cutoff, horizon_days=horizon, churn_definition=churn_def, active_days=active)
        frames.append(X)
        labels.append(y)
    X_train, y_train = pd.concat(frames), np.concatenate(labels)
    X_val, y_val = examples_at(as_of=val_cutoff, horizon_days=horizon, churn_definition=churn_def, active_days=active)
    for name, y in (("training", y_train), ("validation", y_val)):
        if len(y) < 20 or y.sum() < 3 or y.sum() == len(y):
            raise TrainingError(f"{name} set has {len(y)} examples with {int(y.sum())} churners: not enough history")
    result = ml.train_and_select(X_train, y_train, X_val, y_val, _tier_thresholds(policy))
    result.metrics = {**result.metrics, "train_cutoffs": [str(c) for c in train_cutoffs],
                      "validation_cutoff": str(val_cutoff), "n_train": int(len(y_train)),
                      "candidates": result.candidates}
    return result


def _serialize(result: ml.TrainResult) -> bytes:
    buffer = io.BytesIO()
    joblib.dump({"estimator": result.estimator, "reference": result.reference}, buffer, compress=3)
    return buffer.getvalue()


def load_estimator(version: ModelVersion) -> dict:
    return joblib.load(io.BytesIO(bytes(version.artifact)))


ROC_AUC_SLACK = 0.005  # ROC AUC may wobble by half a point; PR AUC (the selection metric) must not drop at all


def is_at_least_as_good(new: dict, current: dict | None) -> bool:
    """Promotion gate: the new model's validation PR AUC (then ROC AUC) must not be worse."""
    return promotion_refusal(new, current) is None


def promotion_refusal(new: dict, current: dict | None) -> tuple[str, float, float] | None:
    """The metric that fails the promotion gate as (name, new value, active value), or None if the new one passes."""
    if not current or current.get("pr_auc") is None:
        return None
    if (new.get("pr_auc") or 0) < current["pr_auc"]:
        return "PR AUC", new.get("pr_auc") or 0, current["pr_auc"]
    if (new.get("roc_auc") or 0) < (current.get("roc_auc") or 0) - ROC_AUC_SLACK:
        return "ROC AUC", new.get("roc_auc") or 0, current.get("roc_auc") or 0
    return None


@transaction.atomic
def model_store(*, result: ml.TrainResult, horizon_days: int, train_from: date, train_to: date,
                promote: str = "if_better") -> TrainOutcome:
    """Store a trained model version; promote it if asked ('always', 'if_better' or 'never')."""
    version = ModelVersion.objects.create(
        algorithm=result.algorithm, features=result.features, horizon_days=horizon_days,
        train_from=train_from, train_to=train_to, sklearn_version=result.sklearn_version,
        metrics=result.metrics, artifact=_serialize(result),
    )
    active = model_active()
    if promote == "never":
        return TrainOutcome(version, False, "not promoted (asked not to)")
    refusal = promotion_refusal(result.metrics, active.metrics if active else None)
    if promote == "if_better" and refusal:
        metric, new_value, active_value = refusal
        return TrainOutcome(version, False, f"not promoted: validation {metric} {new_value:.3f} "
                                            f"< active model #{active.pk} {active_value:.3f}")
    model_promote(version=version)
    return TrainOutcome(version, True, "promoted")


@transaction.atomic
def model_promote(*, version: ModelVersion) -> None:
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True, promoted_at=timezone.now())
    version.refresh_from_db()


@transaction.atomic
def model_rollback() -> ModelVersion:
    """Re-activate the most recently promoted model before the active one."""
    active = model_active()
    if active is None:
        raise ValueError("no active model to roll back from")
    previous = (ModelVersion.objects.filter(promoted_at__isnull=False, promoted_at__lt=active.promoted_at)
                .order_by("-promoted_at").first())
    if previous is None:
        raise ValueError(f"model #{active.pk} is the first promoted model: nothing to roll back to")
    model_promote(version=previous)
    return previous


def model_train(*, as_of: date, horizon_days: int | None = None, promote: str = "if_better") -> TrainOutcome:
    defaults_install()
    policy = policy_in_force()
    horizon = horizon_days or policy["horizon_days"]
    result = train(as_of=as_of, horizon_days=horizon, policy=policy)
    cutoffs = sorted(result.metrics["train_cutoffs"])
    return model_store(result=result, horizon_days=horizon, train_from=date.fromisoformat(cutoffs[0]),
                       train_to=as_of, promote=promote)


def rules_only_scores(X: pd.DataFrame) -> np.ndarray:
    from .ml.rules import evaluate

    fired = evaluate(rule_specs(ruleset_current()), X)
    return fired.sum(axis=1).astype(float)
