"""The zh_Hans catalogs of scoring, reports, nightly and webhooks: every marked string is in its app's catalog,
translated (not fuzzy, not empty) and with the same placeholders as its English."""

import ast
import re
from pathlib import Path

import pytest

from tests.catalogs import DOMAIN_APPS, ROOT

MARKERS = {"gettext", "gettext_lazy", "gettext_noop", "_", "ngettext", "ngettext_lazy"}
PERCENT = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifgrxXeE%]")
BRACE = re.compile(r"(?<!\{)\{(\w+)[^{}]*\}(?!\})")


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def read_po(path: Path) -> list[dict]:
    """Entries of a PO file: flags, msgid, msgid_plural and msgstr / msgstr[n]."""
    entries, entry, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if entry is None or (any(k.startswith("msgstr") for k in entry) and line.startswith(("#", "msgid "))):
            entry = {"flags": set()}
            entries.append(entry)
        if line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key, value = line.split(" ", 1)
            entry[key] = _unquote(value)
    return entries[1:]  # the header


def marked_strings(app: str) -> set[str]:
    """Every literal passed to a translation function in the app's Python (migrations aside)."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            first = node.args[0]
            if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_every_marked_string_is_in_the_apps_catalog(app):
    catalog = {e["msgid"] for e in read_po(ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    assert sorted(marked_strings(app) - catalog) == []


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_every_entry_is_translated_with_the_same_placeholders(app):
    problems = []
    for entry in read_po(ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"):
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        if "fuzzy" in entry["flags"] or not all(t.strip() for t in translations):
            problems.append(("untranslated", entry["msgid"]))
            continue
        for text in translations:
            for pattern in (PERCENT, BRACE):
                if sorted(set(pattern.findall(text))) != sorted(set(pattern.findall(entry["msgid"]))):
                    problems.append(("placeholders", entry["msgid"], text))
    assert problems == []


def _is_chinese(ch: str) -> bool:
    """A Han character or Chinese (full-width) punctuation."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_the_chinese_is_chinese(app):
    """No msgstr is left in English: each carries Chinese, apart from names and units that stay as they are."""
    kept_as_is = {"URL", "p90"}
    english = [
        e["msgid"]
        for e in read_po(ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
        if e["msgid"] not in kept_as_is
        and not any(_is_chinese(ch) for v in (e.get("msgstr"), e.get("msgstr[0]")) if v for ch in v)
    ]
    assert english == []
