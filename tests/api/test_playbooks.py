"""Playbooks, offers and steps over the API: admin-only CRUD with field-named refusals, a work order's steps and
next step, and the offer approval refusal."""

from datetime import timedelta

import pytest
import time_machine

from interventions.models import Offer, Playbook, PlaybookVersion, WorkOrder
from interventions.services import offer_save, playbook_save, work_order_log_action, work_orders_open_for_alerts
from scoring.ml.policy import default_policy
from tests.factories import NOW, TODAY, AlertFactory, CustomerFactory

from .builders import login

pytestmark = pytest.mark.django_db

PLAY = {
    "name": "Tier 2 basics",
    "tiers": [2],
    "steps": [
        {"title": "Call and listen", "channel": "call", "due_offset_days": 0, "talk_track": "How are things?"},
        {"title": "Send the offer", "channel": "offer", "due_offset_days": 3},
    ],
}


def test_admin_creates_and_replaces_a_playbook_and_each_save_is_a_version(api_client, admin_user):
    login(api_client, admin_user)

    created = api_client.post("/api/playbooks/", {**PLAY, "comment": "first cut"}, format="json")
    pk = created.json()["id"]
    replaced = api_client.put(
        f"/api/playbooks/{pk}/", {**PLAY, "steps": PLAY["steps"][:1], "comment": "shorter"}, format="json"
    )

    assert (created.status_code, replaced.status_code) == (201, 200)
    assert [s["title"] for s in replaced.json()["steps"]] == ["Call and listen"]
    assert replaced.json()["version"] == 2
    assert list(PlaybookVersion.objects.order_by("number").values_list("number", "comment", "author__username")) == [
        (1, "first cut", "admin1"),
        (2, "shorter", "admin1"),
    ]


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"title": "Call", "channel": "call", "due_offset_days": -1}, "due_offset_days"),
        ({"title": "Call", "channel": "fax"}, "channel"),
        ({"title": "", "channel": "call"}, "title"),
    ],
)
def test_a_bad_step_is_refused_with_the_field_named(api_client, admin_user, step, field):
    response = login(api_client, admin_user).post("/api/playbooks/", {"name": "Bad", "steps": [step]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["steps"][0]) == [field]
    assert Playbook.objects.count() == 0


@pytest.mark.parametrize("who", ["am_user", "lead_user", "cs_user"])
def test_playbooks_and_offers_are_admin_only(api_client, request, who):
    login(api_client, request.getfixturevalue(who))

    responses = [
        api_client.get("/api/playbooks/"),
        api_client.get("/api/offers/"),
        api_client.post("/api/offers/", {"name": "X", "cost": 1}, format="json"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert Offer.objects.count() == 0


def test_admin_offer_crud_and_retire(api_client, admin_user):
    login(api_client, admin_user)

    created = api_client.post(
        "/api/offers/", {"name": "Voucher", "cost": 20, "approval_limits": {"account_manager": 50}}, format="json"
    )
    bad = api_client.post("/api/offers/", {"name": "Y", "cost": 5, "approval_limits": {"pilot": 5}}, format="json")
    retired = api_client.delete(f"/api/offers/{created.json()['id']}/")

    assert created.status_code == 201
    assert (bad.status_code, bad.json()["field"], bad.json()["code"]) == (400, "approval_limits.pilot", "invalid_offer")
    assert retired.status_code == 204
    assert list(Offer.objects.values_list("name", "is_active")) == [("Voucher", False)]


@pytest.fixture
def stepped(am_user):
    playbook_save(data=PLAY, by=None)
    customer = CustomerFactory(external_id="C1", owner=am_user)
    with time_machine.travel(NOW, tick=False):
        work_orders_open_for_alerts(
            as_of=TODAY,
            candidates=[
                {"customer": customer, "tier": 2, "probability": 0.7, "alert": AlertFactory(customer=customer, tier=2)}
            ],
            policy=default_policy(),
        )
    return WorkOrder.objects.get()


def test_work_order_detail_has_steps_and_next_step(api_client, am_user, stepped):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        work_order_log_action(work_order=stepped, kind="call", by=am_user)

    body = login(api_client, am_user).get(f"/api/work-orders/{stepped.pk}/").json()

    assert [(s["title"], s["channel"], s["done_at"] is not None, s["talk_track"]) for s in body["steps"]] == [
        ("Call and listen", "call", True, "How are things?"),
        ("Send the offer", "offer", False, ""),
    ]
    assert body["next_step"]["title"] == "Send the offer"
    assert body["steps"][0]["playbook"] == "Tier 2 basics"


def test_an_offer_above_the_limit_is_refused_with_a_code(api_client, am_user, stepped):
    care = offer_save(data={"name": "Care", "cost": 900.0, "approval_limits": {"account_manager": 100}}, by=None)

    response = login(api_client, am_user).post(
        f"/api/work-orders/{stepped.pk}/actions/", {"kind": "offer", "offer": care.pk}, format="json"
    )

    assert response.status_code == 403
    assert (response.json()["code"], response.json()["field"]) == ("approval_required", "offer")
    assert stepped.actions.count() == 0
