"""Model health: feature and score drift against the model's training data, and realised performance.

Each week's population is binned like the model's training distribution (scoring.lifecycle's
DriftBaseline) and compared by PSI; realised performance scores past predictions against what happened.
"""

from datetime import date, timedelta

import numpy as np
from django.conf import settings

from customers.models import Event
from scoring.features import cutoff_for
from scoring.lifecycle import drift_baseline_for, population_at
from scoring.ml.drift import bin_shares, psi
from scoring.ml.model import evaluate_scores, predict
from scoring.ml.policy import active_days
from scoring.models import ModelVersion, ScoreRun
from scoring.selectors import scores_on
from scoring.training import labels_for, load_estimator

from .alarms import Thresholds, thresholds
from .fairness import auc_interval

# Realised performance needs at least this many churners among the scored customers to mean anything.
MIN_REALISED_CHURNERS = 5


def high_risk_threshold(policy: dict) -> tuple[int, float]:
    """The tier from which a customer is high risk (where the rules lift them) and its probability threshold."""
    tier = policy["rule_high_min_tier"]
    return tier, next(t["min_probability"] for t in policy["tiers"] if t["tier"] == tier)


def _level(value: float, limits: Thresholds) -> str:
    if value >= limits.psi_alarm:
        return "alarm"
    return "warning" if value >= limits.psi_warning else "ok"


def _previous_streaks(previous: dict | None, version: ModelVersion) -> dict[str, int]:
    """Weeks in a row each feature was at the alarm level, as of last week's report of the same model."""
    if not previous or previous.get("model_version") != version.pk:
        return {}  # another model, another training baseline: the count starts again
    return {f["name"]: f.get("streak", int(f.get("is_flagged", False))) for f in previous.get("features", [])}


def _drift_text(features: list[dict], limits: Thresholds) -> str:
    alarms = [f["name"] for f in features if f["is_alarm"]]
    if alarms:
        return (
            f"{len(alarms)} feature(s) above PSI {limits.psi_alarm:g} for {limits.drift_weeks} week(s) in a row: "
            f"{', '.join(alarms)}."
        )
    pending = [f["name"] for f in features if f["level"] == "alarm"]
    warnings = [f["name"] for f in features if f["level"] == "warning"]
    parts = []
    if pending:
        parts.append(
            f"Above PSI {limits.psi_alarm:g} this week, no alarm until {limits.drift_weeks} weeks in a row: "
            f"{', '.join(pending)}."
        )
    if warnings:
        parts.append(f"Warning (PSI {limits.psi_warning:g} to {limits.psi_alarm:g}): {', '.join(warnings)}.")
    return " ".join(parts) or f"No feature drifted past PSI {limits.psi_warning:g}."


def drift_check(
    *,
    version: ModelVersion | None,
    as_of: date,
    policy: dict,
    limits: Thresholds | None = None,
    previous: dict | None = None,
) -> dict:
    """PSI of each model feature and of the score, this week's population vs the model's training data.

    A feature is at "warning" from `psi_warning` and at "alarm" from `psi_alarm`; the alarm fires (is_alarm,
    `flagged`) only once the feature has been at the alarm level `drift_weeks` weeks in a row for this model,
    counted on from `previous` (last week's drift figures). Features at warning or worse keep their two
    histograms (training vs this week) as the evidence.
    """
    limits = limits or thresholds()
    base = {
        "threshold": limits.psi_alarm,
        "warning": limits.psi_warning,
        "alarm": limits.psi_alarm,
        "weeks": limits.drift_weeks,
        "features": [],
        "flagged": [],
        "score_psi": None,
    }
    if version is None:
        return {**base, "available": False, "text": "No model in force: the rules alone scored customers."}
    baseline = drift_baseline_for(version, policy)
    bundle = load_estimator(version)
    X = population_at(as_of, policy, version.features, bundle.get("bgnbd_params"))
    scores = predict(bundle["estimator"], X) if len(X) else np.empty(0)
    streaks = _previous_streaks(previous, version)
    features = []
    for name in version.features:  # only the features the model uses
        ref = baseline.bins["features"][name]
        current = bin_shares(X[name].to_numpy(dtype=float), ref["edges"])
        value = psi(ref["shares"], current)
        level = _level(value, limits)
        streak = streaks.get(name, 0) + 1 if level == "alarm" else 0
        row = {
            "name": name,
            "psi": round(value, 4),
            "level": level,
            "streak": streak,
            "is_flagged": streak >= limits.drift_weeks,
            "is_alarm": streak >= limits.drift_weeks,
        }
        if level != "ok":
            row["histogram"] = {
                "edges": [round(e, 4) for e in ref["edges"]],
                "training": [round(x, 4) for x in ref["shares"]],
                "current": [round(x, 4) for x in current],
            }
        features.append(row)
    features.sort(key=lambda f: (-f["psi"], f["name"]))
    score_ref = baseline.bins["score"]
    score_psi = psi(score_ref["shares"], bin_shares(np.asarray(scores, dtype=float), score_ref["edges"]))
    return {
        **base,
        "available": True,
        "model_version": version.pk,
        "as_of": as_of.isoformat(),
        "baseline_rows": baseline.rows,
        "current_rows": len(X),
        "features": features,
        "score_psi": round(score_psi, 4),
        "is_score_flagged": score_psi >= limits.psi_alarm,
        "flagged": [f["name"] for f in features if f["is_alarm"]],
        "warnings": [f["name"] for f in features if f["level"] == "warning"],
        "text": _drift_text(features, limits),
    }


def _active_before(cutoff, days: int) -> set[int]:
    return set(
        Event.objects.filter(occurred_at__gte=cutoff - timedelta(days=days), occurred_at__lt=cutoff)
        .values_list("customer_id", flat=True)
        .distinct()
    )


def _matured_run(last_day: date, horizon: int) -> ScoreRun | None:
    """The latest finished run whose horizon has fully passed by the end of `last_day`."""
    return (
        ScoreRun.objects.filter(status=ScoreRun.Status.DONE, as_of__lte=last_day - timedelta(days=horizon))
        .select_related("model_version")
        .order_by("-as_of")
        .first()
    )


def matured_scores(*, last_day: date, policy: dict) -> tuple[ScoreRun | None, list[int], np.ndarray, np.ndarray]:
    """The latest run one horizon old: (run, customer ids, probabilities, churned within the horizon).

    Same population and labels as training (customers active within the inactivity window, churned within
    the horizon per the policy's churn definition).
    """
    horizon = policy["horizon_days"]
    run = _matured_run(last_day, horizon)
    if run is None:
        return None, [], np.empty(0), np.empty(0, dtype=int)
    night = scores_on(as_of=run.as_of)  # from the nightly history, sorted by customer id
    rows = list(zip(night.customer_id.tolist(), night.probability.tolist(), strict=True))
    days = active_days(policy)
    if days:
        active = _active_before(cutoff_for(run.as_of), days)
        rows = [r for r in rows if r[0] in active]
    ids = [r[0] for r in rows]
    y = (
        labels_for(customer_ids=ids, as_of=run.as_of, horizon_days=horizon, churn_definition=policy["churn_definition"])
        if ids
        else np.empty(0, dtype=int)
    )
    return run, ids, np.array([r[1] for r in rows], dtype=float), np.asarray(y, dtype=int)


def realised_performance(*, last_day: date, policy: dict, matured=None, in_force_id: int | None = None) -> dict:
    """ROC AUC (with its 95% interval) and high-risk precision of the scores made one horizon before
    `last_day`, against what happened, for the model that made those scores.

    A shortfall asks for retraining only when that model is still the one in force (`in_force_id`).
    """
    horizon = policy["horizon_days"]
    tier, threshold = high_risk_threshold(policy)
    run, ids, probabilities, y = matured or matured_scores(last_day=last_day, policy=policy)
    base = {
        "available": False,
        "horizon_days": horizon,
        "high_risk_tier": tier,
        "threshold": threshold,
        "is_degraded": False,
    }
    if run is None:
        return {**base, "text": f"No scores are {horizon} days old yet: nothing to measure against."}
    figures = evaluate_scores(y, probabilities, {"high_risk": threshold})
    out = {
        **base,
        "run_as_of": run.as_of.isoformat(),
        "model_version": run.model_version_id,
        "is_model_in_force": in_force_id is None or run.model_version_id == in_force_id,
        "n": figures["n"],
        "churned": int(np.sum(y)),
        "roc_auc": figures["roc_auc"],
        "precision": figures["precision_at_high_risk"],
        "recall": figures["recall_at_high_risk"],
        "flagged": int(np.sum(probabilities >= threshold)) if ids else 0,
    }
    interval = auc_interval(out["roc_auc"], out["churned"], out["n"] - out["churned"])
    out["roc_auc_low"], out["roc_auc_high"] = interval if interval else (None, None)
    if out["churned"] < MIN_REALISED_CHURNERS or out["roc_auc"] is None:
        return {**out, "text": f"Too few churners ({out['churned']}) among the scores of {run.as_of} to measure."}
    compared = _compare(out, run.model_version, tier)
    if compared.get("is_degraded") and not out["is_model_in_force"]:
        compared["text"] = compared["text"].replace(
            "Below validation by more than the margin: retrain the model.",
            f"Below validation by more than the margin, but model #{run.model_version_id} that made these scores "
            "is no longer in force: nothing to retrain on its account.",
        )
        compared["is_degraded"] = False
        compared["was_degraded"] = True
    return {**out, "available": True, **compared}


def _compare(out: dict, version: ModelVersion | None, tier: int) -> dict:
    if version is None:
        return {
            "validation_roc_auc": None,
            "validation_precision": None,
            "text": "Scores came from the rules alone: no validation figure to compare with.",
        }
    val_auc = version.metrics.get("roc_auc")
    val_precision = version.metrics.get(f"precision_at_tier{tier}")
    auc_drop = val_auc is not None and out["roc_auc"] < val_auc - settings.REPORT_AUC_MARGIN
    precision_drop = (
        val_precision is not None
        and out["precision"] is not None
        and out["precision"] < val_precision - settings.REPORT_PRECISION_MARGIN
    )
    degraded = auc_drop or precision_drop
    text = (
        f"Realised ROC AUC {out['roc_auc']:.3f} vs {val_auc:.3f} at validation"
        if val_auc is not None
        else f"Realised ROC AUC {out['roc_auc']:.3f}"
    )
    if out["precision"] is not None and val_precision is not None:
        text += f"; high-risk precision {out['precision']:.0%} vs {val_precision:.0%}"
    text += (
        ". Below validation by more than the margin: retrain the model."
        if degraded
        else ". Within the margin of validation."
    )
    return {
        "validation_roc_auc": val_auc,
        "validation_precision": val_precision,
        "is_degraded": degraded,
        "auc_margin": settings.REPORT_AUC_MARGIN,
        "precision_margin": settings.REPORT_PRECISION_MARGIN,
        "text": text,
    }
