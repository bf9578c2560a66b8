"""Building training sets from history with time-based cut-offs, training and evaluating models."""

import io
from dataclasses import dataclass
from datetime import date, timedelta

import joblib
import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from customers.models import Customer

from .features import _param, active_only, compute_features, cutoff_for
from .ml import model as ml
from .ml.policy import active_days as policy_active_days
from .models import ModelVersion
from .selectors import model_active, policy_in_force, rule_specs, ruleset_current
from .services import defaults_install

# Training cut-offs step back this many days from the validation cut-off.
CUTOFF_STEP_DAYS = 30
# Nine monthly cut-offs: on the grocery log going from six to nine lifted the out-of-time ROC AUC from 0.850 to
# 0.861 (more leak-free history); the cost grows linearly and stays within minutes at 25,000 customers.
TRAIN_CUTOFFS = 9
# Model selection averages over this many monthly validation cut-offs (one cut-off alone picked the weaker model).
VALIDATION_CUTOFFS = 3
# Of columns that are copies of each other on some data, these stay (tenure reads better than "last visit
# 400 days ago" for a customer who never visited).
KEEP_FIRST = ("tenure_days", "days_since_last_purchase")


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
    X = compute_features(as_of=as_of)
    params = X.attrs.get("bgnbd_params")
    X = active_only(X, active_days)
    X.attrs["bgnbd_params"] = params
    y = labels_for(customer_ids=X.index, as_of=as_of, horizon_days=horizon_days, churn_definition=churn_definition)
    return X, y


def interventions_around(*, cutoff: date, horizon_days: int) -> tuple[set[int], set[int]]:
    """(worked, control) around a cut-off: from one horizon before it to the end of its label window.

    A work order open in that span may have changed what the customer did in the label window. A save is not
    evidence that the customer was never at risk: taught as "stayed", it would tell the model that the very
    signals the team acts on mean nothing, and each retrain would trust them less. So worked customers are left
    out of the cut-off's examples (and of the holdout the promotion gate compares on). The control group was
    drawn at random from the same flagged customers and not worked: its outcomes are the customers' own, and
    each control customer stands in for the worked ones it represents (see `_untreated`). The work orders and
    alerts live a floor above scoring, so their reader is named in settings (CHURNOPS_INTERVENTIONS, the
    composition root) rather than imported from here.
    """
    path = getattr(settings, "CHURNOPS_INTERVENTIONS", "")
    if not path:
        return set(), set()
    start = cutoff_for(as_of=cutoff) - timedelta(days=horizon_days)
    return import_string(path)(start=start, end=start + timedelta(days=2 * horizon_days))


def treated_customers(*, cutoff: date, horizon_days: int) -> set[int]:
    """Customers left out of a cut-off's labels: the team worked them around it (see `interventions_around`)."""
    return interventions_around(cutoff=cutoff, horizon_days=horizon_days)[0]


def _untreated(X: pd.DataFrame, y: np.ndarray, worked: set[int], control: set[int]):
    """The examples without the worked customers, and row weights: the control customers weigh for the worked
    ones too (inverse propensity), so the flagged customers keep their share and the probability levels stay
    calibrated. Without it, a team that works most flagged customers would teach each retrain to flag fewer."""
    keep = ~X.index.isin(list(worked))
    kept = X[keep]
    kept.attrs = dict(X.attrs)
    w = np.ones(len(kept))
    in_control = kept.index.isin(list(control))
    if in_control.any():
        w[in_control] = (int((~keep).sum()) + int(in_control.sum())) / int(in_control.sum())
    return kept, y[keep], w


@dataclass
class TrainOutcome:
    version: ModelVersion
    promoted: bool
    reason: str


def _tier_thresholds(policy: dict) -> dict[str, float]:
    return {f"tier{t['tier']}": t["min_probability"] for t in policy["tiers"]}


def _enough(name: str, y: np.ndarray) -> None:
    if len(y) < 20 or y.sum() < 3 or y.sum() == len(y):
        raise TrainingError(f"{name} set has {len(y)} examples with {int(y.sum())} churners: not enough history")


def train(
    *,
    as_of: date,
    horizon_days: int | None = None,
    policy: dict | None = None,
    active_days: int | None = -1,
    n_cutoffs: int = TRAIN_CUTOFFS,
    n_validation: int = VALIDATION_CUTOFFS,
    champion: ModelVersion | None = None,
) -> ml.TrainResult:
    """Select a model on rolling validation cut-offs, then refit it on the newest leak-free cut-offs.

    A cut-off's label needs the whole horizon after it, so the newest usable cut-off is `as_of - horizon`.
    Validation cut-offs step back monthly from there; each is scored by a model trained on the `n_cutoffs`
    monthly cut-offs whose labels end before it. The chosen candidate is refitted on the `n_cutoffs` newest
    cut-offs, after dropping the columns that are constant or duplicate on this data.

    Customers the team worked around a cut-off are left out of its examples (see `treated_customers`). With a
    `champion`, both models are scored on the same holdout for the promotion gate (see `_holdout_gate`).
    """
    policy = policy or policy_in_force()
    horizon = horizon_days or policy["horizon_days"]
    active = policy_active_days(policy) if active_days == -1 else active_days
    churn_def = policy["churn_definition"]
    newest = as_of - timedelta(days=horizon)
    step = timedelta(days=CUTOFF_STEP_DAYS)
    cache: dict[date, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = {}
    excluded: dict[date, int] = {}

    def examples(cutoffs: list[date]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        for cutoff in cutoffs:
            if cutoff not in cache:
                X, y = examples_at(as_of=cutoff, horizon_days=horizon, churn_definition=churn_def, active_days=active)
                cache[cutoff] = _untreated(X, y, *interventions_around(cutoff=cutoff, horizon_days=horizon))
                excluded[cutoff] = len(y) - len(cache[cutoff][1])
        return (
            pd.concat([cache[c][0] for c in cutoffs]),
            np.concatenate([cache[c][1] for c in cutoffs]),
            np.concatenate([cache[c][2] for c in cutoffs]),
        )

    final_cutoffs = [newest - step * k for k in range(n_cutoffs)]
    X_all, y_all, w_all = examples(final_cutoffs)
    _enough("training", y_all)
    dropped = ml.uninformative_columns(X_all, keep_first=KEEP_FIRST)
    features = [c for c in X_all.columns if c not in dropped]
    folds, validation_cutoffs = [], []
    for k in range(n_validation):
        val_cutoff = newest - step * k
        fold_cutoffs = [val_cutoff - timedelta(days=horizon) - step * j for j in range(n_cutoffs)]
        X_tr, y_tr, w_tr = examples(fold_cutoffs)
        X_val, y_val, _ = examples([val_cutoff])
        if k == 0:
            # The newest validation cut-off must have a full training history behind it; older ones are a bonus
            # (without it a model from a few weeks of history would replace the rules on thin evidence).
            _enough("training", y_tr)
            _enough("validation", y_val)
        if len(y_tr) < 20 or min(y_tr.sum(), len(y_tr) - y_tr.sum()) < 3 or not 0 < y_val.sum() < len(y_val):
            continue
        folds.append((X_tr[features], y_tr, X_val[features], y_val, w_tr))
        validation_cutoffs.append(val_cutoff)
    if not folds:
        raise TrainingError("no validation cut-off has enough earlier history to train on")
    # Weights only where the team held out a control group: otherwise every row weighs 1, as before.
    weighted = bool((w_all != 1).any())
    result = ml.select_and_fit(
        [f if weighted else f[:4] for f in folds],
        X_all[features],
        y_all,
        _tier_thresholds(policy),
        w_all=w_all if weighted else None,
    )
    result.dropped_features = dropped
    result.training_data = (X_all[features], y_all)
    result.training_weights = w_all
    result.bgnbd_params = cache[newest][0].attrs.get("bgnbd_params")
    result.metrics = {
        **result.metrics,
        "train_cutoffs": [str(c) for c in final_cutoffs],
        "validation_cutoff": str(validation_cutoffs[0]),
        "validation_cutoffs": [str(c) for c in validation_cutoffs],
        "n_train": int(len(y_all)),
        "candidates": result.candidates,
        "dropped_features": dropped,
        "bgnbd_params": result.bgnbd_params,
        "treated_excluded": sum(excluded[c] for c in final_cutoffs),
        "control_weight_max": float(w_all.max()) if len(w_all) else 1.0,
    }
    if champion is not None:
        result.metrics["gate"] = _holdout_gate(
            result, champion, cutoff=validation_cutoffs[0], active_days=active, horizon_days=horizon
        )
    return result


GATE_METRICS = ("roc_auc", "pr_auc", "brier")


def _holdout_gate(result: ml.TrainResult, champion: ModelVersion, *, cutoff: date, active_days, horizon_days) -> dict:
    """The challenger and the model in force on the same holdout: the same customers, cut-off and label window.

    The challenger's side is its candidate from the newest validation fold, trained only on cut-offs whose
    labels end before the holdout; the refit that is stored also saw the holdout, so it is not the one scored.
    Comparing each model's validation figures from its own training date would compare two populations and
    two label windows: a later month with fewer churners reads as a worse model whatever the model.
    """
    index, y, p_challenger = result.holdout
    gate = {
        "cutoff": cutoff.isoformat(),
        "n": len(y),
        "churners": int(np.sum(y)),
        "challenger": {k: ml.evaluate_scores(y, p_challenger).get(k) for k in GATE_METRICS},
        "champion": {"model_version": champion.pk},
        # A champion trained as of the same date has learnt the holdout's labels: the comparison favours it.
        "champion_saw_holdout": bool(champion.train_to and cutoff <= champion.train_to - timedelta(days=horizon_days)),
    }
    bundle = load_estimator(champion)
    X = active_only(compute_features(as_of=cutoff, bgnbd_params=bundle.get("bgnbd_params")), active_days)
    missing = sorted(set(champion.features) - set(X.columns))
    if missing:  # the model in force cannot score today's features: nothing to defend
        gate["champion"]["unscorable"] = f"features no longer computed: {', '.join(missing)}"
        return gate
    p_champion = ml.predict(bundle["estimator"], X.reindex(index)[champion.features])
    gate["champion"].update({k: ml.evaluate_scores(y, p_champion).get(k) for k in GATE_METRICS})
    return gate


def _serialize(result: ml.TrainResult) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(
        {"estimator": result.estimator, "reference": result.reference, "bgnbd_params": result.bgnbd_params},
        buffer,
        compress=3,
    )
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
def model_store(
    *, result: ml.TrainResult, horizon_days: int, train_from: date, train_to: date, promote: str = "if_better"
) -> TrainOutcome:
    """Store a trained model version; promote it if asked ('always', 'if_better' or 'never')."""
    version = ModelVersion.objects.create(
        algorithm=result.algorithm,
        features=result.features,
        horizon_days=horizon_days,
        train_from=train_from,
        train_to=train_to,
        sklearn_version=result.sklearn_version,
        metrics=result.metrics,
        artifact=_serialize(result),
    )
    active = model_active()
    if promote == "never":
        return TrainOutcome(version, False, "not promoted (asked not to)")
    gate = result.metrics.get("gate") or {}
    if active is not None and gate.get("champion", {}).get("model_version") == active.pk:
        return _gate_outcome(version, active, gate, promote)
    # A result without a same-holdout comparison (built outside train(), or before any model was in force):
    # the stored validation figures are all there is.
    refusal = promotion_refusal(result.metrics, active.metrics if active else None)
    if promote == "if_better" and refusal:
        metric, new_value, active_value = refusal
        return TrainOutcome(
            version,
            False,
            f"not promoted: validation {metric} {new_value:.3f} < active model #{active.pk} {active_value:.3f}",
        )
    model_promote(version=version)
    return TrainOutcome(version, True, "promoted")


def _gate_outcome(version: ModelVersion, active: ModelVersion, gate: dict, promote: str) -> TrainOutcome:
    """Promote or keep, on both models' figures from the same holdout."""
    refusal = promotion_refusal(gate["challenger"], gate["champion"])
    holdout = f"on the same holdout (cut-off {gate['cutoff']}, {gate['n']} customers, {gate['churners']} churned)"
    if promote == "if_better" and refusal:
        metric, new_value, active_value = refusal
        return TrainOutcome(
            version,
            False,
            f"not promoted: {metric} {new_value:.3f} < active model #{active.pk} {active_value:.3f} {holdout}",
        )
    model_promote(version=version)
    if "pr_auc" not in gate["champion"]:
        return TrainOutcome(version, True, f"promoted: active model #{active.pk} {gate['champion'].get('unscorable')}")
    new_value, active_value = gate["challenger"]["pr_auc"] or 0, gate["champion"]["pr_auc"] or 0
    return TrainOutcome(
        version, True, f"promoted: PR AUC {new_value:.3f} >= active model #{active.pk} {active_value:.3f} {holdout}"
    )


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
    previous = (
        ModelVersion.objects.filter(promoted_at__isnull=False, promoted_at__lt=active.promoted_at)
        .order_by("-promoted_at")
        .first()
    )
    if previous is None:
        raise ValueError(f"model #{active.pk} is the first promoted model: nothing to roll back to")
    model_promote(version=previous)
    return previous


def model_train(*, as_of: date, horizon_days: int | None = None, promote: str = "if_better") -> TrainOutcome:
    defaults_install()
    policy = policy_in_force()
    horizon = horizon_days or policy["horizon_days"]
    result = train(as_of=as_of, horizon_days=horizon, policy=policy, champion=model_active())
    cutoffs = sorted(result.metrics["train_cutoffs"])
    return model_store(
        result=result, horizon_days=horizon, train_from=date.fromisoformat(cutoffs[0]), train_to=as_of, promote=promote
    )


def rules_only_scores(X: pd.DataFrame) -> np.ndarray:
    from .ml.rules import evaluate

    fired = evaluate(rule_specs(ruleset_current()), X)
    return fired.sum(axis=1).astype(float)
