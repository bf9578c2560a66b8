"""SLA clocks on working calendars: business-hour due times, pause and resume, notices held for working hours."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from alerts.models import Alert
from interventions.choices import NotificationKind, Role, WorkOrderStatus
from interventions.models import AgentProfile, BusinessCalendar, Notification, SlaPause, WorkOrderEvent
from interventions.services import (
    CalendarInputError,
    calendar_holidays_import,
    calendar_save,
    notifications_release,
    sla_sweep,
    work_order_resolve,
    work_order_set_status,
    work_orders_open_for_alerts,
)
from reports.metrics import WorkOrderFacts, sla_figures
from scoring.ml.policy import default_policy
from scoring.services import policy_save
from tests.factories import agent_user, customer, work_order_with_clocks

from .builders import fresh

pytestmark = pytest.mark.django_db

NINE_TO_FIVE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def office(name="office", tz="UTC"):
    return calendar_save(name=name, timezone=tz, hours=NINE_TO_FIVE)


def with_calendar(user, calendar, **extra):
    AgentProfile.objects.update_or_create(user=user, defaults={"calendar": calendar, **extra})
    return user


def open_at(moment, *candidates, policy=None):
    with time_machine.travel(moment, tick=False):
        return work_orders_open_for_alerts(
            as_of=moment.date(), candidates=list(candidates), policy=policy or default_policy()
        )


def candidate(c, *, tier=2, probability=0.7):
    alert = Alert.objects.create(
        customer=c,
        open_key=c.id,
        tier=tier,
        max_tier=tier,
        probability=probability,
        first_raised_at=utc(2025, 7, 1),
        first_run_as_of=utc(2025, 7, 1).date(),
        last_run_as_of=utc(2025, 7, 1).date(),
    )
    return {"customer": c, "alert": alert, "tier": tier, "probability": probability}


# --- due times -----------------------------------------------------------------------------------------------------


def test_a_work_order_opened_on_friday_evening_counts_business_hours_on_the_team_calendar():
    # given a team lead whose profile carries the 9-17 Monday-Friday calendar, and a member of the team
    lead = with_calendar(agent_user("lead1", Role.TEAM_LEAD), office())
    am = agent_user("am1", team_lead=lead)
    c = customer("C1", owner=am)

    # when a tier-2 work order (first contact 72 h, resolution 14 × 24 h) opens on Friday 2025-07-04 at 17:00
    open_at(utc(2025, 7, 4, 17), candidate(c))

    # then first contact is due after 9 working days, the warning after 80% of them (57.6 working hours)
    wo = c.work_orders.get()
    assert wo.first_contact_due_at == utc(2025, 7, 17, 17)
    assert wo.first_contact_warn_at == utc(2025, 7, 16, 10, 36)
    assert wo.resolution_due_at == utc(2025, 9, 2, 17)  # 42 working days
    assert wo.sla_due_at == wo.first_contact_due_at  # the queue still sorts by the stored due time


def test_without_a_calendar_the_clock_runs_round_the_clock_as_before():
    am = agent_user("am1", capacity=10)
    c = customer("C1", owner=am)
    open_at(utc(2025, 7, 4, 17), candidate(c))
    wo = c.work_orders.get()
    assert (wo.first_contact_due_at, wo.resolution_due_at) == (utc(2025, 7, 7, 17), utc(2025, 7, 18, 17))


def test_a_tier_calendar_in_the_policy_wins_over_the_team_calendar():
    # given a 24x7 team calendar and a policy whose tier 2 runs on office hours
    am = with_calendar(
        agent_user("am1"),
        calendar_save(
            name="always",
            timezone="UTC",
            hours={d: [["00:00", "00:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        ),
    )
    office()
    policy = default_policy()
    policy["tiers"][1]["calendar"] = "office"
    c = customer("C1", owner=am)

    # when the work order opens on Friday 17:00
    open_at(utc(2025, 7, 4, 17), candidate(c), policy=policy)

    # then 72 working hours of the office calendar
    assert c.work_orders.get().first_contact_due_at == utc(2025, 7, 17, 17)


# --- pause and resume ----------------------------------------------------------------------------------------------


@pytest.fixture
def paused_case():
    """am1 on office hours holds a case opened Monday 2025-06-30 09:00, first contact due Wednesday 17:00 (24 h)."""
    am = with_calendar(agent_user("am1"), office())
    wo = work_order_with_clocks(
        "C1",
        assignee=am,
        status=WorkOrderStatus.IN_PROGRESS,
        opened_at=utc(2025, 6, 30, 9),
        first_contact_hours=56,
        resolution_hours=14 * 24 + 8,
    )
    assert (wo.first_contact_due_at, wo.resolution_due_at) == (utc(2025, 7, 2, 17), utc(2025, 7, 14, 17))
    return am, wo


def test_waiting_on_the_customer_pauses_and_resuming_gives_back_the_time_left(paused_case):
    am, wo = paused_case
    # when it waits on the customer from Monday 12:00 to Thursday 09:00
    with time_machine.travel(utc(2025, 6, 30, 12), tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.WAITING, by=am)
    assert fresh(wo).paused_at == utc(2025, 6, 30, 12)
    with time_machine.travel(utc(2025, 7, 3, 9), tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.IN_PROGRESS, by=am)

    # then the 21 working hours left (Mon 5 + Tue 8 + Wed 8) run from Thursday 09:00: due Monday 14:00
    wo = fresh(wo)
    assert wo.first_contact_due_at == utc(2025, 7, 7, 14)
    assert (wo.paused_at, wo.paused_seconds) == (None, 69 * 3600)
    pause = SlaPause.objects.get()
    assert (pause.started_at, pause.ended_at, pause.business_seconds) == (
        utc(2025, 6, 30, 12),
        utc(2025, 7, 3, 9),
        21 * 3600,
    )
    moved = WorkOrderEvent.objects.get(field="first_contact_due_at")
    assert (moved.before, moved.after) == (utc(2025, 7, 2, 17).isoformat(), utc(2025, 7, 7, 14).isoformat())


def test_a_paused_clock_does_not_breach_and_the_timeline_shows_the_pause(paused_case, client):
    am, wo = paused_case
    with time_machine.travel(utc(2025, 6, 30, 12), tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.WAITING, by=am)

    # when the sweep runs after the original due time while the case waits
    with time_machine.travel(utc(2025, 7, 3, 8), tick=False):
        sweep = sla_sweep()

    # then nothing is at risk or breached
    assert (sweep.breached, sweep.at_risk) == (0, 0)
    assert fresh(wo).is_breached is False

    # and once resumed, the page's timeline shows the pause and the resume
    with time_machine.travel(utc(2025, 7, 3, 9), tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.IN_PROGRESS, by=am)
    client.force_login(am)
    page = client.get(reverse("interventions:work_order", args=[wo.pk])).content.decode()
    assert "SLA clock paused" in page
    assert "SLA clock resumed" in page
    assert "paused 69 h 00 min, 21 h 00 min of working time given back" in page


def test_resolving_a_waiting_case_closes_the_pause_so_compliance_counts_working_time(paused_case):
    am, wo = paused_case
    with time_machine.travel(utc(2025, 6, 30, 12), tick=False):
        work_order_set_status(work_order=wo, status=WorkOrderStatus.WAITING, by=am)
    with time_machine.travel(utc(2025, 7, 3, 10), tick=False):
        work_order_resolve(work_order=wo, outcome="retained", reason="price", by=am)
    wo = fresh(wo)
    assert wo.paused_at is None
    assert wo.first_contact_due_at == utc(2025, 7, 7, 15)  # 21 working hours from Thursday 10:00
    assert SlaPause.objects.get().ended_at == utc(2025, 7, 3, 10)


def test_the_report_does_not_count_a_paused_deadline_as_missed():
    # given two work orders whose first-contact deadline fell in the week, neither contacted; one is waiting
    def facts(i, paused_at):
        return WorkOrderFacts(
            id=i,
            tier=2,
            assignee="am1",
            opened_at=utc(2025, 6, 30),
            lifetime_value=1.0,
            first_contact_due_at=utc(2025, 7, 1),
            resolution_due_at=utc(2025, 8, 1),
            first_contact_at=None,
            resolved_at=None,
            outcome="",
            reason="",
            paused_at=paused_at,
        )

    figures = sla_figures(
        [facts(1, None), facts(2, utc(2025, 6, 30, 12))], utc(2025, 6, 30), utc(2025, 7, 7), tiers=[2]
    )
    # then only the running one is due (and missed)
    assert (figures["first_contact_due"], figures["first_contact_met"]) == (1, 0)


# --- notices at working moments ------------------------------------------------------------------------------------


def test_an_at_risk_warning_outside_working_hours_waits_for_the_next_working_moment(django_capture_on_commit_callbacks):
    # given am1 on office hours with a case opened Friday 09:00, first contact due in 10 wall-clock hours
    am = with_calendar(agent_user("am1"), office())
    wo = work_order_with_clocks("C1", assignee=am, opened_at=utc(2025, 7, 4, 9), first_contact_hours=10)

    # when the sweep finds it at risk on Friday at 18:00
    with time_machine.travel(utc(2025, 7, 4, 18), tick=False), django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    # then the warning is listed but not e-mailed before Monday 09:00
    note = Notification.objects.get(work_order=wo)
    assert (note.kind, note.deliver_after, note.emailed_at) == (
        NotificationKind.AT_RISK_FIRST_CONTACT,
        utc(2025, 7, 7, 9),
        None,
    )
    assert len(mail.outbox) == 0
    with time_machine.travel(utc(2025, 7, 6, 12), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert notifications_release() == 0
    assert len(mail.outbox) == 0

    # and the release on Monday at 09:05 e-mails it, once
    with time_machine.travel(utc(2025, 7, 7, 9, 5), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert notifications_release() == 1
    with time_machine.travel(utc(2025, 7, 7, 9, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert notifications_release() == 0
    assert [m.to for m in mail.outbox] == [["am1@example.com"]]


@pytest.mark.parametrize(("round_the_clock", "lead_held"), [(True, None), (False, utc(2025, 7, 7, 9))])
def test_a_tier_1_escalation_to_a_lead_goes_out_at_night_only_when_the_policy_says_24x7(round_the_clock, lead_held):
    # given a team on office hours and a policy (tier 1 escalations 24x7 or not)
    lead = with_calendar(agent_user("lead1", Role.TEAM_LEAD), office())
    am = agent_user("am1", team_lead=lead)
    policy = default_policy()
    policy["tiers"][0]["escalation_24x7"] = round_the_clock
    policy_save(data=policy)
    wo = work_order_with_clocks("C1", assignee=am, tier=1, opened_at=utc(2025, 7, 4, 9), first_contact_hours=10)

    # when its first-contact clock breaches on Friday at 20:00
    with time_machine.travel(utc(2025, 7, 4, 20), tick=False):
        sla_sweep()

    # then the assignee's breach notice waits for Monday; the lead's escalation waits only without 24x7
    held = dict(Notification.objects.filter(work_order=wo).values_list("kind", "deliver_after"))
    assert held == {
        NotificationKind.BREACHED_FIRST_CONTACT: utc(2025, 7, 7, 9),
        NotificationKind.ESCALATED_FIRST_CONTACT: lead_held,
    }


# --- calendars: bad input and holidays -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "hours", "field"),
    [
        ("Nowhere/City", NINE_TO_FIVE, "timezone"),
        ("UTC", {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "hours.mon[1]"),
    ],
)
def test_a_bad_calendar_is_refused_with_the_field_named(tz, hours, field):
    with pytest.raises(CalendarInputError) as refused:
        calendar_save(name="bad", timezone=tz, hours=hours)
    assert field in [f for f, _ in refused.value.errors]
    assert BusinessCalendar.objects.count() == 0


def test_holidays_import_adds_new_dates_and_refuses_a_bad_list_whole():
    cal = office()
    assert calendar_holidays_import(calendar=cal, text="2025-12-25,Christmas Day\n2025-12-26,Boxing Day\n") == 2
    assert calendar_holidays_import(calendar=cal, text="# year end\n2025-12-25,Christmas\n2026-01-01\n") == 1
    with pytest.raises(CalendarInputError) as refused:
        calendar_holidays_import(calendar=cal, text="2026-05-01,May Day\n01/06/2026,Whit Monday\n")
    assert refused.value.errors[0][0] == "holidays line 2"
    cal.refresh_from_db()
    assert [(h["date"], h["name"]) for h in cal.holidays] == [
        ("2025-12-25", "Christmas Day"),
        ("2025-12-26", "Boxing Day"),
        ("2026-01-01", ""),
    ]


def test_a_holiday_on_the_calendar_moves_a_new_due_time_a_day():
    lead = with_calendar(agent_user("lead1", Role.TEAM_LEAD), office())
    calendar_holidays_import(calendar=BusinessCalendar.objects.get(), text="2025-07-07,Staff day\n")
    am = agent_user("am1", team_lead=lead)
    policy = default_policy()
    policy["tiers"][1]["first_contact_hours"] = 24
    c = customer("C1", owner=am)
    open_at(utc(2025, 7, 4, 17), candidate(c), policy=policy)
    assert c.work_orders.get().first_contact_due_at == utc(2025, 7, 10, 17)  # Thursday, not Wednesday


def test_the_calendars_page_refuses_overlapping_hours_naming_them(client, admin_user, am_user):
    client.force_login(am_user)
    assert client.get(reverse("calendars:list")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("calendars:list"),
        {"name": "office", "timezone": "UTC", "hours": '{"tue": [["09:00", "18:00"], ["17:00", "20:00"]]}'},
    )
    assert response.status_code == 400
    assert "hours.tue[1]: overlaps hours.tue[0]" in response.content.decode()
    assert BusinessCalendar.objects.count() == 0
