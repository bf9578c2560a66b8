"""Thin Celery tasks for the model's life: primitives in, one service each.

The monthly retrain keeps the task name it had under reports/ (the beat schedule refers to it).
"""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import lifecycle


@shared_task(
    name="reports.tasks.monthly_retrain_task", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def monthly_retrain_task(as_of: str | None = None) -> int:
    """Retrain on history up to `as_of` (default today) and promote only a better model."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return lifecycle.monthly_retrain(as_of=day).pk
