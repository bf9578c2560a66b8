"""The calendars page: working calendars for SLA clocks, with a form to add one and an import of holidays.

Mounted at /calendars/ by churnops/urls.py (interventions/calendar_urls.py).
"""

import json

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from churnops.core.pages import nav_context, page
from churnops.core.roles import is_admin, user_roles

from ..models import BusinessCalendar
from ..services import CalendarInputError, calendar_holidays_import, calendar_save

EXAMPLE_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=80, label=gettext_lazy("Name"))
    timezone = forms.CharField(
        max_length=64,
        initial="UTC",
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("an IANA zone such as Europe/Berlin"),
    )
    hours = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=json.dumps(EXAMPLE_HOURS),
        label=gettext_lazy("Hours"),
        help_text=gettext_lazy(
            '{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], …}; an end not after its start runs past midnight'
        ),
    )

    def clean_hours(self):
        try:
            return json.loads(self.cleaned_data["hours"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(_("not JSON: %(error)s") % {"error": error}) from None


class HolidayImportForm(forms.Form):
    holidays = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("Holidays"),
        help_text=gettext_lazy("one per line: YYYY-MM-DD, name (a CSV export works)"),
    )


@page(is_admin, message=gettext_lazy("only admins may edit calendars"))
@require_http_methods(["GET", "POST"])
def calendar_list(request):
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = calendar_save(**form.cleaned_data)
        except CalendarInputError as error:
            for field, message in error.errors:
                form.add_error(field if field in form.fields else "hours", f"{field}: {message}")
        else:
            messages.success(request, _("Calendar %(name)s saved.") % {"name": calendar.name})
            return redirect("calendars:list")
    return render(
        request,
        "interventions/calendar_list.html",
        {
            "form": form,
            "import_form": HolidayImportForm(),
            "calendars": BusinessCalendar.objects.all(),
            **nav_context(request.user, user_roles(request.user), "calendars"),
        },
        status=400 if form.errors else 200,
    )


@page(is_admin, message=gettext_lazy("only admins may edit calendars"))
@require_POST
def calendar_holidays(request, pk: int):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    form = HolidayImportForm(request.POST)
    if form.is_valid():
        try:
            added = calendar_holidays_import(calendar=calendar, text=form.cleaned_data["holidays"])
        except CalendarInputError as error:
            messages.error(request, _("Nothing imported: %(error)s") % {"error": error})
        else:
            messages.success(
                request,
                ngettext("%(count)s holiday added to %(name)s.", "%(count)s holidays added to %(name)s.", added)
                % {"count": added, "name": calendar.name},
            )
    return redirect("calendars:list")
