"""The queue can be sorted, and the team queue filtered by person."""

import pytest

from churnops.core.roles import Role
from tests.factories import CustomerFactory, agent_user, work_order_for

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return [line.pk for line in response.context["lines"]]


def test_team_queue_filters_by_person_and_sorts_by_priority(client, lead_user):
    # given two team members with two open work orders each, of different priorities
    ann = agent_user("ann", Role.ACCOUNT_MANAGER, team_lead=lead_user)
    bob = agent_user("bob", Role.ACCOUNT_MANAGER, team_lead=lead_user)
    a_low = work_order_for(CustomerFactory(external_id="A1"), assignee=ann, priority=5.0)
    a_high = work_order_for(CustomerFactory(external_id="A2"), assignee=ann, priority=50.0)
    b_mid = work_order_for(CustomerFactory(external_id="B1"), assignee=bob, priority=20.0)
    client.force_login(lead_user)

    # when the lead shows only Ann's, by priority
    only_ann = client.get("/work/", {"team": "1", "assignee": ann.pk, "sort": "priority"})

    # then they see Ann's two, highest priority first
    assert numbers(only_ann) == [a_high.pk, a_low.pk]

    # when they sort the whole team queue by priority
    everyone = client.get("/work/", {"team": "1", "sort": "priority"})
    assert numbers(everyone) == [a_high.pk, b_mid.pk, a_low.pk]


def test_my_queue_has_no_person_filter_and_ignores_a_bad_sort(client, am_user):
    wo = work_order_for(CustomerFactory(external_id="C1"), assignee=am_user)
    client.force_login(am_user)
    response = client.get("/work/", {"sort": "nonsense", "assignee": "999"})
    assert response.status_code == 200
    assert numbers(response) == [wo.pk]
    assert "assignee" not in response.context["form"].fields
