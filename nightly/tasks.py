"""Thin Celery tasks: ids in, one service call each.

The task names are the ones they had under scoring/ (the beat schedule and queued messages refer to them).
"""

import logging

from celery import chord, shared_task
from django.db import OperationalError
from django.utils import timezone

from . import pipeline

log = logging.getLogger(__name__)


@shared_task(name="scoring.tasks.score_chunk_task", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, acks_late=True)
def score_chunk_task(chunk_id: int) -> dict:
    try:
        return pipeline.score_chunk(chunk_id=chunk_id)
    except OperationalError:
        raise  # retried: the database may be back next time
    except Exception as exc:
        # Not retryable: record it and let the chord finish, so the run ends FAILED with this chunk pending
        # (re-running the date scores only the pending chunks).
        log.exception("chunk %s failed", chunk_id)
        pipeline.chunk_failed(chunk_id=chunk_id, error=repr(exc))
        return {"error": repr(exc)}


@shared_task(name="scoring.tasks.finish_run_task", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def finish_run_task(_results, run_id: int) -> str:
    return pipeline.run_finish(run_id=run_id).status


@shared_task(name="scoring.tasks.nightly_run_task")
def nightly_run_task(as_of: str | None = None, chunk_size: int | None = None) -> int:
    """Start the run for a date and fan its chunks out as a Celery chord."""
    from datetime import date

    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    run = pipeline.run_start(as_of=day, chunk_size=chunk_size)
    chunk_ids = list(run.chunks.filter(done_at__isnull=True).values_list("id", flat=True))
    if chunk_ids:
        chord(score_chunk_task.si(cid) for cid in chunk_ids)(finish_run_task.s(run.id))
    else:
        pipeline.run_finish(run_id=run.id)
    return run.id
