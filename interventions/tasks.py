"""Celery tasks of the retention workflow: thin wrappers, primitive ids in, one service call each."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .services import (
    digests_send,
    notifications_email,
    notifications_release,
    sla_sweep,
    work_orders_breached_announce,
    work_orders_reassign_absent,
)

# Only what can succeed next time is retried: a lost database connection or a mail server hiccup.
RETRYABLE = (OperationalError, InterfaceError)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3, soft_time_limit=4 * 60, time_limit=5 * 60)
def sla_sweep_task() -> None:
    """Every 5 minutes (beat): mark at-risk and breached work orders, notify and escalate."""
    sweep = sla_sweep()
    work_orders_breached_announce(sweep_id=sweep.pk)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3, soft_time_limit=4 * 60, time_limit=5 * 60)
def notifications_release_task() -> None:
    """Every 5 minutes (beat): e-mail the notifications held until their recipient's working hours."""
    notifications_release()


@shared_task(autoretry_for=(*RETRYABLE, SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def notifications_email_task(ids: list[int]) -> None:
    notifications_email(ids=ids)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3)
def leave_reassign_task() -> None:
    """Hourly (beat): hand the open work of people whose leave has started to others."""
    work_orders_reassign_absent(on=timezone.localdate())


@shared_task(autoretry_for=(*RETRYABLE, SMTPException, ConnectionError), retry_backoff=True, max_retries=3)
def daily_digest_task() -> None:
    """Every morning (beat): one digest e-mail per person with today's due steps, new work orders and breaches."""
    digests_send(day=timezone.localdate())
