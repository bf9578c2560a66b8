"""Alert pages: the alerts a user may see (admins including the control group) and snoozing one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from churnops.core.pages import form_errors, nav_context, page
from churnops.core.roles import is_admin, user_roles
from interventions.access import alert_list
from scoring.ml.policy import tier_names
from scoring.selectors import policy_tiers

from .forms import AlertFilterForm, SnoozeForm
from .models import Alert
from .services import AlertError, alert_snooze, alert_unsnooze

ALERT_PAGE_SIZE = 50


def _visible_alert(user, pk: int) -> Alert:
    alert = alert_list(user=user).filter(pk=pk).first()
    if alert is None:
        raise Http404(_("No alert matches the given query."))
    return alert


@page()
@require_GET
def alert_index(request):
    """Open and snoozed alerts, most urgent first; admins also see (and can filter) the control group."""
    user = request.user
    admin = is_admin(user)
    form = AlertFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    alerts = alert_list(user=user).select_related("snoozed_by")
    status = data.get("status")
    alerts = alerts.filter(status=status) if status else alerts.exclude(status=Alert.Status.CLOSED)
    if data.get("tier"):
        alerts = alerts.filter(tier=data["tier"])
    if admin and data.get("group") == "control":
        alerts = alerts.filter(is_control=True)
    elif admin and data.get("group") == "worked":
        alerts = alerts.filter(is_control=False)
    page = Paginator(alerts, ALERT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "is_admin": admin,
        "names": tier_names(policy_tiers()),
        **nav_context(user, user_roles(user), "alerts"),
    }
    return render(request, "alerts/alert_list.html", context)


@page()
@require_http_methods(["GET", "POST"])
def alert_snooze_page(request, pk: int):
    user = request.user
    alert = _visible_alert(user, pk)
    form = SnoozeForm(request.POST or None, initial={"until": alert.snoozed_until, "reason": alert.snooze_reason})
    if request.method == "POST":
        if form.is_valid():
            try:
                alert = alert_snooze(alert=alert, by=user, **form.cleaned_data)
            except AlertError as exc:
                messages.error(request, _("Not snoozed: %(error)s") % {"error": exc})
            else:
                messages.success(
                    request,
                    _("Alert for %(customer)s snoozed until %(day)s.")
                    % {
                        "customer": alert.customer.name or alert.customer.external_id,
                        "day": date_format(alert.snoozed_until, _("d M Y")),
                    },
                )
                return redirect("interventions:alerts:list")
        else:
            messages.error(request, _("Not snoozed: %(error)s") % {"error": form_errors(form)})
    context = {
        "alert": alert,
        "form": form,
        "names": tier_names(policy_tiers()),
        **nav_context(user, user_roles(user), "alerts"),
    }
    return render(request, "alerts/alert_snooze.html", context)


@page()
@require_POST
def alert_unsnooze_page(request, pk: int):
    user = request.user
    alert = _visible_alert(user, pk)
    try:
        alert_unsnooze(alert=alert, by=user)
    except AlertError as exc:
        messages.error(request, _("Not changed: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("Snooze ended: the alert is open again."))
    return redirect("interventions:alerts:list")
