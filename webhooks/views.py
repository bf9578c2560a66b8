"""The webhooks page: endpoints with their recent deliveries, and a form to add one (admins only)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from churnops.core.pages import nav_context, page
from churnops.core.roles import is_admin, user_roles

from .models import EVENT_TYPES
from .selectors import delivery_list, endpoint_list
from .services import WebhookInputError, webhook_endpoint_save

RECENT_DELIVERIES = 100


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name"))
    url = forms.CharField(max_length=500, label=_("URL"))
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in EVENT_TYPES], widget=forms.CheckboxSelectMultiple, label=_("Events")
    )
    secret = forms.CharField(
        max_length=128, required=False, label=_("Secret"), help_text=_("leave empty for a random one")
    )
    is_slack_compatible = forms.BooleanField(required=False, label=_("Slack/Teams message body"))
    allows_private = forms.BooleanField(required=False, label=_("Allow private and loopback addresses"))


@page(is_admin, message=_("only admins may manage webhooks"))
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhook_endpoint_save(owner=request.user, **form.cleaned_data)
        except WebhookInputError as error:
            for field, message in error.errors:
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                gettext("Endpoint %(name)s added; its signing secret is %(secret)s")
                % {"name": endpoint.name, "secret": endpoint.secret},
            )
            return redirect("webhooks:list")
    return render(
        request,
        "webhooks/endpoint_list.html",
        {
            "form": form,
            "endpoints": endpoint_list(),
            "deliveries": delivery_list()[:RECENT_DELIVERIES],
            **nav_context(request.user, user_roles(request.user), "webhooks"),
        },
        status=400 if form.errors else 200,
    )
