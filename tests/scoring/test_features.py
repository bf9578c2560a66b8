from datetime import date, timedelta

import pytest

from scoring.features import compute_features
from tests.factories import customer, events_on_days

from .builders import every

AS_OF = date(2025, 6, 30)


@pytest.mark.django_db
def test_features_count_windows_and_recency_exactly():
    # given: a customer with weekly visits that stopped 100 days ago, and daily logins in the last 10 days
    c = customer("C1", contract_start=date(2023, 1, 1), contract_end=AS_OF + timedelta(days=20))
    events_on_days(c, "visit", every(AS_OF - timedelta(days=400), AS_OF - timedelta(days=100), 10))
    events_on_days(c, "login", every(AS_OF - timedelta(days=9), AS_OF, 1))
    events_on_days(c, "purchase", [AS_OF - timedelta(days=10), AS_OF - timedelta(days=100)], amount=50.0)
    events_on_days(c, "survey", [AS_OF - timedelta(days=200), AS_OF - timedelta(days=120)], value=9.0)
    events_on_days(c, "survey", [AS_OF - timedelta(days=5)], value=4.0)
    events_on_days(c, "competitor", [AS_OF - timedelta(days=3)])

    # when
    f = compute_features(as_of=AS_OF).loc[c.id]

    # then
    assert f["days_since_last_visit"] == pytest.approx(100.5, abs=0.05)  # noon, one DST hour apart
    assert f["visits_90d"] == 0
    assert f["visits_prior_12m"] == 31
    assert f["visit_change_ratio"] == -1
    assert f["logins_30d"] == 10
    assert f["spend_90d"] == 50.0
    assert f["spend_prev_90d"] == 50.0
    assert f["satisfaction_latest"] == 4.0
    assert f["satisfaction_mean_before"] == 9.0
    assert f["satisfaction_drop"] == 5.0
    assert f["competitor_signals_30d"] == 1
    assert f["days_to_contract_end"] == 20
    assert f["lifecycle_stage"] == 2


@pytest.mark.django_db
def test_features_ignore_events_after_the_cutoff():
    # given: the same history, plus events after the as-of date
    c = customer("C1")
    events_on_days(c, "visit", [AS_OF - timedelta(days=30)])
    before = compute_features(as_of=AS_OF).loc[c.id].fillna(-1).to_dict()
    events_on_days(c, "visit", [AS_OF + timedelta(days=1), AS_OF + timedelta(days=40)])
    events_on_days(c, "competitor", [AS_OF + timedelta(days=2)])

    # when
    after = compute_features(as_of=AS_OF).loc[c.id].fillna(-1).to_dict()

    # then: nothing from after the cut-off leaks in
    assert after == before
