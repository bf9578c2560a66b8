"""Pieces the work order pages share: finding a visible work order and going back to it."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from ..models import WorkOrder
from ..permissions import can_view_work_order


def _visible_work_order(request, pk: int) -> WorkOrder:
    """The work order if the user may see it; 404 otherwise, so that its existence does not leak."""
    wo = get_object_or_404(WorkOrder.objects.select_related("customer__owner", "assignee__agent", "alert"), pk=pk)
    if not can_view_work_order(request.user, wo):
        raise Http404(_("No work order matches the given query."))
    return wo


def _back(wo: WorkOrder):
    return redirect("interventions:work_order", pk=wo.pk)
