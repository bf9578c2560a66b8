"""Text the database cannot store: a NUL character (PostgreSQL text and jsonb refuse it) or an unpaired
surrogate (not encodable as UTF-8)."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return f"contains an unpaired surrogate (U+{ord(found.group()):04X})"
