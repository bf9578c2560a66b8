"""The three lanes on real data: the grocer's purchase log (no lifetime values, no amounts) and a small team."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from alerts.models import Alert
from churnops.core.roles import Role
from customers.models import Event
from interventions.models import WorkOrder
from interventions.services import team_capacity
from scoring.models import LatestScore, ScoreDay, ScoreRun
from scoring.selectors import scores_on
from tests.factories import agent_user

GROCERY = Path(settings.BASE_DIR).parent / "shared" / "data" / "grocery_elog.csv"
AS_OF = date(2007, 9, 30)

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not GROCERY.exists(), reason="../shared/data is not beside the project"),
]


def snapshot():
    return (
        sorted(WorkOrder.objects.values_list("id", "customer_id", "tier", "assignee_id", "priority", "opened_at")),
        sorted(Alert.objects.values_list("id", "customer_id", "tier", "status", "lane", "lane_reason", "value")),
        LatestScore.objects.count(),
        ScoreDay.objects.count(),
    )


@pytest.mark.django_db
def test_grocery_log_work_fits_the_team_and_the_lapsed_go_to_win_back(no_control_group):
    # given: the real log imported as a user would, a model trained, and a small team: a lead, two account
    # managers, a customer-service agent (capacity 5 each) and a second agent on leave with capacity 50
    call_command(
        "import_events",
        str(GROCERY),
        kind="purchase",
        create_missing_customers=True,
        column_map=["customer_external_id=cust", "occurred_at=date"],
    )
    lead = agent_user("lead", Role.TEAM_LEAD, capacity=5)
    for name in ("am0", "am1"):
        agent_user(name, capacity=5, team_lead=lead)
    agent_user("cs0", Role.CUSTOMER_SERVICE, capacity=5, team_lead=lead)
    away = agent_user("cs1", Role.CUSTOMER_SERVICE, capacity=50, team_lead=lead, leave=(AS_OF, None))
    budget = team_capacity([Role.TEAM_LEAD, Role.ACCOUNT_MANAGER, Role.CUSTOMER_SERVICE], AS_OF)
    call_command("train_model", as_of=AS_OF, horizon_days=90)

    # when: one night, then the same night again
    call_command("run_nightly", as_of=AS_OF)
    first = snapshot()
    call_command("run_nightly", as_of=AS_OF)

    # then: nobody silent for more than the churn definition's 90 days gets a save work order
    run = ScoreRun.objects.get(as_of=AS_OF)
    cutoff = AS_OF - timedelta(days=90)
    last = dict(
        Event.objects.filter(occurred_at__date__lte=AS_OF)
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
        .values_list("customer_id", "last")
    )
    lapsed = {cid for cid, at in last.items() if timezone.localtime(at).date() <= cutoff}
    worked = list(WorkOrder.objects.filter(open_key__isnull=False).select_related("assignee"))
    assert run.stats["lapsed"] == len(lapsed) > 1000
    assert worked
    assert not {wo.customer_id for wo in worked} & lapsed
    assert not LatestScore.objects.filter(customer_id__in=lapsed).exists()
    assert not set(scores_on(as_of=AS_OF).customer_id.tolist()) & lapsed

    # and open work orders fit each team's free capacity; the member on leave added none and got none
    assert budget[Role.CUSTOMER_SERVICE]["free"] == 5
    per_role = {}
    for wo in worked:
        role = {1: Role.TEAM_LEAD, 2: Role.ACCOUNT_MANAGER, 3: Role.CUSTOMER_SERVICE}[wo.tier]
        assert wo.assignee.groups.filter(name=role).exists()  # tier 3 goes to customer service, not the owner
        per_role[role] = per_role.get(role, 0) + 1
    assert all(n <= budget[role]["free"] for role, n in per_role.items())
    assert len(worked) <= sum(b["free"] for b in budget.values()) == 20
    assert not WorkOrder.objects.filter(assignee=away).exists()
    assert run.stats["capacity"][Role.CUSTOMER_SERVICE]["free"] == 5

    # and the rest of the at-risk customers in work tiers stay in the automated lane, saying why
    over = Alert.objects.filter(open_key__isnull=False, lane=Alert.Lane.AUTOMATED, lane_reason="over capacity")
    assert over.count() == run.stats["over_capacity"] > 0
    assert not over.filter(customer__work_orders__open_key__isnull=False).exists()

    # and priorities are > 0 without any lifetime value: the value is the purchase frequency, and says so
    assert all(wo.priority > 0 for wo in worked)
    assert {wo.alert.value_basis for wo in worked} == {"frequency"}
    assert all("purchase frequency" in wo.events.get(field="created").note for wo in worked)

    # and the second run the same night changed nothing
    assert snapshot() == first
