"""Every Simplified Chinese catalog of the project is complete: no untranslated or fuzzy entry, the same named
placeholders as the English, and (for the project catalog) no string of the sources missing from it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "staticfiles", "node_modules", ".git"}
PROJECT_CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# What the project catalog covers: everything but the apps that keep their own catalogs (and what is not shipped).
APP_CATALOGS = ("scoring", "reports", "nightly", "webhooks")
NOT_PROJECT = (*APP_CATALOGS, "demo", "bench", "tests", ".venv", "staticfiles")
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def zh_catalogs(root: Path = ROOT) -> list[Path]:
    return sorted(
        p for p in root.glob("**/locale/zh_Hans/LC_MESSAGES/*.po") if not SKIP & set(p.relative_to(root).parts)
    )


def catalog_problems(path: Path) -> list[str]:
    """Each untranslated, fuzzy or placeholder-changing entry of a catalog, as "file: msgid: what"."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    problems = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        where = f"{name}: {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not translations or not all(t.strip() for t in translations):
            problems.append(f"{where}: untranslated")
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for translation in translations:
            if set(PLACEHOLDER.findall(translation)) != wanted:
                problems.append(
                    f"{where}: placeholders {sorted(PLACEHOLDER.findall(translation))}, want {sorted(wanted)}"
                )
    return problems


def test_the_project_catalog_exists_and_the_glob_finds_it():
    found = zh_catalogs()
    assert PROJECT_CATALOG in found
    assert len(polib.pofile(str(PROJECT_CATALOG))) > 500


@pytest.mark.parametrize("path", zh_catalogs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_zh_catalog_is_complete(path):
    problems = catalog_problems(path)
    assert not problems, "\n".join(problems)


def test_the_checker_names_the_file_and_msgid_of_each_bad_entry(tmp_path):
    # given a catalog with one good, one untranslated, one fuzzy and one placeholder-losing entry
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
    po.append(polib.POEntry(msgid="Alerts", msgstr="预警"))
    po.append(polib.POEntry(msgid="Snooze", msgstr=""))
    po.append(polib.POEntry(msgid="Queue", msgstr="工单队列", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="due %(due)s", msgstr="截止"))
    po.append(polib.POEntry(msgid="%(n)s step", msgid_plural="%(n)s steps", msgstr_plural={0: ""}))
    path = tmp_path / "django.po"
    po.save(str(path))

    # when / then
    problems = catalog_problems(path)
    assert problems == [
        f"{path}: 'Snooze': untranslated",
        f"{path}: 'Queue': fuzzy",
        f"{path}: 'due %(due)s': placeholders [], want ['due']",
        f"{path}: '%(n)s step': untranslated",
    ]


def _project_copy(target: Path) -> None:
    """The files makemessages reads for the project catalog (sources and templates), without the rest."""
    for item in ROOT.iterdir():
        if item.name in NOT_PROJECT or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(item, target / item.name)
    for app in (*APP_CATALOGS, "demo"):  # installed apps: their packages must import, their strings are not ours
        shutil.copytree(ROOT / app, target / app, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "locale"))


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext (msgfmt, xgettext)")
def test_the_project_catalog_has_every_string_of_the_sources(tmp_path):
    # given a copy of the project, with a fresh catalog made from its sources
    _project_copy(tmp_path)
    ignore = [f"--ignore={name}/**" for name in NOT_PROJECT]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0", *ignore],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / PROJECT_CATALOG.relative_to(ROOT)))}
    stored = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PROJECT_CATALOG)) if not e.obsolete}

    # then every string the sources mark is in the committed catalog (run the makemessages of the README if not)
    missing = sorted(msgid for _ctx, msgid in fresh - stored)
    assert not missing, f"{PROJECT_CATALOG.relative_to(ROOT)} lacks: {missing}"
    stale = sorted(msgid for _ctx, msgid in stored - fresh)
    assert not stale, f"{PROJECT_CATALOG.relative_to(ROOT)} has strings no source uses any more: {stale}"


def translation_clashes(paths: list[Path], root: Path = ROOT) -> list[str]:
    """A msgid translated differently in two catalogs: Django reads the project catalog (LOCALE_PATHS) before the
    apps', so the app's translation would never be shown; the same words must read the same everywhere."""
    seen: dict[tuple, tuple[Path, str]] = {}
    clashes = []
    for path in paths:
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.msgid_plural or not entry.msgstr:
                continue
            first = seen.setdefault((entry.msgctxt, entry.msgid), (path, entry.msgstr))
            if first[1] != entry.msgstr:
                clashes.append(
                    f"{entry.msgid!r}: {first[0].relative_to(root)} {first[1]!r} vs "
                    f"{path.relative_to(root)} {entry.msgstr!r}"
                )
    return clashes


def test_the_same_words_are_translated_the_same_in_every_catalog():
    assert translation_clashes(zh_catalogs()) == []


def test_the_clash_check_names_both_translations(tmp_path):
    for name, text in (("a", "关闭"), ("b", "已关闭"), ("c", "关闭")):
        po = polib.POFile()
        po.append(polib.POEntry(msgid="Closed", msgstr=text))
        po.append(polib.POEntry(msgid="Closed", msgctxt="door", msgstr=name))
        po.save(str(tmp_path / f"{name}.po"))
    clashes = translation_clashes([tmp_path / "a.po", tmp_path / "b.po"], root=tmp_path)
    assert clashes == ["'Closed': a.po '关闭' vs b.po '已关闭'", "'Closed': a.po 'a' vs b.po 'b'"]
    assert translation_clashes([tmp_path / "a.po", tmp_path / "c.po"], root=tmp_path) == [
        "'Closed': a.po 'a' vs c.po 'c'"
    ]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt")
@pytest.mark.parametrize("path", zh_catalogs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_zh_catalog_compiles_with_format_checks(path):
    # what `make install` (compilemessages) runs: a msgstr whose % directives differ from its msgid's breaks it
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
