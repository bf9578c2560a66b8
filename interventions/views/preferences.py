"""A person's own settings: language and time zone (the profile page), and the header's language switcher."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from churnops.core.errors import Refusal
from churnops.core.pages import page, render_page
from churnops.middleware import preferences_remember

from ..forms import PreferencesForm
from ..models import timezone_names
from ..services import preferences_set


def _remember(request, profile) -> None:
    preferences_remember(request, {"language": profile.language, "timezone": profile.timezone})


@page()
def preferences(request):
    profile = getattr(request.user, "agent", None)
    initial = {"language": profile.language, "timezone": profile.timezone} if profile else {}
    form = PreferencesForm(request.POST or None, initial=initial, installation_zone=settings.TIME_ZONE)
    if request.method == "POST" and form.is_valid():
        try:
            profile = preferences_set(
                user=request.user, language=form.cleaned_data["language"], timezone=form.cleaned_data["timezone"]
            )
        except Refusal as exc:
            form.add_error(exc.field, exc.message)
        else:
            _remember(request, profile)
            translation.activate(profile.language or translation.get_language_from_request(request))
            messages.success(request, _("Your language and time zone are saved."))
            return redirect("interventions:preferences")
    context = {"form": form, "zones": sorted(timezone_names())}
    return render_page(request, "interventions/preferences.html", context, active="preferences")


@require_POST
def language_set(request):
    """Django's set_language (the cookie, the redirect back), and for a signed-in person their profile too."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        _remember(request, preferences_set(user=request.user, language=language))
    return response
