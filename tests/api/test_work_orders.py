"""Work orders API: scoping, and each state change through its service."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from interventions.api.serializers import WorkOrderSerializer
from interventions.choices import WorkOrderStatus
from interventions.models import Action, WorkOrder, WorkOrderEvent
from tests.factories import (
    CustomerFactory,
    team_member_of,
    work_order_for,
    work_order_resolved,
    work_orders_for_new_customers,
)

from .builders import login

pytestmark = pytest.mark.django_db


def state(wo: WorkOrder):
    wo.refresh_from_db()
    return (wo.status, wo.outcome, wo.reason, wo.resolution_note, wo.open_key, wo.assignee_id,
            wo.first_contact_at, wo.events.count(), wo.actions.count())  # fmt: skip


@pytest.fixture
def mine(am_user):
    return work_order_for(CustomerFactory(external_id="A1", owner=am_user), assignee=am_user)


@pytest.fixture
def theirs(other_am_user):
    return work_order_for(CustomerFactory(external_id="B1", owner=other_am_user), assignee=other_am_user)


# --- reading -------------------------------------------------------------------------------------------------------


def test_account_manager_lists_only_own_work_orders(api_client, am_user, other_am_user):
    # given two work orders of am1 and three of am2
    own = work_orders_for_new_customers(2, assignee=am_user, prefix="A")
    work_orders_for_new_customers(3, assignee=other_am_user, prefix="B")

    # when am1 lists work orders
    response = login(api_client, am_user).get("/api/work-orders/")

    # then exactly their own two are listed
    assert response.status_code == 200
    assert [wo["id"] for wo in response.json()["results"]] == [wo.id for wo in own]


def test_another_account_managers_work_order_is_404(api_client, am_user, mine, theirs):
    # given a work order of am2
    # when am1 opens it
    response = login(api_client, am_user).get(f"/api/work-orders/{theirs.id}/")

    # then it does not exist for them
    assert response.status_code == 404


def test_team_lead_lists_team_work_orders_and_admin_all(api_client, lead_user, admin_user, am_user, mine, theirs):
    # given am1 is in the lead's team, am2 is not
    team_member_of(am_user, lead_user)

    # when the lead and an admin list work orders
    lead_ids = [wo["id"] for wo in login(api_client, lead_user).get("/api/work-orders/").json()["results"]]
    admin_ids = [wo["id"] for wo in login(api_client, admin_user).get("/api/work-orders/").json()["results"]]

    # then the lead sees the team's and the admin everything
    assert lead_ids == [mine.id]
    assert sorted(admin_ids) == sorted([mine.id, theirs.id])


def test_work_order_detail_has_history(api_client, am_user, mine):
    # given am1 logged a call
    login(api_client, am_user).post(f"/api/work-orders/{mine.id}/actions/", {"kind": "call", "note": "hi"},
                                    format="json")  # fmt: skip

    # when they open the work order
    response = api_client.get(f"/api/work-orders/{mine.id}/")

    # then its customer, assignee, actions and events are rendered
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["customer"]["external_id"], body["assignee"]) == (
        "in_progress", "A1", {"id": am_user.id, "username": "am1"},
    )  # fmt: skip
    assert [(a["kind"], a["note"], a["author"]["username"]) for a in body["actions"]] == [("call", "hi", "am1")]
    mine.refresh_from_db()
    assert [(e["field"], e["before"], e["after"]) for e in body["events"]] == [
        ("first_contact_at", "", mine.first_contact_at.isoformat()),
        ("status", "new", "in_progress"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=waiting", ["A1"]), ("tier=1", ["A2"]), ("is_breached=true", ["A2"]), ("is_breached=false", ["A1", "A3"])],
)
def test_work_order_filters(api_client, am_user, query, expected):
    # given three work orders that differ in status, tier and breach
    work_order_for(CustomerFactory(external_id="A1"), assignee=am_user, status=WorkOrderStatus.WAITING)
    work_order_for(CustomerFactory(external_id="A2"), assignee=am_user, tier=1, is_breached=True)
    work_order_for(CustomerFactory(external_id="A3"), assignee=am_user, tier=3)

    # when am1 filters
    response = login(api_client, am_user).get(f"/api/work-orders/?{query}")

    # then exactly the matching ones are listed
    assert response.status_code == 200
    assert sorted(wo["customer"]["external_id"] for wo in response.json()["results"]) == expected


@pytest.mark.parametrize("n", [2, 20])
def test_work_order_list_query_count_is_constant(api_client, am_user, django_assert_num_queries, n):
    # given n work orders of am1
    work_orders_for_new_customers(n, assignee=am_user)
    login(api_client, am_user)

    # when the list is fetched, then: the roles, the page (customer and assignee joined; a cursor, no count)
    with django_assert_num_queries(2):
        response = api_client.get("/api/work-orders/")
    assert len(response.json()["results"]) == n


def test_a_list_row_is_the_work_order_serializer_s_json(api_client, am_user):
    # given a breached, escalated and resolved work order with every clock set, and an open one
    resolved = work_order_for(CustomerFactory(external_id="R1"), assignee=am_user, is_breached=True)
    now = timezone.now()
    WorkOrder.objects.filter(pk=resolved.pk).update(
        breached_at=now - timedelta(hours=3), escalated_at=now - timedelta(hours=2, microseconds=7),
        first_contact_at=now - timedelta(days=1), resolved_at=now, status="resolved", outcome="retained",
        reason="price", resolution_note="ok", breached_clock="first_contact", breach_count=2, open_key=None,
    )  # fmt: skip
    work_order_for(CustomerFactory(external_id="O1"), assignee=am_user, tier=1)

    # when both lists are fetched
    login(api_client, am_user)
    rows = (
        api_client.get("/api/work-orders/").json()["results"]
        + api_client.get("/api/work-orders/?status=resolved").json()["results"]
    )

    # then each row is exactly what the DRF serializer renders for that work order
    assert len(rows) == 2
    for row in rows:
        assert row == json.loads(JSONRenderer().render(WorkOrderSerializer(WorkOrder.objects.get(pk=row["id"])).data))


# --- resolve -------------------------------------------------------------------------------------------------------


def test_resolve(api_client, am_user, mine):
    # given an open work order of am1
    # when am1 resolves it
    body = {"outcome": "retained", "reason": "price", "note": "discount agreed"}
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/resolve/", body, format="json")

    # then it is resolved with that outcome and the change is recorded
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("resolved", "retained")
    mine.refresh_from_db()
    assert (mine.status, mine.outcome, mine.reason, mine.resolution_note, mine.open_key) == (
        "resolved", "retained", "price", "discount agreed", None,
    )  # fmt: skip
    event = WorkOrderEvent.objects.get(work_order=mine)
    assert (event.field, event.before, event.after, event.actor) == ("status", "new", "resolved", am_user)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"outcome": "retained", "note": "x"}, {"reason": ["This field is required."]}),
        ({"outcome": "won", "reason": "price"}, {"outcome": ['"won" is not a valid choice.']}),
        ({}, {"outcome": ["This field is required."], "reason": ["This field is required."]}),
    ],
)
def test_resolve_validates_and_changes_nothing(api_client, am_user, mine, body, errors):
    # given an open work order
    before = state(mine)

    # when it is resolved with incomplete input
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/resolve/", body, format="json")

    # then it is refused field by field and nothing changed
    assert response.status_code == 400
    assert response.json() == errors
    assert state(mine) == before


def test_resolve_twice_is_refused(api_client, am_user, mine):
    # given a resolved work order
    login(api_client, am_user)
    body = {"outcome": "retained", "reason": "price"}
    api_client.post(f"/api/work-orders/{mine.id}/resolve/", body, format="json")
    before = state(mine)

    # when it is resolved again
    response = api_client.post(f"/api/work-orders/{mine.id}/resolve/", body, format="json")

    # then the service's refusal is the message
    assert response.status_code == 400
    assert response.json() == {"detail": "this work order is already resolved", "code": "resolved"}
    assert state(mine) == before


def test_resolve_another_account_managers_work_order_is_404(api_client, am_user, theirs):
    # given a work order of am2
    before = state(theirs)

    # when am1 tries to resolve it
    body = {"outcome": "retained", "reason": "price"}
    response = login(api_client, am_user).post(f"/api/work-orders/{theirs.id}/resolve/", body, format="json")

    # then it does not exist for them and nothing changed
    assert response.status_code == 404
    assert state(theirs) == before


# --- actions -------------------------------------------------------------------------------------------------------


def test_log_action(api_client, am_user, mine):
    # given a new work order
    # when am1 logs a call
    body = {"kind": "call", "note": "left a voicemail"}
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/actions/", body, format="json")

    # then the action is stored, the first-contact clock stops and the work is in progress
    assert response.status_code == 201
    action = Action.objects.get()
    assert response.json() == {
        "id": action.id, "kind": "call", "note": "left a voicemail", "author": {"id": am_user.id, "username": "am1"},
        "at": response.json()["at"],
    }  # fmt: skip
    mine.refresh_from_db()
    assert (mine.status, mine.first_contact_at) == ("in_progress", action.at)


def test_log_note_does_not_stop_the_first_contact_clock(api_client, am_user, mine):
    # given a new work order
    # when am1 logs a note
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/actions/", {"kind": "note"},
                                               format="json")  # fmt: skip

    # then it is stored but the customer has not been contacted yet
    assert response.status_code == 201
    mine.refresh_from_db()
    assert (mine.status, mine.first_contact_at, Action.objects.get().note) == ("in_progress", None, "")


def test_log_unknown_action_kind_is_400(api_client, am_user, mine):
    # given a new work order
    before = state(mine)

    # when an unknown kind is logged
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/actions/", {"kind": "fax"},
                                               format="json")  # fmt: skip

    # then it is refused and nothing changed
    assert response.status_code == 400
    assert response.json() == {"kind": ['"fax" is not a valid choice.']}
    assert state(mine) == before


def test_log_action_on_resolved_work_order_is_400(api_client, am_user, mine):
    # given a resolved work order
    login(api_client, am_user)
    api_client.post(f"/api/work-orders/{mine.id}/resolve/", {"outcome": "churned", "reason": "price"}, format="json")
    before = state(mine)

    # when an action is logged
    response = api_client.post(f"/api/work-orders/{mine.id}/actions/", {"kind": "call"}, format="json")

    # then the service refuses it
    assert response.status_code == 400
    assert response.json() == {"detail": "this work order is resolved; reopen it first", "code": "resolved"}
    assert state(mine) == before


# --- status --------------------------------------------------------------------------------------------------------


def test_set_status(api_client, am_user, mine):
    # given a new work order
    # when am1 moves it to waiting
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/status/", {"status": "waiting"},
                                               format="json")  # fmt: skip

    # then it is waiting and the move is recorded
    assert response.status_code == 200
    assert response.json()["status"] == "waiting"
    assert list(mine.events.values_list("field", "before", "after")) == [("status", "new", "waiting")]


@pytest.mark.parametrize(
    ("start", "target", "detail"),
    [
        (WorkOrderStatus.IN_PROGRESS, "new", "cannot move a work order from in_progress to new"),
        (WorkOrderStatus.NEW, "new", "cannot move a work order from new to new"),
        (WorkOrderStatus.NEW, "resolved", "use resolve (with an outcome and a reason) to resolve a work order"),
    ],
)
def test_illegal_status_is_400_and_changes_nothing(api_client, am_user, start, target, detail):
    # given a work order in the start status
    wo = work_order_for(CustomerFactory(external_id="A1"), assignee=am_user, status=start)
    before = state(wo)

    # when it is moved to a status it cannot reach
    response = login(api_client, am_user).post(f"/api/work-orders/{wo.id}/status/", {"status": target},
                                               format="json")  # fmt: skip

    # then the service refuses and nothing changed
    assert response.status_code == 400
    code = "use_resolve" if target == "resolved" else "illegal_transition"
    assert response.json() == {"detail": detail, "code": code}
    assert state(wo) == before


def test_unknown_status_is_400(api_client, am_user, mine):
    # given a new work order
    # when it is moved to a status that does not exist
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/status/", {"status": "done"},
                                               format="json")  # fmt: skip

    # then the input is refused
    assert response.status_code == 400
    assert response.json() == {"status": ['"done" is not a valid choice.']}


# --- assign --------------------------------------------------------------------------------------------------------


def test_team_lead_reassigns(api_client, lead_user, am_user, other_am_user, mine):
    # given am1 is in the lead's team
    team_member_of(am_user, lead_user)

    # when the lead hands am1's work order to am2
    body = {"assignee": other_am_user.id, "note": "am1 on holiday"}
    response = login(api_client, lead_user).post(f"/api/work-orders/{mine.id}/assign/", body, format="json")

    # then am2 has it and the change is recorded
    assert response.status_code == 200
    assert response.json()["assignee"] == {"id": other_am_user.id, "username": "am2"}
    assert list(mine.events.values_list("field", "before", "after", "note", "actor")) == [
        ("assignee", "am1", "am2", "am1 on holiday", lead_user.id)
    ]


def test_account_manager_may_not_reassign(api_client, am_user, other_am_user, mine):
    # given am1's own work order
    before = state(mine)

    # when am1 tries to hand it to am2
    response = login(api_client, am_user).post(f"/api/work-orders/{mine.id}/assign/",
                                               {"assignee": other_am_user.id}, format="json")  # fmt: skip

    # then it is forbidden and nothing changed
    assert response.status_code == 403
    assert response.json() == {
        "detail": "only team leads and admins can reassign work orders",
        "code": "permission_denied",
    }
    assert state(mine) == before


def test_assign_to_unknown_user_is_400(api_client, admin_user, mine):
    # given a work order
    before = state(mine)

    # when an admin assigns it to a user id that does not exist
    response = login(api_client, admin_user).post(f"/api/work-orders/{mine.id}/assign/", {"assignee": 99999},
                                                  format="json")  # fmt: skip

    # then the input is refused and nothing changed
    assert response.status_code == 400
    assert response.json() == {"assignee": ['Invalid pk "99999" - object does not exist.']}
    assert state(mine) == before


def test_admin_unassigns(api_client, admin_user, mine):
    # given an assigned work order
    # when an admin clears the assignee
    response = login(api_client, admin_user).post(f"/api/work-orders/{mine.id}/assign/", {"assignee": None},
                                                  format="json")  # fmt: skip

    # then nobody has it
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    mine.refresh_from_db()
    assert mine.assignee is None


def test_default_list_is_open_work_resolved_on_request_and_pages_by_cursor(api_client, am_user):
    # given 55 open work orders and one resolved one
    open_ones = work_orders_for_new_customers(55, assignee=am_user)
    resolved = work_order_resolved(open_ones.pop(), timezone.now(), "retained", "price")
    login(api_client, am_user)

    # when the default list is read page by page
    first = api_client.get("/api/work-orders/").json()
    second = api_client.get(first["next"]).json()

    # then it holds exactly the open ones, in two pages, and the resolved one only on request
    listed = [wo["id"] for wo in first["results"] + second["results"]]
    assert listed == sorted(wo.id for wo in open_ones)
    assert second["next"] is None
    assert [wo["id"] for wo in api_client.get("/api/work-orders/?status=resolved").json()["results"]] == [resolved.id]
