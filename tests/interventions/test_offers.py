"""The offer kit: an offer action names an offer and records its cost; above the giver's limit it needs a lead's
approval (notification, approve / decline), and an approval is used once."""

import pytest
from django.core import mail

from churnops.core.roles import Role
from interventions.models import Action, Notification, OfferApproval
from interventions.services import (
    OfferNeedsApproval,
    OfferRefused,
    WorkOrderError,
    offer_approval_decide,
    offer_approval_request,
    offer_save,
    work_order_log_action,
)
from tests.factories import CustomerFactory, WorkOrderFactory, agent_user

pytestmark = pytest.mark.django_db
LIMITS = {Role.ACCOUNT_MANAGER: 200, Role.TEAM_LEAD: 1000}


@pytest.fixture
def team():
    lead = agent_user("lead1", Role.TEAM_LEAD)
    am = agent_user("am1", team_lead=lead)
    wo = WorkOrderFactory(customer=CustomerFactory(external_id="C1", owner=am), assignee=am)
    voucher = offer_save(data={"name": "Voucher", "cost": 50.0, "approval_limits": LIMITS}, by=None)
    care = offer_save(data={"name": "Executive care", "cost": 1500.0, "approval_limits": LIMITS}, by=None)
    return lead, am, wo, voucher, care


def test_an_offer_within_the_limit_is_logged_with_its_cost(team):
    _lead, am, wo, voucher, _care = team

    action = work_order_log_action(work_order=wo, kind="offer", offer=voucher, by=am)

    assert (action.offer, action.offer_cost) == (voucher, 50.0)


def test_an_offer_action_must_name_an_offer_of_the_kit(team):
    _lead, am, wo, _voucher, _care = team

    with pytest.raises(WorkOrderError) as refused:
        work_order_log_action(work_order=wo, kind="offer", by=am)

    assert (refused.value.code, refused.value.field) == ("offer_required", "offer")
    assert Action.objects.count() == 0


def test_an_offer_above_the_limit_cannot_be_logged_without_approval(team):
    _lead, am, wo, _voucher, care = team

    with pytest.raises(OfferNeedsApproval) as refused:
        work_order_log_action(work_order=wo, kind="offer", offer=care, by=am)

    assert refused.value.code == "approval_required"
    assert Action.objects.count() == 0


def test_approval_flow_request_notifies_the_lead_approve_notifies_the_am_and_the_offer_is_logged_once(
    team, django_capture_on_commit_callbacks
):
    lead, am, wo, _voucher, care = team

    # when the AM asks, the lead is notified and e-mailed
    with django_capture_on_commit_callbacks(execute=True):
        approval = offer_approval_request(work_order=wo, offer=care, by=am, note="they compare us with X")
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [("lead1", "offer_approval")]
    assert mail.outbox[-1].to == ["lead1@example.com"]

    # and the lead approves; the AM is notified
    offer_approval_decide(approval=approval, approve=True, by=lead)
    assert Notification.objects.filter(recipient=am, kind="offer_decided").exists()

    # then the AM can log the offer once, with its cost, and the approval is used up
    action = work_order_log_action(work_order=wo, kind="offer", offer=care, by=am)
    approval.refresh_from_db()
    assert (action.offer_cost, approval.status, approval.action) == (1500.0, "used", action)
    with pytest.raises(OfferNeedsApproval):
        work_order_log_action(work_order=wo, kind="offer", offer=care, by=am)


def test_a_declined_offer_still_cannot_be_logged(team):
    lead, am, wo, _voucher, care = team
    approval = offer_approval_request(work_order=wo, offer=care, by=am)

    offer_approval_decide(approval=approval, approve=False, by=lead)

    with pytest.raises(OfferNeedsApproval):
        work_order_log_action(work_order=wo, kind="offer", offer=care, by=am)
    assert OfferApproval.objects.get().status == "declined"


def test_the_requester_cannot_approve_their_own_offer_and_another_lead_cannot_either(team):
    _lead, am, wo, _voucher, care = team
    other_lead = agent_user("lead2", Role.TEAM_LEAD)
    approval = offer_approval_request(work_order=wo, offer=care, by=am)

    for who in (am, other_lead):
        with pytest.raises(OfferRefused):
            offer_approval_decide(approval=approval, approve=True, by=who)

    assert OfferApproval.objects.get().status == "pending"


def test_a_lead_gives_up_to_their_own_limit_without_approval(team):
    lead, _am, wo, _voucher, care = team
    cheaper = offer_save(data={"name": "Discount", "cost": 900.0, "approval_limits": LIMITS}, by=None)

    assert work_order_log_action(work_order=wo, kind="offer", offer=cheaper, by=lead).offer_cost == 900.0
    with pytest.raises(OfferNeedsApproval):
        work_order_log_action(work_order=wo, kind="offer", offer=care, by=lead)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "cost": 1.0}, "name"),
        ({"name": "X", "cost": -1}, "cost"),
        ({"name": "X", "cost": 1.0, "approval_limits": {"pilot": 5}}, "approval_limits.pilot"),
    ],
)
def test_a_bad_offer_is_refused_with_its_field(data, field):
    with pytest.raises(OfferRefused) as refused:
        offer_save(data=data, by=None)

    assert refused.value.field == field
