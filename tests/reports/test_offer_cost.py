"""The report's cost of the work counts the offers of the kit given on each work order."""

from datetime import timedelta

import pytest

from interventions.services import offer_save, work_order_log_action
from reports.metrics import value_figures
from reports.selectors import work_order_facts
from tests.factories import NOW, CustomerFactory, WorkOrderFactory, agent_user, work_order_resolved

pytestmark = pytest.mark.django_db


def test_offer_costs_are_added_to_the_cost_of_the_work():
    # given a work order on which a 150 offer was given, resolved as retained in the window
    am = agent_user("am1")
    wo = WorkOrderFactory(customer=CustomerFactory(external_id="C1", lifetime_value=5000.0), assignee=am)
    offer = offer_save(data={"name": "Free month", "cost": 150.0, "approval_limits": {"account_manager": 200}}, by=None)
    work_order_log_action(work_order=wo, kind="offer", offer=offer, by=am)
    work_order_resolved(wo, NOW + timedelta(days=1), "retained", "price")

    # when the week's facts and value are computed
    rows = work_order_facts(start=NOW, end=NOW + timedelta(days=7))
    value = value_figures(rows, NOW, NOW + timedelta(days=7), costs={2: 120.0}, tiers=[2])

    # then the cost is the tier's expected cost plus the offer
    assert [r.offer_cost for r in rows] == [150.0]
    assert (value["work_cost"], value["ltv_retained"]) == (270.0, 5000.0)
