"""Pages and API of the workflow around a work order: notifications, people (capacity, leave), bulk reassign,
the timeline of system changes, and the queue's query count for account managers and team leads."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from interventions.choices import NotificationKind, Role
from interventions.models import AgentProfile, Notification, WorkOrder
from interventions.services import notifications_send, sla_sweep
from interventions.services.notifications import Notice
from tests.api.builders import login
from tests.factories import NOW, TODAY, agent_user, work_order_with_clocks

from .builders import fresh, timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    lead = agent_user("lead1", Role.TEAM_LEAD)
    am1 = agent_user("am1", team_lead=lead)
    am2 = agent_user("am2", team_lead=lead)
    work = [work_order_with_clocks(f"C{i}", assignee=am1) for i in range(3)]
    return {"lead": lead, "am1": am1, "am2": am2, "work": work}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- notifications ----------------------------------------------------------------------------


def test_nav_shows_the_unread_count_and_the_list_shows_the_recipients_notifications(client, team):
    # given two notifications for am1 and one for am2
    notifications_send(
        [
            Notice(recipient_id=user.pk, kind=NotificationKind.ASSIGNED, subject=subject, work_order_id=wo.pk)
            for user, subject, wo in zip(
                [team["am1"], team["am1"], team["am2"]], ["one", "two", "other"], team["work"], strict=True
            )
        ]
    )
    client.force_login(team["am1"])

    # when
    queue = client.get(reverse("interventions:queue"))
    listed = client.get(reverse("interventions:notifications"))

    # then
    assert b'aria-label="2 unread">2</b>' in queue.content
    assert [n.subject for n in listed.context["page"].object_list] == ["two", "one"]


def test_opening_a_work_order_reads_its_notifications_and_mark_all_reads_the_rest(client, team):
    # given
    notifications_send(
        [
            Notice(recipient_id=team["am1"].pk, kind=NotificationKind.ASSIGNED, subject=str(wo.pk), work_order_id=wo.pk)
            for wo in team["work"]
        ]
    )
    client.force_login(team["am1"])

    # when the first work order is opened
    client.get(reverse("interventions:work_order", args=[team["work"][0].pk]))
    after_open = Notification.objects.filter(read_at__isnull=True).count()
    response = client.post(reverse("interventions:notifications_read"), follow=True)

    # then
    assert after_open == 2
    assert messages_of(response) == ["2 notifications marked as read."]
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    assert b'class="count"' not in response.content


def test_notifications_api_lists_own_and_marks_read(api_client, team):
    # given
    notifications_send([Notice(recipient_id=team["am1"].pk, kind=NotificationKind.ASSIGNED_MANY, subject="many")])
    notifications_send([Notice(recipient_id=team["am2"].pk, kind=NotificationKind.ASSIGNED_MANY, subject="not mine")])

    # when
    listed = login(api_client, team["am1"]).get("/api/notifications/").json()
    marked = api_client.post("/api/notifications/read/", {}, format="json").json()

    # then
    assert [n["subject"] for n in listed["results"]] == ["many"]
    assert marked == {"marked": 1}


# --- timeline ---------------------------------------------------------------------------------


def test_work_order_page_shows_system_changes_in_the_timeline(client, team):
    # given a tier-1 work order that breached and was handed to the lead by the sweep
    wo = work_order_with_clocks("URGENT", assignee=team["am1"], tier=1)
    sla_sweep(now=NOW + timedelta(hours=10))
    client.force_login(team["lead"])

    # when
    response = client.get(reverse("interventions:work_order", args=[wo.pk]))

    # then
    lines = [line for _event, line in response.context["events"]]
    assert lines == ["Assignee am1 → lead1", "Escalated to lead1", "First contact SLA breached"]
    html = response.content.decode()
    assert "tier-1 first-contact SLA breach: a team lead takes it over" in html
    assert html.count("· system") >= 3


# --- people: capacity and leave ---------------------------------------------------------------


def test_team_lead_sees_their_team_with_load_and_an_admin_edits_capacity_and_leave(client, team):
    # given
    client.force_login(team["lead"])

    # when
    people = client.get(reverse("interventions:team"))
    client.force_login(agent_user("ops", Role.ADMIN))
    with time_machine.travel(NOW, tick=False):
        saved = client.post(
            reverse("interventions:agent_edit", args=[team["am1"].pk]),
            {"capacity": "25", "leave_from": TODAY.isoformat(), "leave_until": ""},
            follow=True,
        )

    # then
    assert [(u.username, load, cap) for u, cap, _away in people.context["people"] for load in [u.open_work_orders]] == [
        ("am1", 3, 200),
        ("am2", 0, 200),
        ("lead1", 0, 200),
    ]
    assert messages_of(saved) == ["Saved am1. 3 open work orders reassigned."]
    profile = AgentProfile.objects.get(user=team["am1"])
    assert (profile.capacity, profile.leave_from, profile.leave_until) == (25, TODAY, None)
    assert set(WorkOrder.objects.values_list("assignee__username", flat=True)) == {"am2"}


@pytest.mark.parametrize("who", ["am2", "own_lead", "outsider_lead"])
def test_capacity_and_leave_edits_are_refused_to_non_admins(client, team, who):
    # given
    user = {
        "am2": lambda: team["am2"],
        "own_lead": lambda: team["lead"],
        "outsider_lead": lambda: agent_user("lead9", Role.TEAM_LEAD),
    }[who]()
    client.force_login(user)

    # when
    edit = client.post(reverse("interventions:agent_edit", args=[team["am1"].pk]), {"capacity": "1"})

    # then
    assert edit.status_code == 404
    assert AgentProfile.objects.get(user=team["am1"]).capacity == 200


def test_invalid_leave_dates_show_the_form_again(client, team):
    client.force_login(agent_user("ops", Role.ADMIN))
    response = client.post(
        reverse("interventions:agent_edit", args=[team["am1"].pk]),
        {"capacity": "5", "leave_from": "2025-07-10", "leave_until": "2025-07-01"},
    )
    assert response.status_code == 200
    assert "The leave cannot end before it starts." in response.content.decode()
    assert AgentProfile.objects.get(user=team["am1"]).capacity == 200


# --- bulk reassign ----------------------------------------------------------------------------


def test_team_queue_offers_bulk_reassign_and_it_moves_the_selected_work(client, team):
    # given
    client.force_login(team["lead"])
    queue_url = f"{reverse('interventions:queue')}?team=1"

    # when
    queue = client.get(queue_url)
    response = client.post(
        reverse("interventions:bulk_reassign"),
        {
            "work_orders": [team["work"][0].pk, team["work"][2].pk],
            "assignee": team["am2"].pk,
            "note": "am1 is overloaded",
            "next": queue_url,
        },
        follow=True,
    )

    # then
    assert b'id="bulk-reassign"' in queue.content
    assert [name for _pk, name in queue.context["bulk_assignees"]] == ["am1", "am2", "lead1"]
    assert response.redirect_chain == [(queue_url, 302)]
    assert messages_of(response) == ["2 work orders reassigned to am2."]
    assert [fresh(wo).assignee.username for wo in team["work"]] == ["am2", "am1", "am2"]
    assert timeline(team["work"][0]) == [("assignee", "am1", "am2", "lead1")]


def test_bulk_reassign_outside_the_team_changes_nothing(client, team):
    # given a work order of another team
    other = work_order_with_clocks("OTHER", assignee=agent_user("am9"))
    client.force_login(team["lead"])

    # when
    response = client.post(
        reverse("interventions:bulk_reassign"),
        {"work_orders": [team["work"][0].pk, other.pk], "assignee": team["am2"].pk},
        follow=True,
    )

    # then
    assert messages_of(response) == [
        "Nothing was reassigned: 1 of the 2 selected work orders are closed or not in your team; nothing was reassigned"
    ]
    assert fresh(team["work"][0]).assignee == team["am1"]


def test_account_managers_get_no_bulk_reassign(client, team):
    client.force_login(team["am1"])
    queue = client.get(reverse("interventions:queue"), {"team": "1"})
    post = client.post(
        reverse("interventions:bulk_reassign"), {"work_orders": [team["work"][0].pk], "assignee": team["am2"].pk}
    )
    assert b"bulk-reassign" not in queue.content
    assert post.status_code == 404
    assert fresh(team["work"][0]).assignee == team["am1"]


def test_bulk_reassign_api(api_client, team):
    # when
    ok = login(api_client, team["lead"]).post(
        "/api/work-orders/reassign/",
        {"work_orders": [wo.pk for wo in team["work"]], "assignee": team["am2"].pk},
        format="json",
    )
    refused = login(api_client, team["am1"]).post(
        "/api/work-orders/reassign/", {"work_orders": [team["work"][0].pk], "assignee": team["am1"].pk}, format="json"
    )

    # then
    assert (ok.status_code, ok.json()) == (200, {"reassigned": 3})
    assert refused.status_code == 403
    assert set(WorkOrder.objects.values_list("assignee__username", flat=True)) == {"am2"}


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 40])
def test_team_queue_uses_a_constant_number_of_queries(client, team, django_assert_num_queries, n):
    # given n open work orders across the team
    for i in range(n):
        work_order_with_clocks(
            f"T{i:03d}",
            assignee=team["am2"] if i % 2 else team["am1"],
            tier=1 + i % 3,
            is_breached=i % 5 == 0,
            is_at_risk=i % 7 == 0,
        )
    client.force_login(team["lead"])

    # when / then: session, user, groups, policy, totals, page rows, bulk assignees, unread count
    with django_assert_num_queries(8):
        response = client.get(reverse("interventions:queue"), {"team": "1"})
    assert len(response.context["rows"]) == n + 3


def test_team_queue_totals_are_kept_a_few_seconds_and_its_rows_are_live(
    client, team, django_assert_num_queries, settings
):
    # given the team queue's totals kept 10 seconds, and a lead who has loaded the team queue once
    settings.QUEUE_TEAM_TOTALS_SECONDS = 10
    cache.clear()
    client.force_login(team["lead"])
    first = client.get(reverse("interventions:queue"), {"team": "1"})

    # when a work order opens and the lead loads the queue again within the window, and after it
    work_order_with_clocks("NEW", assignee=team["am1"])
    with django_assert_num_queries(7):  # no totals query
        again = client.get(reverse("interventions:queue"), {"team": "1"})
    cache.clear()  # the window has passed
    later = client.get(reverse("interventions:queue"), {"team": "1"})

    # then the rows are live at once, the totals once the window has passed
    assert len(again.context["rows"]) == len(first.context["rows"]) + 1
    assert again.context["totals"] == first.context["totals"]
    assert later.context["totals"]["open"] == first.context["totals"]["open"] + 1


@pytest.mark.parametrize("n", [3, 60])
def test_account_manager_queue_api_uses_a_constant_number_of_queries(api_client, team, django_assert_num_queries, n):
    # given
    for i in range(n):
        work_order_with_clocks(f"T{i:03d}", assignee=team["am1"])
    login(api_client, team["am1"])

    # when / then: the roles, the page (a cursor: no count)
    with django_assert_num_queries(2):
        response = api_client.get("/api/work-orders/")
    body = response.json()
    assert len(body["results"]) == min(n + 3, 50)
    assert (body["next"] is not None) == (n + 3 > 50)


def test_queue_row_shows_the_running_clock_in_local_time(client, team):
    # given am1's three work orders opened at 09:00 UTC, first contact due 10 hours later (21:00 in Berlin)
    client.force_login(team["am1"])

    # when
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("interventions:queue")).content.decode()

    # then (the zone is named: Berlin's summer time)
    wo = team["work"][0]
    assert f'<a href="/work/{wo.pk}/"><b>WO-{wo.pk}</b></a>' in html
    assert 'title="first contact due Mon 30 Jun 2025, 21:00 CEST">10h 0m left</span>' in html
    assert '<span class="sub">first contact · Mon 30 Jun, 21:00 CEST</span>' in html
    assert (
        '<td class="num" data-label="Priority">100.0</td><td class="num" data-label="P(churn)">70%</td>'
        '<td class="num" data-label="LTV">5,000</td><td data-label="Assignee">am1</td>'
    ) in html


@pytest.mark.parametrize("n", [1, 8])
def test_people_page_uses_a_constant_number_of_queries(client, team, django_assert_num_queries, n):
    # given n more people in the lead's team
    for i in range(n):
        agent_user(f"extra{i}", team_lead=team["lead"])
    client.force_login(team["lead"])

    # when / then: session, user, groups, people with load, their groups, unread count
    with django_assert_num_queries(6):
        response = client.get(reverse("interventions:team"))
    assert len(response.context["people"]) == n + 3
