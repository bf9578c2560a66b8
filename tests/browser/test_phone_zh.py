"""On a phone (390 px, headless Chromium) in 简体中文: an account manager and a team lead whose profiles say zh-hans
(their browser asks for English) see the queue, a work order, the customer page and the report with Chinese
headings, no English heading left, every page within the screen, and Log out (退出登录) on screen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from churnops.core.roles import Role
from interventions.models import AgentProfile
from reports.services import weekly_report_build
from reports.weeks import IsoWeek
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, FITS, MARKS
from tests.factories import CustomerFactory, alert_for, user_with_role, work_order_for

PASSWORD = "Phone-Test-pw-1"
WIDTH = 390

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = MARKS

HEADINGS = "() => Array.from(document.querySelectorAll('main h1, main h2')).map(h => h.innerText.trim())"


def on_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and box["width"] > 0


def tour(base_url: str, pages: dict[str, list[str]]) -> dict:
    seen = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for username, paths in pages.items():
                # the browser asks for English: the profile's language must win
                context = browser.new_context(viewport={"width": WIDTH, "height": 844}, is_mobile=True, locale="en-US")
                page = context.new_page()
                page.set_default_timeout(15_000)
                page.goto(f"{base_url}/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("form[action$='/login/'] button[type=submit]")
                page.wait_for_load_state()
                for path in paths:
                    page.goto(f"{base_url}{path}")
                    seen[(username, path)] = {
                        "fits": page.evaluate(FITS),
                        "lang": page.get_attribute("html", "lang"),
                        "headings": page.evaluate(HEADINGS),
                        "logout": on_screen(page, ".topbar .who button"),
                        "logout_text": page.inner_text(".topbar .who button"),
                    }
                context.close()
        finally:
            browser.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_pages_in_chinese_on_a_phone(live_server):
    # given an account manager and a team lead who read Chinese, a work order and a built weekly report
    am = user_with_role("am-zh-phone", Role.ACCOUNT_MANAGER)
    lead = user_with_role("lead-zh-phone", Role.TEAM_LEAD)
    for person in (am, lead):
        person.set_password(PASSWORD)
        person.save()
        AgentProfile.objects.create(user=person, language="zh-hans", timezone="Asia/Shanghai")
    now = timezone.now()
    customer = CustomerFactory(external_id="ZH-1", name="上海第一面包房", owner=am, lifetime_value=8000.0)
    wo = work_order_for(
        customer,
        assignee=am,
        alert=alert_for(customer),
        opened_at=now,
        first_contact_due_at=now + timedelta(hours=5),
        resolution_due_at=now + timedelta(days=14),
    )
    week = IsoWeek.last_completed()
    weekly_report_build(week=week, notify=False)
    queue, work, client_page, report = "/work/", f"/work/{wo.pk}/", f"/customers/{customer.pk}/", f"/reports/{week}/"

    # when they open their pages on a phone whose browser asks for English
    seen = tour(live_server.url, {"am-zh-phone": [queue, work, client_page], "lead-zh-phone": [report]})

    # then each page is Chinese, fits the screen and keeps Log out on screen
    expected = {
        ("am-zh-phone", queue): ["我的工单队列"],
        ("am-zh-phone", work): ["下一步", "联系人", "客户", "工单", "时间线"],
        ("am-zh-phone", client_page): ["概况", "最新评分", "评分历史", "活动", "工单"],
        ("lead-zh-phone", report): [f"成果周报 · {week}", "预警与工作", "结果", "模型健康状况"],
    }
    english = {"My queue", "Timeline", "Profile", "Score history", "Activity", "Outcomes", "Model health", "Contacts"}
    for key, headings in expected.items():
        page = seen[key]
        assert page["lang"] == "zh-hans", key
        for heading in headings:
            assert any(h.startswith(heading) for h in page["headings"]), (key, heading, page["headings"])
        assert not english & {h.split(" (")[0] for h in page["headings"]}, (key, page["headings"])
        assert page["fits"], key
        assert page["logout"], key
        assert page["logout_text"] == "退出登录", key


@pytest.mark.django_db(transaction=True)
def test_the_header_switcher_works_on_a_phone_and_saves_to_the_profile(live_server):
    # given an account manager whose profile follows the browser, and a browser that asks for English
    am = user_with_role("am-switch", Role.ACCOUNT_MANAGER)
    am.set_password(PASSWORD)
    am.save()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 844}, is_mobile=True, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "am-switch")
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action$='/login/'] button[type=submit]")
            page.wait_for_load_state()
            before = page.inner_text("main h1")

            # when they open the menu and press 简体中文
            page.click("label.menu-button")
            switch = page.locator(".topbar .lang-switch button[value=zh-hans]")
            tappable = switch.bounding_box()
            switch.click()
            page.wait_for_load_state()
            after, fits = page.inner_text("main h1"), page.evaluate(FITS)
        finally:
            browser.close()

    # then the same page comes back in Chinese, still within the screen, and the profile keeps the choice
    assert (before, after) == ("My queue", "我的工单队列")
    assert tappable["height"] >= 44
    assert fits
    assert AgentProfile.objects.get(user=am).language == "zh-hans"
