"""Notifications: rows listed in the app for the recipient, e-mailed once after the writing transaction commits."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _

from interventions.models import Notification

from .common import batched

NOTIFY_BATCH = 1000  # rows per INSERT and per read-back IN list
EMAIL_BATCH = 200  # notifications per e-mail task: one SMTP session each, small enough to retry cheaply


@dataclass(frozen=True)
class Notice:
    """A notification to write: one per recipient, work order and kind (the table's unique key)."""

    recipient_id: int
    kind: str
    subject: str
    body: str = ""
    work_order_id: int | None = None
    deliver_after: datetime | None = None  # held until then (the recipient's next working moment)


@contextmanager
def in_locale_of(user):
    """Write a notice or an e-mail in its recipient's language and time zone (their profile's; else the
    installation's LANGUAGE_CODE and TIME_ZONE). Callers load `user.agent` with the user where they can."""
    try:
        profile = user.agent if user is not None else None
    except ObjectDoesNotExist:
        profile = None
    language = (profile and profile.language) or settings.LANGUAGE_CODE
    zone = (profile and profile.timezone) or settings.TIME_ZONE
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        yield


def moment_text(moment: datetime) -> str:
    """A moment in the active time zone with the zone named: "2025-06-30 21:00 CEST"."""
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i T")


def work_order_link(work_order_id: int) -> str:
    return f"{settings.CHURNOPS_BASE_URL.rstrip('/')}{reverse('interventions:work_order', args=[work_order_id])}"


def notifications_send(notices: list[Notice]) -> list[int]:
    """Write the notices that do not exist yet and e-mail them once the current transaction commits.

    A notice whose (recipient, work order, kind) already exists is skipped by the unique constraint, so a
    repeated or concurrent caller cannot notify twice. Returns the ids of the notifications still to be e-mailed.
    """
    if not notices:
        return []
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=n.recipient_id,
                work_order_id=n.work_order_id,
                kind=n.kind,
                subject=n.subject[:200],
                body=n.body,
                deliver_after=n.deliver_after,
            )
            for n in notices
        ],
        batch_size=NOTIFY_BATCH,
        ignore_conflicts=True,
    )
    ids: list[int] = []
    due = Q(deliver_after__isnull=True) | Q(deliver_after__lte=timezone.now())
    for chunk in batched(notices, NOTIFY_BATCH):
        work_orders = {n.work_order_id for n in chunk if n.work_order_id is not None}
        keyed = Q(work_order_id__in=work_orders) | Q(work_order__isnull=True)
        ids += Notification.objects.filter(
            keyed,
            due,
            recipient_id__in={n.recipient_id for n in chunk},
            kind__in={n.kind for n in chunk},
            emailed_at__isnull=True,
        ).values_list("id", flat=True)
    transaction.on_commit(partial(_enqueue_email, sorted(set(ids))))
    return ids


def notifications_release(*, now: datetime | None = None) -> int:
    """E-mail the notifications held for working hours whose moment has come; returns how many were enqueued.

    Safe to run often and twice at once: the mailer's claim sends each notification once.
    """
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(emailed_at__isnull=True, deliver_after__isnull=False, deliver_after__lte=now)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if ids:
        transaction.on_commit(partial(_enqueue_email, ids))
    return len(ids)


def _enqueue_email(ids: list[int]) -> None:
    from interventions.tasks import notifications_email_task  # tasks import the services

    for chunk in batched(ids, EMAIL_BATCH):
        notifications_email_task.delay(list(chunk))


def notifications_email(*, ids: list[int]) -> int:
    """E-mail each notification once: a conditional UPDATE claims it, the send happens before the claim commits.

    A failed send rolls its claim back, so a retry sends it; a duplicate task finds it claimed and skips it.
    """
    held = Q(deliver_after__isnull=False, deliver_after__gt=timezone.now())
    pending = list(
        Notification.objects.filter(id__in=ids, emailed_at__isnull=True)
        .exclude(held)
        .select_related("recipient__agent")
        .order_by("id")
    )
    sent = 0
    if not pending:
        return sent
    with get_connection() as connection:
        for notification in pending:
            with transaction.atomic():
                claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                    emailed_at=timezone.now()
                )
                if not claimed:
                    continue
                if notification.recipient.email:
                    _message(notification, connection).send()
                    sent += 1
    return sent


def _message(notification: Notification, connection) -> EmailMessage:
    body = notification.body
    if notification.work_order_id:
        with in_locale_of(notification.recipient):
            link = _("Open the work order: %(link)s") % {"link": work_order_link(notification.work_order_id)}
        body = f"{body}\n\n{link}".strip()
    return EmailMessage(
        subject=f"[ChurnOps] {notification.subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=connection,
    )


def notifications_mark_read(*, user, ids=None, work_order_id: int | None = None) -> int:
    """Mark the user's unread notifications read: the given ones, those of a work order, or all."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=list(ids))
    if work_order_id is not None:
        unread = unread.filter(work_order_id=work_order_id)
    return unread.update(read_at=timezone.now())
