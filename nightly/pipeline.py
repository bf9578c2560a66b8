"""The nightly loop: features -> rules + model -> tier -> alert in idempotent chunks, then, once every chunk is
scored, the capacity budget: work orders for as many at-risk customers as the tier teams can hold."""

import json
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alerts.services import alerts_close_cleared, alerts_upsert
from churnops.core.bulk import frame_upsert
from customers.models import Customer
from interventions.services import work_orders_allocate
from scoring.explain import explain_rows
from scoring.features import compute_features
from scoring.lanes import NEW_CUSTOMER, churned_count, customer_values, split_population
from scoring.ml.policy import rank_thresholds, setting
from scoring.models import CustomerScore, ScoreChunk, ScoreRun
from scoring.scorer import model_bundle, score_frame
from scoring.selectors import model_active, policy_current, rule_specs, ruleset_current
from scoring.services import defaults_install
from webhooks.services import webhook_emit


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
        if setting(run.policy_version.data, "tier_mode") == "rank" and (pinned := _rank_thresholds(run)):
            run.stats = {**run.stats, "rank_thresholds": pinned}
        run.save(update_fields=["chunks_total", "stats"])
    return run


def _rank_thresholds(run: ScoreRun) -> dict | None:
    """Rank-based tiers must rank the whole active population, but chunks see a slice of it: pin the thresholds
    of the previous finished run's scores (the same population a night earlier). The first run has none and
    ranks within each chunk."""
    previous = ScoreRun.objects.filter(status=ScoreRun.Status.DONE, as_of__lt=run.as_of).order_by("-as_of").first()
    if previous is None:
        return None
    probability = np.array(CustomerScore.objects.filter(run=previous).values_list("probability", flat=True))
    if not len(probability):
        return None
    return {str(k): v for k, v in rank_thresholds(run.policy_version.data, probability).items()}


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
    """Score the chunk's active customers and upsert their alerts; lapsed customers' alerts give way to win-back.

    No work order opens here: the capacity budget is the whole run's (run_finish).
    """
    policy = run.policy_version.data
    rules = rule_specs(run.ruleset_version)
    population = split_population(compute_features(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to),
                                  policy)
    features = population.active
    bundle = model_bundle(run)
    scored = score_frame(features=features, policy=policy, rules=rules, model_bundle=bundle,
                         ranked=run.stats.get("rank_thresholds"))
    at_risk = scored[scored["tier"] > 0]
    X_risk = features.loc[at_risk.index]
    if bundle:
        factors = explain_rows(bundle["algorithm"], bundle["estimator"], bundle["reference"],
                               X_risk[bundle["features"]])
    else:
        factors = [[] for _ in range(len(at_risk))]
    factor_map = dict(zip(at_risk.index, factors, strict=True))
    _write_scores(run, scored, factor_map)
    values = customer_values(as_of=run.as_of, policy=policy, ids=at_risk.index, id_from=chunk.id_from,
                             id_to=chunk.id_to)
    new = set(population.new)
    rows = [{"customer_id": int(cid), "probability": float(p), "tier": int(t), "rules_fired": fired,
             "is_rule_high_risk": bool(high), "factors": factor_map[cid], "value": float(values.at[cid, "value"]),
             "value_basis": values.at[cid, "value_basis"], "lane_reason": NEW_CUSTOMER if cid in new else ""}
            for cid, p, t, fired, high in zip(at_risk.index, at_risk["probability"], at_risk["tier"],
                                              at_risk["rules_fired"], at_risk["is_rule_high_risk"], strict=True)]
    alerts = alerts_upsert(as_of=run.as_of, rows=rows, control_share=policy["control_share"])
    closed = alerts_close_cleared(keep_customer_ids=[], id_from=chunk.id_from, id_to=chunk.id_to,
                                  reason="lapsed: win-back lane", only_customer_ids=population.lapsed.tolist())
    closed += alerts_close_cleared(keep_customer_ids=list(alerts), id_from=chunk.id_from, id_to=chunk.id_to,
                                   reason="risk cleared")
    tiers = scored["tier"].value_counts().to_dict()
    lapsed = len(population.lapsed) + churned_count(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to)
    return {"customers": len(features), "lapsed": lapsed, "new": len(new), "at_risk": len(rows),
            "rule_high": int(scored["is_rule_high_risk"].sum()), "alerts_closed": closed,
            "tiers": {str(int(k)): int(v) for k, v in tiers.items() if k > 0}}


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
    """Close the run once every chunk is done: roll up chunk stats, then spend the capacity budget.

    Under the run's row lock and only once: a finished run is left as it is, so a second run the same night
    changes nothing.
    """
    run = ScoreRun.objects.select_for_update().select_related("policy_version").get(pk=run_id)
    if run.status == ScoreRun.Status.DONE:
        return run
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
        if "rank_thresholds" in run.stats:
            total["rank_thresholds"] = run.stats["rank_thresholds"]
        total.update(work_orders_allocate(as_of=run.as_of, policy=run.policy_version.data))
        run.status, run.stats, run.finished_at = ScoreRun.Status.DONE, total, timezone.now()
    run.save(update_fields=["status", "stats", "finished_at"])
    webhook_emit(event_type="score_run.finished", key=f"score_run.finished:{run.pk}", payload={
        "run_id": run.pk, "as_of": run.as_of.isoformat(), "status": run.status, "stats": run.stats})
    return run
