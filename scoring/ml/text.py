"""Words for people, kept translatable without Django.

scoring/ml may not import Django, so its sentences are marked with the local `gettext_noop` (makemessages finds
the name and puts them in scoring's catalog) and built as a `Text`: a format template with named placeholders
plus its arguments. The Django layer renders a Text in the reader's language (`scoring.texts.say`); `str()` gives
the English. A Text stored as JSON (`as_json` / `from_json`) can be rendered again later in another language.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from string import Formatter


def gettext_noop(message: str) -> str:
    """Mark a string for translation; it is translated where it is shown, not here."""
    return message


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Text:
    """A sentence to show a person: a template (`"no purchase for {days:.0f} days"`) and its arguments, which
    may themselves be Texts (a phrase inside a sentence)."""

    template: str
    args: dict = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = _same) -> str:
        args = {k: v.render(translate) if isinstance(v, Text) else v for k, v in self.args.items()}
        try:
            return translate(self.template).format_map(args)
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            # A translation whose placeholders do not match its English is shown in English, never as an error.
            try:
                return self.template.format_map(args)
            except (KeyError, ValueError, IndexError, TypeError, AttributeError):
                return self.template

    def __str__(self) -> str:
        return self.render()

    def as_json(self) -> dict:
        return {
            "msg": self.template,
            "args": {k: v.as_json() if isinstance(v, Text) else _plain(v) for k, v in self.args.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> "Text":
        args = {k: _unplain(v) for k, v in (data.get("args") or {}).items()}
        return cls(str(data["msg"]), args)


def _plain(value):
    """A JSON-ready copy of an argument: numpy numbers become Python numbers, and a missing number (NaN, which
    JSON cannot hold) becomes null."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def _unplain(value):
    """An argument read back from JSON: a stored null is the missing number it was."""
    if isinstance(value, dict):
        return Text.from_json(value)
    return math.nan if value is None else value


def fields_of(template: str) -> list[str]:
    """The placeholder names a template uses (`{days:.0f}` -> `days`)."""
    return [name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(template) if name]
