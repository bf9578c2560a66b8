"""Assignment: owner first, capacity, leave, least loaded with round-robin ties; leave hand-over; bulk reassign."""

from datetime import timedelta

import pytest
import time_machine

from interventions.choices import NotificationKind, Role
from interventions.models import AgentProfile, Notification, WorkOrder
from interventions.services import (
    Assigner,
    WorkOrderError,
    agent_update,
    work_order_assign,
    work_orders_reassign,
    work_orders_reassign_absent,
)
from tests.factories import NOW, TODAY, agent_user, work_order_with_clocks

from .builders import fresh, timeline

pytestmark = pytest.mark.django_db
AM = Role.ACCOUNT_MANAGER


def pick(owner, *, role=AM, assigner=None, on=TODAY):
    assigner = assigner or Assigner.for_roles([role], [owner], on)
    chosen = assigner.pick(owner=owner, role=role, now=NOW)
    return chosen.username if chosen else None


def test_owner_first_when_available_and_under_capacity():
    # given the owner has 1 of 2 slots used and a colleague is idle
    owner = agent_user("am1", capacity=2)
    agent_user("am2")
    work_order_with_clocks("C1", assignee=owner)

    # then
    assert pick(owner) == "am1"


def test_owner_at_capacity_gives_way_to_the_least_loaded_member():
    # given the owner is full, am2 has two open and am3 one
    owner, am2, am3 = agent_user("am1", capacity=1), agent_user("am2"), agent_user("am3")
    work_order_with_clocks("C1", assignee=owner)
    work_order_with_clocks("C2", assignee=am2)
    work_order_with_clocks("C3", assignee=am2)
    work_order_with_clocks("C4", assignee=am3)

    # then
    assert pick(owner) == "am3"


@pytest.mark.parametrize(
    ("leave", "expected"),
    [
        ((TODAY, TODAY), "am2"),  # on leave today
        ((TODAY - timedelta(days=5), None), "am2"),  # open-ended leave
        ((TODAY + timedelta(days=1), TODAY + timedelta(days=5)), "am1"),  # leave not started yet
        ((TODAY - timedelta(days=5), TODAY - timedelta(days=1)), "am1"),  # back
    ],
)
def test_owner_on_leave_is_skipped_until_back(leave, expected):
    # given
    owner = agent_user("am1", leave=leave)
    agent_user("am2")

    # then
    assert pick(owner) == expected


def test_an_inactive_owner_is_skipped_and_nobody_available_means_unassigned():
    # given the owner is deactivated and nobody else holds the role
    owner = agent_user("am1", is_active=False)

    # then
    assert pick(owner) is None


def test_members_on_leave_or_full_are_not_picked():
    # given am2 is on leave and am3 has no room
    agent_user("am2", leave=(TODAY, None))
    agent_user("am3", capacity=0)
    am4 = agent_user("am4", capacity=5)
    work_order_with_clocks("C1", assignee=am4)

    # then
    assert pick(None) == "am4"


def test_ties_go_round_robin_longest_since_last_assignment_first():
    # given three idle members; am1 was given work most recently, am3 longest ago
    am1 = agent_user("am1", capacity=10)
    am2 = agent_user("am2", capacity=10)
    am3 = agent_user("am3", capacity=10)
    for user, hours in ((am1, 1), (am2, 2), (am3, 3)):
        AgentProfile.objects.filter(user=user).update(last_assigned_at=NOW - timedelta(hours=hours))
    assigner = Assigner.for_roles([AM], [], TODAY)

    # when six pieces of work are handed out in one batch
    picks = [pick(None, assigner=assigner) for _ in range(6)]

    # then loads stay level and the order rotates
    assert picks == ["am3", "am2", "am1", "am3", "am2", "am1"]


# --- leave ------------------------------------------------------------------------------------


@pytest.fixture
def team(db):
    lead = agent_user("lead1", Role.TEAM_LEAD)
    away = agent_user("am1", team_lead=lead, capacity=50)
    stay = agent_user("am2", team_lead=lead, capacity=50)
    ops = agent_user("ops", Role.ADMIN)
    return {
        "lead": lead,
        "away": away,
        "stay": stay,
        "admin": ops,
        "work": [work_order_with_clocks(f"C{i}", assignee=away) for i in range(3)],
    }


def test_marking_leave_from_today_reassigns_open_work_with_a_timeline_entry(team, django_capture_on_commit_callbacks):
    # when an admin records am1's leave starting today
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        moved = agent_update(
            user=team["away"], capacity=50, leave_from=TODAY, leave_until=TODAY + timedelta(days=7), by=team["admin"]
        )

    # then the open work went to am2, each work order says so, and am2 heard once
    assert moved == 3
    assert set(WorkOrder.objects.values_list("assignee__username", flat=True)) == {"am2"}
    for wo in team["work"]:
        assert timeline(wo) == [("assignee", "am1", "am2", "ops")]
        assert wo.events.get().note == "am1 is on leave until 07 Jul 2025"
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [
        ("am2", NotificationKind.ASSIGNED_MANY)
    ]


def test_leave_starting_later_reassigns_when_it_starts_and_skips_them_for_new_work(team):
    # given a leave from tomorrow
    with time_machine.travel(NOW, tick=False):
        moved_now = agent_update(
            user=team["away"], capacity=50, leave_from=TODAY + timedelta(days=1), leave_until=None, by=team["admin"]
        )

    # when the periodic hand-over runs today and tomorrow
    today = work_orders_reassign_absent(on=TODAY)
    tomorrow = work_orders_reassign_absent(on=TODAY + timedelta(days=1))

    # then the work moved tomorrow, with the system as the actor, and am1 gets no new work
    assert (moved_now, today, tomorrow) == (0, 0, 3)
    assert timeline(team["work"][0]) == [("assignee", "am1", "am2", None)]
    assert pick(team["away"], on=TODAY + timedelta(days=1)) == "am2"


def test_when_nobody_in_the_role_has_room_the_work_goes_to_the_team_lead(team):
    # given am2 is full
    AgentProfile.objects.filter(user=team["stay"]).update(capacity=0)

    # when am1 goes on leave
    with time_machine.travel(NOW, tick=False):
        agent_update(user=team["away"], capacity=50, leave_from=TODAY, leave_until=None, by=team["admin"])

    # then
    assert set(WorkOrder.objects.values_list("assignee__username", flat=True)) == {"lead1"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": -1}, "capacity must be between"),
        ({"leave_from": None, "leave_until": TODAY}, "a leave needs its first day"),
        ({"leave_from": TODAY, "leave_until": TODAY - timedelta(days=1)}, "cannot end before it starts"),
    ],
)
def test_invalid_capacity_or_leave_is_refused(team, kwargs, message):
    # when / then
    args = {"capacity": 10, "leave_from": None, "leave_until": None, **kwargs}
    with pytest.raises(WorkOrderError, match=message):
        agent_update(user=team["away"], by=team["admin"], **args)
    assert AgentProfile.objects.get(user=team["away"]).capacity == 50


def test_only_admins_manage_capacity_and_leave(team):
    # given the person's own lead, another team's lead and an account manager
    other_lead = agent_user("lead2", Role.TEAM_LEAD)

    # when / then
    for by in (team["lead"], other_lead, team["stay"]):
        with pytest.raises(WorkOrderError, match="only admins"):
            agent_update(user=team["away"], capacity=1, leave_from=None, leave_until=None, by=by)
    assert AgentProfile.objects.get(user=team["away"]).capacity == 50


# --- reassignment -----------------------------------------------------------------------------


def test_team_lead_bulk_reassigns_within_the_team(team, django_capture_on_commit_callbacks):
    # given
    ids = [wo.pk for wo in team["work"][:2]]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        moved = work_orders_reassign(work_order_ids=ids, assignee=team["stay"], by=team["lead"], note="balancing")

    # then
    assert moved == 2
    assert [fresh(wo).assignee.username for wo in team["work"]] == ["am2", "am2", "am1"]
    assert timeline(team["work"][0]) == [("assignee", "am1", "am2", "lead1")]
    assert team["work"][0].events.get().note == "balancing"
    assert list(Notification.objects.values_list("recipient__username", "kind", "work_order")) == [
        ("am2", NotificationKind.ASSIGNED_MANY, None)
    ]


@pytest.mark.parametrize("who", ["outsider_wo", "closed_wo", "outsider_assignee", "account_manager"])
def test_bulk_reassign_is_all_or_nothing(team, who):
    # given
    outsider = agent_user("am9")
    ids = [team["work"][0].pk]
    assignee, by = team["stay"], team["lead"]
    if who == "outsider_wo":
        ids.append(work_order_with_clocks("X", assignee=outsider).pk)
    elif who == "closed_wo":
        ids.append(work_order_with_clocks("X", assignee=team["stay"], status="resolved", open_key=None).pk)
    elif who == "outsider_assignee":
        assignee = outsider
    else:
        by = team["stay"]
    before = list(WorkOrder.objects.order_by("id").values_list("assignee_id", flat=True))

    # when / then
    with pytest.raises(WorkOrderError):
        work_orders_reassign(work_order_ids=ids, assignee=assignee, by=by)
    assert list(WorkOrder.objects.order_by("id").values_list("assignee_id", flat=True)) == before
    assert Notification.objects.count() == 0


def test_single_reassignment_tells_the_new_assignee(team):
    # when
    work_order_assign(work_order=team["work"][0], assignee=team["stay"], by=team["admin"])

    # then
    assert list(Notification.objects.values_list("recipient__username", "kind", "work_order")) == [
        ("am2", NotificationKind.ASSIGNED, team["work"][0].pk)
    ]
