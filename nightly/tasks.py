"""Thin Celery tasks of the nightly loop: ids in, one service call each.

Their names are the ones they had under scoring/ (the beat schedule and queued messages refer to them).

Transient database errors (Django's OperationalError/InterfaceError and psycopg's own OperationalError, which the
COPY path raises unwrapped) are retried with backoff on a fresh connection; anything else is not retryable: a chunk
records it and the run ends FAILED with that chunk pending.
"""

import logging
import time
from datetime import date

import psycopg
from celery import chord, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from alerts.models import Alert
from scoring.models import LatestScore, ScoreRun
from scoring.score_writes import history_partition_ensure, history_prune

from . import pipeline

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 120, "max_retries": 5}
RUN_BUSY_MAX_RETRIES = 6 * 60  # a date waiting for another date's run asks again (SCORING_RUN_BUSY_RETRY_SECONDS)


IN_PROCESS_RETRIES = (0.5, 2.0)  # seconds before each quick retry in the same task, then Celery's own retries


def _drop_connection() -> None:
    """Drop a connection a transient error may have broken, so the next attempt reconnects (not inside an outer
    transaction: that one belongs to the caller, e.g. a test)."""
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - the connection is already gone; the next attempt opens a new one
        log.debug("closing a broken connection failed", exc_info=True)


def _with_db_retries(fn, *args, **kwargs):
    """Call `fn`, retrying transient database errors a couple of times on a fresh connection. Still failing, the
    error goes to Celery's autoretry (backoff, capped); with no broker (eager) it fails the task."""
    for pause in (*IN_PROCESS_RETRIES, None):
        try:
            return fn(*args, **kwargs)
        except TRANSIENT as exc:
            _drop_connection()
            if pause is None:
                raise
            log.warning("transient database error, retrying in %.1f s: %r", pause, exc)
            time.sleep(pause)
    raise AssertionError("unreachable")


class _FreshConnection:
    """On a transient error, drop the connection so Celery's retry reconnects."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, TRANSIENT):
            _drop_connection()
        return False


@shared_task(name="scoring.tasks.score_chunk_task", acks_late=True, **RETRY)
def score_chunk_task(chunk_id: int) -> dict:
    with _FreshConnection():
        try:
            stats = _with_db_retries(pipeline.score_chunk, chunk_id=chunk_id)
        except TRANSIENT:
            raise  # retried: the database may be back next time
        except Exception as exc:
            # Not retryable: record it and let the chord finish, so the run ends FAILED with this chunk pending
            # (re-running the date scores only the pending chunks).
            log.exception("chunk %s failed", chunk_id)
            pipeline.chunk_failed(chunk_id=chunk_id, error=repr(exc))
            return {"error": repr(exc)}
        _with_db_retries(pipeline.run_finish_if_complete, chunk_id=chunk_id)
        return stats


@shared_task(name="scoring.tasks.finish_run_task", **RETRY)
def finish_run_task(_results, run_id: int) -> str:
    with _FreshConnection():
        return _with_db_retries(pipeline.run_finish, run_id=run_id).status


def _dispatch(run_id: int, chunk_ids: list[int]) -> None:
    if chunk_ids:
        chord(score_chunk_task.si(cid) for cid in chunk_ids)(finish_run_task.s(run_id))
    else:
        pipeline.run_finish(run_id=run_id)


@shared_task(name="scoring.tasks.nightly_run_task", bind=True, max_retries=RUN_BUSY_MAX_RETRIES)
def nightly_run_task(self, as_of: str | None = None, chunk_size: int | None = None) -> int:
    """Start the run for a date and fan its chunks out as a Celery chord.

    While another date's run is active this date waits (retried every minute): runs never interleave.
    """
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    try:
        with _FreshConnection():
            run = _with_db_retries(pipeline.run_start, as_of=day, chunk_size=chunk_size)
    except pipeline.RunInProgress as exc:
        if self.request.is_eager:
            raise  # in-process (no broker) there is nobody to wait for: refuse
        raise self.retry(exc=exc, countdown=settings.SCORING_RUN_BUSY_RETRY_SECONDS) from exc
    except TRANSIENT as exc:
        raise self.retry(exc=exc, countdown=10, max_retries=5) from exc
    _dispatch(run.id, list(run.chunks.filter(done_at__isnull=True).values_list("id", flat=True)))
    return run.id


@shared_task(name="scoring.tasks.runs_sweep_task", **RETRY)
def runs_sweep_task() -> int:
    """Finish runs whose chunks are all done; mark runs without progress stalled and re-send their chunks."""
    with _FreshConnection():
        stalled = _with_db_retries(pipeline.runs_stalled)
    for run_id, chunk_ids in stalled:
        _dispatch(run_id, chunk_ids)
    return len(stalled)


@shared_task(name="scoring.tasks.nightly_retry_task", **RETRY)
def nightly_retry_task(as_of: str | None = None) -> int | None:
    """The beat's second chance: re-run today's date once if it failed."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    with _FreshConnection():
        claimed = (
            ScoreRun.objects.filter(as_of=day, status=ScoreRun.Status.FAILED).exclude(stats__has_key="retried").first()
        )
        if claimed is None:
            return None
        claimed.stats = {**claimed.stats, "retried": timezone.now().isoformat()}
        claimed.save(update_fields=["stats"])
    nightly_run_task.delay(day.isoformat())
    return claimed.id


# Tables the nightly run updates in place (only what changed): vacuumed daily before the night, so their dead
# row versions are reused whether or not the server's autovacuum keeps up (or runs at all).
UPDATED_IN_PLACE = (LatestScore, Alert)


def _vacuum_updated_in_place() -> list[str]:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []  # VACUUM cannot run in a transaction (a test's); SQLite reuses free pages itself
    tables = [m._meta.db_table for m in UPDATED_IN_PLACE]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    return tables


@shared_task(name="scoring.tasks.score_history_retention_task", **RETRY)
def score_history_retention_task(today: str | None = None) -> dict:
    """Create the score history's partitions for this month and the next; drop the months past the retention;
    vacuum the tables the nightly run updates in place."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    with _FreshConnection():
        created = _with_db_retries(history_partition_ensure, as_of=day)
        pruned = _with_db_retries(history_prune, today=day)
        return {**pruned, "partitions_created": created, "vacuumed": _with_db_retries(_vacuum_updated_in_place)}
