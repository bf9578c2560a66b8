"""The fixed fixture of the report tests: ISO week 2025-W43 in Europe/Berlin, with known figures.

2025-W43 runs from Mon 20 Oct 00:00 CEST (19 Oct 22:00 UTC) to Mon 27 Oct 00:00 CET (26 Oct 23:00 UTC): summer
time ends on Sunday 26 Oct, so the week is 169 hours long. Everything below is counted by hand in the tests.
"""

from datetime import timedelta

import pytest

from reports.weeks import IsoWeek
from tests.factories import (
    action_logged,
    alert_raised,
    customer,
    event_at,
    score_on,
    user_with_role,
    work_order_for,
    work_order_resolved,
)

from .builders import local

W43 = IsoWeek(2025, 43)


def oct_(day, hour=0, minute=0):
    return local(2025, 10, day, hour, minute)


@pytest.fixture
def staff(db):
    return {
        "lead": user_with_role("lead1", "team_lead"),
        "am1": user_with_role("am1", "account_manager"),
        "am2": user_with_role("am2", "account_manager"),
        "admin": user_with_role("admin1", "admin", is_staff=True, is_superuser=True),
    }


def _work_orders(staff) -> dict:
    """Eleven work orders around the week (w1..w11) plus four worked cases from September (k1..k4)."""
    lead, am1, am2 = staff["lead"], staff["am1"], staff["am2"]
    wo = {}
    # w1 tier 1: opened Mon 09:00, called after 6 h (deadline Tue 09:00 met), retained Thu (price), LTV 10,000.
    wo["w1"] = work_order_for(customer("W1", ltv=10_000), tier=1, assignee=lead, opened_at=oct_(20, 9))
    action_logged(wo["w1"], oct_(20, 15))
    work_order_resolved(wo["w1"], oct_(23, 10), "retained", "price")
    # w2 tier 2: opened Mon 10:00, a note Tue (not a contact), e-mail Fri 10:00 = 96 h: deadline Thu missed.
    wo["w2"] = work_order_for(customer("W2", ltv=4_000), tier=2, assignee=am1, opened_at=oct_(20, 10))
    action_logged(wo["w2"], oct_(21, 9), kind="note")
    action_logged(wo["w2"], oct_(24, 10), kind="email")
    # w3 tier 2: opened Wed 12:00, first call only on Tue 28 Oct: deadline Sat 12:00 missed, contact next week.
    wo["w3"] = work_order_for(customer("W3", ltv=3_000), tier=2, assignee=am2, opened_at=oct_(22, 12))
    action_logged(wo["w3"], oct_(28, 9))
    # w4 tier 3: opened Tue 14 Oct 09:00 (week before), visited Mon 20 11:00 = 146 h (deadline Tue 21 09:00 met),
    # churned Sat (competitor).
    wo["w4"] = work_order_for(customer("W4", ltv=2_000), tier=3, assignee=am2, opened_at=oct_(14, 9))
    action_logged(wo["w4"], oct_(20, 11), kind="visit")
    work_order_resolved(wo["w4"], oct_(25, 16), "churned", "competitor")
    # w5 tier 1: opened Mon 13 Oct, called the same day; resolution due Mon 20 09:00, resolved Wed: late.
    wo["w5"] = work_order_for(customer("W5", ltv=8_000), tier=1, assignee=lead, opened_at=oct_(13, 9))
    action_logged(wo["w5"], oct_(13, 12))
    work_order_resolved(wo["w5"], oct_(22, 9), "unreachable", "other")
    # w6 tier 2: opened Fri 09:00, called 30 min later, resolved Sun 23:30 CET (after the clocks went back).
    wo["w6"] = work_order_for(customer("W6", ltv=5_000), tier=2, assignee=am1, opened_at=oct_(24, 9))
    action_logged(wo["w6"], oct_(24, 9, 30))
    work_order_resolved(wo["w6"], oct_(26, 23, 30), "false_alarm", "service")
    # w7 tier 3: opened Sun 23:30 CET, the last half hour of the week; no contact yet.
    wo["w7"] = work_order_for(customer("W7", ltv=1_000), tier=3, assignee=am1, opened_at=oct_(26, 23, 30))
    # w8 tier 2: opened Mon 27 Oct 00:30 CET = 26 Oct 23:30 UTC: next week (a UTC week would count it here).
    wo["w8"] = work_order_for(customer("W8", ltv=6_000), tier=2, assignee=am2, opened_at=oct_(27, 0, 30))
    # w9 tier 1: opened Mon 20 00:30 CEST = 19 Oct 22:30 UTC: this week (a UTC week would say the last one);
    # called at 02:30 (2 h), retained Tue (service); its resolution deadline, Sun 26 23:30 CET, falls in the week.
    wo["w9"] = work_order_for(customer("W9", ltv=9_000), tier=1, assignee=lead, opened_at=oct_(20, 0, 30))
    action_logged(wo["w9"], oct_(20, 2, 30))
    work_order_resolved(wo["w9"], oct_(21, 12), "retained", "service")
    # w10 tier 2: opened 6 Oct, retained 17 Oct; its resolution deadline (Mon 20 10:00) falls in the week: met.
    wo["w10"] = work_order_for(customer("W10", ltv=7_000), tier=2, assignee=am1, opened_at=oct_(6, 10))
    action_logged(wo["w10"], oct_(6, 11))
    work_order_resolved(wo["w10"], oct_(17, 10), "retained", "price")
    # w11 tier 2: opened Sat 12:00 CEST, e-mailed Sun 12:00 CET: 25 hours, not 24, across the change.
    wo["w11"] = work_order_for(customer("W11", ltv=2_500), tier=2, assignee=am2, opened_at=oct_(25, 12))
    action_logged(wo["w11"], oct_(26, 12), kind="email")
    return wo


def _alerts_of_the_week() -> None:
    """a1..a5 raised in the week; a6 just after it, a7 just before it."""
    a1 = customer("A1")
    alert_raised(a1, raised_at=oct_(20, 2), tier=1, probability=0.85, rule_high=True)
    score_on(a1, W43.monday, probability=0.85, tier=1, rule_high=True)
    # a2 escalated later (alert now tier 1, 0.90) but was raised at tier 2 by the model alone (0.65).
    a2 = customer("A2")
    alert_raised(a2, raised_at=oct_(21, 2), tier=1, probability=0.90, max_tier=1)
    score_on(a2, W43.monday + timedelta(days=1), probability=0.65, tier=2)
    # a3: rules only (lifted to tier 2 at 0.45); no score row kept: the alert's own fields are used.
    alert_raised(customer("A3"), raised_at=oct_(22, 2), tier=2, probability=0.45, rule_high=True)
    alert_raised(customer("A4"), raised_at=oct_(23, 2), tier=3, probability=0.5)
    alert_raised(customer("A5"), raised_at=oct_(26, 23), tier=4, probability=0.25, control=True)
    alert_raised(customer("A6"), raised_at=oct_(27, 0, 30), tier=1, probability=0.95)
    alert_raised(customer("A7"), raised_at=local(2025, 10, 19, 23, 30), tier=2, probability=0.7)


def _churners() -> None:
    """ch1..ch5 churned in the week, ch6 just after it."""
    ch1 = customer("CH1", churned_at=oct_(22, 12))
    alert_raised(ch1, raised_at=local(2025, 8, 20, 12), tier=2, is_open=False)  # 63 days ahead
    alert_raised(ch1, raised_at=local(2025, 10, 1, 12), tier=2)
    alert_raised(customer("CH2", churned_at=oct_(24)), raised_at=oct_(10), tier=3)  # 14 days
    # 26 Sep 12:00 CEST -> 26 Oct 12:00 CET: 30 days and 1 hour
    alert_raised(customer("CH3", churned_at=oct_(26, 12)), raised_at=local(2025, 9, 26, 12), tier=1)
    customer("CH4", churned_at=oct_(21, 8))  # never alerted
    alert_raised(customer("CH5", churned_at=oct_(23, 8)), raised_at=oct_(27, 1), tier=2)  # alerted after leaving
    customer("CH6", churned_at=oct_(27, 0, 30))


def _cohorts(staff) -> None:
    """Customers first flagged in the 60 days to the week's end (from 28 Aug), and never-flagged ones."""
    for i in range(1, 5):  # worked: flagged 4 Sep, work order opened at the flag, resolved in September
        c = customer(f"K{i}", churned_at=local(2025, 10, 15) if i == 1 else None)
        alert_raised(c, raised_at=local(2025, 9, 4, 2), tier=2, probability=0.7)
        k = work_order_for(c, tier=2, assignee=staff["am1"], opened_at=local(2025, 9, 4, 2))
        action_logged(k, local(2025, 9, 4, 10))
        work_order_resolved(k, local(2025, 9, 12), "retained", "price")
    for i, churned in ((1, local(2025, 9, 30)), (2, local(2025, 10, 12)), (3, None)):  # control at tier 2
        alert_raised(customer(f"Q{i}", churned_at=churned), raised_at=local(2025, 9, 3, 2), tier=2, control=True)
    alert_raised(customer("Q4"), raised_at=local(2025, 9, 3, 2), tier=4, control=True)  # control, monitor tier only
    alert_raised(customer("O1", churned_at=local(2025, 10, 2)), raised_at=local(2025, 9, 7, 2), tier=4)  # monitor only
    alert_raised(customer("B1"), raised_at=local(2025, 8, 1, 2), tier=2)  # flagged before the window: in no group
    for name, churned in (
        ("NF1", None),
        ("NF2", None),
        ("NF3", local(2025, 9, 15)),
        ("NF4", local(2025, 11, 5)),
        ("NF5", local(2025, 8, 1)),
    ):
        event_at(customer(name, churned_at=churned), local(2025, 7, 15, 10))
    customer("NF6")  # no activity before the week's end: not yet a customer


@pytest.fixture
def week43(staff):
    """The whole fixture; returns the work orders by name.

    Figures of 2025-W43 (see the tests for the counting):
      alerts raised 5 (tier 1: 1, tier 2: 2, tier 3: 1, tier 4: 1), control 1, high risk rules only 1 / model only 1
      / both 1; work orders opened 7, resolved 5, open at the end 4, breached 3; first contact SLA 3 of 5,
      resolution SLA 2 of 3; hours to first contact [0.5, 2, 6, 25, 96, 146]: median 15.5, p90 146;
      outcomes retained 2, churned 1, unreachable 1, false alarm 1, save rate 0.5; LTV retained 19,000,
      cost 1,050; churn worked 1/4, control 2/3, monitor-only 4/11, not flagged 1/4; churners 5, alerted 3,
      2 at least 30 days ahead.
    """
    wo = _work_orders(staff)
    _alerts_of_the_week()
    _churners()
    _cohorts(staff)
    return wo
