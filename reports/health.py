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
from scoring.models import CustomerScore, ModelVersion, ScoreRun
from scoring.training import labels_for, load_estimator

# Realised performance needs at least this many churners among the scored customers to mean anything.
MIN_REALISED_CHURNERS = 5


def high_risk_threshold(policy: dict) -> tuple[int, float]:
    """The tier from which a customer is high risk (where the rules lift them) and its probability threshold."""
    tier = policy["rule_high_min_tier"]
    return tier, next(t["min_probability"] for t in policy["tiers"] if t["tier"] == tier)


def drift_check(*, version: ModelVersion | None, as_of: date, policy: dict) -> dict:
    """PSI of each model feature and of the score, this week's population vs the model's training data."""
    threshold = settings.REPORT_PSI_THRESHOLD
    if version is None:
        return {"available": False, "text": "No model in force: the rules alone scored customers.",
                "threshold": threshold, "features": [], "flagged": [], "score_psi": None}
    baseline = drift_baseline_for(version, policy)
    X = population_at(as_of, policy, version.features)
    scores = predict(load_estimator(version)["estimator"], X) if len(X) else np.empty(0)
    features = []
    for name in version.features:
        ref = baseline.bins["features"][name]
        value = psi(ref["shares"], bin_shares(X[name].to_numpy(dtype=float), ref["edges"]))
        features.append({"name": name, "psi": round(value, 4), "is_flagged": value > threshold})
    features.sort(key=lambda f: (-f["psi"], f["name"]))
    score_ref = baseline.bins["score"]
    score_psi = psi(score_ref["shares"], bin_shares(np.asarray(scores, dtype=float), score_ref["edges"]))
    flagged = [f["name"] for f in features if f["is_flagged"]]
    return {"available": True, "model_version": version.pk, "as_of": as_of.isoformat(), "threshold": threshold,
            "baseline_rows": baseline.rows, "current_rows": len(X), "features": features,
            "score_psi": round(score_psi, 4), "is_score_flagged": score_psi > threshold, "flagged": flagged,
            "text": (f"{len(flagged)} feature(s) drifted past PSI {threshold}: {', '.join(flagged)}." if flagged
                     else f"No feature drifted past PSI {threshold}.")}


def _active_before(cutoff, days: int) -> set[int]:
    return set(Event.objects.filter(occurred_at__gte=cutoff - timedelta(days=days), occurred_at__lt=cutoff)
               .values_list("customer_id", flat=True).distinct())


def _matured_run(last_day: date, horizon: int) -> ScoreRun | None:
    """The latest finished run whose horizon has fully passed by the end of `last_day`."""
    return (ScoreRun.objects.filter(status=ScoreRun.Status.DONE, as_of__lte=last_day - timedelta(days=horizon))
            .select_related("model_version").order_by("-as_of").first())


def realised_performance(*, last_day: date, policy: dict) -> dict:
    """ROC AUC and high-risk precision of scores made one horizon before `last_day`, against what happened.

    Same population and labels as training (customers active within the inactivity window, churned within
    the horizon per the policy's churn definition), so the figures compare with the model's validation ones.
    """
    horizon = policy["horizon_days"]
    tier, threshold = high_risk_threshold(policy)
    run = _matured_run(last_day, horizon)
    base = {"available": False, "horizon_days": horizon, "high_risk_tier": tier, "threshold": threshold,
            "is_degraded": False}
    if run is None:
        return {**base, "text": f"No scores are {horizon} days old yet: nothing to measure against."}
    rows = list(CustomerScore.objects.filter(run=run).values_list("customer_id", "probability").order_by("customer_id"))
    days = active_days(policy)
    if days:
        active = _active_before(cutoff_for(run.as_of), days)
        rows = [r for r in rows if r[0] in active]
    ids = [r[0] for r in rows]
    y = labels_for(customer_ids=ids, as_of=run.as_of, horizon_days=horizon,
                   churn_definition=policy["churn_definition"]) if ids else np.empty(0, dtype=int)
    figures = evaluate_scores(y, np.array([r[1] for r in rows], dtype=float), {"high_risk": threshold})
    out = {**base, "run_as_of": run.as_of.isoformat(), "model_version": run.model_version_id,
           "n": figures["n"], "churned": int(np.sum(y)), "roc_auc": figures["roc_auc"],
           "precision": figures["precision_at_high_risk"], "recall": figures["recall_at_high_risk"],
           "flagged": int(np.sum(np.array([r[1] for r in rows]) >= threshold)) if rows else 0}
    if out["churned"] < MIN_REALISED_CHURNERS or out["roc_auc"] is None:
        return {**out, "text": f"Too few churners ({out['churned']}) among the scores of {run.as_of} to measure."}
    return {**out, "available": True, **_compare(out, run.model_version, tier)}


def _compare(out: dict, version: ModelVersion | None, tier: int) -> dict:
    if version is None:
        return {"validation_roc_auc": None, "validation_precision": None,
                "text": "Scores came from the rules alone: no validation figure to compare with."}
    val_auc = version.metrics.get("roc_auc")
    val_precision = version.metrics.get(f"precision_at_tier{tier}")
    auc_drop = val_auc is not None and out["roc_auc"] < val_auc - settings.REPORT_AUC_MARGIN
    precision_drop = (val_precision is not None and out["precision"] is not None
                      and out["precision"] < val_precision - settings.REPORT_PRECISION_MARGIN)
    degraded = auc_drop or precision_drop
    text = (f"Realised ROC AUC {out['roc_auc']:.3f} vs {val_auc:.3f} at validation"
            if val_auc is not None else f"Realised ROC AUC {out['roc_auc']:.3f}")
    if out["precision"] is not None and val_precision is not None:
        text += f"; high-risk precision {out['precision']:.0%} vs {val_precision:.0%}"
    text += (". Below validation by more than the margin: retrain the model." if degraded
             else ". Within the margin of validation.")
    return {"validation_roc_auc": val_auc, "validation_precision": val_precision, "is_degraded": degraded,
            "auc_margin": settings.REPORT_AUC_MARGIN, "precision_margin": settings.REPORT_PRECISION_MARGIN,
            "text": text}
