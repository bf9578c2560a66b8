"""The nightly chunk takes each customer's value from its feature aggregate: the same values as the value query."""

from datetime import date, timedelta

import pytest

from scoring.features import compute_features, compute_features_and_values
from scoring.lanes import customer_values, values_of
from scoring.ml.policy import default_policy
from tests.factories import customer, events_on_days

from .builders import every

AS_OF = date(2025, 6, 30)


@pytest.mark.django_db
def test_values_from_the_feature_aggregate_equal_the_value_query():
    # given: a customer with a lifetime value, one with spend only, one with visits only (frequency), and spend
    # older than the policy's value window that must not count
    with_ltv = customer("LTV", ltv=5000.0)
    events_on_days(with_ltv, "purchase", every(AS_OF - timedelta(days=60), AS_OF, 20), amount=40.0)
    spender = customer("SPEND", ltv=0.0)
    events_on_days(spender, "purchase", every(AS_OF - timedelta(days=500), AS_OF, 30), amount=25.0)
    visitor = customer("VISIT", ltv=0.0)
    events_on_days(visitor, "visit", every(AS_OF - timedelta(days=100), AS_OF, 10))
    ids = [with_ltv.pk, spender.pk, visitor.pk]
    policy = default_policy()

    # when
    features, inputs = compute_features_and_values(as_of=AS_OF, value_days=policy["value_spend_days"])
    one_pass = values_of(inputs.set_axis(["lifetime_value", "spend", "purchases", "activity"], axis=1), ids)
    query = customer_values(as_of=AS_OF, policy=policy, ids=ids)

    # then: same values and bases, and the feature matrix is the one compute_features gives
    assert one_pass.to_dict("index") == query.to_dict("index")
    assert one_pass["value_basis"].tolist() == ["ltv", "spend", "frequency"]
    all_spend = sum(e.amount for e in spender.events.all())
    assert 0 < one_pass.loc[spender.pk, "value"] < all_spend  # only the window's spend
    assert features.equals(compute_features(as_of=AS_OF))
