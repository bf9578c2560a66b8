"""Writes of the webhooks app: register endpoints, emit events, deliver them (signed, retried, logged)."""

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .signing import SIGNATURE_HEADER, signature_header
from .validation import endpoint_errors, url_errors

log = logging.getLogger(__name__)

EMIT_BATCH = 1000  # deliveries per INSERT and per read-back IN list
# A sender that has not heard back within this long is presumed dead (worker killed): its claim lapses.
STALE_CLAIM = timedelta(minutes=5)
ADMIN_GROUP = "admin"  # interventions.choices.Role.ADMIN, named here so that this app stays on the core floor


def _setting(name: str, default):
    return getattr(settings, name, default)


class WebhookInputError(ValueError):
    """A refused endpoint: `errors` are (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


# --- endpoints -----------------------------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_save(
    *,
    name: str,
    url: str,
    events: list[str],
    is_slack_compatible: bool = False,
    allows_private: bool = False,
    is_active: bool = True,
    owner=None,
    secret: str = "",
    endpoint: WebhookEndpoint | None = None,
) -> WebhookEndpoint:
    """Register or change an endpoint; a new one gets a random secret unless given one. Re-activating clears
    the failure record."""
    errors = endpoint_errors(name=name, url=url, events=events, allows_private=allows_private)
    if errors:
        raise WebhookInputError(errors)
    endpoint = endpoint or WebhookEndpoint(owner=owner)
    endpoint.name, endpoint.url, endpoint.events = name.strip(), url, sorted(set(events))
    endpoint.is_slack_compatible, endpoint.allows_private = is_slack_compatible, allows_private
    endpoint.secret = secret or endpoint.secret or secrets.token_hex(32)
    if is_active and not endpoint.is_active:
        endpoint.failing_since, endpoint.disabled_at, endpoint.disabled_reason = None, None, ""
    endpoint.is_active = is_active
    endpoint.save()
    return endpoint


# --- emitting ------------------------------------------------------------------------------------------------------


def webhook_emit(*, event_type: str, payload: dict, key: str | None = None) -> int:
    """Announce one event to every active endpoint subscribed to its type; returns how many deliveries were new.

    `key` is the event's natural key (the same event emitted twice is delivered once per endpoint); without one
    the event is unique. The deliveries are written in the caller's transaction and sent after it commits.
    """
    return webhook_emit_many(event_type=event_type, events=[(key or f"{event_type}:{uuid.uuid4()}", payload)])


def webhook_emit_many(*, event_type: str, events: Iterable[tuple[str, dict]]) -> int:
    """webhook_emit for many events of one type: one endpoint read, bulk inserts, one enqueue after commit."""
    events = list(events)
    if not events:
        return 0
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True).only("id", "events") if event_type in e.events
    ]
    if not endpoints:
        return 0
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint_id=e.id,
            idempotency_key=key[:200],
            event_type=event_type,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for key, payload in events
        for e in endpoints
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=EMIT_BATCH, ignore_conflicts=True)
    ids: list[int] = []
    for start in range(0, len(events), EMIT_BATCH):
        keys = [key[:200] for key, _ in events[start : start + EMIT_BATCH]]
        ids += WebhookDelivery.objects.filter(
            endpoint_id__in=[e.id for e in endpoints], idempotency_key__in=keys, created_at=now, attempts=0
        ).values_list("id", flat=True)
    transaction.on_commit(partial(_enqueue, sorted(ids)))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    from .tasks import webhook_deliver_task  # tasks import the services

    for delivery_id in ids:
        webhook_deliver_task.delay(delivery_id)


def webhooks_retry_due(*, now: datetime | None = None) -> int:
    """Enqueue deliveries whose retry time has come or whose sender vanished (beat; a lost message is resent)."""
    now = now or timezone.now()
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=now - STALE_CLAIM
    )
    ids = list(
        WebhookDelivery.objects.filter(due, endpoint__is_active=True)
        .order_by("id")
        .values_list("id", flat=True)[:10_000]
    )
    if ids:
        transaction.on_commit(partial(_enqueue, ids))
    return len(ids)


# --- delivering ----------------------------------------------------------------------------------------------------


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON body: the same bytes on every attempt (the signature's timestamp is what changes)."""
    event = {
        "id": delivery.idempotency_key,
        "type": delivery.event_type,
        "timestamp": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    if delivery.endpoint.is_slack_compatible:
        summary = delivery.payload.get("summary") or delivery.event_type
        link = delivery.payload.get("url")
        event = {"text": f"{summary} {link}" if link else summary, **event}
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=str).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead to a private address: it is a refusal, not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST and return the status; raises OSError (time-outs included) when no answer came."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (http(s) only)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _claim(delivery_id: int, now: datetime) -> bool:
    """Conditional UPDATE: only one sender wins a delivery, so a duplicated task sends nothing."""
    claimable = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=now - STALE_CLAIM
    )
    return bool(
        WebhookDelivery.objects.filter(claimable, pk=delivery_id, endpoint__is_active=True).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    )


def webhook_deliver(*, delivery_id: int) -> float | None:
    """One attempt at a delivery; returns the seconds until the next attempt when it should be retried.

    2xx: delivered. 4xx and redirects: failed for good (the receiver refused it; sending again changes nothing).
    5xx, time-outs and connection errors: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS.
    """
    if not _claim(delivery_id, timezone.now()):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = delivery_body(delivery)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ChurnOps-Webhooks/1",
        SIGNATURE_HEADER: signature_header(endpoint.secret, stamp, body),
        "ChurnOps-Event": delivery.event_type,
        "Idempotency-Key": delivery.idempotency_key,
    }
    # Checked again at send time: a host name may have been pointed at a private address since registration.
    refused = url_errors(endpoint.url, allows_private=endpoint.allows_private)
    started = time.perf_counter()
    status, error = None, ""
    if refused:
        error = refused[0][1]
    else:
        try:
            status = _post(endpoint.url, body, headers, _setting("WEBHOOK_TIMEOUT_SECONDS", 5))
        except (OSError, ValueError) as exc:  # time-outs, refused connections, bad TLS
            error = f"{type(exc).__name__}: {exc}"
    latency = int((time.perf_counter() - started) * 1000)
    return _record(delivery, status=status, error=error, latency=latency, retryable=not refused)


def _record(delivery: WebhookDelivery, *, status: int | None, error: str, latency: int, retryable: bool):
    now = timezone.now()
    fields = {"response_status": status, "latency_ms": latency, "error": error[:500]}
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, **fields
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(failing_since=None)
        return None
    if status is not None and status < 500:
        fields["error"] = fields["error"] or f"HTTP {status}: refused by the receiver, not retried"
        retryable = False
    retry_in = None
    if retryable and delivery.attempts < _setting("WEBHOOK_MAX_ATTEMPTS", 8):
        base = _setting("WEBHOOK_RETRY_BASE_SECONDS", 30)
        retry_in = min(base * 2 ** (delivery.attempts - 1), _setting("WEBHOOK_RETRY_MAX_SECONDS", 3600))
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.RETRYING, next_attempt_at=now + timedelta(seconds=retry_in), **fields
        )
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, **fields)
    _endpoint_failed(delivery.endpoint_id, now)
    return retry_in


def _endpoint_failed(endpoint_id: int, now: datetime) -> None:
    """Remember when failures began; after WEBHOOK_DISABLE_AFTER_HOURS of nothing but failures, switch off."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    limit = now - timedelta(hours=_setting("WEBHOOK_DISABLE_AFTER_HOURS", 24))
    reason = "failing for a day: no delivery succeeded since the first failure"
    with transaction.atomic():
        switched = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, failing_since__lte=limit).update(
            is_active=False, disabled_at=now, disabled_reason=reason
        )
        if switched:
            transaction.on_commit(partial(_tell_admins, endpoint_id))


def _tell_admins(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    admins = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name=ADMIN_GROUP), is_active=True)
    emails = {u.email for u in admins if u.email} | (
        {endpoint.owner.email} if endpoint.owner and endpoint.owner.email else set()
    )
    if not emails:
        log.warning("webhook endpoint %s disabled; no admin has an e-mail address", endpoint_id)
        return
    host = urlsplit(endpoint.url).hostname
    send_mail(
        subject=gettext("[ChurnOps] Webhook endpoint '%(name)s' was disabled") % {"name": endpoint.name},
        message=gettext(
            "The endpoint %(name)s (%(host)s) has failed every delivery since %(since)s UTC and was switched off. "
            "Fix the receiver, then re-activate it on the webhooks page; deliveries since then are listed there."
        )
        % {"name": endpoint.name, "host": host, "since": f"{endpoint.failing_since:%Y-%m-%d %H:%M}"},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=sorted(emails),
    )
