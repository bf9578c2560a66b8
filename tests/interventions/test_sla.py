"""The SLA sweep: at-risk at 80%, breach with escalation, tier-1 hand-over to a lead, idempotent and bulk."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection

from churnops.celery import app
from interventions.choices import NotificationKind, Role, SlaClock
from interventions.models import Notification, SlaSweep, WorkOrder, WorkOrderEvent
from interventions.services import sla as sla_module
from interventions.services import sla_sweep, work_order_log_action
from interventions.tasks import sla_sweep_task
from tests.factories import NOW, agent_user, work_order_resolved, work_order_with_clocks

from .builders import fresh, timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    """lead1 leads am1; am1 holds a tier-2 work order opened at NOW, first contact due in 10 h, resolution in 100 h."""
    lead = agent_user("lead1", Role.TEAM_LEAD)
    am = agent_user("am1", team_lead=lead)
    return {"lead": lead, "am": am, "wo": work_order_with_clocks("C1", assignee=am)}


def notifications():
    return sorted(Notification.objects.values_list("recipient__username", "kind", "work_order_id"))


def sweep_at(moment, capture=None):
    with time_machine.travel(moment, tick=False):
        if capture is None:
            return sla_sweep()
        with capture(execute=True):
            return sla_sweep()


def test_nothing_happens_before_80_percent_of_the_clock(team):
    # when the sweep runs one minute before 80% of the 10-hour first-contact clock
    sweep = sweep_at(NOW + timedelta(hours=8) - timedelta(minutes=1))

    # then
    wo = fresh(team["wo"])
    assert (wo.is_at_risk, wo.is_breached) == (False, False)
    assert (sweep.at_risk, sweep.breached, sweep.notified) == (0, 0, 0)
    assert notifications() == []


def test_at_80_percent_the_work_order_is_at_risk_and_the_assignee_is_told(team, django_capture_on_commit_callbacks):
    # when the sweep runs at exactly 80% of the first-contact clock
    sweep = sweep_at(NOW + timedelta(hours=8), django_capture_on_commit_callbacks)

    # then
    wo = fresh(team["wo"])
    assert (wo.is_at_risk, wo.is_breached, wo.breach_count) == (True, False, 0)
    assert timeline(wo) == [("sla_at_risk", "", "first_contact", None)]
    assert notifications() == [("am1", NotificationKind.AT_RISK_FIRST_CONTACT, wo.pk)]
    assert (sweep.at_risk, sweep.breached, sweep.notified) == (1, 0, 1)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["am1@example.com"], f"[ChurnOps] First-contact SLA at risk: WO-{wo.pk} Customer C1 (tier 2)")
    ]
    assert f"{settings.CHURNOPS_BASE_URL}/work/{wo.pk}/" in mail.outbox[0].body


def test_breach_marks_counts_notifies_assignee_and_escalates_to_their_team_lead(
    team, django_capture_on_commit_callbacks
):
    # given the at-risk warning went out
    sweep_at(NOW + timedelta(hours=8), django_capture_on_commit_callbacks)

    # when the sweep runs as the first-contact clock runs out
    at = NOW + timedelta(hours=10)
    sweep = sweep_at(at, django_capture_on_commit_callbacks)

    # then
    wo = fresh(team["wo"])
    assert (wo.is_breached, wo.breached_at, wo.breached_clock, wo.breach_count, wo.escalated_at, wo.is_at_risk) == (
        True,
        at,
        SlaClock.FIRST_CONTACT,
        1,
        at,
        False,
    )
    assert wo.assignee == team["am"]  # tier 2: stays with the account manager
    assert timeline(wo)[1:] == [("sla_breached", "", "first_contact", None), ("escalated", "", "lead1", None)]
    assert notifications() == [
        ("am1", NotificationKind.AT_RISK_FIRST_CONTACT, wo.pk),
        ("am1", NotificationKind.BREACHED_FIRST_CONTACT, wo.pk),
        ("lead1", NotificationKind.ESCALATED_FIRST_CONTACT, wo.pk),
    ]
    assert (sweep.breached, sweep.escalated, sweep.reassigned, sweep.notified) == (1, 1, 0, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["am1@example.com", "am1@example.com", "lead1@example.com"]


def test_tier_1_breach_is_handed_to_the_assignees_team_lead(team):
    # given a tier-1 work order held by the account manager
    wo = work_order_with_clocks("URGENT", assignee=team["am"], tier=1)

    # when its first-contact clock runs out
    sweep = sweep_at(NOW + timedelta(hours=10))

    # then the lead owns it, and the timeline says the system did it
    wo = fresh(wo)
    assert wo.assignee == team["lead"]
    assert timeline(wo) == [
        ("sla_breached", "", "first_contact", None),
        ("escalated", "", "lead1", None),
        ("assignee", "am1", "lead1", None),
    ]
    assert WorkOrderEvent.objects.get(work_order=wo, field="escalated").note == (
        "first-contact SLA breach escalated and handed to lead1"
    )
    mine = Notification.objects.filter(work_order=wo).values_list("recipient__username", "kind")
    assert sorted(mine) == [
        ("am1", NotificationKind.BREACHED_FIRST_CONTACT),
        ("lead1", NotificationKind.ESCALATED_FIRST_CONTACT),
    ]
    assert Notification.objects.get(recipient=team["lead"], work_order=wo).body.endswith("The work order is now yours.")
    assert (sweep.breached, sweep.reassigned) == (2, 1)


def test_tier_1_breach_without_own_lead_goes_to_the_least_loaded_lead(db):
    # given two leads, lead1 with one open work order, and an account manager without a lead
    lead1, lead2 = agent_user("lead1", Role.TEAM_LEAD), agent_user("lead2", Role.TEAM_LEAD)
    work_order_with_clocks("BUSY", assignee=lead1, first_contact_hours=500, resolution_hours=900)
    am = agent_user("am1")
    wo = work_order_with_clocks("URGENT", assignee=am, tier=1)

    # when the clock runs out
    sweep_at(NOW + timedelta(hours=10))

    # then lead2 takes it, and with no own lead every lead hears of the escalation
    wo = fresh(wo)
    assert wo.assignee == lead2
    assert sorted(Notification.objects.filter(work_order=wo).values_list("recipient__username", "kind")) == [
        ("am1", NotificationKind.BREACHED_FIRST_CONTACT),
        ("lead1", NotificationKind.ESCALATED_FIRST_CONTACT),
        ("lead2", NotificationKind.ESCALATED_FIRST_CONTACT),
    ]


def test_tier_1_breach_held_by_a_lead_stays_with_them(db):
    # given a tier-1 work order already with a lead
    lead1 = agent_user("lead1", Role.TEAM_LEAD)
    agent_user("lead2", Role.TEAM_LEAD)
    wo = work_order_with_clocks("URGENT", assignee=lead1, tier=1)

    # when the clock runs out
    sweep = sweep_at(NOW + timedelta(hours=10))

    # then it stays, and the other lead is the escalation
    assert fresh(wo).assignee == lead1
    assert sweep.reassigned == 0
    assert notifications() == [
        ("lead1", NotificationKind.BREACHED_FIRST_CONTACT, wo.pk),
        ("lead2", NotificationKind.ESCALATED_FIRST_CONTACT, wo.pk),
    ]


def test_a_lead_on_leave_is_not_escalated_to(db):
    # given am1's lead is on leave today and another lead is in
    away = agent_user("lead1", Role.TEAM_LEAD, leave=(NOW.date() - timedelta(days=1), None))
    agent_user("lead2", Role.TEAM_LEAD)
    am = agent_user("am1", team_lead=away)
    wo = work_order_with_clocks("C1", assignee=am)

    # when the clock runs out
    sweep_at(NOW + timedelta(hours=10))

    # then lead2 hears of it
    assert notifications() == [
        ("am1", NotificationKind.BREACHED_FIRST_CONTACT, wo.pk),
        ("lead2", NotificationKind.ESCALATED_FIRST_CONTACT, wo.pk),
    ]


def test_first_contact_stops_the_first_contact_clock_and_the_resolution_clock_runs_on(team):
    # given the warning went out, then the customer was called
    sweep_at(NOW + timedelta(hours=8))
    with time_machine.travel(NOW + timedelta(hours=9), tick=False):
        work_order_log_action(work_order=team["wo"], kind="call", by=team["am"])
    assert fresh(team["wo"]).is_at_risk is False

    # when sweeps run past the first-contact due time, then at 80% and at 100% of the resolution clock
    past_first = sweep_at(NOW + timedelta(hours=11))
    at_risk = sweep_at(NOW + timedelta(hours=80))
    breach = sweep_at(NOW + timedelta(hours=100))

    # then only the resolution clock warned and breached
    wo = fresh(team["wo"])
    assert (past_first.breached, at_risk.at_risk, breach.breached) == (0, 1, 1)
    assert (wo.is_breached, wo.breached_clock, wo.breach_count) == (True, SlaClock.RESOLUTION, 1)
    assert [f for f, *_ in timeline(wo)] == [
        "sla_at_risk",
        "first_contact_at",
        "sla_at_risk",
        "status",
        "sla_at_risk",
        "sla_breached",
        "escalated",
    ]
    assert sorted(k for _u, k, _w in notifications()) == sorted(
        [
            NotificationKind.AT_RISK_FIRST_CONTACT,
            NotificationKind.AT_RISK_RESOLUTION,
            NotificationKind.BREACHED_RESOLUTION,
            NotificationKind.ESCALATED_RESOLUTION,
        ]
    )


def test_an_uncontacted_work_order_breaches_both_clocks_once_each(team):
    # when sweeps run past the first-contact and then the resolution due time, and once more
    sweep_at(NOW + timedelta(hours=10))
    sweep_at(NOW + timedelta(hours=100))
    again = sweep_at(NOW + timedelta(hours=101))

    # then two breaches were counted and each was escalated once
    wo = fresh(team["wo"])
    assert (wo.breach_count, wo.breached_clock, wo.breached_at) == (2, SlaClock.RESOLUTION, NOW + timedelta(hours=10))
    assert (again.breached, again.notified) == (0, 0)
    assert [k for _u, k, _w in notifications()] == sorted(
        [
            NotificationKind.BREACHED_FIRST_CONTACT,
            NotificationKind.BREACHED_RESOLUTION,
            NotificationKind.ESCALATED_FIRST_CONTACT,
            NotificationKind.ESCALATED_RESOLUTION,
        ]
    )


def test_resolved_work_orders_are_left_alone(team):
    # given the work order is resolved
    work_order_resolved(team["wo"], NOW, "retained", "price")

    # when the sweep runs long after both due times
    sweep = sweep_at(NOW + timedelta(hours=500))

    # then
    assert (sweep.at_risk, sweep.breached, fresh(team["wo"]).is_breached) == (0, 0, False)


def test_running_the_sweep_again_changes_nothing(team, django_capture_on_commit_callbacks):
    # given a sweep marked a breach and notified
    sweep_at(NOW + timedelta(hours=10), django_capture_on_commit_callbacks)
    before = (notifications(), timeline(team["wo"]), len(mail.outbox))

    # when it runs again at the same moment and a little later
    again = sweep_at(NOW + timedelta(hours=10), django_capture_on_commit_callbacks)
    later = sweep_at(NOW + timedelta(hours=11), django_capture_on_commit_callbacks)

    # then
    assert (notifications(), timeline(team["wo"]), len(mail.outbox)) == before
    assert (again.breached, again.notified, later.breached, later.notified) == (0, 0, 0, 0)
    assert fresh(team["wo"]).breach_count == 1


def test_a_sweep_that_loses_the_race_for_its_rows_writes_nothing(team, monkeypatch, django_capture_on_commit_callbacks):
    # given sweep B runs to the end after sweep A chose its candidates but before A claims them
    original = sla_module._claim_and_handle
    raced = []

    def claim_after_the_other_sweep(*args, **kwargs):
        if not raced:
            raced.append(None)
            raced[0] = sla_module.sla_sweep()
        return original(*args, **kwargs)

    monkeypatch.setattr(sla_module, "_claim_and_handle", claim_after_the_other_sweep)

    # when sweep A runs as the clock runs out
    first = sweep_at(NOW + timedelta(hours=10), django_capture_on_commit_callbacks)

    # then B did the work, A found nothing left to claim, and everyone was told once
    other = raced[0]
    assert (other.breached, other.notified, first.breached, first.notified) == (1, 2, 0, 0)
    assert notifications() == [
        ("am1", NotificationKind.BREACHED_FIRST_CONTACT, team["wo"].pk),
        ("lead1", NotificationKind.ESCALATED_FIRST_CONTACT, team["wo"].pk),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["am1@example.com", "lead1@example.com"]
    assert fresh(team["wo"]).breach_count == 1


def test_a_duplicated_email_task_sends_each_notification_once(team, django_capture_on_commit_callbacks):
    # given a breach was notified and e-mailed
    sweep_at(NOW + timedelta(hours=10), django_capture_on_commit_callbacks)
    ids = list(Notification.objects.values_list("id", flat=True))
    sent = len(mail.outbox)

    # when the e-mail task is delivered again (at-least-once delivery)
    from interventions.tasks import notifications_email_task

    notifications_email_task.delay(ids)

    # then nothing more goes out
    assert (sent, len(mail.outbox)) == (2, 2)


@pytest.mark.parametrize("n", [3, 30])
def test_the_sweep_uses_a_constant_number_of_queries(db, django_assert_num_queries, n):
    # given n tier-1 work orders of team members about to breach (each handed to the lead) and n about to warn
    lead = agent_user("lead1", Role.TEAM_LEAD)
    ams = [agent_user(f"am{i}", team_lead=lead) for i in range(3)]
    for i in range(n):
        work_order_with_clocks(f"B{i:03d}", assignee=ams[i % 3], tier=1)
        work_order_with_clocks(f"W{i:03d}", assignee=ams[i % 3], first_contact_hours=11)

    # when the sweep runs, then: sweep row, policy, 4 candidate reads, sweep totals; per step that found rows a
    # savepoint pair, claim, read back, events, notifications written and read back; the breach step also reads
    # the leads (escalation, hand-over), their loads, and hands over (update, events). On PostgreSQL each of the
    # three timeline writes goes through a temporary table: 3 statements more each (the COPY is not counted).
    expected = 26 if connection.vendor == "sqlite" else 26 + 3 * 3
    with time_machine.travel(NOW + timedelta(hours=10), tick=False), django_assert_num_queries(expected):
        sweep = sla_sweep()
    assert (sweep.breached, sweep.at_risk, sweep.reassigned) == (n, n, n)


def test_the_beat_schedule_runs_the_sweep_task_every_5_minutes_with_an_expiry(team):
    # given the beat entry
    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]

    # then it names the registered task, and running the task sweeps
    assert entry["task"] == "interventions.tasks.sla_sweep_task" in app.tasks
    assert entry["options"]["expires"] < 5 * 60
    assert entry["schedule"].minute == set(range(0, 60, 5))
    with time_machine.travel(NOW + timedelta(hours=10), tick=False):
        sla_sweep_task.delay()
    assert fresh(team["wo"]).is_breached is True
    assert SlaSweep.objects.get().breached == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_once(db):
    # given PostgreSQL (SQLite's in-memory test database cannot take two writers) and 40 breaching work orders
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://...")
    lead = agent_user("lead1", Role.TEAM_LEAD)
    ams = [agent_user(f"am{i}", team_lead=lead) for i in range(4)]
    for i in range(40):
        work_order_with_clocks(f"C{i:03d}", assignee=ams[i % 4], tier=1 + i % 2)
    # both sweeps pick their candidates before either claims any
    both_selected = threading.Barrier(2, timeout=30)
    original = sla_module._claim_and_handle
    waited = set()

    def claim_together(*args, **kwargs):
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_selected.wait()
        return original(*args, **kwargs)

    sla_module._claim_and_handle, results, errors = claim_together, [], []

    def run():
        try:
            results.append(sla_sweep(now=NOW + timedelta(hours=10)))  # time_machine is process-wide: not in threads
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    try:
        # when two sweeps run at the same moment in two threads (two connections)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sla_module._claim_and_handle = original

    # then between them each breach was handled once: one notice to the assignee, one to the lead, one e-mail each
    assert errors == []
    assert sorted(r.breached for r in results) in ([0, 40], [20, 20], *[[k, 40 - k] for k in range(1, 40)])
    assert sum(r.breached for r in results) == 40
    assert sum(r.reassigned for r in results) == 20
    assert Notification.objects.count() == 80
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert len(mail.outbox) == 80
    assert WorkOrderEvent.objects.filter(field="sla_breached").count() == 40
    assert set(WorkOrder.objects.values_list("breach_count", flat=True)) == {1}
