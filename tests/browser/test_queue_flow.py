"""In a real browser (Debian's headless Chromium driven by Playwright): an account manager signs in, opens the
first work order of the queue, logs a call, resolves it as retained, and sees it leave the queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interventions.choices import Role
from interventions.models import Action, WorkOrder
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, MARKS
from tests.factories import CustomerFactory, user_with_role, work_order_for

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = MARKS
# Playwright's sync API runs an event loop in this thread; the live server's database calls are not async code.


def open_work_order(external_id: str, assignee, *, due_in_hours: int) -> WorkOrder:
    now = timezone.now()
    customer = CustomerFactory(
        external_id=external_id, name=f"Bakery {external_id}", owner=assignee, lifetime_value=8000.0
    )
    return work_order_for(
        customer,
        assignee=assignee,
        probability=0.74,
        priority=50.0,
        opened_at=now,
        first_contact_due_at=now + timedelta(hours=due_in_hours),
        resolution_due_at=now + timedelta(days=14),
    )


def queue_flow(base_url: str, *, username: str, password: str, first_id: int) -> dict:
    """Drive the browser through the flow and return what the account manager saw.

    The database is only touched outside this function: Playwright's sync API runs the page calls on its own
    greenlet, where Django would open (and leave open) a second connection.
    """
    seen = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            # sign in
            page.goto(f"{base_url}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/work/")
            links = page.locator("table.data tbody tr td a b")
            seen["queue_before"] = links.all_inner_texts()
            # open the first work order, log a call, resolve it as retained
            links.first.click()
            page.wait_for_url(f"{base_url}/work/{first_id}/")
            page.select_option("select[name=kind]", "call")
            page.fill("form[action$='/actions/'] textarea[name=note]", "Owner happy again")
            page.click("form[action$='/actions/'] button[type=submit]")
            page.wait_for_selector("text=Call logged.")
            page.select_option("select[name=outcome]", "retained")
            page.select_option("select[name=reason]", "price")
            page.click("form[action$='/resolve/'] button[type=submit]")
            page.wait_for_url(f"{base_url}/work/")
            seen["message"] = page.inner_text(".messages")
            seen["queue_after"] = page.locator("table.data tbody tr td a b").all_inner_texts()
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_account_manager_logs_a_call_resolves_as_retained_and_the_case_leaves_the_queue(live_server):
    # given an account manager with two open work orders, the most urgent first
    am = user_with_role("am-browser", Role.ACCOUNT_MANAGER)
    am.set_password("Browser-Test-pw-1")
    am.save()
    first = open_work_order("FIRST", am, due_in_hours=5)
    second = open_work_order("SECOND", am, due_in_hours=50)

    # when they sign in, open the first work order of the queue, log a call and resolve it as retained
    seen = queue_flow(live_server.url, username="am-browser", password="Browser-Test-pw-1", first_id=first.pk)

    # then the queue listed both, most urgent first; after resolving, it confirms and lists only the second
    assert seen["queue_before"] == [f"WO-{first.pk}", f"WO-{second.pk}"]
    assert f"WO-{first.pk} for Bakery FIRST resolved: Retained, reason price." in seen["message"]
    assert seen["queue_after"] == [f"WO-{second.pk}"]
    first.refresh_from_db()
    assert (first.status, first.outcome, first.reason, first.open_key) == ("resolved", "retained", "price", None)
    assert list(Action.objects.values_list("work_order_id", "kind", "note", "author__username")) == [
        (first.pk, "call", "Owner happy again", "am-browser")
    ]
