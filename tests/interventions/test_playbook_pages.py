"""The work order page puts the next step first (then contacts, the why, the log); the queue flags overdue steps;
an offer above the limit asked from the page goes to the lead, who approves it with a button."""

from datetime import timedelta

import pytest
import time_machine

from churnops.core.roles import Role
from interventions.models import OfferApproval, WorkOrder
from interventions.services import offer_save, playbook_save, work_orders_open_for_alerts
from scoring.ml.policy import default_policy
from tests.factories import NOW, TODAY, AlertFactory, CustomerFactory, agent_user, contact_of

pytestmark = pytest.mark.django_db

PLAY = {
    "name": "Tier 2 basics",
    "tiers": [2],
    "steps": [
        {
            "title": "Call and listen",
            "channel": "call",
            "due_offset_days": 0,
            "instruction": "Call the owner today.",
            "talk_track": "We noticed you have been away; how are things?",
        },
        {"title": "Send the offer", "channel": "offer", "due_offset_days": 3},
    ],
}


@pytest.fixture
def case():
    lead = agent_user("lead1", Role.TEAM_LEAD)
    am = agent_user("am1", team_lead=lead)
    playbook = playbook_save(data=PLAY, by=None)
    customer = CustomerFactory(external_id="C1", owner=am, name="Bakery One")
    contact_of(customer, "Li Wei", phone="+86 138 0013 8000", email="li@bakery.example", role="owner")
    alert = AlertFactory(customer=customer, tier=2)
    with time_machine.travel(NOW, tick=False):
        work_orders_open_for_alerts(
            as_of=TODAY,
            candidates=[{"customer": customer, "alert": alert, "tier": 2, "probability": 0.7}],
            policy=default_policy(),
        )
    return lead, am, WorkOrder.objects.get(), playbook


def test_the_work_order_page_shows_next_step_then_contacts_then_why_then_log(client, case):
    _lead, am, wo, _playbook = case
    client.force_login(am)

    html = client.get(f"/work/{wo.pk}/").content.decode()

    order = [
        html.index(marker)
        for marker in (
            "Next step: Call and listen",
            "Call the owner today.",
            "We noticed you have been away",
            'id="h-contacts"',
            'id="h-why"',
            'id="h-log"',
            'id="h-actions"',
        )
    ]
    assert order == sorted(order)
    assert 'href="tel:+8613800138000"' in html
    assert 'href="mailto:li@bakery.example"' in html


def test_the_page_says_when_the_playbook_changed_after_opening(client, case):
    _lead, am, wo, playbook = case
    playbook_save(playbook=playbook, data={**PLAY, "steps": PLAY["steps"][:1]}, by=None)
    client.force_login(am)

    html = client.get(f"/work/{wo.pk}/").content.decode()

    assert "Plan: Tier 2 basics v1 — kept as it was when this work order opened; the playbook is now v2." in html


def test_the_queue_flags_a_work_order_with_an_overdue_step(client, case):
    _lead, am, wo, _playbook = case
    client.force_login(am)

    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        late = client.get("/work/").content.decode()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        early = client.get("/work/").content.decode()

    assert "step overdue" in late
    assert "step overdue" not in early


def test_an_over_limit_offer_from_the_page_asks_the_lead_who_approves_with_a_button(client, case):
    lead, am, wo, _playbook = case
    care = offer_save(
        data={"name": "Executive care", "cost": 1500.0, "approval_limits": {"account_manager": 200, "team_lead": 2000}},
        by=None,
    )
    client.force_login(am)

    # when the AM logs the offer, nothing is logged and the lead is asked
    response = client.post(f"/work/{wo.pk}/actions/", {"kind": "offer", "offer": care.pk, "note": "price"}, follow=True)
    assert "Your team lead was asked to approve it" in response.content.decode()
    assert wo.actions.count() == 0
    approval = OfferApproval.objects.get()

    # and the lead sees the buttons and approves
    client.force_login(lead)
    page = client.get(f"/work/{wo.pk}/").content.decode()
    assert f'action="/work/offer-approvals/{approval.pk}/decide/"' in page
    client.post(f"/work/offer-approvals/{approval.pk}/decide/", {"decision": "approve"})

    # then the AM logs it
    client.force_login(am)
    client.post(f"/work/{wo.pk}/actions/", {"kind": "offer", "offer": care.pk})
    assert list(wo.actions.values_list("kind", "offer_cost")) == [("offer", 1500.0)]
    approval.refresh_from_db()
    assert approval.status == "used"


def test_another_am_cannot_decide_an_offer(client, case):
    _lead, am, wo, _playbook = case
    care = offer_save(data={"name": "Executive care", "cost": 1500.0, "approval_limits": {}}, by=None)
    client.force_login(am)
    client.post(f"/work/{wo.pk}/actions/", {"kind": "offer", "offer": care.pk})
    approval = OfferApproval.objects.get()

    client.force_login(agent_user("am2"))
    response = client.post(f"/work/offer-approvals/{approval.pk}/decide/", {"decision": "approve"})

    assert response.status_code == 404
    approval.refresh_from_db()
    assert approval.status == "pending"
