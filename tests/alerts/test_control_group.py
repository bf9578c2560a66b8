"""The control group: a reproducible random share of newly flagged customers gets an alert and no work order."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from alerts.models import Alert
from alerts.services import alerts_upsert, control_draw
from customers.models import Customer
from interventions.models import WorkOrder
from scoring.ml.policy import default_policy
from scoring.services import policy_save
from tests.factories import customer_flagged_by_two_rules

AS_OF = date(2025, 6, 30)


def flagged_customer(external_id, owner):
    """Fires 'Visits stopped' and 'Competitor signal': tier 2."""
    return customer_flagged_by_two_rules(external_id, as_of=AS_OF, owner=owner)


def set_control_share(share: float):
    policy = default_policy()
    policy["control_share"] = share
    policy_save(data=policy, comment=f"control share {share}")


def test_the_draw_is_reproducible_and_uniform():
    # given
    ids = np.arange(1, 20_001, dtype=np.int64)

    # when
    first, again, other_day = control_draw(ids, AS_OF), control_draw(ids, AS_OF), control_draw(ids, date(2025, 7, 1))

    # then the same customers on the same day draw the same numbers, another day others, about 10% below 0.1
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_day)
    assert ((first >= 0) & (first < 1)).all()
    assert 0.09 < (first < 0.10).mean() < 0.11


@pytest.mark.django_db
def test_the_control_share_of_new_alerts_is_the_policy_share_and_existing_alerts_keep_their_draw():
    # given 2,000 customers flagged for the first time
    Customer.objects.bulk_create([Customer(external_id=f"C{i:04d}") for i in range(2000)])
    rows = [
        {
            "customer_id": cid,
            "probability": 0.7,
            "tier": 2,
            "rules_fired": [],
            "is_rule_high_risk": False,
            "factors": [],
        }
        for cid in Customer.objects.values_list("id", flat=True)
    ]

    # when their alerts are written with a 10% share, then rewritten the next day with a 50% share
    alerts_upsert(as_of=AS_OF, rows=rows, control_share=0.10)
    first = dict(Alert.objects.values_list("customer_id", "is_control"))
    alerts_upsert(as_of=AS_OF + timedelta(days=1), rows=rows, control_share=0.50)

    # then
    assert 0.07 < sum(first.values()) / 2000 < 0.13  # ±4.5 standard deviations around 10%
    assert dict(Alert.objects.values_list("customer_id", "is_control")) == first


@pytest.mark.django_db
def test_control_customers_get_an_alert_but_never_a_work_order_or_a_place_in_a_queue(client, am_user, admin_user):
    # given half of the flagged customers go to the control group
    set_control_share(0.5)
    customers = [flagged_customer(f"C{i:02d}", am_user) for i in range(30)]

    # when the nightly run scores them
    call_command("run_nightly", as_of=AS_OF)

    # then every one has an alert; exactly the worked ones have a work order
    control = set(Alert.objects.filter(is_control=True).values_list("customer_id", flat=True))
    worked = set(Alert.objects.filter(is_control=False).values_list("customer_id", flat=True))
    assert control
    assert worked
    assert control | worked == {c.id for c in customers}
    assert set(WorkOrder.objects.values_list("customer_id", flat=True)) == worked
    assert set(Alert.objects.filter(is_control=True).values_list("customer_id", flat=True)) == control

    # and the account manager's queue and alert list never show a control customer
    client.force_login(am_user)
    queue = client.get(reverse("interventions:queue"))
    assert {wo.customer_id for wo, _sla, _name in queue.context["rows"]} == worked
    listed = client.get(reverse("interventions:alerts:list"))
    assert {a.customer_id for a in listed.context["page"].object_list} == worked
    assert b"control group" not in listed.content

    # while an admin sees them, and can list the control group alone
    client.force_login(admin_user)
    admin = client.get(reverse("interventions:alerts:list"), {"group": "control"})
    assert {a.customer_id for a in admin.context["page"].object_list} == control
    assert b"control group" in admin.content
    team = client.get(reverse("interventions:queue"), {"team": "1"})
    assert not {wo.customer_id for wo, _sla, _name in team.context["rows"]} & control
