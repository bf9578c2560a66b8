"""The API's JSON parser: refuses what the database or the code behind it cannot hold, as a 400 naming the field.

- a NUL character (PostgreSQL text and jsonb cannot store it) or an unpaired surrogate (cannot be encoded as
  UTF-8) anywhere in a key or a string value: 400 ``{"customers[3].name": ["contains a NUL character"]}``;
- nesting deeper than API_JSON_MAX_DEPTH: 400 (no body we accept is deeper than a handful of levels, and a very
  deep one would exhaust the parser's recursion);
- NaN/Infinity and integers longer than any double can hold: 400 JSON parse error.
"""

import codecs
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from churnops.text import text_problem

# A JSON integer longer than this does not fit a double (max ~1.8e308); no real value is that long.
MAX_INTEGER_DIGITS = 308


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise ValueError(_("integer of %(digits)s digits is out of range") % {"digits": digits})
    return int(text)


def _shown(path: str) -> str:
    """The path as it can be shown in the 400 (a bad character in a field name written as \\uXXXX)."""
    return re.sub("[\x00\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", path) or "body"


def _child(path: str, key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def check_json_value(data, *, max_depth: int) -> None:
    """Raise ValidationError naming the first field whose text cannot be stored, or the too-deep one."""
    stack = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ValidationError({_shown(path): [problem]})
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= max_depth:
            raise ValidationError({_shown(path): [_("nested deeper than %(depth)s levels") % {"depth": max_depth}]})
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            problem = text_problem(key) if isinstance(key, str) else None
            if problem:
                raise ValidationError({_shown(_child(path, key)): [_("field name %(problem)s") % {"problem": problem}]})
            stack.append((item, _child(path, key), depth + 1))


class SafeJSONParser(JSONParser):
    """JSON that the code and the database can take, or a 400 that names what is wrong and where."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(
                codecs.getreader(encoding)(stream), parse_constant=json.strict_constant, parse_int=_bounded_int
            )
        except RecursionError:
            raise ParseError(
                _("JSON parse error - nested deeper than %(depth)s levels") % {"depth": settings.API_JSON_MAX_DEPTH}
            ) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        check_json_value(data, max_depth=settings.API_JSON_MAX_DEPTH)
        return data
