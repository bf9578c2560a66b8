"""Celery tasks of the webhooks app: thin wrappers around the services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import webhook_deliver, webhooks_retry_due

RETRYABLE = (OperationalError, InterfaceError)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3, soft_time_limit=60, time_limit=90)
def webhook_deliver_task(delivery_id: int) -> None:
    """One attempt; a 5xx or a time-out schedules the next with exponential backoff (the claim makes a
    duplicated or re-delivered task send nothing)."""
    retry_in = webhook_deliver(delivery_id=delivery_id)
    if retry_in is not None:
        webhook_deliver_task.apply_async((delivery_id,), countdown=retry_in)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3, soft_time_limit=60, time_limit=90)
def webhooks_retry_task() -> None:
    """Every minute (beat): resend deliveries whose retry is due or whose sender died."""
    webhooks_retry_due()
