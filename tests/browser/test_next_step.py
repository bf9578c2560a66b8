"""In a real browser (Debian's headless Chromium driven by Playwright) at 1366×768: the work order page shows the
next step (title, due time, instruction, talk track, the log button) above the fold, with the contacts' tel: and
mailto: links right after it."""

import pytest
import time_machine
from django.utils import timezone

from interventions.choices import Role
from interventions.models import WorkOrder
from interventions.services import playbooks_install_defaults, work_orders_open_for_alerts
from scoring.ml.policy import default_policy
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, MARKS
from tests.factories import AlertFactory, CustomerFactory, contact_of, user_with_role

VIEWPORT = {"width": 1366, "height": 768}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = MARKS


def boxes(base_url: str, *, username: str, password: str, work_order_id: int) -> dict:
    """Sign in, open the work order at 1366×768 and return the page boxes of what must be seen first."""
    seen = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(15_000)
            page.goto(f"{base_url}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/work/")
            page.goto(f"{base_url}/work/{work_order_id}/")
            for name, selector in {
                "next_step": "#next-step",
                "title": "#h-next",
                "talk_track": ".talk-track",
                "log_button": ".quick-log button",
                "contacts": "#h-contacts",
                "why": "#h-why",
            }.items():
                seen[name] = page.locator(selector).first.bounding_box()
            seen["title_text"] = page.inner_text("#h-next")
            seen["tel"] = page.get_attribute("a[href^='tel:']", "href")
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_next_step_is_above_the_fold_at_1366_by_768(live_server):
    # given a team lead (tier 1 is the leads' tier) owning a tier-1 work order on the 8-week plan, and a contact
    am = user_with_role("am-browser", Role.TEAM_LEAD)
    am.set_password("Browser-Test-pw-1")
    am.save()
    playbooks_install_defaults()
    customer = CustomerFactory(external_id="BAKERY", name="Bakery Lindenstraße", owner=am, lifetime_value=42_000)
    contact_of(customer, "Li Wei", phone="+49 30 1234 5678", email="li@bakery.example", role="owner")
    alert = AlertFactory(customer=customer, tier=1, rules_fired=["Visits stopped", "Satisfaction dropped"])
    with time_machine.travel(timezone.now(), tick=False):
        work_orders_open_for_alerts(
            as_of=timezone.localdate(),
            policy=default_policy(),
            candidates=[{"customer": customer, "alert": alert, "tier": 1, "probability": 0.86}],
        )
    wo = WorkOrder.objects.get()

    # when they open it in a 1366×768 window
    seen = boxes(live_server.url, username="am-browser", password="Browser-Test-pw-1", work_order_id=wo.pk)

    # then the whole next step card, with its talk track and log button, is inside the first screen
    assert seen["title_text"] == "Next step: Week 1: call and listen"
    for name in ("next_step", "talk_track", "log_button"):
        box = seen[name]
        assert box is not None, name
        assert box["y"] >= 0, name
        assert box["y"] + box["height"] <= VIEWPORT["height"], name
    # and the contacts come right after it, before the why
    assert seen["next_step"]["y"] < seen["contacts"]["y"] < seen["why"]["y"]
    assert seen["tel"] == "tel:+493012345678"
