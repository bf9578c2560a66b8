"""The nightly loop: features -> rules + model -> tier -> alert -> work order, in idempotent chunks."""

import json
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alerts.services import alerts_close_cleared, alerts_upsert
from churnops.bulk import frame_upsert
from customers.models import Customer
from interventions.services import work_orders_open_for_alerts

from .features import compute_features
from .ml import model as ml
from .ml.explain import explain_rows, phrase_of, phrase_values
from .ml.policy import assign_tiers
from .ml.rules import evaluate
from .models import CustomerScore, ScoreChunk, ScoreRun
from .selectors import model_active, policy_current, rule_specs, ruleset_current
from .services import defaults_install
from .training import load_estimator


def _chunk_bounds(chunk_size: int) -> list[tuple[int, int]]:
    """Customer-id ranges of about `chunk_size` customers each, from one window query."""
    sql = ("SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM customers_customer) numbered "
           "WHERE (rn - 1) %% %s = 0 ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [chunk_size])
        starts = [row[0] for row in cursor.fetchall()]
    if not starts:
        return []
    ends = [*starts[1:], Customer.objects.order_by("-id").values_list("id", flat=True)[0] + 1]
    return list(zip(starts, ends, strict=True))


@transaction.atomic
def run_start(*, as_of: date, chunk_size: int | None = None) -> ScoreRun:
    """Create (or find) the run for a date, pinning the policy, rules and model versions in force."""
    defaults_install()
    run, created = ScoreRun.objects.select_for_update().get_or_create(
        as_of=as_of,
        defaults={"policy_version": policy_current(), "ruleset_version": ruleset_current(),
                  "model_version": model_active()},
    )
    if not created and run.status != ScoreRun.Status.DONE:
        run.status = ScoreRun.Status.RUNNING  # a re-run of a failed date resumes its pending chunks
        run.save(update_fields=["status"])
    if created or not run.chunks.exists():
        bounds = _chunk_bounds(chunk_size or settings.SCORING_CHUNK_SIZE)
        ScoreChunk.objects.bulk_create(
            [ScoreChunk(run=run, index=i, id_from=lo, id_to=hi) for i, (lo, hi) in enumerate(bounds)],
            ignore_conflicts=True,
        )
        run.chunks_total = len(bounds)
        run.save(update_fields=["chunks_total"])
    return run


def _phrase(name: str, row: dict) -> str:
    """How an account manager would say what feature `name` of this customer shows."""
    return phrase_of(name, phrase_values(row))


def _baseline_probability(fired_count: np.ndarray, n_rules: int) -> np.ndarray:
    """Without a trained model the rules alone give the probability (share of rules fired)."""
    return fired_count / max(n_rules, 1)


def score_frame(*, features: pd.DataFrame, policy: dict, rules, model_bundle: dict | None):
    """Pure scoring of a feature frame: probabilities, rules fired, tiers. Returns a DataFrame."""
    fired = evaluate(rules, features)
    fired_count = fired.sum(axis=1)
    rule_high = fired_count >= policy["high_risk_min_rules"]
    if model_bundle:
        probability = ml.predict(model_bundle["estimator"], features[model_bundle["features"]])
    else:
        probability = _baseline_probability(fired_count, len(rules))
    tiers = assign_tiers(policy, probability, rule_high)
    # Customers share a handful of fired-rule combinations: name each combination once, not per customer.
    codes = fired.astype(np.int64) @ (np.int64(1) << np.arange(len(rules), dtype=np.int64)) if rules else \
        np.zeros(len(features), dtype=np.int64)
    combos = {int(code): [r.name for j, r in enumerate(rules) if code >> j & 1] for code in np.unique(codes)}
    return pd.DataFrame({
        "probability": probability,
        "tier": tiers,
        "is_rule_high_risk": rule_high,
        "rules_fired": [combos[int(c)] for c in codes],
    }, index=features.index)


def _model_bundle(run: ScoreRun) -> dict | None:
    if run.model_version is None:
        return None
    bundle = load_estimator(run.model_version)
    return {**bundle, "features": run.model_version.features, "algorithm": run.model_version.algorithm}


def score_factors(score: CustomerScore) -> list[dict]:
    """A score's top factors: stored for customers who reached a tier, worked out on demand for the rest.

    The nightly run phrases explanations only for at-risk customers (a million sentences a night would tell
    nobody anything); anyone who opens a calm customer still gets the model's reasons, from the same features.
    """
    if score.factors:
        return score.factors
    bundle = _model_bundle(score.run)
    if bundle is None:
        return []
    X = compute_features(as_of=score.as_of, id_from=score.customer_id, id_to=score.customer_id + 1,
                         bgnbd_params=bundle.get("bgnbd_params"))
    if X.empty:
        return []
    return explain_rows(bundle["estimator"], X, bundle["features"], bundle["reference"])[0]


def score_chunk(*, chunk_id: int) -> dict:
    """Score one chunk and write its scores, alerts and work orders in one transaction.

    The chunk row is locked and marked done in the same transaction, so a retried or duplicated
    task finds it done and writes nothing.
    """
    with transaction.atomic():
        chunk = ScoreChunk.objects.select_for_update(of=("self",)).select_related("run__policy_version",
                                                                       "run__ruleset_version",
                                                                       "run__model_version").get(pk=chunk_id)
        if chunk.done_at is not None:
            return chunk.stats
        run = chunk.run
        stats = _score_and_write(run, chunk)
        chunk.done_at = timezone.now()
        chunk.stats = stats
        chunk.save(update_fields=["done_at", "stats"])
    return stats


def _score_and_write(run: ScoreRun, chunk: ScoreChunk) -> dict:
    policy = run.policy_version.data
    rules = rule_specs(run.ruleset_version)
    bundle = _model_bundle(run)
    features = compute_features(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to,
                                bgnbd_params=bundle.get("bgnbd_params") if bundle else None)
    scored = score_frame(features=features, policy=policy, rules=rules, model_bundle=bundle)
    at_risk = scored[scored["tier"] > 0]
    X_risk = features.loc[at_risk.index]
    if bundle:
        factors = explain_rows(bundle["estimator"], X_risk, bundle["features"], bundle["reference"])
    else:
        factors = [[] for _ in range(len(at_risk))]
    factor_map = dict(zip(at_risk.index, factors, strict=True))
    _write_scores(run, scored, factor_map)
    rows = [{"customer_id": int(cid), "probability": float(p), "tier": int(t), "rules_fired": fired,
             "is_rule_high_risk": bool(high), "factors": factor_map[cid]}
            for cid, p, t, fired, high in zip(at_risk.index, at_risk["probability"], at_risk["tier"],
                                              at_risk["rules_fired"], at_risk["is_rule_high_risk"], strict=True)]
    alerts = alerts_upsert(as_of=run.as_of, rows=rows, control_share=policy["control_share"])
    closed = alerts_close_cleared(keep_customer_ids=list(alerts), id_from=chunk.id_from, id_to=chunk.id_to,
                                  reason="risk cleared")
    work_tiers = {t["tier"] for t in policy["tiers"] if t["creates_work_order"]}
    eligible = [a for a in alerts.values() if a.tier in work_tiers and not a.is_control and not _snoozed(a, run.as_of)]
    customers = Customer.objects.select_related("owner__agent").in_bulk([a.customer_id for a in eligible])
    candidates = [{"customer": customers[a.customer_id], "alert": a, "tier": a.tier, "probability": a.probability}
                  for a in eligible]
    opened = work_orders_open_for_alerts(as_of=run.as_of, candidates=candidates, policy=policy)
    tiers = scored["tier"].value_counts().to_dict()
    return {"customers": len(features), "at_risk": len(rows), "rule_high": int(scored["is_rule_high_risk"].sum()),
            "work_orders_opened": opened, "alerts_closed": closed,
            "tiers": {str(int(k)): int(v) for k, v in tiers.items() if k > 0}}


def _snoozed(alert, as_of: date) -> bool:
    return alert.status == alert.Status.SNOOZED and alert.snoozed_until and alert.snoozed_until >= as_of


SCORE_UPDATE = ("probability", "tier", "rules_fired", "is_rule_high_risk", "factors")


def _write_scores(run, scored, factor_map) -> None:
    """Upsert one score row per customer (factors for the at-risk ones)."""
    frame = pd.DataFrame({
        "run_id": run.id,
        "customer_id": scored.index.astype(np.int64),
        "as_of": run.as_of.isoformat(),
        "probability": scored["probability"].to_numpy(dtype=float),
        "tier": pd.array(np.where(scored["tier"] > 0, scored["tier"], 0), dtype="Int64"),
        "rules_fired": [json.dumps(f) for f in scored["rules_fired"]],
        "is_rule_high_risk": scored["is_rule_high_risk"].to_numpy(dtype=bool),
        "factors": [json.dumps(factor_map[c]) if c in factor_map else "[]" for c in scored.index],
    })
    frame.loc[frame["tier"] == 0, "tier"] = pd.NA
    frame_upsert(model=CustomerScore, frame=frame, unique_fields=("run", "customer"), update_fields=SCORE_UPDATE,
                 json_fields=("rules_fired", "factors"))


def chunk_failed(*, chunk_id: int, error: str) -> None:
    ScoreChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(stats={"error": error[:2000]})


@transaction.atomic
def run_finish(*, run_id: int) -> ScoreRun:
    """Close the run once every chunk is done: roll up chunk stats."""
    run = ScoreRun.objects.select_for_update().get(pk=run_id)
    chunks = list(run.chunks.all())
    pending = [c.index for c in chunks if c.done_at is None]
    if pending:
        run.status = ScoreRun.Status.FAILED
        run.stats = {**run.stats, "pending_chunks": pending}
    else:
        total: dict = {"tiers": {}}
        for c in chunks:
            for k, v in c.stats.items():
                if k == "error":
                    continue
                if k == "tiers":
                    for t, n in v.items():
                        total["tiers"][t] = total["tiers"].get(t, 0) + n
                else:
                    total[k] = total.get(k, 0) + v
        run.status, run.stats, run.finished_at = ScoreRun.Status.DONE, total, timezone.now()
    run.save(update_fields=["status", "stats", "finished_at"])
    return run
