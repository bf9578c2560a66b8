"""demo_history: the demo's past weeks replayed on a small seeded population."""

import re
from datetime import date

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import F

from customers.models import Customer
from demo.names import COMPANY_SUFFIXES, customer_name
from demo.roster import DEMO_USERS, TEAM_LEAD_USERNAME
from interventions.models import Action, WorkOrder
from reports.models import WeeklyReport
from scoring.models import ScoreRun

from .builders import local

TODAY = date(2025, 11, 5)  # a Wednesday: the replay's runs fall on Wednesdays


@pytest.fixture
def seeded(db):
    call_command("seed_demo", customers=150, as_of=TODAY, months=18, stdout=None)  # 150: enough flagged for work orders


def test_demo_history_replays_the_weeks_and_builds_their_reports(seeded, capsys):
    # when
    with time_machine.travel(local(2025, 11, 5, 20), tick=False):
        call_command("demo_history", weeks=2)

    # then: two reported weeks, a warm-up run and lead-in runs for the realised performance
    assert list(WeeklyReport.objects.order_by("week_start").values_list("week", flat=True)) == ["2025-W43", "2025-W44"]
    assert ScoreRun.objects.filter(status=ScoreRun.Status.DONE).count() == ScoreRun.objects.count() >= 5
    assert WorkOrder.objects.exists()
    # the clock was moved back: work orders opened at their runs, contacts after them
    assert not WorkOrder.objects.filter(opened_at__gt=local(2025, 11, 5, 20)).exists()
    assert not Action.objects.filter(at__lt=F("work_order__opened_at")).exists()
    # outcomes follow the data: a case resolved as churned is a customer who had left by then
    churned = WorkOrder.objects.filter(outcome="churned")
    assert not churned.filter(customer__churned_at__isnull=True).exists()
    assert not churned.filter(customer__churned_at__gt=F("resolved_at")).exists()
    w44 = WeeklyReport.objects.get(week="2025-W44")
    assert w44.built_at == local(2025, 11, 3, 6)
    assert w44.data["alerts"]["raised"] + w44.data["work_orders"]["opened"] > 0
    assert "2 weekly reports" in capsys.readouterr().out


def test_demo_history_refuses_a_database_with_real_customers(db):
    # given
    Customer.objects.create(external_id="DEMO-1", attributes={"source": "seed_demo"})
    Customer.objects.create(external_id="REAL-1")

    # then
    with pytest.raises(CommandError, match="customers other than the seeded demo ones exist"):
        call_command("demo_history", weeks=2)


def test_demo_names_are_unique_plausible_words_and_staff_have_real_names():
    # when
    companies = [customer_name(i, 42, is_person=False) for i in range(9_600)]
    people = [customer_name(i, 42, is_person=True) for i in range(2_500)]

    # then: one name per customer, words from the lists, no syllable soup
    assert len(set(companies)) == len(companies)
    assert len(set(people)) == len(people)
    assert all(len(name.split()) == 3 and name.split()[-1] in COMPANY_SUFFIXES for name in companies)
    assert customer_name(9_600, 42, is_person=False).endswith(" 2")  # past every combination: numbered
    assert all(u.username == "admin" or re.fullmatch(r"[a-z]+\.[a-z]+", u.username) for u in DEMO_USERS)
    assert TEAM_LEAD_USERNAME in {u.username for u in DEMO_USERS}
