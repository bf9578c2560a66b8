import io
from datetime import date, timedelta

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from customers.choices import EventKind
from customers.models import Customer, Event
from demo.activity import K_COMPETITOR, K_LOGIN, K_SURVEY, K_VISIT
from demo.population import DEMO_SOURCE, FUTURE_CHURN_DAYS, generate_population
from demo.roster import DEMO_USERS
from interventions.choices import Role
from interventions.models import AgentProfile

AS_OF = date(2025, 6, 1)
N_DB = 60  # customers in database tests: enough for every kind and some churners, fast to write


@pytest.fixture(scope="module")
def population():
    return generate_population(400, seed=7, as_of=AS_OF, months=20)


def seed(n=N_DB, **extra):
    out = io.StringIO()
    call_command("seed_demo", customers=n, seed=42, as_of=AS_OF, months=20, stdout=out, **extra)
    return out.getvalue()


def rate_before_churn(population, kind, near_days, far_days):
    """Events per day of ``kind`` summed over churned customers: in (0, near] and (near, far] days before churn."""
    near = far = 0
    for index, customer in enumerate(population.customers):
        if customer.churned_at is None:
            continue
        at = population.event_at[(population.event_customer == index) & (population.event_kind == kind)]
        days_before = (np.datetime64(customer.churn_date.isoformat(), "s") - at) / np.timedelta64(1, "D")
        near += int(((days_before > 0) & (days_before <= near_days)).sum())
        far += int(((days_before > near_days) & (days_before <= far_days)).sum())
    return near / near_days, far / (far_days - near_days)


def test_same_seed_generates_identical_population():
    # given / when
    first = generate_population(50, seed=3, as_of=AS_OF, months=18)
    second = generate_population(50, seed=3, as_of=AS_OF, months=18)

    # then
    assert first.customers == second.customers
    assert first.event_rows() == second.event_rows()
    assert len(first.event_rows()) > 50 * 80


def test_different_seed_generates_different_population():
    # given / when
    first = generate_population(50, seed=3, as_of=AS_OF, months=18)
    other = generate_population(50, seed=4, as_of=AS_OF, months=18)

    # then
    assert [c.name for c in first.customers] != [c.name for c in other.customers]
    assert first.event_rows() != other.event_rows()


def test_bigger_population_extends_smaller_one():
    # given
    small = generate_population(20, seed=3, as_of=AS_OF, months=18)

    # when
    big = generate_population(40, seed=3, as_of=AS_OF, months=18)

    # then
    assert big.customers[:20] == small.customers
    assert big.event_rows()[: len(small.event_kind)] == small.event_rows()


def test_generator_refuses_short_history():
    with pytest.raises(ValueError, match="months must be >= 18"):
        generate_population(5, seed=1, as_of=AS_OF, months=12)


def test_churn_shares_and_dates(population):
    # given
    n = len(population.customers)
    churned, about = population.churned, population.about_to_churn

    # then
    assert 0.3 <= (len(churned) + len(about)) / n <= 0.45
    assert 0.03 <= len(about) / n <= 0.12
    assert all(c.churned_at.date() == c.churn_date <= AS_OF for c in churned)
    assert all(AS_OF < c.churn_date <= AS_OF + timedelta(days=FUTURE_CHURN_DAYS) for c in about)
    assert all(c.churned_at is None for c in about)
    assert 0.1 <= sum(c.is_silent_churner for c in churned) / len(churned) <= 0.3


def _active_on(population, day: date) -> np.ndarray:
    """Indexes of the customers with an event in the 90 days before `day` (the scored population)."""
    end = np.datetime64(day.isoformat(), "s")
    recent = (population.event_at < end) & (population.event_at >= end - np.timedelta64(90, "D"))
    return np.unique(population.event_customer[recent])


def test_the_population_is_stationary_customers_join_and_leave_at_a_steady_rate():
    # given: the demo's size and history, four dates a month apart at the end of the window (the replayed weeks)
    population = generate_population(1500, seed=42, as_of=AS_OF, months=30)
    days = [AS_OF - timedelta(days=d) for d in (120, 90, 60, 30, 0)]

    # when
    active = [_active_on(population, day) for day in days]
    tenure = [
        np.median(
            [
                (day - population.customers[i].contract_start).days
                for i in ids
                if population.customers[i].contract_start < day
            ]
        )
        for day, ids in zip(days, active, strict=True)
    ]
    leaving = [
        sum(1 for c in population.customers if c.churn_date and day < c.churn_date <= day + timedelta(days=60))
        for day in days
    ]

    # then: as many customers, as old, and as many leaving in the next 60 days, on every date
    assert max(len(a) for a in active) <= 1.05 * min(len(a) for a in active)
    assert max(tenure) - min(tenure) <= 45  # an ageing population would add 120 days over these four months
    assert max(leaving) <= 1.6 * min(leaving)
    assert sum(1 for c in population.customers if AS_OF - timedelta(days=120) < c.contract_start <= AS_OF) > 30


def test_churners_visit_rate_falls_by_half_in_last_60_days(population):
    # when
    last_60, prior_90 = rate_before_churn(population, K_VISIT, 60, 150)

    # then
    assert last_60 <= 0.6 * prior_90


def test_churners_login_rate_falls_by_70_percent_in_last_30_days(population):
    # when
    last_30, before = rate_before_churn(population, K_LOGIN, 30, 180)

    # then
    assert last_30 <= 0.35 * before


def last_45_days_signals(population, index, customer):
    """(survey scored <= 6, competitor signal) in the 45 days before the customer's churn."""
    churn_at = np.datetime64(customer.churn_date.isoformat(), "s")
    days_before = (churn_at - population.event_at) / np.timedelta64(1, "D")
    mine = (population.event_customer == index) & (days_before > 0) & (days_before <= 45)
    low_survey = (mine & (population.event_kind == K_SURVEY) & (population.event_value <= 6)).any()
    competitor = (mine & (population.event_kind == K_COMPETITOR)).any()
    return bool(low_survey), bool(competitor)


def test_loud_churners_show_satisfaction_drop_and_competitors_silent_ones_do_not(population):
    # given
    churned = [(i, c) for i, c in enumerate(population.customers) if c.churned_at is not None]

    # when
    loud = [last_45_days_signals(population, i, c) for i, c in churned if not c.is_silent_churner]
    silent = [last_45_days_signals(population, i, c) for i, c in churned if c.is_silent_churner]

    # then
    # ~70% of churners' satisfaction drops; a survey catches it for about half of them (not every bad day is surveyed)
    assert sum(low for low, _ in loud) / len(loud) >= 0.35
    assert sum(competitor for _, competitor in loud) / len(loud) >= 0.45
    assert sum(competitor for _, competitor in silent) / len(silent) <= 0.05


def test_events_stop_before_churn_and_as_of(population):
    # given
    nat = np.datetime64("NaT", "s")
    churn_at = np.array(
        [np.datetime64(c.churn_date.isoformat(), "s") if c.churn_date else nat for c in population.customers]
    )

    # then
    assert not (population.event_at >= np.datetime64(AS_OF.isoformat(), "s")).any()
    assert not (churn_at[population.event_customer] <= population.event_at).any()


@pytest.mark.django_db
def test_seed_demo_creates_users_groups_and_agent_profiles():
    # when
    seed()

    # then
    lead = User.objects.get(username="maria.keller")  # real-looking staff names since issue 16
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.check_password("churnops-demo")) == (True, True, True)
    for username, role, password in DEMO_USERS:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(password)
    profiles = AgentProfile.objects.order_by("user__username")
    assert [(p.user.username, p.team_lead_id, p.capacity) for p in profiles] == [
        ("anna.nowak", lead.pk, 200),
        ("daniel.weber", lead.pk, 200),
        ("james.okafor", lead.pk, 200),
        ("li.wei", lead.pk, 200),
        ("maria.keller", None, 200),
        ("sofia.rossi", lead.pk, 200),
    ]
    assert {u.role for u in DEMO_USERS} == set(Role.values)


@pytest.mark.django_db
def test_seed_demo_writes_the_generated_population():
    # given
    population = generate_population(N_DB, seed=42, as_of=AS_OF, months=20)

    # when
    output = seed()

    # then
    assert output.startswith(
        f"customers: {N_DB}\nevents: {len(population.event_kind)} ({len(population.event_kind)} new)\n"
        f"churned: {len(population.churned)}\nabout to churn: {len(population.about_to_churn)}\n"
    )
    assert Customer.objects.count() == N_DB
    assert Event.objects.count() == len(population.event_kind)
    assert Customer.objects.filter(churned_at__isnull=False).count() == len(population.churned)
    first = population.customers[0]
    stored = Customer.objects.get(external_id=first.external_id)
    assert (stored.name, stored.segment, stored.contract_end, stored.attributes["source"]) == (
        first.name,
        first.segment,
        first.contract_end,
        DEMO_SOURCE,
    )
    assert set(Customer.objects.exclude(owner=None).values_list("owner__username", flat=True)) == {
        "james.okafor",
        "sofia.rossi",
        "daniel.weber",
    }
    assert set(Event.objects.values_list("kind", flat=True).distinct()) == set(EventKind.values)


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    # given
    seed()
    customers = list(Customer.objects.values_list("external_id", "name", "owner_id", "churned_at", "contract_end"))
    events = Event.objects.count()

    # when
    seed()

    # then
    assert list(Customer.objects.values_list("external_id", "name", "owner_id", "churned_at", "contract_end")) == (
        customers
    )
    assert Event.objects.count() == events
    assert User.objects.count() == len(DEMO_USERS)
    assert AgentProfile.objects.count() == 6


@pytest.mark.django_db
def test_churned_customers_have_no_events_after_churned_at():
    # when
    seed()

    # then
    assert Customer.objects.filter(churned_at__isnull=False).count() > 0
    after_churn = Event.objects.filter(customer__churned_at__isnull=False, occurred_at__gte=F("customer__churned_at"))
    assert after_churn.count() == 0


@pytest.mark.django_db
def test_seed_demo_with_other_seed_needs_reset():
    # given
    seed(n=10)

    # when / then
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", customers=10, seed=43, as_of=AS_OF, months=20, stdout=io.StringIO())
    call_command("seed_demo", customers=10, seed=43, as_of=AS_OF, months=20, reset=True, stdout=io.StringIO())
    population = generate_population(10, seed=43, as_of=AS_OF, months=20)
    assert list(Customer.objects.values_list("name", flat=True)) == [c.name for c in population.customers]
    assert Event.objects.count() == len(population.event_kind)


@pytest.mark.django_db
def test_seed_demo_from_a_newer_generator_replaces_the_old_customers_and_their_events(monkeypatch):
    # given: customers seeded by an older generator, with an event the new one does not draw
    seed(n=10)
    stale = Customer.objects.first()
    Event.objects.create(customer=stale, external_id="demo-stale-1", kind="visit", occurred_at=stale.created_at)
    monkeypatch.setattr("demo.management.commands.seed_demo.GENERATOR_VERSION", 99)

    # when: the same arguments, another generator
    call_command("seed_demo", customers=10, seed=42, as_of=AS_OF, months=20, reset=True, stdout=io.StringIO())

    # then: only the new population's events, none of the old ones beside them
    population = generate_population(10, seed=42, as_of=AS_OF, months=20)
    assert Event.objects.count() == len(population.event_kind)
    assert not Event.objects.filter(external_id="demo-stale-1").exists()
