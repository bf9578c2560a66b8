"""Issue 16: the week's alert and work-order flow adds up, and each week carries over what the last one left."""

import csv
import io

import pytest

from alerts.models import Alert
from reports.exports import report_csv
from reports.services import weekly_report_build
from tests.factories import alert_raised, customer, work_order_for, work_order_resolved

from .builders import local
from .conftest import W43, oct_

W42, W44 = W43.shift(-1), W43.shift(1)


def closed(alert: Alert, at) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.CLOSED, open_key=None, closed_at=at)
    return alert


@pytest.fixture
def flow(staff):
    """Alerts A, B raised in W42; C, D in W43; E in W44. A closes in W43, C in W43.
    Work orders: B's opened W42 and resolved W44; C's opened and resolved in W43; A's opened W43 (an earlier alert)."""
    am = staff["am1"]
    a = alert_raised(customer("A"), raised_at=oct_(14, 2), tier=3, probability=0.45)
    b = alert_raised(customer("B"), raised_at=oct_(15, 2), tier=2, probability=0.65)
    c = alert_raised(customer("C"), raised_at=oct_(21, 2), tier=2, probability=0.7)
    alert_raised(customer("D"), raised_at=oct_(22, 2), tier=1, probability=0.85)
    alert_raised(customer("E"), raised_at=local(2025, 10, 28, 2), tier=2, probability=0.7)
    wo_b = work_order_for(b.customer, alert=b, tier=2, assignee=am, opened_at=oct_(15, 2))
    wo_c = work_order_for(c.customer, alert=c, tier=2, assignee=am, opened_at=oct_(21, 2))
    work_order_for(a.customer, alert=a, tier=2, assignee=am, opened_at=oct_(23, 2))
    work_order_resolved(wo_c, oct_(24, 10), "retained", "price")
    closed(c, oct_(24, 10))
    closed(a, oct_(25, 10))
    work_order_resolved(wo_b, local(2025, 10, 29, 10), "churned", "competitor")


def test_the_alert_and_work_order_flow_adds_up_week_to_week(flow):
    # when
    weeks = [weekly_report_build(week=w, notify=False)[0].data["flow"] for w in (W42, W43, W44)]

    # then: W43 counted by hand
    w43 = weeks[1]
    assert {k: v for k, v in w43["alerts"].items() if k != "by_tier"} == {
        "carried_over": 2,
        "opened": 2,
        "closed": 2,
        "open_at_end": 2,
    }
    assert {k: v for k, v in w43["work_orders"].items() if k != "by_tier"} == {
        "carried_over": 1,
        "opened_from_new_alerts": 1,
        "opened_from_earlier_alerts": 1,
        "opened": 2,
        "resolved": 1,
        "open_at_end": 2,
    }
    assert w43["alerts"]["by_tier"] == {
        "1": {"carried_over": 0, "opened": 1, "closed": 0, "open_at_end": 1},
        "2": {"carried_over": 1, "opened": 1, "closed": 1, "open_at_end": 1},
        "3": {"carried_over": 1, "opened": 0, "closed": 1, "open_at_end": 0},
        "4": {"carried_over": 0, "opened": 0, "closed": 0, "open_at_end": 0},
    }
    # and every week carries over what the one before left open, in total and tier by tier
    for before, after in zip(weeks, weeks[1:], strict=False):
        for kind in ("alerts", "work_orders"):
            assert after[kind]["carried_over"] == before[kind]["open_at_end"]
            for tier, counts in before[kind]["by_tier"].items():
                assert after[kind]["by_tier"][tier]["carried_over"] == counts["open_at_end"]
    for week in weeks:
        assert sum(t["opened"] for t in week["work_orders"]["by_tier"].values()) == week["work_orders"]["opened"]
        assert sum(t["opened"] for t in week["alerts"]["by_tier"].values()) == week["alerts"]["opened"]
    assert [w["work_orders"]["open_at_end"] for w in weeks] == [1, 2, 1]


def test_each_flow_figure_has_its_definition_in_the_csv(flow):
    # given
    report, _ = weekly_report_build(week=W43, notify=False)

    # when
    rows = list(csv.reader(io.StringIO(report_csv([report]))))

    # then
    flow_rows = {(r[2], r[3]): (r[4], r[5]) for r in rows if r[1] == "flow"}
    assert flow_rows[("alerts", "carried_over")] == (
        "2",
        "Alerts raised before the week that were still open when it began.",
    )
    assert flow_rows[("work_orders/by_tier/2", "opened_from_earlier_alerts")][0] == "1"
    assert flow_rows[("work_orders/by_tier/2", "opened_from_earlier_alerts")][1].startswith(
        "Work orders opened during the week for alerts raised before it"
    )
    assert all(definition for _, definition in flow_rows.values())
