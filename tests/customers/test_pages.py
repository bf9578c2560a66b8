"""The customer page: who may see it and what it shows."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from interventions.choices import Role
from interventions.models import WorkOrder
from scoring.selectors import policy_current, score_history
from scoring.services import defaults_install, policy_save
from tests.factories import (
    customer,
    customer_flagged_by_two_rules,
    events_on_days,
    team_member_of,
    user_with_role,
    work_order_for,
    work_order_resolved,
)
from tests.scoring.builders import every

AS_OF = date(2025, 6, 30)


@pytest.fixture
def no_control_group(db):
    defaults_install()
    data = policy_current().data
    data["control_share"] = 0.0
    policy_save(data=data, comment="test: no control group")


def work_order_opened_now(c: Customer, assignee) -> WorkOrder:
    return work_order_for(c, assignee=assignee, opened_at=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 200),
        ("admin", 200),
        ("owner_lead", 200),
        ("other_lead", 404),
        ("assignee", 200),
        ("other_am", 404),
        ("customer_service", 200),  # customer service looks any customer up (read-only)
    ],
)
def test_customer_page_is_visible_only_to_those_involved(client, am_user, admin_user, who, expected):
    # given: am1 owns the customer, lead1 leads am1, am3 has a work order for the customer
    lead = user_with_role("lead1", Role.TEAM_LEAD)
    team_member_of(am_user, lead)
    c = customer("C1", owner=am_user)
    assignee = user_with_role("am3", Role.ACCOUNT_MANAGER)
    work_order_opened_now(c, assignee)
    users = {
        "owner": am_user,
        "admin": admin_user,
        "owner_lead": lead,
        "other_lead": user_with_role("lead2", Role.TEAM_LEAD),
        "assignee": assignee,
        "other_am": user_with_role("am2", Role.ACCOUNT_MANAGER),
        "customer_service": user_with_role("cs9", Role.CUSTOMER_SERVICE),
    }
    client.force_login(users[who])

    # when
    response = client.get(reverse("customers:detail", args=[c.pk]))

    # then
    assert response.status_code == expected


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    # given
    c = customer("C1")
    url = reverse("customers:detail", args=[c.pk])

    # when
    response = client.get(url)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.django_db
def test_customer_page_shows_profile_latest_score_history_activity_and_work_orders(client, am_user, no_control_group):
    # given: three nightly runs, and a past work order resolved as retained
    c = customer_flagged_by_two_rules(
        "ACME-7",
        owner=am_user,
        segment="retail",
        region="north",
        lifetime_value=12500.0,
        contract_end=date(2025, 9, 30),
    )
    past = work_order_resolved(work_order_opened_now(c, am_user), timezone.now(), "retained", "price")
    for days_back in (2, 1, 0):
        call_command("run_nightly", as_of=AS_OF - timedelta(days=days_back))
    client.force_login(am_user)

    # when
    response = client.get(reverse("customers:detail", args=[c.pk]))

    # then
    html = response.content.decode()
    latest = score_history(customer_id=c.pk, limit=1)[0]
    current = WorkOrder.objects.get(customer=c, open_key__isnull=False)
    assert response.status_code == 200
    assert response.context["latest"] == latest
    assert latest.as_of == AS_OF
    assert [p["as_of"] for p in response.context["chart"].points] == [
        AS_OF - timedelta(days=2),
        AS_OF - timedelta(days=1),
        AS_OF,
    ]
    assert html.count("<circle ") == 3
    assert "<polyline " in html
    for text in [
        "ACME-7",
        "retail",
        "north",
        "12,500",
        "30 Sep 2025",
        "T2 · important",
        "Visits stopped",
        "Competitor signal",
        "Competitor signal</td>",
        "Retained",
        "Price",
    ]:
        assert text in html, text
    assert [row[0] for row in response.context["work_orders"]] == [current, past]
    assert response.context["work_orders"][1][2] is True  # the owner may open their past work order
    assert len(response.context["events"]) == 14  # 13 visits + 1 competitor signal, all within the latest 50


@pytest.mark.django_db
def test_customer_page_lists_only_the_latest_fifty_events(client, am_user):
    # given
    c = customer("C1", owner=am_user)
    events_on_days(c, "login", every(AS_OF - timedelta(days=59), AS_OF, 1))
    client.force_login(am_user)

    # when
    response = client.get(reverse("customers:detail", args=[c.pk]))

    # then
    events = [event for event, _kind in response.context["events"]]
    assert len(events) == 50
    assert events[0].occurred_at.date() == AS_OF
    assert events[-1].occurred_at.date() == AS_OF - timedelta(days=49)
    assert response.context["chart"] is None
    assert "Not scored yet" in response.content.decode()
