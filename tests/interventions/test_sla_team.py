"""Issue 12: a breached case escalated by the SLA sweep stays in the assignee's team, never another team's lead."""

from datetime import timedelta

import pytest
import time_machine

from interventions.choices import Role
from interventions.services import sla_sweep
from tests.factories import NOW, agent_user, work_order_with_clocks

from .builders import fresh

pytestmark = pytest.mark.django_db


def test_a_full_own_lead_still_takes_the_case_not_a_free_lead_of_another_team():
    # given: am1's lead1 is at capacity (one case of their own), lead2 of another team is free
    lead1 = agent_user("lead1", Role.TEAM_LEAD, capacity=1)
    agent_user("lead2", Role.TEAM_LEAD)
    work_order_with_clocks("BUSY", assignee=lead1, first_contact_hours=500, resolution_hours=900)
    wo = work_order_with_clocks("URGENT", assignee=agent_user("am1", team_lead=lead1), tier=1)

    # when the first-contact clock runs out
    with time_machine.travel(NOW + timedelta(hours=10), tick=False):
        sla_sweep()

    # then it goes to the assignee's own lead
    assert fresh(wo).assignee == lead1


def test_with_the_own_lead_away_the_case_is_not_handed_to_another_team():
    # given: am1's lead is on leave, lead2 leads another team
    away = agent_user("lead1", Role.TEAM_LEAD, leave=(NOW.date() - timedelta(days=1), None))
    agent_user("lead2", Role.TEAM_LEAD)
    am = agent_user("am1", team_lead=away)
    wo = work_order_with_clocks("URGENT", assignee=am, tier=1)

    # when
    with time_machine.travel(NOW + timedelta(hours=10), tick=False):
        sweep = sla_sweep()

    # then it stays with the account manager (the breach is still escalated by notification)
    assert fresh(wo).assignee == am
    assert sweep.reassigned == 0
