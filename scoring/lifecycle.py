"""A model's life after training: the monthly retrain behind the promotion gate, and the drift baseline.

The training distribution is rebuilt once per model version by recomputing the features at the model's
own training cut-offs (nothing after a cut-off is used), binned at its deciles and stored as a
DriftBaseline, the reference the weekly report compares each week's population with.
"""

import logging
from datetime import date

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.utils import timezone

from .features import active_only, compute_features
from .ml.drift import bin_shares, quantile_edges
from .ml.model import predict
from .ml.policy import Policy, active_days
from .models import DriftBaseline, ModelVersion, RetrainRun
from .selectors import model_active, policy_in_force
from .training import TrainingError, load_estimator, model_store, model_train, train

log = logging.getLogger(__name__)

# The training distribution is sampled at the model's latest cut-offs (validation and the two before it): each
# costs a full feature computation, and neighbouring monthly cut-offs hardly differ in distribution.
BASELINE_CUTOFFS = 3


def population_at(as_of: date, policy: Policy, columns: list[str], bgnbd_params: dict | None = None) -> pd.DataFrame:
    """The features of the active population as of a date (the population the model is trained on)."""
    return active_only(compute_features(as_of=as_of, bgnbd_params=bgnbd_params), active_days(policy))[columns]


def _training_cutoffs(version: ModelVersion) -> list[date]:
    metrics = version.metrics or {}
    cutoffs = [*metrics.get("train_cutoffs", []), metrics.get("validation_cutoff")]
    days = sorted({date.fromisoformat(c) for c in cutoffs if c})[-BASELINE_CUTOFFS:]
    return days or [version.train_to or version.created_at.date()]


def _binned(values: np.ndarray) -> dict:
    edges = quantile_edges(values)
    return {"edges": edges, "shares": bin_shares(values, edges)}


def drift_baseline_for(version: ModelVersion, policy: dict) -> DriftBaseline:
    """The stored training distribution of a model version, computed on first use."""
    existing = DriftBaseline.objects.filter(model_version=version).first()
    if existing:
        return existing
    cutoffs = _training_cutoffs(version)
    # The model's own BG/NBD parameters, as the nightly run uses them: refitted per date, P(alive) would drift by
    # construction.
    bundle = load_estimator(version)
    X = pd.concat([population_at(c, policy, version.features, bundle.get("bgnbd_params")) for c in cutoffs])
    scores = predict(bundle["estimator"], X) if len(X) else np.empty(0)
    bins = {
        "features": {f: _binned(X[f].to_numpy(dtype=float)) for f in version.features},
        "score": _binned(np.asarray(scores, dtype=float)),
    }
    try:
        with transaction.atomic():
            return DriftBaseline.objects.create(
                model_version=version, bins=bins, rows=len(X), cutoffs=[c.isoformat() for c in cutoffs]
            )
    except IntegrityError:  # built concurrently by another worker: theirs is the same
        return DriftBaseline.objects.get(model_version=version)


def _train(as_of: date, n_cutoffs: int | None):
    if n_cutoffs is None:
        return model_train(as_of=as_of, promote="if_better")
    policy = policy_in_force()  # a quicker retrain (the demo's): fewer training cut-offs, same gate
    result = train(as_of=as_of, policy=policy, n_cutoffs=n_cutoffs, champion=model_active())
    return model_store(
        result=result,
        horizon_days=policy["horizon_days"],
        train_to=as_of,
        promote="if_better",
        train_from=date.fromisoformat(min(result.metrics["train_cutoffs"])),
    )


def monthly_retrain(*, as_of: date, n_cutoffs: int | None = None) -> RetrainRun:
    """Train a model as of `as_of` and promote it only if it validates at least as well (idempotent per date)."""
    now = timezone.now()
    run, created = RetrainRun.objects.get_or_create(as_of=as_of, defaults={"started_at": now})
    if not created:
        if run.status in (RetrainRun.Status.PROMOTED, RetrainRun.Status.KEPT):
            return run
        if not RetrainRun.objects.filter(pk=run.pk, status=run.status).update(
            status=RetrainRun.Status.RUNNING, started_at=now
        ):
            return run  # another worker claimed the retry
    active = model_active()
    try:
        outcome = _train(as_of, n_cutoffs)
    except TrainingError as exc:
        RetrainRun.objects.filter(pk=run.pk).update(
            status=RetrainRun.Status.FAILED, finished_at=timezone.now(), active_before=active, reason=str(exc)
        )
        run.refresh_from_db()
        return run
    status = RetrainRun.Status.PROMOTED if outcome.promoted else RetrainRun.Status.KEPT
    metrics = {k: outcome.version.metrics.get(k) for k in ("roc_auc", "pr_auc", "brier", "n", "churn_rate")}
    RetrainRun.objects.filter(pk=run.pk).update(
        status=status,
        finished_at=timezone.now(),
        candidate=outcome.version,
        active_before=active,
        reason=outcome.reason,
        metrics=metrics,
    )
    run.refresh_from_db()
    log.info("monthly retrain %s: model #%s %s", as_of, outcome.version.pk, outcome.reason)
    return run
