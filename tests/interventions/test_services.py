"""Work order services: transitions as data, actions and the first-contact clock, resolution, re-scores,
the recontact quiet period, priority and learned save likelihoods."""

from datetime import timedelta

import pytest
import time_machine

from interventions.choices import TRANSITIONS, Role, WorkOrderStatus
from interventions.models import Action, WorkOrder, WorkOrderEvent
from interventions.selectors import SAVE_PRIOR, save_likelihoods
from interventions.services import (
    WorkOrderError,
    priority_of,
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
    work_orders_open_for_alerts,
)
from scoring.ml.policy import default_policy
from tests.factories import (
    NOW,
    TODAY,
    AlertFactory,
    CustomerFactory,
    WorkOrderFactory,
    agent_user,
    work_order_with_clocks,
)

from .builders import fresh, timeline

pytestmark = pytest.mark.django_db

ALL = list(WorkOrderStatus.values)
ILLEGAL = [(a, b) for a in ALL for b in ALL if b not in TRANSITIONS[a] and b != WorkOrderStatus.RESOLVED]


def state(wo):
    wo = fresh(wo)
    return wo.status, wo.open_key, wo.outcome, WorkOrderEvent.objects.count(), Action.objects.count()


# --- transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "target"), ILLEGAL)
def test_illegal_transitions_are_refused_and_write_nothing(start, target):
    # given
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am, status=start, **({"open_key": None} if start == "resolved" else {}))
    before = state(wo)

    # when / then
    with pytest.raises(WorkOrderError, match=f"cannot move a work order from {start} to {target}"):
        work_order_set_status(work_order=wo, status=target, by=am)
    assert state(wo) == before


@pytest.mark.parametrize("start", ALL)
def test_resolving_through_set_status_is_refused(start):
    # given
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am, status=start)

    # when / then: resolution needs an outcome and a reason
    with pytest.raises(WorkOrderError, match="use resolve"):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.RESOLVED, by=am)


@pytest.mark.parametrize(("start", "target"), [(a, b) for a in ALL for b in TRANSITIONS[a] if b != "resolved"])
def test_legal_transitions_write_an_event_with_who_and_before_after(start, target):
    # given
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am, status=start, **({"open_key": None} if start == "resolved" else {}))

    # when
    with time_machine.travel(NOW, tick=False):
        work_order_set_status(work_order=wo, status=target, by=am, note="why")

    # then
    event = WorkOrderEvent.objects.get(field="status")
    assert fresh(wo).status == target
    assert (event.actor, event.before, event.after, event.note, event.at) == (am, start, target, "why", NOW)


def test_reopening_gives_a_fresh_resolution_clock_when_it_ran_out():
    # given a work order resolved after its resolution due time passed and breached
    am = agent_user("am1")
    wo = work_order_with_clocks(
        "C1",
        assignee=am,
        status=WorkOrderStatus.RESOLVED,
        open_key=None,
        outcome="retained",
        reason="price",
        breached_clock="resolution",
        is_breached=True,
    )
    later = NOW + timedelta(days=30)

    # when it is reopened
    with time_machine.travel(later, tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.IN_PROGRESS, by=am)

    # then it is open again with tier 2's resolution SLA (14 days) from now, recorded in the timeline
    wo = fresh(wo)
    assert (wo.status, wo.open_key, wo.outcome, wo.reason) == ("in_progress", wo.customer_id, "", "")
    assert wo.resolution_due_at == later + timedelta(days=14)
    assert wo.sla_due_at == wo.first_contact_due_at  # never reached: the first-contact clock still counts
    assert wo.breached_clock == "first_contact"
    assert [f for f, *_ in timeline(wo)] == ["status", "resolution_due_at"]


def test_reopening_when_the_customer_has_another_open_work_order_is_refused():
    # given a resolved work order and a newer open one for the same customer
    am = agent_user("am1")
    old = work_order_with_clocks("C1", assignee=am, status=WorkOrderStatus.RESOLVED, open_key=None)
    WorkOrderFactory(customer=old.customer, assignee=am, first_contact_due_at=NOW, resolution_due_at=NOW)

    # when / then
    with pytest.raises(WorkOrderError, match="already has another open work order"):
        work_order_set_status(work_order=old, status=WorkOrderStatus.IN_PROGRESS, by=am)
    assert fresh(old).status == "resolved"


# --- actions and resolution -------------------------------------------------------------------


def test_first_contact_stops_the_clock_clears_the_warning_and_starts_work():
    # given an at-risk new work order
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am, is_at_risk=True)

    # when a note and then a call are logged
    with time_machine.travel(NOW, tick=False):
        work_order_log_action(work_order=wo, kind="note", note="left a message", by=am)
    after_note = fresh(wo).first_contact_at
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        work_order_log_action(work_order=wo, kind="call", by=am)

    # then only the call counts as contact; the running clock is now the resolution clock
    wo = fresh(wo)
    assert after_note is None
    assert (wo.first_contact_at, wo.is_at_risk, wo.status) == (NOW + timedelta(hours=1), False, "in_progress")
    assert wo.sla_due_at == wo.resolution_due_at
    assert timeline(wo) == [
        ("status", "new", "in_progress", "am1"),
        ("first_contact_at", "", (NOW + timedelta(hours=1)).isoformat(), "am1"),
        ("sla_at_risk", "first_contact", "", "am1"),
    ]
    assert list(Action.objects.order_by("at").values_list("kind", "author__username")) == [
        ("note", "am1"),
        ("call", "am1"),
    ]


@pytest.mark.parametrize(
    ("outcome", "reason", "message"),
    [
        ("", "price", "outcome must be one of"),
        ("kept", "price", "outcome must be one of"),
        ("retained", "", "reason must be one of"),
        ("retained", "weather", "reason must be one of"),
    ],
)
def test_resolution_needs_an_outcome_and_a_reason(outcome, reason, message):
    # given
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am)
    before = state(wo)

    # when / then
    with pytest.raises(WorkOrderError, match=message):
        work_order_resolve(work_order=wo, outcome=outcome, reason=reason, by=am)
    assert state(wo) == before


def test_resolution_records_the_outcome_label_and_closes_the_work_order():
    # given
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am, status=WorkOrderStatus.IN_PROGRESS)

    # when
    with time_machine.travel(NOW, tick=False):
        work_order_resolve(work_order=wo, outcome="churned", reason="competitor", note="moved to X", by=am)

    # then
    wo = fresh(wo)
    assert (wo.status, wo.outcome, wo.reason, wo.resolution_note, wo.resolved_at, wo.open_key) == (
        "resolved",
        "churned",
        "competitor",
        "moved to X",
        NOW,
        None,
    )
    assert timeline(wo) == [("status", "in_progress", "resolved", "am1")]


# --- priority and save likelihood -------------------------------------------------------------


def test_priority_is_probability_times_ltv_times_save_likelihood_over_cost():
    assert priority_of(probability=0.8, ltv=10_000, save_likelihood=0.5, expected_cost=100) == pytest.approx(40.0)
    assert priority_of(probability=0.8, ltv=-5, save_likelihood=0.5, expected_cost=100) == 0.0


def test_save_likelihood_is_the_prior_without_outcomes_and_learns_from_them():
    # given tier 1 has no outcomes; tier 2 has 6 retained, 2 churned, 2 unreachable and 5 false alarms (ignored)
    am = agent_user("am1")
    outcomes = ["retained"] * 6 + ["churned"] * 2 + ["unreachable"] * 2 + ["false_alarm"] * 5
    for i, outcome in enumerate(outcomes):
        work_order_with_clocks(f"C{i}", assignee=am, status="resolved", open_key=None, outcome=outcome, reason="price")

    # when
    likelihood = save_likelihoods({1: {}, 2: {}})

    # then: smoothed (kept + 0.35 × 10) / (n + 10)
    assert likelihood[1] == pytest.approx(SAVE_PRIOR)
    assert likelihood[2] == pytest.approx((6 + 3.5) / (10 + 10))


# --- opening work orders from alerts ----------------------------------------------------------


def candidate(c, *, tier=2, probability=0.7):
    alert = AlertFactory(customer=c, tier=tier, probability=probability, rules_fired=[], factors=[])
    return {"customer": c, "alert": alert, "tier": tier, "probability": probability}


def open_for(*candidates, policy=None):
    with time_machine.travel(NOW, tick=False):
        return work_orders_open_for_alerts(as_of=TODAY, candidates=list(candidates), policy=policy or default_policy())


def test_a_new_work_order_gets_tier_sla_priority_owner_and_a_system_event():
    # given
    am = agent_user("am1")
    c = CustomerFactory(external_id="C1", owner=am, lifetime_value=12_000)

    # when
    opened = open_for(candidate(c, probability=0.7))

    # then
    wo = WorkOrder.objects.get()
    assert opened == 1
    assert (wo.assignee, wo.tier, wo.status) == (am, 2, "new")
    assert (wo.first_contact_due_at, wo.resolution_due_at) == (NOW + timedelta(hours=72), NOW + timedelta(days=14))
    assert wo.priority == pytest.approx(0.7 * 12_000 * SAVE_PRIOR / 120.0)
    assert timeline(wo) == [("created", "", "tier 2", None)]


@pytest.mark.parametrize(
    ("days_ago", "tier", "kind", "opened"),
    [
        (3, 2, "call", 0),  # reached for the same tier within 14 days: left alone
        (3, 2, "note", 1),  # a note is not a contact
        (3, 3, "call", 1),  # reached for another tier
        (15, 2, "call", 1),  # reached before the quiet period
    ],
)
def test_a_recently_contacted_customer_is_not_reopened_for_the_same_tier(days_ago, tier, kind, opened):
    # given a resolved work order of that tier with an action some days ago
    am = agent_user("am1")
    c = CustomerFactory(external_id="C1", owner=am, lifetime_value=5000.0)
    old = WorkOrderFactory(
        customer=c,
        open_key=None,
        tier=tier,
        status="resolved",
        assignee=am,
        opened_at=NOW - timedelta(days=20),
        first_contact_due_at=NOW,
        resolution_due_at=NOW,
        outcome="retained",
        reason="price",
    )
    Action.objects.create(work_order=old, kind=kind, author=am, at=NOW - timedelta(days=days_ago))

    # when the customer is flagged for tier 2 again
    # then
    assert open_for(candidate(c, tier=2)) == opened
    assert WorkOrder.objects.filter(open_key=c.id).count() == opened


def test_one_open_work_order_per_customer_and_a_rescore_raises_tier_sla_and_priority():
    # given an open tier-3 work order opened yesterday
    am = agent_user("am1")
    c = CustomerFactory(external_id="C1", owner=am, lifetime_value=10_000)
    wo = work_order_with_clocks(
        "X",
        assignee=am,
        tier=3,
        opened_at=NOW - timedelta(days=1),
        first_contact_hours=168,
        resolution_hours=720,
        priority=1.0,
    )
    WorkOrder.objects.filter(pk=wo.pk).update(customer=c, open_key=c.id)

    # when the customer is re-scored into tier 1
    opened = open_for(candidate(c, tier=1, probability=0.9))

    # then no second work order; the tier, due times and priority moved, each recorded as a system change
    wo = fresh(wo)
    assert (opened, WorkOrder.objects.count()) == (0, 1)
    assert wo.tier == 1
    assert wo.first_contact_due_at == NOW + timedelta(hours=24)
    assert wo.resolution_due_at == NOW + timedelta(days=7)
    assert wo.priority == pytest.approx(0.9 * 10_000 * SAVE_PRIOR / 300.0)
    assert [(f, b, a, actor) for f, b, a, actor in timeline(wo) if f in ("tier", "priority")] == [
        ("tier", "3", "1", None),
        ("priority", "1.0", f"{wo.priority:.1f}", None),
    ]
    assert {f for f, *_ in timeline(wo)} == {"tier", "first_contact_due_at", "resolution_due_at", "priority"}


def test_a_small_priority_change_is_not_written():
    # given an open work order whose priority is what a re-score computes, give or take 1%
    am = agent_user("am1")
    c = CustomerFactory(external_id="C1", owner=am, lifetime_value=10_000)
    wo = work_order_with_clocks("X", assignee=am, priority=0.7 * 10_000 * SAVE_PRIOR / 120.0 * 1.01)
    WorkOrder.objects.filter(pk=wo.pk).update(customer=c, open_key=c.id)

    # when
    open_for(candidate(c, probability=0.7))

    # then
    assert timeline(wo) == []


def test_assignment_falls_to_the_tier_role_when_the_owner_is_away():
    # given the owner is on leave; two customer-service agents, one busier
    owner = agent_user("am1", leave=(TODAY, TODAY + timedelta(days=3)))
    busy = agent_user("cs1", Role.CUSTOMER_SERVICE)
    free = agent_user("cs2", Role.CUSTOMER_SERVICE)
    work_order_with_clocks("BUSY", assignee=busy)

    # when a tier-3 customer of the owner is flagged
    open_for(candidate(CustomerFactory(external_id="C1", owner=owner, lifetime_value=5000.0), tier=3))

    # then
    assert WorkOrder.objects.get(customer__external_id="C1").assignee == free
