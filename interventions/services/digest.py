"""The daily digest: one e-mail per person each morning with the playbook steps due today, the work orders
opened for them since yesterday and their breached work orders. People opt out in their agent profile."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from interventions.models import AgentProfile, DailyDigest, WorkOrder, WorkOrderStep

from .notifications import in_locale_of, work_order_link


@dataclass(frozen=True)
class Digest:
    """What one person's digest lists for one day."""

    user: User
    day: date
    due_steps: list[WorkOrderStep]
    new_work_orders: list[WorkOrder]
    breaches: list[WorkOrder]

    @property
    def is_empty(self) -> bool:
        return not (self.due_steps or self.new_work_orders or self.breaches)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def digest_for(*, user: User, day: date) -> Digest:
    """Open steps due on `day` (local) of the user's open work orders; work orders opened for them in the 24 hours
    before `day` starts plus `day` itself; their open breached work orders."""
    start, end = _day_bounds(day)
    mine = WorkOrder.objects.filter(assignee=user, open_key__isnull=False)
    steps = list(
        WorkOrderStep.objects.filter(work_order__in=mine, done_at__isnull=True, due_at__gte=start, due_at__lt=end)
        .select_related("work_order__customer")
        .order_by("due_at", "work_order_id", "position")
    )
    new = list(
        mine.filter(opened_at__gte=start - timedelta(days=1), opened_at__lt=end)
        .select_related("customer")
        .order_by("opened_at", "id")
    )
    breached = list(mine.filter(is_breached=True).select_related("customer").order_by("breached_at", "id"))
    return Digest(user=user, day=day, due_steps=steps, new_work_orders=new, breaches=breached)


def digest_recipients() -> list[User]:
    """Active people with an e-mail address and open work, who have not opted out in their profile."""
    opted_out = Q(agent__wants_daily_digest=False)
    return list(
        User.objects.filter(is_active=True, work_orders__open_key__isnull=False)
        .select_related("agent")
        .exclude(email="")
        .exclude(opted_out)
        .distinct()
        .order_by("id")
    )


def digest_message(digest: Digest, connection=None) -> EmailMessage:
    """The digest e-mail in its recipient's language, its times in their time zone."""
    with in_locale_of(digest.user):
        return _digest_message(digest, connection)


def _digest_message(digest: Digest, connection) -> EmailMessage:
    body = render_to_string(
        "interventions/daily_digest.txt",
        {
            "d": digest,
            "steps": [(s, work_order_link(s.work_order_id)) for s in digest.due_steps],
            "new": [(wo, work_order_link(wo.pk)) for wo in digest.new_work_orders],
            "breaches": [(wo, work_order_link(wo.pk)) for wo in digest.breaches],
            "queue_url": f"{settings.CHURNOPS_BASE_URL.rstrip('/')}{reverse('interventions:queue')}",
        },
    )
    subject = "[ChurnOps] " + _("%(day)s: %(steps)s steps due, %(new)s new, %(breached)s breached") % {
        "day": dateformat.format(digest.day, _("D d M")),
        "steps": len(digest.due_steps),
        "new": len(digest.new_work_orders),
        "breached": len(digest.breaches),
    }
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
        connection=connection,
    )


def digests_send(*, day: date | None = None) -> int:
    """E-mail each recipient's digest for `day` (default today) once: a row per (user, day) claims it, the send
    happens before the claim commits, so a failed send is retried and a repeated run sends nothing.
    Nothing is sent to a person with nothing to do. Returns how many e-mails went out."""
    day = day or timezone.localdate()
    sent = 0
    with get_connection() as connection:
        for user in digest_recipients():
            digest = digest_for(user=user, day=day)
            if digest.is_empty:
                continue
            with transaction.atomic():
                _row, claimed = DailyDigest.objects.get_or_create(
                    user=user,
                    day=day,
                    defaults={
                        "sent_at": timezone.now(),
                        "due_steps": len(digest.due_steps),
                        "new_work_orders": len(digest.new_work_orders),
                        "breaches": len(digest.breaches),
                    },
                )
                if not claimed:
                    continue
                digest_message(digest, connection).send()
                sent += 1
    return sent


@transaction.atomic
def digest_preference_set(*, user: User, wants: bool) -> AgentProfile:
    """A person turns their own daily digest on or off (in their agent profile)."""
    profile, _created = AgentProfile.objects.update_or_create(user=user, defaults={"wants_daily_digest": wants})
    return profile
