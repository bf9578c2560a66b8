"""The server-rendered retention pages: login, the queue, a work order and its POST endpoints."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from customers.models import Customer
from interventions.choices import Role, WorkOrderStatus
from interventions.models import Action, WorkOrder, WorkOrderEvent
from scoring.selectors import policy_current
from scoring.services import defaults_install, policy_save
from tests.factories import (
    CustomerFactory,
    customer_flagged_by_two_rules,
    team_member_of,
    user_with_role,
    work_order_for,
    work_order_resolved,
)
from tests.scoring.builders import at

AS_OF = date(2025, 6, 30)
NOW = at(AS_OF, 10)


@pytest.fixture
def no_control_group(db):
    """Every flagged customer gets a work order (no random control group) so pipeline tests are exact."""
    defaults_install()
    data = policy_current().data
    data["control_share"] = 0.0
    policy_save(data=data, comment="test: no control group")


def make_work_order(
    external_id, assignee, *, tier=2, status=WorkOrderStatus.NEW, due_in_hours=72, priority=100.0, alert=None, **fields
) -> WorkOrder:
    c = CustomerFactory(external_id=external_id, owner=assignee, lifetime_value=5000.0)
    now = timezone.now()
    return work_order_for(
        c,
        alert=alert,
        tier=tier,
        status=status,
        assignee=assignee,
        probability=0.7,
        priority=priority,
        opened_at=now,
        first_contact_due_at=now + timedelta(hours=due_in_hours),
        resolution_due_at=now + timedelta(days=14),
        **fields,
    )


def queue_ids(response) -> list[int]:
    return [wo.pk for wo, _sla, _name in response.context["rows"]]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def writes():
    """Everything a work-order page can write, to assert that a refused request wrote nothing."""
    return (
        Action.objects.count(),
        WorkOrderEvent.objects.count(),
        list(
            WorkOrder.objects.order_by("id").values_list("status", "open_key", "outcome", "reason", "first_contact_at")
        ),
    )


# --- login and anonymous access ---------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_renders(client):
    # when
    response = client.get("/accounts/login/")

    # then
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "registration/login.html"
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_login_with_valid_credentials_lands_on_the_queue(client, am_user):
    # when
    response = client.post("/accounts/login/", {"username": "am1", "password": "pw-Test-12345"})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/work/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "interventions:queue"),
        ("get", "interventions:work_order"),
        ("post", "interventions:log_action"),
        ("post", "interventions:resolve"),
        ("post", "interventions:set_status"),
        ("get", "customers:detail"),
    ],
)
def test_anonymous_is_sent_to_login(client, am_user, method, name):
    # given
    wo = make_work_order("C1", am_user)
    url = (
        reverse(name)
        if name == "interventions:queue"
        else reverse(name, args=[wo.customer_id if name == "customers:detail" else wo.pk])
    )
    before = writes()

    # when
    data = {"kind": "call", "outcome": "retained", "reason": "price", "status": "waiting"}
    response = client.post(url, data) if method == "post" else client.get(url)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert writes() == before


# --- the queue --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_manager_queue_shows_exactly_their_open_work_orders(client, am_user, other_am_user, no_control_group):
    # given: the nightly run opens work orders for two customers of am1 and one of am2
    mine_a = customer_flagged_by_two_rules("MINE-A", owner=am_user)
    mine_b = customer_flagged_by_two_rules("MINE-B", owner=am_user)
    customer_flagged_by_two_rules("THEIRS", owner=other_am_user)
    call_command("run_nightly", as_of=AS_OF)
    resolved = make_work_order("OLD", am_user)
    work_order_resolved(resolved, timezone.now(), "retained", "price")
    client.force_login(am_user)

    # when
    response = client.get(reverse("interventions:queue"))

    # then
    expected = list(
        WorkOrder.objects.filter(customer__in=[mine_a, mine_b])
        .order_by("first_contact_due_at", "-priority", "id")
        .values_list("id", flat=True)
    )
    assert response.status_code == 200
    assert response.context["title"] == "My queue"
    assert len(expected) == 2
    assert queue_ids(response) == expected
    assert b"THEIRS" not in response.content
    assert b"OLD" not in response.content
    assert response.context["totals"] == {"open": 2, "breached": 0, "at_risk": 0}


@pytest.mark.django_db
def test_queue_sorts_breached_first_then_due_soonest_then_priority(client, am_user):
    # given
    later = make_work_order("LATER", am_user, due_in_hours=48)
    soon_low = make_work_order("SOON-LOW", am_user, due_in_hours=5, priority=10)
    soon_high = make_work_order("SOON-HIGH", am_user, due_in_hours=5, priority=900)
    breached = make_work_order("BREACHED", am_user, due_in_hours=70, is_breached=True)
    WorkOrder.objects.filter(pk=soon_high.pk).update(first_contact_due_at=soon_low.first_contact_due_at)
    client.force_login(am_user)

    # when
    response = client.get(reverse("interventions:queue"))

    # then
    assert queue_ids(response) == [breached.pk, soon_high.pk, soon_low.pk, later.pk]


@pytest.mark.django_db
def test_queue_marks_breached_overdue_and_at_risk_work_orders(client, am_user):
    # given
    with time_machine.travel(NOW, tick=False):
        overdue = make_work_order("OVERDUE", am_user, due_in_hours=-3)
        at_risk = make_work_order("AT-RISK", am_user, due_in_hours=2, is_at_risk=True)
        calm = make_work_order("CALM", am_user, due_in_hours=50)
        client.force_login(am_user)

        # when
        response = client.get(reverse("interventions:queue"))

    # then
    slas = {wo.pk: (sla.state, sla.text) for wo, sla, _name in response.context["rows"]}
    assert slas == {
        overdue.pk: ("breached", "overdue 3h 0m"),
        at_risk.pk: ("at-risk", "2h 0m left"),
        calm.pk: ("ok", "2d 2h left"),
    }
    assert b'class="is-breached"' in response.content
    assert b'class="is-at-risk"' in response.content


@pytest.mark.django_db
def test_queue_filters_by_tier(client, am_user):
    # given
    tier1 = make_work_order("T1", am_user, tier=1)
    make_work_order("T2", am_user, tier=2)
    make_work_order("T3", am_user, tier=3)
    client.force_login(am_user)

    # when
    response = client.get(reverse("interventions:queue"), {"tier": "1"})

    # then
    assert queue_ids(response) == [tier1.pk]
    assert b"T1 \xc2\xb7 urgent" in response.content  # the badge names the tier


@pytest.mark.django_db
def test_queue_filters_by_status_and_ignores_nonsense_filters(client, am_user):
    # given
    make_work_order("NEW", am_user)
    waiting = make_work_order("WAIT", am_user, status=WorkOrderStatus.WAITING)
    client.force_login(am_user)

    # when
    by_status = client.get(reverse("interventions:queue"), {"status": "waiting"})
    nonsense = client.get(reverse("interventions:queue"), {"tier": "abc", "status": "resolved"})

    # then
    assert queue_ids(by_status) == [waiting.pk]
    assert len(queue_ids(nonsense)) == 2


@pytest.mark.django_db
def test_queue_paginates_fifty_per_page(client, am_user):
    # given
    for i in range(51):
        make_work_order(f"C{i:02d}", am_user, due_in_hours=10 + i)
    client.force_login(am_user)

    # when
    first = client.get(reverse("interventions:queue"))
    second = client.get(reverse("interventions:queue"), {"page": "2"})

    # then
    assert len(queue_ids(first)) == 50
    assert [wo.customer.external_id for wo, _s, _n in second.context["rows"]] == ["C50"]
    assert b"51 of 51" in second.content


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 30])
def test_queue_uses_a_constant_number_of_queries(client, am_user, django_assert_num_queries, n):
    # given
    for i in range(n):
        make_work_order(f"C{i:02d}", am_user, tier=1 + i % 3)
    client.force_login(am_user)

    # when / then: session, user, groups, policy, totals (also the page count), page rows, unread notifications
    with django_assert_num_queries(7):
        response = client.get(reverse("interventions:queue"))
    assert len(queue_ids(response)) == n


@pytest.mark.django_db
def test_team_lead_sees_the_team_queue(client, am_user, other_am_user, lead_user):
    # given: am1 is in lead1's team, am2 is not
    team_member_of(am_user, lead_user)
    team_wo = make_work_order("TEAM", am_user)
    lead_wo = make_work_order("LEAD", lead_user)
    make_work_order("OUTSIDE", other_am_user)
    client.force_login(lead_user)

    # when
    team = client.get(reverse("interventions:queue"), {"team": "1"})
    mine = client.get(reverse("interventions:queue"))

    # then
    assert team.context["title"] == "Team queue"
    assert sorted(queue_ids(team)) == sorted([team_wo.pk, lead_wo.pk])
    assert queue_ids(mine) == [lead_wo.pk]
    assert b">Team queue</a>" in mine.content


@pytest.mark.django_db
def test_account_manager_asking_for_the_team_queue_gets_their_own(client, am_user, other_am_user):
    # given
    mine = make_work_order("MINE", am_user)
    make_work_order("THEIRS", other_am_user)
    client.force_login(am_user)

    # when
    response = client.get(reverse("interventions:queue"), {"team": "1"})

    # then
    assert response.context["title"] == "My queue"
    assert queue_ids(response) == [mine.pk]
    assert b">Team queue</a>" not in response.content


# --- the work order page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_work_order_page_shows_customer_sla_and_why(client, am_user):
    # given
    c = Customer.objects.create(
        external_id="ACME-7",
        name="Acme Bakery",
        segment="retail",
        region="north",
        owner=am_user,
        lifetime_value=12500.0,
        contract_end=date(2025, 9, 30),
    )
    alert = Alert.objects.create(
        customer=c,
        open_key=c.id,
        probability=0.72,
        tier=2,
        max_tier=2,
        rules_fired=["Visits stopped", "Competitor signal"],
        factors=[
            {"feature": "visits_change_ratio", "weight": 0.8213, "text": "visits down 75% vs prior quarter"},
            {"feature": "tenure_days", "weight": -0.3105, "text": "customer for 6 years"},
        ],
        first_raised_at=NOW,
        first_run_as_of=AS_OF,
        last_run_as_of=AS_OF,
    )
    defaults_install()
    wo = WorkOrder.objects.create(
        customer=c,
        alert=alert,
        open_key=c.id,
        tier=2,
        assignee=am_user,
        probability=0.72,
        priority=42.0,
        opened_at=NOW,
        first_contact_due_at=NOW + timedelta(hours=72),
        resolution_due_at=NOW + timedelta(days=14),
    )
    client.force_login(am_user)

    # when
    response = client.get(reverse("interventions:work_order", args=[wo.pk]))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Acme Bakery",
        "ACME-7",
        "retail",
        "north",
        "12,500",
        "30 Sep 2025",
        "T2 · important",
        "Visits stopped",
        "Competitor signal",
        "A competitor signal was recorded in the last 30 days.",
        "visits down 75% vs prior quarter",
        "customer for 6 years",
        "72%",
    ]:
        assert text in html, text
    # issue 11: factors are shares of the risk in their sentence, no longer signed log-odds numbers
    assert "+0.82" not in html
    assert [label for _value, label in response.context["transitions"]] == ["In progress", "Waiting on customer"]


@pytest.mark.django_db
def test_other_account_manager_gets_404_on_work_order_and_customer_page(client, am_user, other_am_user):
    # given
    wo = make_work_order("C1", am_user)
    client.force_login(other_am_user)

    # when
    work_order_page = client.get(reverse("interventions:work_order", args=[wo.pk]))
    customer_page = client.get(reverse("customers:detail", args=[wo.customer_id]))

    # then
    assert work_order_page.status_code == 404
    assert customer_page.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("interventions:log_action", {"kind": "call", "note": "hi"}),
        ("interventions:resolve", {"outcome": "retained", "reason": "price"}),
        ("interventions:set_status", {"status": "waiting"}),
    ],
)
def test_other_account_manager_cannot_change_a_work_order(client, am_user, other_am_user, name, data):
    # given
    wo = make_work_order("C1", am_user)
    client.force_login(other_am_user)
    before = writes()

    # when
    response = client.post(reverse(name, args=[wo.pk]), data)

    # then
    assert response.status_code == 404
    assert writes() == before


@pytest.mark.django_db
def test_logging_a_call_records_the_action_first_contact_and_starts_work(client, am_user):
    # given
    wo = make_work_order("C1", am_user)
    client.force_login(am_user)

    # when
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("interventions:log_action", args=[wo.pk]),
            {"kind": "call", "note": "Talked to the owner"},
            follow=True,
        )

    # then
    wo.refresh_from_db()
    action = Action.objects.get()
    assert response.redirect_chain == [(reverse("interventions:work_order", args=[wo.pk]), 302)]
    assert messages_of(response) == ["Call logged."]
    assert (action.work_order_id, action.kind, action.note, action.author, action.at) == (
        wo.pk,
        "call",
        "Talked to the owner",
        am_user,
        NOW,
    )
    assert wo.first_contact_at == NOW
    assert wo.status == WorkOrderStatus.IN_PROGRESS
    assert list(wo.events.values_list("field", "before", "after")) == [
        ("first_contact_at", "", "2025-06-30T08:00:00+00:00"),
        ("status", "new", "in_progress"),
    ]
    assert "Talked to the owner" in response.content.decode()


@pytest.mark.django_db
def test_logging_an_unknown_action_kind_writes_nothing(client, am_user):
    # given
    wo = make_work_order("C1", am_user)
    client.force_login(am_user)
    before = writes()

    # when
    response = client.post(reverse("interventions:log_action", args=[wo.pk]), {"kind": "telepathy"}, follow=True)

    # then
    assert messages_of(response) == [
        "Nothing was logged: Action: Select a valid choice. telepathy is not one of the available choices."
    ]
    assert writes() == before


@pytest.mark.django_db
def test_resolving_with_outcome_and_reason_removes_it_from_the_queue(client, am_user):
    # given
    wo = make_work_order("C1", am_user, status=WorkOrderStatus.IN_PROGRESS)
    client.force_login(am_user)

    # when
    response = client.post(
        reverse("interventions:resolve", args=[wo.pk]),
        {"outcome": "retained", "reason": "price", "note": "10% off"},
        follow=True,
    )

    # then
    wo.refresh_from_db()
    assert response.redirect_chain == [(reverse("interventions:queue"), 302)]
    assert messages_of(response) == [f"WO-{wo.pk} for Customer C1 resolved: Retained, reason price."]
    assert (wo.status, wo.open_key, wo.outcome, wo.reason, wo.resolution_note) == (
        WorkOrderStatus.RESOLVED,
        None,
        "retained",
        "price",
        "10% off",
    )
    assert queue_ids(response) == []


@pytest.mark.django_db
def test_resolving_without_a_reason_shows_an_error_and_writes_nothing(client, am_user):
    # given
    wo = make_work_order("C1", am_user)
    client.force_login(am_user)
    before = writes()

    # when
    response = client.post(
        reverse("interventions:resolve", args=[wo.pk]), {"outcome": "retained", "reason": ""}, follow=True
    )

    # then
    assert response.redirect_chain == [(reverse("interventions:work_order", args=[wo.pk]), 302)]
    assert messages_of(response) == ["Not resolved: Reason: This field is required."]
    assert writes() == before


@pytest.mark.django_db
def test_illegal_status_transition_shows_an_error_and_writes_nothing(client, am_user):
    # given
    wo = make_work_order("C1", am_user, status=WorkOrderStatus.IN_PROGRESS)
    client.force_login(am_user)
    before = writes()

    # when
    response = client.post(reverse("interventions:set_status", args=[wo.pk]), {"status": "new"}, follow=True)

    # then
    assert response.redirect_chain == [(reverse("interventions:work_order", args=[wo.pk]), 302)]
    assert messages_of(response) == ["Status not changed: cannot move a work order from in_progress to new"]
    assert writes() == before


@pytest.mark.django_db
def test_legal_status_transition_is_recorded(client, am_user):
    # given
    wo = make_work_order("C1", am_user, status=WorkOrderStatus.IN_PROGRESS)
    client.force_login(am_user)

    # when
    response = client.post(reverse("interventions:set_status", args=[wo.pk]), {"status": "waiting"}, follow=True)

    # then
    wo.refresh_from_db()
    assert messages_of(response) == ["Status set to Waiting on customer."]
    assert wo.status == WorkOrderStatus.WAITING
    assert list(wo.events.values_list("field", "before", "after", "actor")) == [
        ("status", "in_progress", "waiting", am_user.pk)
    ]


@pytest.mark.django_db
def test_team_lead_can_open_a_team_members_work_order_but_not_another_teams(client, am_user, other_am_user):
    # given
    lead = user_with_role("lead9", Role.TEAM_LEAD)
    team_member_of(am_user, lead)
    team_wo = make_work_order("TEAM", am_user)
    other_wo = make_work_order("OTHER", other_am_user)
    client.force_login(lead)

    # when
    team_page = client.get(reverse("interventions:work_order", args=[team_wo.pk]))
    other_page = client.get(reverse("interventions:work_order", args=[other_wo.pk]))

    # then
    assert team_page.status_code == 200
    assert other_page.status_code == 404


def test_work_order_page_has_unique_field_ids_and_no_snooze_link_once_resolved(client, am_user):
    import re

    from tests.factories import AlertFactory, CustomerFactory, work_order_for, work_order_resolved

    customer = CustomerFactory(external_id="U1", owner=am_user)
    wo = work_order_for(customer, assignee=am_user, alert=AlertFactory(customer=customer))
    client.force_login(am_user)
    html = client.get(f"/work/{wo.pk}/").content.decode()
    ids = re.findall(r'\sid="(id_[^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "Snooze alert" in html

    work_order_resolved(wo, wo.opened_at, "retained", "price")
    assert "Snooze alert" not in client.get(f"/work/{wo.pk}/").content.decode()


def test_a_customer_without_lifetime_value_shows_the_value_its_priority_used_and_a_nonzero_priority(client, am_user):
    from tests.factories import AlertFactory, CustomerFactory, work_order_for

    customer = CustomerFactory(external_id="F1", owner=am_user, lifetime_value=0)
    alert = AlertFactory(customer=customer, value=7, value_basis="frequency")
    work_order_for(customer, assignee=am_user, alert=alert, priority=0.0432)
    client.force_login(am_user)

    html = client.get("/work/").content.decode()

    assert '<td class="num" data-label="Priority">0.043</td>' in html
    assert '<td class="num" data-label="LTV">7<span class="sub">purchases, 12 months</span></td>' in html
