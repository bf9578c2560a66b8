"""Thin Celery tasks for the weekly report and the monthly retraining: primitives in, one service each."""

from datetime import date

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from . import services
from .weeks import IsoWeek


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def weekly_report_task(week: str | None = None) -> int:
    """Build last week's report (or `week`) if it is not stored yet, then e-mail it once, after commit."""
    iso = IsoWeek.parse(week) if week else IsoWeek.last_completed()
    with transaction.atomic():
        report, _ = services.weekly_report_build(week=iso)
        transaction.on_commit(lambda: report_email_task.delay(report.pk))
    return report.pk


@shared_task(autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=5)
def report_email_task(report_id: int) -> bool:
    return services.report_email_send(report_id=report_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def monthly_retrain_task(as_of: str | None = None) -> int:
    """Retrain on history up to `as_of` (default today) and promote only a better model."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return services.monthly_retrain(as_of=day).pk
