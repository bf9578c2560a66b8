"""The report page in a real browser: rendered by Django, screenshotted by headless Chromium."""

import io
import os
import re
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from demo.roster import TEAM_LEAD_USERNAME
from reports.models import WeeklyReport
from reports.services import weekly_report_build

from .builders import local
from .conftest import W43

CHROMIUM = "/usr/bin/chromium"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="/static/([^"]+)">')


def _inline_css(html: str) -> str:
    """The page as one self-contained file: the static stylesheets pasted in, nothing to fetch."""
    return STYLESHEET.sub(lambda m: f"<style>{Path(finders.find(m[1])).read_text()}</style>", html)


def _screenshot(page: Path, png: Path, profile: Path, height: int) -> None:
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size=1400,{height}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _png_size(png: Path) -> tuple[int, int]:
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")
def test_the_report_page_renders_its_charts_in_chromium(client, week43, staff, tmp_path):
    # given: three stored weeks, the page as a lead sees it
    for week in (W43.shift(-2), W43.shift(-1), W43):
        weekly_report_build(week=week)
    client.force_login(staff["lead"])
    html = client.get(reverse("reports:week", args=["2025-W43"])).content.decode()
    page = tmp_path / "report.html"
    page.write_text(_inline_css(html))

    # when: the laptop screen and the whole page
    top, full = tmp_path / "report-top.png", tmp_path / "report-full.png"
    _screenshot(page, top, tmp_path / "profile", 1000)
    _screenshot(page, full, tmp_path / "profile", 5200)

    # then
    assert "/static/" not in page.read_text()
    assert _png_size(top) == (1400, 1000)
    assert _png_size(full) == (1400, 5200)
    assert full.stat().st_size > 150_000  # charts, not a blank page
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in (top, full):
            shutil.copy(png, Path(keep) / png.name)


DEMO_TODAY = date(2025, 11, 5)  # a Wednesday, as in test_demo


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")
def test_the_demo_report_shows_alarms_and_returns_only_where_the_data_supports_them(db, client, tmp_path):
    # given: a small demo with three reported weeks, the pages as the demo's team lead sees them
    call_command("seed_demo", customers=120, as_of=DEMO_TODAY, months=18, stdout=io.StringIO())
    with time_machine.travel(local(2025, 11, 5, 20), tick=False):
        call_command("demo_history", weeks=3, stdout=io.StringIO())
    client.force_login(User.objects.get(username=TEAM_LEAD_USERNAME))
    reports = list(WeeklyReport.objects.order_by("week_start"))
    assert len(reports) == 3

    for report in reports:
        html = client.get(reverse("reports:week", args=[report.week])).content.decode()
        drift, uplift = report.data["health"]["drift"], report.data["cohorts"]["uplift"]
        # then: no alarm in a week where no feature reached the alarm level the required weeks in a row ...
        shifted = [f["name"] for f in drift["features"] if f["streak"] >= drift["weeks"]]
        assert ('id="health-alarm"' in html) == report.data["health"]["suggest_retrain"]
        if not shifted:
            assert "features above PSI" not in html.split('id="flow"')[0]
        # ... and a return figure only where the uplift's interval is above zero; else the sentence
        supported = uplift["low"] is not None and uplift["low"] > 0
        assert ('id="return-ratio"' in html) is supported
        assert ('id="no-return"' in html) is not supported

    # when: the last week in Chromium at desktop width
    page = tmp_path / "demo-report.html"
    page.write_text(_inline_css(html))
    top = tmp_path / "demo-report-top.png"
    _screenshot(page, top, tmp_path / "profile", 1200)

    # then
    assert _png_size(top) == (1400, 1200)
    assert top.stat().st_size > 60_000
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(top, Path(keep) / top.name)
