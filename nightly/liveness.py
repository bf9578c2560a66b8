"""Liveness of the nightly runs: when a run last made progress, failing the abandoned, telling the admins."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from scoring.models import ScoreRun

from .summary import run_summary


def stale_before():
    return timezone.now() - timedelta(seconds=settings.SCORING_STALL_SECONDS)


def last_progress(run: ScoreRun):
    chunks = run.chunks.all()
    stamps = [
        run.progress_at or run.started_at,
        *[c.heartbeat_at for c in chunks if c.heartbeat_at],
        *[c.done_at for c in chunks if c.done_at],
    ]
    return max(stamps)


def abandon_stale_runs(*, except_as_of: date) -> None:
    """Fail active runs of other dates that have shown no sign of life for the stall timeout (a killed process
    without a broker, or workers gone for good), so a new date can start."""
    for run in ScoreRun.objects.filter(status__in=ScoreRun.ACTIVE).exclude(as_of=except_as_of):
        if last_progress(run) < stale_before():
            failed = ScoreRun.objects.filter(pk=run.pk, status__in=ScoreRun.ACTIVE).update(
                status=ScoreRun.Status.FAILED,
                finished_at=timezone.now(),
                error=f"abandoned: no progress for {settings.SCORING_STALL_SECONDS} s",
            )
            if failed:
                run.refresh_from_db()
                notify_admins(run)


def notify_admins(run: ScoreRun) -> None:
    """E-mail the admins that a run failed or stalled (after the transaction commits; never raises)."""
    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name="admin"), is_active=True)
    emails = sorted({u.email for u in users if u.email})
    if not emails:
        return
    link = f"{settings.CHURNOPS_BASE_URL.rstrip('/')}/scoring/runs/"
    subject = gettext("ChurnOps: the nightly run for %(day)s is %(status)s") % {
        "day": run.as_of,
        "status": run.get_status_display().lower(),
    }
    details = run.error or run.stats
    body = f"{run_summary(run)}\n{details}\n\n" + gettext("Run history (retry there): %(link)s") % {"link": link} + "\n"
    transaction.on_commit(lambda: send_mail(subject, body, None, emails, fail_silently=True))
