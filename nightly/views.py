"""The nightly runs page: date, status, chunks, duration, counts and error; a failed or stalled night can be retried."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from churnops.core.pages import page, render_page
from churnops.core.roles import is_admin
from scoring.models import ScoreRun

from .pipeline import RunInProgress
from .summary import run_summary
from .tasks import nightly_run_task

RUNS_SHOWN = 60  # nights on the run-history page, newest first
admin_page = page(is_admin, message=gettext_lazy("only admins may view or retry the nightly runs"))


@require_GET
@admin_page
def runs(request):
    """The nightly runs, newest first; failed or stalled ones can be retried."""
    rows = []
    for run in ScoreRun.objects.annotate(chunks_done=Count("chunks", filter=Q(chunks__done_at__isnull=False)))[
        :RUNS_SHOWN
    ]:
        end = run.finished_at or (timezone.now() if run.status in ScoreRun.ACTIVE else None)
        rows.append(
            {
                "run": run,
                "duration": end - run.started_at if end else None,
                "retry": run.status in (ScoreRun.Status.FAILED, ScoreRun.Status.STALLED),
                "status": run.get_status_display(),
                "summary": run_summary(run, chunks_done=run.chunks_done),
            }
        )
    return render_page(request, "scoring/scorerun_list.html", {"rows": rows, "limit": RUNS_SHOWN}, active="runs")


@require_POST
@admin_page
def run_retry(request, pk: int):
    """Re-run a failed or stalled night: its pending chunks are scored again (done chunks are kept)."""
    run = get_object_or_404(ScoreRun, pk=pk, status__in=[ScoreRun.Status.FAILED, ScoreRun.Status.STALLED])
    try:
        nightly_run_task.delay(run.as_of.isoformat())
    except RunInProgress as exc:
        messages.error(request, gettext("Not retried: %(reason)s.") % {"reason": exc})
    else:
        messages.success(request, gettext("The run for %(day)s was sent again.") % {"day": run.as_of})
    return redirect("nightly:runs")
