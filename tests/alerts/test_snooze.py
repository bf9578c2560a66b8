"""Snoozing an alert (page, API, service): no work order opens while snoozed; the snooze ends by itself."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from alerts.models import Alert
from alerts.services import AlertError, alert_snooze, alert_unsnooze, alerts_upsert
from interventions.models import WorkOrder
from scoring.ml.policy import default_policy
from scoring.services import policy_save
from tests.api.builders import login
from tests.factories import CustomerFactory, alert_for, events_on_days, work_order_resolved
from tests.scoring.builders import at, every

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 30)


@pytest.fixture
def own_alert(am_user):
    return alert_for(CustomerFactory(external_id="OWN", owner=am_user))


@pytest.fixture
def today():
    with time_machine.travel(f"{TODAY.isoformat()} 09:00:00+00:00", tick=False):
        yield TODAY


def test_snooze_records_reason_date_and_who(own_alert, am_user, today):
    # when
    snoozed = alert_snooze(alert=own_alert, until=today + timedelta(days=10), reason="  on holiday  ", by=am_user)

    # then
    assert (snoozed.status, snoozed.snoozed_until, snoozed.snooze_reason, snoozed.snoozed_by) == (
        "snoozed",
        today + timedelta(days=10),
        "on holiday",
        am_user,
    )


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [(10, " ", "a snooze needs a reason"), (-1, "x", "must end today or later"), (400, "x", "at most 365 days")],
)
def test_snooze_validation(own_alert, am_user, today, days, reason, message):
    # when / then
    with pytest.raises(AlertError, match=message):
        alert_snooze(alert=own_alert, until=today + timedelta(days=days), reason=reason, by=am_user)
    own_alert.refresh_from_db()
    assert own_alert.status == "open"


def test_someone_who_cannot_see_the_alert_cannot_snooze_it(own_alert, other_am_user, today):
    with pytest.raises(AlertError, match="may not snooze"):
        alert_snooze(alert=own_alert, until=today, reason="x", by=other_am_user)


def test_unsnooze(own_alert, am_user, today):
    # given
    alert_snooze(alert=own_alert, until=today + timedelta(days=3), reason="x", by=am_user)

    # when
    opened = alert_unsnooze(alert=own_alert, by=am_user)

    # then
    assert opened.status == "open"
    with pytest.raises(AlertError, match="not snoozed"):
        alert_unsnooze(alert=own_alert, by=am_user)


def test_an_expired_snooze_reopens_the_alert_on_the_next_rescore(own_alert, am_user, today):
    # given a snooze that ended yesterday
    alert_snooze(alert=own_alert, until=today, reason="x", by=am_user)
    row = {
        "customer_id": own_alert.customer_id,
        "probability": 0.8,
        "tier": 2,
        "rules_fired": [],
        "is_rule_high_risk": False,
        "factors": [],
    }

    # when the customer is re-scored today and then tomorrow
    alerts_upsert(as_of=today, rows=[row], control_share=0)
    still = Alert.objects.get(pk=own_alert.pk).status
    alerts_upsert(as_of=today + timedelta(days=1), rows=[row], control_share=0)

    # then
    assert (still, Alert.objects.get(pk=own_alert.pk).status) == ("snoozed", "open")


def test_a_snoozed_alert_gets_no_work_order_from_the_nightly_run(am_user):
    # given a flagged customer whose alert is snoozed after the first run
    policy = default_policy()
    policy["control_share"] = 0
    policy_save(data=policy, comment="no control group")
    c = CustomerFactory(external_id="C1", owner=am_user, lifetime_value=1000)
    events_on_days(c, "visit", every(TODAY - timedelta(days=300), TODAY - timedelta(days=120), 14))
    events_on_days(c, "competitor", [TODAY - timedelta(days=5)])
    call_command("run_nightly", as_of=TODAY)
    for wo in WorkOrder.objects.all():
        work_order_resolved(wo, at(TODAY, 9), "false_alarm", "other")
    with time_machine.travel(f"{TODAY.isoformat()} 09:00:00+00:00", tick=False):
        alert_snooze(alert=Alert.objects.get(), until=TODAY + timedelta(days=30), reason="known issue", by=am_user)

    # when the next night scores the customer again
    call_command("run_nightly", as_of=TODAY + timedelta(days=1))

    # then no new work order was opened
    assert WorkOrder.objects.filter(open_key__isnull=False).count() == 0


def test_snooze_page(client, own_alert, am_user, today):
    # given
    client.force_login(am_user)
    url = reverse("interventions:alerts:snooze", args=[own_alert.pk])

    # when
    page = client.get(url)
    response = client.post(
        url, {"until": (today + timedelta(days=5)).isoformat(), "reason": "customer on holiday"}, follow=True
    )

    # then
    own_alert.refresh_from_db()
    assert page.status_code == 200
    assert response.redirect_chain == [(reverse("interventions:alerts:list"), 302)]
    assert (own_alert.status, own_alert.snooze_reason) == ("snoozed", "customer on holiday")
    assert "snoozed until 05 Jul 2025" in [str(m) for m in response.context["messages"]][0]


def test_snooze_page_of_someone_elses_alert_is_404(client, own_alert, other_am_user):
    client.force_login(other_am_user)
    response = client.post(
        reverse("interventions:alerts:snooze", args=[own_alert.pk]), {"until": "2030-01-01", "reason": "x"}
    )
    assert response.status_code == 404
    own_alert.refresh_from_db()
    assert own_alert.status == "open"


def test_snooze_api(api_client, own_alert, am_user, today):
    # when
    response = login(api_client, am_user).post(
        f"/api/alerts/{own_alert.pk}/snooze/", {"until": "2025-07-10", "reason": "call back in July"}, format="json"
    )
    bad = api_client.post(f"/api/alerts/{own_alert.pk}/snooze/", {"until": "2025-07-10", "reason": ""}, format="json")
    unsnoozed = api_client.post(f"/api/alerts/{own_alert.pk}/unsnooze/")

    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["snoozed_until"], response.json()["snoozed_by"]) == (
        "snoozed",
        "2025-07-10",
        am_user.pk,
    )
    assert bad.status_code == 400
    assert (unsnoozed.status_code, unsnoozed.json()["status"]) == (200, "open")
