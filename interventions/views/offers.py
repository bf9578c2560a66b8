"""A lead's approve / decline buttons for an offer above an account manager's limit; a person's digest switch."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from churnops.core.errors import Refusal
from churnops.core.pages import form_errors, page

from ..forms import OfferDecisionForm
from ..models import OfferApproval
from ..permissions import can_view_work_order
from ..services import digest_preference_set, offer_approval_decide


@page()
@require_POST
def offer_decide(request, pk: int):
    approval = get_object_or_404(OfferApproval.objects.select_related("work_order__assignee__agent", "offer"), pk=pk)
    if not can_view_work_order(request.user, approval.work_order):
        raise Http404(_("No offer request matches the given query."))
    form = OfferDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was decided: %(error)s") % {"error": form_errors(form)})
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            offer_approval_decide(approval=approval, approve=approve, by=request.user, note=form.cleaned_data["note"])
        except Refusal as exc:
            messages.error(request, _("Nothing was decided: %(error)s") % {"error": exc})
        else:
            done = _("%(offer)s approved.") if approve else _("%(offer)s declined.")
            messages.success(request, done % {"offer": approval.offer.name})
    return redirect("interventions:work_order", pk=approval.work_order_id)


@page()
@require_POST
def digest_preference(request):
    wants = request.POST.get("wants_daily_digest") == "on"
    digest_preference_set(user=request.user, wants=wants)
    messages.success(request, _("Daily digest e-mail turned on.") if wants else _("Daily digest e-mail turned off."))
    return redirect("interventions:notifications")
