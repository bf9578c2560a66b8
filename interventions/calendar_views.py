"""The calendars page: working calendars for SLA clocks, with a form to add one and an import of holidays.

Its own module (not interventions/views.py) and its own URL file, mounted at /calendars/ by churnops/urls.py.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .models import BusinessCalendar
from .permissions import is_admin
from .services import CalendarInputError, calendar_holidays_import, calendar_save

EXAMPLE_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=80)
    timezone = forms.CharField(max_length=64, initial="UTC", help_text="an IANA zone such as Europe/Berlin")
    hours = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), initial=json.dumps(EXAMPLE_HOURS),
                            help_text='{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], …}; an end not after '
                                      "its start runs past midnight")

    def clean_hours(self):
        try:
            return json.loads(self.cleaned_data["hours"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"not JSON: {error}") from None


class HolidayImportForm(forms.Form):
    holidays = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                               help_text="one per line: YYYY-MM-DD, name (a CSV export works)")


def _admin_only(request):
    if not is_admin(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def calendar_list(request):
    _admin_only(request)
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = calendar_save(**form.cleaned_data)
        except CalendarInputError as error:
            for field, message in error.errors:
                form.add_error(field if field in form.fields else "hours", f"{field}: {message}")
        else:
            messages.success(request, f"Calendar {calendar.name} saved.")
            return redirect("calendars:list")
    return render(request, "interventions/calendar_list.html", {
        "form": form, "import_form": HolidayImportForm(), "calendars": BusinessCalendar.objects.all(),
        "nav_team": True, "nav_active": "calendars",
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def calendar_holidays(request, pk: int):
    _admin_only(request)
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    form = HolidayImportForm(request.POST)
    if form.is_valid():
        try:
            added = calendar_holidays_import(calendar=calendar, text=form.cleaned_data["holidays"])
        except CalendarInputError as error:
            messages.error(request, f"Nothing imported: {error}")
        else:
            messages.success(request, f"{added} holiday(s) added to {calendar.name}.")
    return redirect("calendars:list")


@dataclass(frozen=True)
class _PauseEntry:
    """A pause as a timeline entry (the timeline template reads at, actor and note)."""

    at: datetime
    actor: object
    note: str


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def timeline_with_pauses(wo, events: list[tuple]) -> list[tuple]:
    """The work order's timeline (newest first) with each pause of its SLA clocks: when it began and ended."""
    entries = []
    for pause in wo.pauses.select_related("started_by"):
        entries.append((_PauseEntry(pause.started_at, pause.started_by, "waiting on the customer"),
                        "SLA clock paused"))
        if pause.ended_at:
            wall = (pause.ended_at - pause.started_at).total_seconds()
            note = f"paused {_span(wall)}, {_span(pause.business_seconds)} of working time given back"
            entries.append((_PauseEntry(pause.ended_at, None, note), "SLA clock resumed"))
    if not entries:
        return events
    return sorted([*events, *entries], key=lambda pair: pair[0].at, reverse=True)
