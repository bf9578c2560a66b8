"""The nightly loop: features -> rules + model -> tier -> alert -> work order, in idempotent chunks."""

import json
import logging
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts.services import alerts_close_cleared, alerts_upsert
from churnops.bulk import frame_upsert
from customers.models import Customer
from interventions.services import work_orders_open_for_alerts

from .features import compute_features, cutoff_for
from .ml import model as ml
from .ml.catalog import FEATURES_BY_NAME
from .ml.policy import assign_tiers
from .ml.rules import evaluate
from .models import CustomerScore, ScoreChunk, ScoreRun
from .selectors import model_active, policy_current, rule_specs, ruleset_current
from .services import defaults_install
from .training import load_estimator

log = logging.getLogger(__name__)

# The last chunk has no upper bound and the first none below: customers created after the run started fall in
# the last chunk, so chunk ranges follow the customers that exist when each chunk runs.
OPEN_END = 2**62


class RunInProgress(Exception):
    """Another date's run is active: runs are serialised, never interleaved (the caller retries later)."""


def _chunk_bounds(chunk_size: int) -> list[tuple[int, int]]:
    """Customer-id ranges of about `chunk_size` customers each, from one window query; open at both ends."""
    sql = ("SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM customers_customer) numbered "
           "WHERE (rn - 1) %% %s = 0 ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [chunk_size])
        starts = [row[0] for row in cursor.fetchall()]
    if not starts:
        return []
    starts[0] = 0
    return list(zip(starts, [*starts[1:], OPEN_END], strict=True))


def run_start(*, as_of: date, chunk_size: int | None = None) -> ScoreRun:
    """Create (or resume) the run for a date, pinning the policy, rules and model versions in force.

    Raises RunInProgress while another date's run is active: the check and the claim happen under one database
    lock (a transaction-level advisory lock on PostgreSQL; SQLite serialises writers anyway), so two dates started
    together cannot both pass. An active run that has made no progress for SCORING_STALL_SECONDS is failed as
    abandoned first.
    """
    _abandon_stale_runs(except_as_of=as_of)
    return _run_start(as_of=as_of, chunk_size=chunk_size)


RUN_START_LOCK = 0x43484E52  # advisory lock key of run_start ("CHNR")


@transaction.atomic
def _run_start(*, as_of: date, chunk_size: int | None) -> ScoreRun:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_START_LOCK])
    active = ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE).exclude(as_of=as_of).first()
    if active is not None:
        raise RunInProgress(f"the run for {active.as_of} is still in progress")
    defaults_install()
    now = timezone.now()
    run, created = ScoreRun.objects.select_for_update().get_or_create(
        as_of=as_of,
        defaults={"policy_version": policy_current(), "ruleset_version": ruleset_current(),
                  "model_version": model_active(), "progress_at": now},
    )
    if not created and run.status != ScoreRun.Status.DONE:
        # a re-run of a failed or stalled date resumes its pending chunks
        run.status, run.progress_at, run.error, run.finished_at = ScoreRun.Status.RUNNING, now, "", None
        run.save(update_fields=["status", "progress_at", "error", "finished_at"])
    if created or not run.chunks.exists():
        bounds = _chunk_bounds(chunk_size or settings.SCORING_CHUNK_SIZE)
        ScoreChunk.objects.bulk_create(
            [ScoreChunk(run=run, index=i, id_from=lo, id_to=hi) for i, (lo, hi) in enumerate(bounds)],
            ignore_conflicts=True,
        )
        run.chunks_total = len(bounds)
        run.save(update_fields=["chunks_total"])
    return run


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.SCORING_STALL_SECONDS)


def _last_progress(run: ScoreRun):
    chunks = run.chunks.all()
    stamps = [run.progress_at or run.started_at,
              *[c.heartbeat_at for c in chunks if c.heartbeat_at], *[c.done_at for c in chunks if c.done_at]]
    return max(stamps)


def _abandon_stale_runs(*, except_as_of: date) -> None:
    """Fail active runs of other dates that have shown no sign of life for the stall timeout (a killed process
    without a broker, or workers gone for good), so a new date can start."""
    for run in ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE).exclude(as_of=except_as_of):
        if _last_progress(run) < _stale_before():
            failed = ScoreRun.objects.filter(pk=run.pk, status__in=ScoreRun.ACTIVE).update(
                status=ScoreRun.Status.FAILED, finished_at=timezone.now(),
                error=f"abandoned: no progress for {settings.SCORING_STALL_SECONDS} s")
            if failed:
                run.refresh_from_db()
                _notify_admins(run)


def runs_stalled() -> list[tuple[int, list[int]]]:
    """Mark active runs without progress for the stall timeout as stalled; returns (run id, pending chunk ids)
    for the caller to re-dispatch. A run whose chunks are all done is finished here (its chord was lost)."""
    out = []
    for run in ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE):
        pending = list(run.chunks.filter(done_at__isnull=True).values_list("id", flat=True))
        if not pending:
            run_finish(run_id=run.id)
            continue
        if _last_progress(run) >= _stale_before():
            continue
        claimed = ScoreRun.objects.filter(pk=run.pk, status__in=ScoreRun.ACTIVE, progress_at=run.progress_at).update(
            status=ScoreRun.Status.STALLED, progress_at=timezone.now(),
            stats={**run.stats, "stalls": run.stats.get("stalls", 0) + 1})
        if claimed:
            run.refresh_from_db()
            log.warning("run %s stalled; re-dispatching %d chunk(s)", run.as_of, len(pending))
            _notify_admins(run)
            out.append((run.id, pending))
    return out


def _notify_admins(run: ScoreRun) -> None:
    """E-mail the admins that a run failed or stalled (after the transaction commits; never raises)."""
    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name="admin"), is_active=True)
    emails = sorted({u.email for u in users if u.email})
    if not emails:
        return
    link = f"{settings.CHURNOPS_BASE_URL.rstrip('/')}/scoring/runs/"
    subject = f"ChurnOps: the nightly run for {run.as_of} is {run.status}"
    body = f"{subject}.\n{run.error or run.stats}\n\nRun history (retry there): {link}\n"
    transaction.on_commit(lambda: send_mail(subject, body, None, emails, fail_silently=True))


_CHANGE_PCTS = ("visit_change_pct", "login_change_pct", "purchase_change_pct", "spend_change_pct",
                "activity_change_pct")


def _phrase_values(row: dict) -> dict:
    """A feature row plus the 'down 75% vs the prior 90 days' wordings, ready for the catalog phrases."""
    values = {k: (np.nan if v is None else v) for k, v in row.items()}
    values.update({k: _pct(values.get(k.replace("_pct", "_ratio"))) for k in _CHANGE_PCTS})
    return values


def _phrase_of(name: str, values: dict) -> str:
    value = values.get(name)
    if value is None or value != value:  # NaN
        return f"{FEATURES_BY_NAME[name].description}: not recorded"
    try:
        return FEATURES_BY_NAME[name].phrase.format_map(values)
    except (KeyError, ValueError, TypeError):
        return f"{FEATURES_BY_NAME[name].description}: {value}"


def _phrase(name: str, row: dict) -> str:
    """How an account manager would say what feature `name` of this customer shows."""
    return _phrase_of(name, _phrase_values(row))


def _pct(ratio) -> str:
    if ratio is None or pd.isna(ratio):
        return "unchanged"
    if ratio <= -0.995:
        return "stopped (down 100% vs the prior 90 days)"
    return f"{'up' if ratio > 0 else 'down'} {abs(ratio) * 100:.0f}% vs the prior 90 days"


def explain_rows(algorithm: str, estimator, reference: dict, X: pd.DataFrame) -> list[list[dict]]:
    """Top factors per row, with signed log-odds weights and a sentence for the account manager."""
    if X.empty:
        return []
    contrib = ml.contributions(algorithm, estimator, X, reference)
    factors = ml.top_factors(contrib, list(X.columns))
    records = X.to_dict("records")
    out = []
    for row, rec in zip(factors, records, strict=True):
        values = _phrase_values(rec)
        out.append([{"feature": f, "weight": round(w, 4), "text": _phrase_of(f, values)} for f, w in row])
    return out


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
    X = compute_features(as_of=score.as_of, id_from=score.customer_id, id_to=score.customer_id + 1)
    if X.empty:
        return []
    return explain_rows(bundle["algorithm"], bundle["estimator"], bundle["reference"], X[bundle["features"]])[0]


def score_chunk(*, chunk_id: int) -> dict:
    """Score one chunk and write its scores, alerts and work orders in one transaction.

    The chunk row is locked and marked done in the same transaction, so a retried, duplicated or re-dispatched
    task finds it done and writes nothing. Before that, a heartbeat (committed at once) shows the sweep that a
    worker has the chunk.
    """
    now = timezone.now()
    ScoreChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(heartbeat_at=now, attempts=F("attempts") + 1)
    with transaction.atomic():
        chunk = ScoreChunk.objects.select_for_update(of=("self",)).select_related("run__policy_version",
                                                                       "run__ruleset_version",
                                                                       "run__model_version").get(pk=chunk_id)
        if chunk.done_at is not None:
            return chunk.stats
        run = chunk.run
        stats = _score_and_write(run, chunk)
        chunk.done_at = chunk.heartbeat_at = timezone.now()
        chunk.stats = stats
        chunk.save(update_fields=["done_at", "heartbeat_at", "stats"])
        ScoreRun.objects.filter(pk=run.pk).update(progress_at=chunk.done_at)
    return stats


def run_finish_if_complete(*, chunk_id: int) -> None:
    """The task of a run's last chunk closes the run (the chord callback may have been lost with a worker)."""
    run_id = ScoreChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    if run_id and not ScoreChunk.objects.filter(run_id=run_id, done_at__isnull=True).exists():
        run_finish(run_id=run_id)


def _no_activity(run: ScoreRun, chunk: ScoreChunk, scored: int) -> int:
    """Customers of the chunk not yet churned but without any activity before the run's cut-off."""
    cutoff = cutoff_for(run.as_of)
    live = Customer.objects.filter(id__gte=chunk.id_from, id__lt=chunk.id_to).filter(
        Q(churned_at__isnull=True) | Q(churned_at__gte=cutoff)).count()
    return live - scored


def _newer_scored(run: ScoreRun, chunk: ScoreChunk) -> set[int]:
    """Customers of the chunk already scored by a run of a later date: this run must not touch their alerts or
    work orders (the date fence; an older run finishing late never rewinds a newer verdict)."""
    return set(CustomerScore.objects.filter(customer_id__gte=chunk.id_from, customer_id__lt=chunk.id_to,
                                            as_of__gt=run.as_of).values_list("customer_id", flat=True).distinct())


def _score_and_write(run: ScoreRun, chunk: ScoreChunk) -> dict:
    policy = run.policy_version.data
    rules = rule_specs(run.ruleset_version)
    features = compute_features(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to)
    empty = {"customers": 0, "at_risk": 0, "rule_high": 0, "work_orders_opened": 0, "alerts_closed": 0,
             "tiers": {}, "no_activity": _no_activity(run, chunk, len(features)), "fenced": 0}
    if features.empty:
        return {**empty, "empty_chunks": 1}
    bundle = _model_bundle(run)
    scored = score_frame(features=features, policy=policy, rules=rules, model_bundle=bundle)
    at_risk = scored[scored["tier"] > 0]
    X_risk = features.loc[at_risk.index]
    if bundle:
        factors = explain_rows(bundle["algorithm"], bundle["estimator"], bundle["reference"],
                               X_risk[bundle["features"]])
    else:
        factors = [[] for _ in range(len(at_risk))]
    factor_map = dict(zip(at_risk.index, factors, strict=True))
    _write_scores(run, scored, factor_map)
    fenced = _newer_scored(run, chunk)
    rows = [{"customer_id": int(cid), "probability": float(p), "tier": int(t), "rules_fired": fired,
             "is_rule_high_risk": bool(high), "factors": factor_map[cid]}
            for cid, p, t, fired, high in zip(at_risk.index, at_risk["probability"], at_risk["tier"],
                                              at_risk["rules_fired"], at_risk["is_rule_high_risk"], strict=True)
            if int(cid) not in fenced]
    alerts = alerts_upsert(as_of=run.as_of, rows=rows, control_share=policy["control_share"])
    closed = alerts_close_cleared(keep_customer_ids=[*alerts, *fenced], id_from=chunk.id_from, id_to=chunk.id_to,
                                  reason="risk cleared", as_of=run.as_of)
    work_tiers = {t["tier"] for t in policy["tiers"] if t["creates_work_order"]}
    eligible = [a for a in alerts.values() if a.tier in work_tiers and not a.is_control and not _snoozed(a, run.as_of)]
    customers = Customer.objects.select_related("owner__agent").in_bulk([a.customer_id for a in eligible])
    candidates = [{"customer": customers[a.customer_id], "alert": a, "tier": a.tier, "probability": a.probability}
                  for a in eligible]
    opened = work_orders_open_for_alerts(as_of=run.as_of, candidates=candidates, policy=policy)
    tiers = scored["tier"].value_counts().to_dict()
    return {**empty, "customers": len(features), "at_risk": len(rows),
            "rule_high": int(scored["is_rule_high_risk"].sum()), "work_orders_opened": opened,
            "alerts_closed": closed, "fenced": len(fenced),
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
    """Close the run once every chunk is done: roll up chunk stats. Pending chunks make it FAILED (and notify)."""
    run = ScoreRun.objects.select_for_update().get(pk=run_id)
    if run.status == ScoreRun.Status.DONE:
        return run
    chunks = list(run.chunks.all())
    pending = [c for c in chunks if c.done_at is None]
    if pending:
        run.status, run.finished_at = ScoreRun.Status.FAILED, timezone.now()
        run.stats = {**run.stats, "pending_chunks": [c.index for c in pending]}
        errors = [f"chunk {c.index}: {c.stats['error']}" for c in pending if c.stats.get("error")]
        run.error = "; ".join(errors)[:2000] or f"{len(pending)} chunk(s) not done"
        _notify_admins(run)
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
        if run.stats.get("stalls"):
            total["stalls"] = run.stats["stalls"]
        run.status, run.stats, run.finished_at, run.error = ScoreRun.Status.DONE, total, timezone.now(), ""
    run.save(update_fields=["status", "stats", "finished_at", "error"])
    return run
