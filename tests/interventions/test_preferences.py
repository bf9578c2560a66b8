"""A person's language and time zone: the profile's language wins over the browser's, the browser's is used when
the profile has none, the header switcher saves to the profile, unknown values are refused naming the field, and
times render in the profile's time zone with the zone named. Notices are written in the recipient's language."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from churnops.core.roles import Role
from interventions.models import AgentProfile, Notification
from interventions.services import PreferenceInvalid, preferences_set, work_order_assign
from tests.factories import NOW, CustomerFactory, user_with_role, work_order_for

pytestmark = pytest.mark.django_db

QUEUE_EN, QUEUE_ZH = "<h1>My queue</h1>", "<h1>我的工单队列</h1>"


def profile_with(user, **fields) -> AgentProfile:
    profile, _created = AgentProfile.objects.update_or_create(user=user, defaults=fields)
    return profile


def queue_page(client, accept: str):
    return client.get(reverse("interventions:queue"), HTTP_ACCEPT_LANGUAGE=accept)


@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "de"])
def test_the_profile_language_wins_over_the_browser(client, am_user, accept):
    # given a profile set to Simplified Chinese
    profile_with(am_user, language="zh-hans")
    client.force_login(am_user)

    # when the browser asks for another language
    response = queue_page(client, accept)

    # then the page is in the profile's language
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert QUEUE_ZH in html
    assert QUEUE_EN not in html
    assert '<html lang="zh-hans">' in html


@pytest.mark.parametrize(
    ("accept", "heading", "language"), [("zh-CN,zh;q=0.9", QUEUE_ZH, "zh-hans"), ("en", QUEUE_EN, "en")]
)
def test_the_browser_language_is_used_when_the_profile_has_none(client, am_user, accept, heading, language):
    # given a profile that follows the browser
    profile_with(am_user, language="")
    client.force_login(am_user)

    # when / then
    response = queue_page(client, accept)
    assert response["Content-Language"] == language
    assert heading in response.content.decode()


def test_the_switcher_saves_the_choice_to_the_profile(client, am_user):
    # given a person whose browser asks for English
    client.force_login(am_user)
    assert QUEUE_EN in queue_page(client, "en").content.decode()

    # when they press 简体中文 in the header
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/work/"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    # then they go back to the page, the profile has the language, and it holds in a new session too
    assert response.status_code == 302
    assert response["Location"] == "/work/"
    assert AgentProfile.objects.get(user=am_user).language == "zh-hans"
    client.logout()
    client.force_login(am_user)
    assert QUEUE_ZH in queue_page(client, "en").content.decode()


def test_the_switcher_works_before_signing_in_without_a_profile(client):
    # when someone on the log-in page picks 简体中文
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})

    # then the log-in page is in Chinese (the cookie) and nobody's profile was written
    assert response.status_code == 302
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>登录</h1>" in page
    assert not AgentProfile.objects.exists()


def test_the_header_shows_the_switcher_with_the_current_language_marked(client, am_user):
    client.force_login(am_user)
    html = queue_page(client, "zh-hans").content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'value="zh-hans" lang="zh-hans" class="current" aria-current="true">简体中文</button>' in html
    assert 'value="en" lang="en">English</button>' in html


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"language": "xx", "timezone": ""}, "language", "xx"),
        ({"language": "", "timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
    ],
)
def test_an_unknown_language_or_time_zone_is_refused_naming_the_field(client, am_user, data, field, words):
    # given a profile in English and Berlin time
    profile_with(am_user, language="en", timezone="Europe/Berlin")
    client.force_login(am_user)

    # when the person saves an unknown value
    response = client.post(reverse("interventions:preferences"), data)

    # then the page says which field is wrong and what, and nothing changed
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    profile = AgentProfile.objects.get(user=am_user)
    assert (profile.language, profile.timezone) == ("en", "Europe/Berlin")


@pytest.mark.parametrize(
    ("changes", "field"), [({"language": "klingon"}, "language"), ({"timezone": "UTC+8"}, "timezone")]
)
def test_the_service_refuses_unknown_values_with_the_field(am_user, changes, field):
    with pytest.raises(PreferenceInvalid) as refused:
        preferences_set(user=am_user, **changes)
    assert refused.value.field == field
    assert refused.value.code == "invalid_preference"
    assert not AgentProfile.objects.filter(user=am_user).exists()


def test_the_preferences_page_saves_language_and_time_zone(client, am_user):
    client.force_login(am_user)
    response = client.post(reverse("interventions:preferences"), {"language": "zh-hans", "timezone": "Asia/Shanghai"})
    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=am_user)
    assert (profile.language, profile.timezone) == ("zh-hans", "Asia/Shanghai")
    # the next page is already in the new language and zone, without signing in again
    html = client.get(reverse("interventions:preferences"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "您的语言和时区已保存。" in html
    assert "Asia/Shanghai" in html


@pytest.mark.parametrize(
    ("zone", "due_text", "due_row"),
    [
        # first contact due 09:00 UTC + 48 h (tier 2): 11:00 in Berlin's summer, 17:00 in Shanghai
        ("", "Wed 2 Jul 2025, 11:00 CEST", "Wed 2 Jul, 11:00 CEST"),
        ("Asia/Shanghai", "Wed 2 Jul 2025, 17:00 CST", "Wed 2 Jul, 17:00 CST"),
        ("UTC", "Wed 2 Jul 2025, 09:00 UTC", "Wed 2 Jul, 09:00 UTC"),
    ],
)
def test_times_render_in_the_profile_time_zone_with_the_zone_named(client, am_user, zone, due_text, due_row):
    # given a work order opened at 09:00 UTC and a person whose profile sets the zone (blank: the installation's)
    profile_with(am_user, timezone=zone)
    customer = CustomerFactory(owner=am_user)
    wo = work_order_for(customer, assignee=am_user, opened_at=NOW, first_contact_due_at=NOW + timedelta(hours=48))
    client.force_login(am_user)

    # when they open the work order and the queue
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        detail = client.get(reverse("interventions:work_order", args=[wo.pk]), HTTP_ACCEPT_LANGUAGE="en")
        queue = queue_page(client, "en")

    # then the SLA due time is in their zone, named, on both pages, and no other zone is on them
    detail_html, queue_html = detail.content.decode(), queue.content.decode()
    assert due_text in detail_html
    assert due_row in queue_html
    others = {"CEST", "CST", "UTC"} - {due_text.rsplit(" ", 1)[1]}
    for other in others:
        assert f":00 {other}" not in detail_html
        assert f":00 {other}" not in queue_html


def test_times_in_chinese_use_the_chinese_date_order(client, am_user):
    profile_with(am_user, language="zh-hans", timezone="Asia/Shanghai")
    customer = CustomerFactory(owner=am_user)
    wo = work_order_for(customer, assignee=am_user, opened_at=NOW, first_contact_due_at=NOW + timedelta(hours=48))
    client.force_login(am_user)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        html = client.get(reverse("interventions:work_order", args=[wo.pk])).content.decode()
    assert "2025年7月2日 星期三 17:00 CST" in html


def test_a_notice_is_written_in_the_recipient_language_and_zone(lead_user):
    # given an account manager who reads Chinese and a lead who reads English
    am_zh = user_with_role("am-zh", Role.ACCOUNT_MANAGER)
    profile_with(am_zh, language="zh-hans", timezone="Asia/Shanghai")
    am_en = user_with_role("am-en", Role.ACCOUNT_MANAGER)
    wo_zh = work_order_for(CustomerFactory(owner=am_zh), assignee=None)
    wo_en = work_order_for(CustomerFactory(owner=am_en), assignee=None)

    # when the admin-side assignment hands each a work order
    work_order_assign(work_order=wo_zh, assignee=am_zh, by=None)
    work_order_assign(work_order=wo_en, assignee=am_en, by=None)

    # then each notice is in its reader's language
    assert Notification.objects.get(recipient=am_zh).subject == f"WO-{wo_zh.pk} 已分配给您"
    assert Notification.objects.get(recipient=am_en).subject == f"WO-{wo_en.pk} was assigned to you"


def test_an_sla_warning_names_the_recipient_zone(db):
    from interventions.services.notifications import in_locale_of, moment_text

    due = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)
    reader = user_with_role("am-sh", Role.ACCOUNT_MANAGER)
    profile_with(reader, timezone="Asia/Shanghai")
    reader.refresh_from_db()
    with in_locale_of(reader):
        assert moment_text(due) == "2025-07-02 17:00 CST"
    nobody = user_with_role("am-none", Role.ACCOUNT_MANAGER)
    with in_locale_of(nobody):  # no profile: the installation's zone (Europe/Berlin in tests)
        assert moment_text(due) == "2025-07-02 11:00 CEST"


def test_a_request_leaves_the_threads_language_and_zone_as_they_were(client, am_user, settings):
    # given an account manager who reads Chinese in Shanghai, and a thread in the installation's defaults
    profile_with(am_user, language="zh-hans", timezone="Asia/Shanghai")
    client.force_login(am_user)
    before = (translation.get_language(), timezone.get_current_timezone_name())

    # when a page is served in their language and zone
    response = client.get(reverse("interventions:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then the page was theirs, and what runs next in the thread reads the defaults again
    assert response.status_code == 200
    assert "我的工单队列" in response.content.decode()
    assert (translation.get_language(), timezone.get_current_timezone_name()) == before
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
