"""A person's own language and time zone (on their agent profile)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from churnops.core.errors import Refusal
from interventions.models import AgentProfile, validate_timezone_name

# Leave a preference as it is (the switcher changes the language only).
UNCHANGED = object()


class PreferenceInvalid(Refusal):
    """A language or time zone this installation does not know; `field` names which."""

    code = "invalid_preference"


@transaction.atomic
def preferences_set(*, user, language=UNCHANGED, timezone=UNCHANGED) -> AgentProfile:
    """Set a person's language ("" follows the browser) and/or time zone ("" is the installation's)."""
    changes = {}
    if language is not UNCHANGED:
        if language and language not in dict(settings.LANGUAGES):
            known = ", ".join(code for code, _name in settings.LANGUAGES)
            raise PreferenceInvalid(
                _("Unknown language “%(language)s”: choose one of %(known)s.") % {"language": language, "known": known},
                field="language",
            )
        changes["language"] = language
    if timezone is not UNCHANGED:
        try:
            validate_timezone_name(timezone)
        except ValidationError as exc:
            raise PreferenceInvalid(" ".join(exc.messages), field="timezone") from exc
        changes["timezone"] = timezone
    profile, _created = AgentProfile.objects.update_or_create(user=user, defaults=changes)
    return profile
