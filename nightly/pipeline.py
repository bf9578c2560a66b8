"""The nightly loop: features -> rules + model -> tier -> alert in idempotent chunks, then, once every chunk is
scored, the capacity budget: work orders for as many at-risk customers as the tier teams can hold.

Every write is fenced by the run's date (an older run never rewinds what a newer one wrote), one date runs at a
time, chunks heartbeat, and a run that stops making progress is marked stalled and its chunks sent again."""

import logging
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from alerts.models import Alert
from alerts.services import alerts_close_cleared, alerts_upsert
from customers.models import Customer
from interventions.services import offers_install_defaults, playbooks_install_defaults, work_orders_allocate
from scoring.features import compute_features_and_values, cutoff_for
from scoring.lanes import NEW_CUSTOMER, churned_count, split_population, values_of
from scoring.ml.explain import explain_rows
from scoring.ml.policy import rank_thresholds, setting
from scoring.models import ScoreChunk, ScoreRun
from scoring.score_writes import history_partition_ensure, latest_changes, scores_record
from scoring.scorer import model_bundle, score_frame
from scoring.selectors import model_active, policy_current, rule_specs, ruleset_current, scored_after, scores_on
from scoring.services import defaults_install
from webhooks.services import webhook_emit

from .liveness import abandon_stale_runs, last_progress, notify_admins, stale_before
from .stats import Laps, rolled_up

log = logging.getLogger(__name__)

# The last chunk has no upper bound and the first none below: customers created after the run started fall in
# the last chunk, so chunk ranges follow the customers that exist when each chunk runs.
OPEN_END = 2**62


class RunInProgress(Exception):
    """Another date's run is active: runs are serialised, never interleaved (the caller retries later)."""


def _chunk_bounds(chunk_size: int) -> list[tuple[int, int]]:
    """Customer-id ranges of about `chunk_size` customers each, from one window query; open at both ends."""
    sql = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM customers_customer) numbered "
        "WHERE (rn - 1) %% %s = 0 ORDER BY id"
    )
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
    abandon_stale_runs(except_as_of=as_of)
    return _run_start(as_of=as_of, chunk_size=chunk_size)


RUN_START_LOCK = 0x43484E52  # advisory lock key of run_start ("CHNR")


@transaction.atomic
def _run_start(*, as_of: date, chunk_size: int | None) -> ScoreRun:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_START_LOCK])
    active = ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE).exclude(as_of=as_of).first()
    if active is not None:
        raise RunInProgress(gettext("the run for %(day)s is still in progress") % {"day": active.as_of})
    history_partition_ensure(as_of=as_of)  # before the chunks: they write into the month's partition in parallel
    defaults_install()  # the seed rules and the default policy
    playbooks_install_defaults()  # and the seed playbooks and offer kit: a first night works like the demo's
    offers_install_defaults()
    now = timezone.now()
    run, created = ScoreRun.objects.select_for_update().get_or_create(
        as_of=as_of,
        defaults={
            "policy_version": policy_current(),
            "ruleset_version": ruleset_current(),
            "model_version": model_active(),
            "progress_at": now,
        },
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
    probability = scores_on(as_of=previous.as_of).probability
    if not len(probability):
        return None
    return {str(k): v for k, v in rank_thresholds(run.policy_version.data, probability).items()}


def runs_stalled() -> list[tuple[int, list[int]]]:
    """Mark active runs without progress for the stall timeout as stalled; returns (run id, pending chunk ids)
    for the caller to re-dispatch. A run whose chunks are all done is finished here (its chord was lost)."""
    out = []
    for run in ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE):
        pending = list(run.chunks.filter(done_at__isnull=True).values_list("id", flat=True))
        if not pending:
            run_finish(run_id=run.id)
            continue
        if last_progress(run) >= stale_before():
            continue
        claimed = ScoreRun.objects.filter(pk=run.pk, status__in=ScoreRun.ACTIVE, progress_at=run.progress_at).update(
            status=ScoreRun.Status.STALLED,
            progress_at=timezone.now(),
            stats={**run.stats, "stalls": run.stats.get("stalls", 0) + 1},
        )
        if claimed:
            run.refresh_from_db()
            log.warning("run %s stalled; re-dispatching %d chunk(s)", run.as_of, len(pending))
            notify_admins(run)
            out.append((run.id, pending))
    return out


def score_chunk(*, chunk_id: int) -> dict:
    """Score one chunk and write its scores, alerts and work orders in one transaction.

    The chunk row is locked and marked done in the same transaction, so a retried, duplicated or re-dispatched
    task finds it done and writes nothing. Before that, a heartbeat (committed at once) shows the sweep that a
    worker has the chunk.
    """
    now = timezone.now()
    ScoreChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(heartbeat_at=now, attempts=F("attempts") + 1)
    with transaction.atomic():
        chunk = (
            ScoreChunk.objects.select_for_update(of=("self",))
            .select_related("run__policy_version", "run__ruleset_version", "run__model_version")
            .get(pk=chunk_id)
        )
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
    live = (
        Customer.objects.filter(id__gte=chunk.id_from, id__lt=chunk.id_to)
        .filter(Q(churned_at__isnull=True) | Q(churned_at__gte=cutoff))
        .count()
    )
    return live - scored


def _newer_scored(run: ScoreRun, chunk: ScoreChunk) -> set[int]:
    """Customers of the chunk already scored by a run of a later date: this run must not touch their alerts or
    work orders (the date fence; an older run finishing late never rewinds a newer verdict)."""
    return scored_after(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to)


def _score_and_write(run: ScoreRun, chunk: ScoreChunk) -> dict:
    """Score the chunk's active customers and upsert their alerts; lapsed customers' alerts give way to win-back.

    No work order opens here: the capacity budget is the whole run's (run_finish). Customers already scored by a
    later run are fenced off: their alerts are neither rewritten nor closed by this (older) run.
    """
    lap = Laps()
    policy = run.policy_version.data
    rules = rule_specs(run.ruleset_version)
    bundle = model_bundle(run)
    lap("model_load")
    all_features, value_inputs = compute_features_and_values(
        as_of=run.as_of,
        id_from=chunk.id_from,
        id_to=chunk.id_to,
        bgnbd_params=bundle.get("bgnbd_params") if bundle else None,
        value_days=setting(policy, "value_spend_days"),
    )
    empty = {
        "customers": 0,
        "lapsed": 0,
        "new": 0,
        "at_risk": 0,
        "rule_high": 0,
        "alerts_closed": 0,
        "tiers": {},
        "no_activity": _no_activity(run, chunk, len(all_features)),  # lapped as part of the features
        "fenced": 0,
        "scores_written": 0,
        "history_rows": 0,
        "alerts_written": 0,
    }
    if all_features.empty:
        return {
            **empty,
            "empty_chunks": 1,
            "lapsed": churned_count(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to),
        }
    lap("features")
    population = split_population(all_features, policy)
    features = population.active
    scored = score_frame(
        features=features, policy=policy, rules=rules, model_bundle=bundle, ranked=run.stats.get("rank_thresholds")
    )
    lap("score")
    at_risk = scored[scored["tier"] > 0]
    changes = latest_changes(run=run, scored=scored, id_from=chunk.id_from, id_to=chunk.id_to)
    # Explain only whom tonight writes: a changed latest score, or no open alert to keep its explanation.
    alerted = set(
        Alert.objects.filter(open_key__gte=chunk.id_from, open_key__lt=chunk.id_to).values_list("open_key", flat=True)
    )
    explain = at_risk.index[at_risk.index.isin(changes.changed) | ~at_risk.index.isin(list(alerted))]
    if bundle and len(explain):
        factors = explain_rows(bundle["estimator"], features.loc[explain], bundle["features"], bundle["reference"])
    else:
        factors = [[] for _ in range(len(explain))]
    factor_map = dict(zip(explain, factors, strict=True))
    lap("explain")
    written = _write_scores(run, chunk, scored, factor_map, changes)
    lap("write_scores")
    fenced = _newer_scored(run, chunk)
    values = values_of(
        value_inputs.set_axis(["lifetime_value", "spend", "purchases", "activity"], axis=1), at_risk.index
    )
    new = set(population.new)
    rows = [
        {
            "customer_id": int(cid),
            "probability": float(p),
            "tier": int(t),
            "rules_fired": fired,
            "is_rule_high_risk": bool(high),
            "factors": factor_map.get(cid),  # None: unchanged, the alert keeps its explanation
            "value": float(values.at[cid, "value"]),
            "value_basis": values.at[cid, "value_basis"],
            "lane_reason": NEW_CUSTOMER if cid in new else "",
        }
        for cid, p, t, fired, high in zip(
            at_risk.index,
            at_risk["probability"],
            at_risk["tier"],
            at_risk["rules_fired"],
            at_risk["is_rule_high_risk"],
            strict=True,
        )
        if int(cid) not in fenced
    ]
    alerts = alerts_upsert(as_of=run.as_of, rows=rows, control_share=policy["control_share"])
    lapsed_ids = [c for c in population.lapsed.tolist() if int(c) not in fenced]
    closed = alerts_close_cleared(
        keep_customer_ids=[],
        id_from=chunk.id_from,
        id_to=chunk.id_to,
        reason="lapsed: win-back lane",
        only_customer_ids=lapsed_ids,
        as_of=run.as_of,
    )
    closed += alerts_close_cleared(
        keep_customer_ids=[*alerts, *fenced],
        id_from=chunk.id_from,
        id_to=chunk.id_to,
        reason="risk cleared",
        as_of=run.as_of,
    )
    tiers = scored["tier"].value_counts().to_dict()
    lapsed = len(population.lapsed) + churned_count(as_of=run.as_of, id_from=chunk.id_from, id_to=chunk.id_to)
    lap("alerts")
    return {
        **empty,
        "customers": len(features),
        "lapsed": lapsed,
        "new": len(new),
        "at_risk": len(rows),
        "rule_high": int(scored["is_rule_high_risk"].sum()),
        "alerts_closed": closed,
        "fenced": len(fenced),
        "scores_written": written["scores_written"],
        "history_rows": written["history_rows"],
        "alerts_written": alerts.written,
        "tiers": {str(int(k)): int(v) for k, v in tiers.items() if k > 0},
        "seconds": lap.spent,
    }


def _write_scores(run: ScoreRun, chunk: ScoreChunk, scored, factor_map: dict, changes) -> dict:
    """The chunk's scores into the nightly history, and into the latest scores where they changed."""
    return scores_record(
        run=run, scored=scored, factors=factor_map, id_from=chunk.id_from, id_to=chunk.id_to, changes=changes
    )


def chunk_failed(*, chunk_id: int, error: str) -> None:
    ScoreChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(stats={"error": error[:2000]})


@transaction.atomic
def run_finish(*, run_id: int) -> ScoreRun:
    """Close the run once every chunk is done: roll up chunk stats, then spend the capacity budget. Pending
    chunks make it FAILED (and notify).

    Under the run's row lock and only once: a finished run is left as it is, so a second run the same night
    changes nothing; and a run older than one already finished opens no work orders (the date fence).
    """
    run = ScoreRun.objects.select_for_update(of=("self",)).select_related("policy_version").get(pk=run_id)
    if run.status == ScoreRun.Status.DONE:
        return run
    chunks = list(run.chunks.all())
    pending = [c for c in chunks if c.done_at is None]
    if pending:
        run.status, run.finished_at = ScoreRun.Status.FAILED, timezone.now()
        run.stats = {**run.stats, "pending_chunks": [c.index for c in pending]}
        errors = [f"chunk {c.index}: {c.stats['error']}" for c in pending if c.stats.get("error")]
        run.error = "; ".join(errors)[:2000] or f"{len(pending)} chunk(s) not done"
        notify_admins(run)
    else:
        total = rolled_up(chunks)
        if run.stats.get("stalls"):
            total["stalls"] = run.stats["stalls"]
        if "rank_thresholds" in run.stats:
            total["rank_thresholds"] = run.stats["rank_thresholds"]
        newer = ScoreRun.objects.filter(status=ScoreRun.Status.DONE, as_of__gt=run.as_of).exists()
        if newer:
            total["work_orders_opened"] = 0
            total["budget_note"] = "a later night has already run: this run opens no work orders"
        else:
            total.update(work_orders_allocate(as_of=run.as_of, policy=run.policy_version.data))
        run.status, run.stats, run.finished_at, run.error = ScoreRun.Status.DONE, total, timezone.now(), ""
    run.save(update_fields=["status", "stats", "finished_at", "error"])
    webhook_emit(
        event_type="score_run.finished",
        key=f"score_run.finished:{run.pk}",
        payload={"run_id": run.pk, "as_of": run.as_of.isoformat(), "status": run.status, "stats": run.stats},
    )
    return run
