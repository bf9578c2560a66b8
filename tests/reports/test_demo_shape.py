"""The demo's shape (issues 10 and 16): a tier pyramid with the seeds' table, probabilities that rarely saturate,
and a replay that gives the same weeks every time. One small demo is built per module (seeding and replaying
takes tens of seconds), inside a transaction that is rolled back afterwards."""

import io
from collections import Counter
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from reports.models import WeeklyReport
from scoring.ml.policy import DEFAULT_POLICY
from scoring.models import ScoreRun
from scoring.selectors import policy_in_force, scores_on

from .builders import local

# Marked so that the session sets the test database up before the module's fixture writes to it.
pytestmark = pytest.mark.django_db

TODAY = date(2025, 11, 5)  # a Wednesday, as in the other demo tests
CUSTOMERS = 400
WEEKS = 3


def demo_build() -> dict:
    """Seed and replay a small demo; what the tests look at, as plain values."""
    call_command("seed_demo", customers=CUSTOMERS, as_of=TODAY, stdout=io.StringIO())
    with time_machine.travel(local(2025, 11, 5, 20), tick=False):
        call_command("demo_history", weeks=WEEKS, stdout=io.StringIO())
    tiers: Counter = Counter()
    for stats in ScoreRun.objects.values_list("stats", flat=True):
        tiers.update({int(t): n for t, n in (stats.get("tiers") or {}).items()})
    weeks = [
        (
            r.week,
            r.data["alerts"]["raised"],
            r.data["work_orders"]["opened"],
            r.data["work_orders"]["resolved"],
            r.data["outcomes"]["total"]["retained"],
        )
        for r in WeeklyReport.objects.order_by("week_start")
    ]
    probabilities = [p for run in ScoreRun.objects.all() for p in scores_on(as_of=run.as_of).probability.tolist()]
    return {"tiers": tiers, "weeks": weeks, "probabilities": probabilities, "policy": policy_in_force()}


@pytest.fixture(scope="module")
def demo_twice(django_db_setup, django_db_blocker):
    """The demo built, then seeded and replayed again on the same database (as `make demo-data` twice does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = demo_build(), demo_build()
        transaction.set_rollback(True)
    return built


@pytest.fixture
def small_demo(demo_twice):
    return demo_twice[0]


def test_the_demo_scores_with_the_seeds_tier_table(small_demo):
    # then: the tiers are the default policy's (the seeds' table), not a table tuned for the picture
    tiers = {t["tier"]: t["min_probability"] for t in small_demo["policy"]["tiers"]}
    assert tiers == {t["tier"]: t["min_probability"] for t in DEFAULT_POLICY["tiers"]}
    assert small_demo["policy"]["high_risk_min_rules"] == DEFAULT_POLICY["high_risk_min_rules"]


def test_the_demo_tiers_make_a_pyramid(small_demo):
    # given: every customer the replayed nights put in a tier
    tiers = small_demo["tiers"]

    # then: fewer urgent than important, fewer important than watch (on the population before issue 16's demo work
    # this was 1 / 58 / 36: the rules lifted the many two-signal customers into tier 2)
    assert tiers[1] < tiers[2] < tiers[3], tiers
    assert tiers[3] > 0


def test_the_demo_probabilities_rarely_saturate(small_demo):
    # given
    probabilities = small_demo["probabilities"]

    # then (over the scores kept: every night's, or the last nights' where the history is bounded)
    assert len(probabilities) > 100
    assert sum(p >= 0.99 for p in probabilities) / len(probabilities) < 0.01


def test_seeding_and_replaying_again_gives_the_same_weeks(demo_twice):
    # given
    first, again = demo_twice

    # then: the same weekly counts, and the weeks had alerts to compare (on PostgreSQL, after other test modules
    # advanced the id sequences, this small demo once opened no work order in its 3 weeks, both times alike; why is
    # not yet known)
    assert again["weeks"] == first["weeks"]
    assert again["tiers"] == first["tiers"]
    assert [w for w, *_ in again["weeks"]] == ["2025-W42", "2025-W43", "2025-W44"]
    assert sum(raised for _, raised, _, _, _ in again["weeks"]) > 0
