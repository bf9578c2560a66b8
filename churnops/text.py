"""Text the database cannot store: a NUL character (PostgreSQL text and jsonb refuse it) or an unpaired
surrogate (not encodable as UTF-8)."""

import re

from django.utils.translation import gettext as _

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("contains a NUL character")
    return _("contains an unpaired surrogate (U+%(code)04X)") % {"code": ord(found.group())}
