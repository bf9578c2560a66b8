"""Request guards that apply to every page and API endpoint; the signed-in person's language and time zone."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class RequestLocalesMiddleware:
    """Put the thread's language and time zone back as they were once a response is made.

    LocaleMiddleware and UserPreferencesMiddleware activate a request's language and zone in thread-local state and
    nothing deactivates them: whatever the thread ran next (a test, a management command, a task in an eager
    worker) would read dates and words in the last visitor's zone and language. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with translation.override(translation.get_language()), timezone.override(timezone.get_current_timezone()):
            return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuse a request body above DATA_UPLOAD_MAX_MEMORY_SIZE with 413, before anything reads it.

    Django enforces that limit only when it parses a form or reads `request.body`; DRF's parsers read the raw
    stream, so without this a JSON body of any size would be read into memory. Multipart uploads keep Django's
    own rules (files stream to disk; the form fields count against the limit).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        if limit is not None and not content_type.startswith("multipart/form-data"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                message = _("request body of %(length)s bytes is larger than the limit of %(limit)s bytes") % {
                    "length": length,
                    "limit": limit,
                }
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=413)
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# A signed-in person's language and time zone, remembered in the session at login (and when they change them) so
# that a page does not read the profile on every request. Blank values mean "the browser's" and "the
# installation's".
PREFERENCES_SESSION_KEY = "churnops_preferences"


def preferences_of(user) -> dict:
    """The language and time zone on a person's profile (`user.agent`), blank where they follow the defaults.

    Read from the database, not from a profile cached on the user object (which may be stale or cached absent).
    """
    profile_model = type(user)._meta.get_field("agent").related_model
    row = profile_model.objects.filter(user_id=user.pk).values("language", "timezone").first()
    return row or {"language": "", "timezone": ""}


def preferences_remember(request, preferences: dict) -> None:
    request.session[PREFERENCES_SESSION_KEY] = {
        "language": preferences["language"],
        "timezone": preferences["timezone"],
    }


def preferences_on_login(sender, request, user, **kwargs):
    """Read the profile once when someone signs in (a `user_logged_in` receiver: session state, not domain flow)."""
    if request is not None and hasattr(request, "session"):
        preferences_remember(request, preferences_of(user))


class UserPreferencesMiddleware:
    """Activate the signed-in person's language and time zone from their profile.

    After LocaleMiddleware (which picked the switcher's cookie or the browser's Accept-Language): a language on
    the profile wins over both; a blank one leaves the browser's. A blank or unknown time zone is the
    installation's TIME_ZONE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        preferences = request.session.get(PREFERENCES_SESSION_KEY) if hasattr(request, "session") else None
        if preferences is None and request.user.is_authenticated:
            preferences = preferences_of(request.user)
            preferences_remember(request, preferences)
        preferences = preferences or {}
        language = preferences.get("language")
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = preferences.get("timezone")
        try:
            timezone.activate(ZoneInfo(zone)) if zone else timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
