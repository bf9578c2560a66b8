"""On a phone (390 px wide, headless Chromium): the queue, a work order, the customer page and the report fit
the screen, and the next SLA and the Log out control are visible without scrolling sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone

from churnops.core.roles import Role
from reports.services import weekly_report_build
from reports.weeks import IsoWeek
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, FITS, MARKS
from tests.factories import CustomerFactory, alert_for, user_with_role, work_order_for

PASSWORD = "Phone-Test-pw-1"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = MARKS


def visible_in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= width and box["width"] > 0


def phone_tour(base_url: str, pages: dict[str, list[str]], width: int) -> dict:
    """Sign each user in on a phone-sized page and record, per path, whether the page fits and what shows."""
    seen = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for username, paths in pages.items():
                context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True)
                page = context.new_page()
                page.set_default_timeout(15_000)
                page.goto(f"{base_url}/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for path in paths:
                    page.goto(f"{base_url}{path}")
                    seen[(username, path)] = {
                        "fits": page.evaluate(FITS),
                        "logout": visible_in_viewport(page, ".topbar .who button"),
                        "sla": visible_in_viewport(page, ".sla") if page.locator(".sla").count() else None,
                        "heading": page.inner_text("h1"),
                    }
                context.close()
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 390])
def test_pages_fit_a_phone_with_the_next_sla_and_log_out_visible(live_server, width):
    # given an account manager with an open work order, and a team lead with a built weekly report
    am = user_with_role("am-phone", Role.ACCOUNT_MANAGER)
    lead = user_with_role("lead-phone", Role.TEAM_LEAD)
    for person in (am, lead):
        person.set_password(PASSWORD)
        person.save()
    now = timezone.now()
    customer = CustomerFactory(
        external_id="PHONE-1", name="Bakery with a rather long name on a phone", owner=am, lifetime_value=8000.0
    )
    wo = work_order_for(
        customer,
        assignee=am,
        alert=alert_for(customer),
        probability=0.74,
        priority=50.0,
        opened_at=now,
        first_contact_due_at=now + timedelta(hours=5),
        resolution_due_at=now + timedelta(days=14),
    )
    week = IsoWeek.last_completed()
    weekly_report_build(week=week, notify=False)

    # when they open their pages on a phone
    seen = phone_tour(
        live_server.url,
        {"am-phone": ["/work/", f"/work/{wo.pk}/", f"/customers/{customer.pk}/"], "lead-phone": [f"/reports/{week}/"]},
        width,
    )

    # then no page is wider than the screen, Log out is on screen, and the SLA clock shows on the queue
    for (user, path), page in seen.items():
        assert page["fits"], (user, path)
        assert page["logout"], (user, path)
    assert seen[("am-phone", "/work/")]["sla"] is True
    assert seen[("am-phone", f"/work/{wo.pk}/")]["sla"] is True
