"""`customer.scores` still reads a customer's stored score rows (scripts written before the bounded history)."""

from datetime import date

import pytest

from scoring.models import LatestScore
from tests.factories import customer, score_on

pytestmark = pytest.mark.django_db


def test_a_customers_scores_are_their_latest_stored_score_with_its_factors():
    # given a customer scored on two nights, tiered on the second, with an explanation kept
    c = customer("C1")
    score_on(c, date(2025, 6, 23), probability=0.3, tier=None, rules_fired=("Visits stopped",))
    score_on(c, date(2025, 6, 30), probability=0.7, tier=2)
    LatestScore.objects.filter(customer=c).update(factors=[{"feature": "visits_30d", "text": "no visit"}])

    # when read as the old relation was
    latest = c.scores.order_by("-as_of").first()

    # then it is the newest night's score with its factors; a customer never scored has none
    assert (latest.as_of, latest.probability, latest.tier) == (date(2025, 6, 30), 0.7, 2)
    assert [f["text"] for f in latest.factors] == ["no visit"]
    assert customer("C2").scores.first() is None
