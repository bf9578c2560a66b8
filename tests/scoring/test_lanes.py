"""The three lanes on small hand-built populations: capacity budget, value fallback, tier roles, rank tiers,
the win-back lane, and bad input (no capacity anywhere, an unknown role in the policy)."""

import csv
import io
from datetime import date, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert
from churnops.core.roles import Role
from interventions.models import Action, WorkOrder
from nightly.tasks import nightly_run_task
from scoring.ml.policy import assign_tiers, default_policy, validate_policy
from scoring.models import ScoreRun
from scoring.selectors import policy_current
from tests.factories import agent_user, customer, events_on_days

from .builders import every
from .conftest import policy_with

AS_OF = date(2025, 6, 30)
pytestmark = pytest.mark.django_db


def at_risk(external_id, *, ltv=0.0, amount=None, **fields):
    """Two rules fire (visits stopped, competitor signal): tier 2 without a model; active 5 days ago."""
    c = customer(external_id, ltv=ltv, **fields)
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF - timedelta(days=120), 14))
    events_on_days(c, "competitor", [AS_OF - timedelta(days=5)])
    if amount is not None:
        events_on_days(c, "purchase", [AS_OF - timedelta(days=30)], amount=amount)
    return c


def lapsed(external_id, **fields):
    c = customer(external_id, **fields)
    events_on_days(c, "purchase", every(AS_OF - timedelta(days=400), AS_OF - timedelta(days=120), 14), amount=50.0)
    return c


def run(as_of=AS_OF):
    call_command("run_nightly", as_of=as_of)
    return ScoreRun.objects.get(as_of=as_of)


def test_work_orders_fill_capacity_by_expected_value_and_the_rest_wait_over_capacity():
    # given: account managers with room for 2 in all (one more is on leave with room for 10), five tier-2 customers
    # worth 1000..5000
    agent_user("am1", capacity=1)
    agent_user("am2", capacity=1)
    agent_user("am3", capacity=10, leave=(AS_OF, None))
    for i in range(1, 6):
        at_risk(f"C{i}", ltv=1000.0 * i)

    # when
    first = run()

    # then: the two most valuable get a person; the other three stay automated, saying why
    assert sorted(WorkOrder.objects.values_list("customer__external_id", flat=True)) == ["C4", "C5"]
    over = Alert.objects.filter(lane=Alert.Lane.AUTOMATED, lane_reason="over capacity")
    assert sorted(over.values_list("customer__external_id", flat=True)) == ["C1", "C2", "C3"]
    assert first.stats["over_capacity"] == 3
    assert first.stats["capacity"]["account_manager"] == {"free": 2, "available": 2, "members": 3, "opened": 2}

    # when: one customer was called and the work order resolved, and the next night comes
    wo = WorkOrder.objects.get(customer__external_id="C5")
    Action.objects.create(work_order=wo, kind="call", at=timezone.now())
    WorkOrder.objects.filter(pk=wo.pk).update(open_key=None, status="resolved", outcome="retained", reason="price")
    run(AS_OF + timedelta(days=1))

    # then: the freed slot goes to the next most valuable waiting customer
    assert sorted(WorkOrder.objects.filter(open_key__isnull=False).values_list("customer__external_id", flat=True)) == [
        "C3",
        "C4",
    ]


def test_no_capacity_anywhere_means_no_work_orders_and_the_summary_says_so(capsys):
    # given: every person has capacity 0
    agent_user("lead", Role.TEAM_LEAD, capacity=0)
    agent_user("am1", capacity=0)
    agent_user("cs1", Role.CUSTOMER_SERVICE, capacity=0)
    at_risk("C1", ltv=1000.0)

    # when
    result = run()

    # then
    assert WorkOrder.objects.count() == 0
    assert Alert.objects.get().lane_reason == "over capacity"
    assert "no human work orders" in result.stats["note"]
    assert "no human work orders" in capsys.readouterr().out


def test_lapsed_customers_get_no_score_no_alert_and_are_listed_for_win_back(admin_user, client):
    # given: a lapsed customer with an open alert from an earlier night, and an active at-risk one
    agent_user("am1")
    gone = lapsed("GONE", ltv=0.0)
    Alert.objects.create(
        customer=gone,
        open_key=gone.id,
        tier=2,
        max_tier=2,
        probability=0.7,
        first_raised_at="2025-06-01T00:00Z",
        first_run_as_of=AS_OF - timedelta(days=30),
        last_run_as_of=AS_OF - timedelta(days=30),
    )
    at_risk("LIVE", ltv=500.0)

    # when
    result = run()

    # then: the lapsed customer's alert closed, no work order; the win-back lane lists it by its spend
    assert result.stats["lapsed"] == 1
    assert list(WorkOrder.objects.values_list("customer__external_id", flat=True)) == ["LIVE"]
    assert Alert.objects.get(customer=gone).close_reason == "lapsed: win-back lane"
    client.force_login(admin_user)
    page = client.get("/scoring/win-back/")
    exported = list(csv.DictReader(io.StringIO(client.get("/scoring/win-back/?format=csv").content.decode())))
    assert page.status_code == 200
    assert b"GONE" in page.content
    assert b"LIVE" not in page.content
    assert [(r["external_id"], r["value_basis"], r["value"], r["purchases"]) for r in exported] == [
        ("GONE", "spend", "1050.00", "21")
    ]


def test_win_back_api_ranks_by_value_and_is_for_admins_and_team_leads(api_client, admin_user, am_user):
    # given
    lapsed("SMALL", ltv=10.0)
    lapsed("BIG", ltv=9000.0)
    lapsed("SPEND", ltv=0.0)

    # when
    api_client.force_authenticate(am_user)
    refused = api_client.get("/api/win-back/")
    api_client.force_authenticate(admin_user)
    listed = api_client.get("/api/win-back/")

    # then
    assert refused.status_code == 403
    rows = listed.json()["results"]
    assert [(r["external_id"], r["value_basis"]) for r in rows] == [
        ("BIG", "ltv"),
        ("SPEND", "spend"),
        ("SMALL", "ltv"),
    ]
    assert rows[0]["last_activity"] is not None
    assert rows[1]["lifetime_spend"] == 1050.0


def test_value_falls_back_to_spend_then_frequency_and_the_work_order_says_which():
    # given: no lifetime values; one customer with a purchase of 250, one with no amounts at all
    agent_user("am1")
    at_risk("SPEND", amount=250.0)
    at_risk("FREQ")

    # when
    run()

    # then
    orders = {wo.customer.external_id: wo for wo in WorkOrder.objects.select_related("customer", "alert")}
    assert (orders["SPEND"].alert.value_basis, orders["SPEND"].alert.value) == ("spend", 250.0)
    assert orders["FREQ"].alert.value_basis == "frequency"
    assert all(wo.priority > 0 for wo in orders.values())
    assert "observed spend (250)" in orders["SPEND"].events.get(field="created").note


def test_tier_3_goes_to_customer_service_not_the_owner():
    # given: the owner is an account manager with room; a customer-service agent; a tier-3 customer (P = 0.4)
    owner = agent_user("am1")
    cs = agent_user("cs1", Role.CUSTOMER_SERVICE)
    data = policy_current().data
    data["high_risk_min_rules"] = 3  # two rules of five: P = 0.4, tier 3, not lifted
    policy_with(**{k: data[k] for k in ("high_risk_min_rules",)})
    at_risk("C1", ltv=1000.0, owner=owner)

    # when
    run()

    # then
    wo = WorkOrder.objects.get()
    assert (wo.tier, wo.assignee) == (3, cs)


def test_rank_based_tiers_take_the_top_shares_of_the_population():
    # given: 100 probabilities 0.00 .. 0.99 and the seeds' shares (2%, 5%, 10%, 20%)
    policy = {**default_policy(), "tier_mode": "rank"}
    probability = np.arange(100) / 100

    # when
    tiers = assign_tiers(policy, probability, np.zeros(100, dtype=bool))

    # then
    assert [int((tiers == t).sum()) for t in (1, 2, 3, 4, 0)] == [2, 5, 10, 20, 63]
    assert set(tiers[probability >= 0.98]) == {1}


def test_rank_tiers_need_shares_that_fit_and_unknown_roles_are_refused_with_the_field():
    policy = {**default_policy(), "tier_mode": "rank"}
    policy["tiers"] = [{**t, "top_share": 0.5} for t in policy["tiers"]]
    policy["tiers"][2]["assignee_role"] = "marketing"
    missing = {
        **policy,
        "tiers": [*policy["tiers"][:3], {k: v for k, v in policy["tiers"][3].items() if k != "top_share"}],
    }

    problems = {p.path: p.message for p in validate_policy(policy)}
    problems_missing = {p.path: p.message for p in validate_policy(missing)}

    assert problems["tiers[2].assignee_role"].startswith("unknown role 'marketing'")
    assert problems["tiers"] == "the tiers' shares add up to 2, more than the whole population (1)"
    assert problems_missing["tiers[3].top_share"] == "rank-based tiers need a share for every tier"


def test_unknown_role_is_refused_on_save_through_the_api_with_the_field_named(api_client, admin_user):
    # given
    data = policy_current().data
    data["tiers"][2]["assignee_role"] = "marketing"
    before = policy_current().number

    # when
    api_client.force_authenticate(admin_user)
    response = api_client.post("/api/policy-versions/", {"data": data, "comment": "x"}, format="json")

    # then
    assert response.status_code == 400
    assert "assignee_role" in str(response.json())
    assert policy_current().number == before


def test_policy_preview_shows_work_orders_per_team_against_capacity(api_client, admin_user):
    # given: a run, three tier-2 customers, account managers with room for one
    agent_user("am1", capacity=1)
    for i in range(3):
        at_risk(f"C{i}", ltv=100.0)
    run()
    WorkOrder.objects.update(open_key=None, status="resolved", outcome="retained", reason="price")

    # when
    api_client.force_authenticate(admin_user)
    response = api_client.post("/api/policy-versions/preview/", {"data": policy_current().data}, format="json")

    # then
    body = response.json()
    team = next(t for t in body["teams"] if t["role"] == "account_manager")
    assert (team["flagged"], team["free_capacity"], team["would_open"], team["over_capacity"]) == (3, 1, 1, 2)
    assert body["active"] == {"now": 3, "proposed": 3, "margin": {"now": 0, "proposed": 0}}
    assert body["warnings"] == [
        "tiers 2 (important) would flag 3 customers for account manager, who can take 1 "
        "more: 2 would stay in the automated lane, over capacity"
    ]


def test_policy_page_states_the_assignment_order_and_saves_the_lanes_settings(admin_user, client):
    # given
    from .test_admin_pages import policy_post

    client.force_login(admin_user)

    # when
    page = client.get("/scoring/policy/")
    saved = client.post(
        "/scoring/policy/",
        policy_post(
            tier_mode="rank",
            value_spend_days=180,
            new_min_tenure_days=60,
            new_lane="save",
            comment="rank",
            tier_1_top_share=0.01,
        ),
    )

    # then
    assert b"The customer&#x27;s owner, when the owner holds the tier&#x27;s role" in page.content
    assert saved.status_code == 302
    data = policy_current().data
    assert (data["tier_mode"], data["value_spend_days"], data["new_customers"]) == (
        "rank",
        180,
        {"min_tenure_days": 60, "lane": "save"},
    )
    assert [t["top_share"] for t in data["tiers"]] == [0.01, 0.05, 0.10, 0.20]


def test_rank_tiers_in_the_nightly_run_pin_the_previous_runs_thresholds_across_chunks():
    # given: rank-based tiers, tier 1 the top half; ten at-risk customers of equal risk and ten calm ones
    agent_user("am1")
    agent_user("lead", Role.TEAM_LEAD)
    data = policy_current().data
    shares = (0.5, 0.001, 0.001, 0.001)
    policy_with(
        tier_mode="rank",
        high_risk_min_rules=5,
        tiers=[{**t, "top_share": share} for t, share in zip(data["tiers"], shares, strict=True)],
    )
    for i in range(10):
        at_risk(f"R{i}", ltv=100.0)
    for i in range(10):
        events_on_days(customer(f"Q{i}"), "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))

    # when: two nights, in chunks of four customers (some chunks hold only calm customers)
    for day in (AS_OF, AS_OF + timedelta(days=1)):
        nightly_run_task.delay(day.isoformat(), chunk_size=4).get()
    first, second = ScoreRun.objects.get(as_of=AS_OF), ScoreRun.objects.get(as_of=AS_OF + timedelta(days=1))

    # then: the first ranks within each chunk; the second uses the first night's thresholds for every chunk
    assert "rank_thresholds" not in first.stats
    assert second.stats["rank_thresholds"]["1"] == pytest.approx(0.4)
    assert first.stats["tiers"] == second.stats["tiers"] == {"1": 10}
