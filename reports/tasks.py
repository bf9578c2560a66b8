"""Thin Celery tasks for the weekly report: primitives in, one service each."""

from celery import shared_task
from django.db import OperationalError, transaction

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
