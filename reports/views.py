"""The weekly report pages: the latest week, one week with its charts, its CSV, and an explicit rebuild."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from churnops.core.pages import nav_context, page
from churnops.core.roles import user_roles

from .exports import report_csv
from .permissions import can_rebuild_reports, can_view_reports
from .presenters import week_context
from .selectors import report_get, report_list
from .services import report_trend_reports, weekly_report_build
from .weeks import IsoWeek


def _week_or_404(text: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise Http404(str(exc)) from exc


# The report compares account managers with each other: admins and team leads only (others get 403).
report_page = page(can_view_reports, message=gettext_lazy("the weekly report is for admins and team leads"))


def _base(request) -> dict:
    return {
        **nav_context(request.user, user_roles(request.user), "reports"),
        "weeks": list(report_list().values_list("week", flat=True)),
        "can_rebuild": can_rebuild_reports(request.user),
    }


@require_GET
@report_page
def index(request):
    latest = report_list().first()
    if latest:
        return redirect("reports:week", week=latest.week)
    return render(request, "reports/weeklyreport_empty.html", _base(request))


@require_GET
@report_page
def week(request, week: str):
    report = report_get(_week_or_404(week))
    if report is None:
        raise Http404(gettext("no report has been built for %(week)s") % {"week": week})
    base = _base(request)
    weeks = base["weeks"]  # newest first
    at = weeks.index(report.week)
    older = weeks[at + 1] if at + 1 < len(weeks) else None
    newer = weeks[at - 1] if at > 0 else None
    return render(
        request,
        "reports/weeklyreport_detail.html",
        {**base, **week_context(report), "older_week": older, "newer_week": newer},
    )


@require_GET
@report_page
def week_csv(request, week: str):
    report = report_get(_week_or_404(week))
    if report is None:
        raise Http404(gettext("no report has been built for %(week)s") % {"week": week})
    response = HttpResponse(report_csv(report_trend_reports(report)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="churnops-report-{report.week}.csv"'
    return response


@require_POST
@page(can_rebuild_reports, message=gettext_lazy("only admins can rebuild a report"))
def rebuild(request, week: str):
    iso = _week_or_404(week)
    weekly_report_build(week=iso, rebuild=True)
    messages.success(request, gettext("Rebuilt the report of %(week)s from the data as it is now.") % {"week": iso})
    return redirect("reports:week", week=str(iso))
