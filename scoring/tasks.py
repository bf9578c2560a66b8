"""Thin Celery tasks for the model's life: primitives in, one service each.

The monthly retrain keeps the task name it had under reports/ (the beat schedule refers to it).
"""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import lifecycle
from .preview_exact import exact_compute


@shared_task(
    name="reports.tasks.monthly_retrain_task", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def monthly_retrain_task(as_of: str | None = None) -> int:
    """Retrain on history up to `as_of` (default today) and promote only a better model."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return lifecycle.monthly_retrain(as_of=day).pk


@shared_task(name="scoring.tasks.preview_exact_task")
def preview_exact_task(key: str, policy: dict | None, rules: list | None, capacity: dict | None) -> None:
    """The exact counts of a previewed change over every customer, kept in the cache under `key` for the page."""
    exact_compute(key=key, policy=policy, rules=rules, capacity=capacity)
