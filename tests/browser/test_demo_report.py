"""The weekly report of the demo in headless Chromium (issue 16): no drift alarm in the weeks where nothing
shifted, and a return figure only where the uplift's interval supports it. The last week's page is saved as a
screenshot under /tmp for a person to look at."""

import io
import os
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command

from demo.roster import DEMO_USERS, TEAM_LEAD_USERNAME
from reports.models import WeeklyReport
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, MARKS
from tests.reports.builders import local

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = MARKS

TODAY = date(2025, 11, 5)
SCREENSHOT = Path(os.environ.get("REPORT_SCREENSHOT_DIR", "/tmp")) / "churnops-demo-report.png"


def report_tour(base_url: str, weeks: list[str]) -> dict[str, dict]:
    """Sign the demo's team lead in and read each week's report page as shown."""
    password = next(u.password for u in DEMO_USERS if u.username == TEAM_LEAD_USERNAME)
    seen = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(20_000)
            page.goto(f"{base_url}/accounts/login/")
            page.fill("input[name=username]", TEAM_LEAD_USERNAME)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for week in weeks:
                page.goto(f"{base_url}/reports/{week}/")
                seen[week] = {
                    "heading": page.inner_text("h1"),
                    "alarm": page.locator("#health-alarm").count() > 0,
                    "drift_alarm_rows": page.locator("b.alarm").count(),
                    "return": page.locator("#return-ratio").count() > 0,
                    "no_return": page.locator("#no-return").inner_text() if page.locator("#no-return").count() else "",
                }
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_demo_report_shows_no_alarm_where_nothing_shifted_and_a_return_only_with_evidence(live_server):
    # given: a small demo with four replayed weeks
    call_command("seed_demo", customers=300, as_of=TODAY, stdout=io.StringIO())
    with time_machine.travel(local(2025, 11, 5, 20), tick=False):
        call_command("demo_history", weeks=4, stdout=io.StringIO())
    reports = {r.week: r.data for r in WeeklyReport.objects.order_by("week_start")}
    assert len(reports) == 4
    assert User.objects.filter(username=TEAM_LEAD_USERNAME).exists()

    # when: the team lead opens each week's report in Chromium
    seen = report_tour(live_server.url, list(reports))

    # then
    for week, data in reports.items():
        page, drift, uplift = seen[week], data["health"]["drift"], data["cohorts"]["uplift"]
        assert week in page["heading"]
        shifted = [f["name"] for f in drift["features"] if f["streak"] >= drift["weeks"]]
        # no drift alarm in a week where no feature stayed at the alarm level the required weeks in a row
        if not shifted:
            assert page["drift_alarm_rows"] == 0, week
            assert page["alarm"] is bool(data["health"]["performance"]["is_degraded"]), week
        # a return figure only where the uplift's interval lies above zero; otherwise the sentence says why
        supported = uplift["low"] is not None and uplift["low"] > 0
        assert page["return"] is supported, week
        assert ("No return figure." in page["no_return"]) is not supported, week
    # the demo's population is stationary: nothing shifted in any week, so no drift alarm at all
    assert all(not data["health"]["drift"]["flagged"] for data in reports.values())
    assert SCREENSHOT.stat().st_size > 30_000
