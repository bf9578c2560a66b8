"""Preview of a policy or rule edit over the latest feature snapshot: exact counts on a known population."""

import io
from datetime import date, timedelta

import joblib
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from sklearn.dummy import DummyClassifier

from alerts.models import Alert
from interventions.models import WorkOrder
from scoring.models import LatestScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreDay, ScoreRun
from scoring.preview import PREVIEW_LIST_LIMIT, PreviewUnavailable, preview_change, rules_after_edit
from scoring.selectors import policy_current, ruleset_current
from tests.factories import customer, events_on_days

from .builders import every

AS_OF = date(2025, 6, 30)


def visits_stopped(c):
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF - timedelta(days=120), 14))


def competitor(c):
    events_on_days(c, "competitor", [AS_OF - timedelta(days=5)])


def satisfaction_dropped(c):
    events_on_days(c, "survey", [AS_OF - timedelta(days=200), AS_OF - timedelta(days=150)], value=9)
    events_on_days(c, "survey", [AS_OF - timedelta(days=20)], value=5)


def population():
    """2 customers fire two rules, 1 fires three, 1 fires one, 2 fire none (no model: P = share of 5 rules)."""
    made = {}
    for name in ("TWO-A", "TWO-B"):
        made[name] = c = customer(name)
        visits_stopped(c)
        competitor(c)
    made["THREE"] = c = customer("THREE")
    visits_stopped(c)
    competitor(c)
    satisfaction_dropped(c)
    made["ONE"] = c = customer("ONE")
    events_on_days(c, "visit", every(AS_OF - timedelta(days=60), AS_OF, 7))
    competitor(c)
    for name in ("CALM-A", "CALM-B"):
        made[name] = c = customer(name)
        events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))
    return made


def snapshot_run(**fields) -> ScoreRun:
    return ScoreRun.objects.create(
        as_of=AS_OF,
        status=ScoreRun.Status.DONE,
        policy_version=policy_current(),
        ruleset_version=ruleset_current(),
        **fields,
    )


def with_changes(**changes) -> dict:
    return {**policy_current().data, **changes}


def tiers(preview) -> dict:
    return {row["tier"]: (row["now"], row["proposed"]) for row in preview["tiers"]}


def moved(rows) -> list[tuple]:
    return [(r["external_id"], r["tier_now"], r["tier_proposed"]) for r in rows]


def stored_state():
    return (
        list(PolicyVersion.objects.values_list("number", "data")),
        list(RuleSetVersion.objects.values_list("number", "rules")),
        list(Rule.objects.values_list("name", "conditions", "is_enabled")),
        LatestScore.objects.count(), ScoreDay.objects.count(), Alert.objects.count(), WorkOrder.objects.count(),
    )  # fmt: skip


@pytest.mark.django_db
def test_three_rules_for_high_risk_previews_exact_counts_and_movers():
    # given the known population and a run on it
    made = population()
    snapshot_run()

    # when N goes from 2 to 3
    preview = preview_change(policy=with_changes(high_risk_min_rules=3))

    # then: the two-rule customers leave the high-risk set and fall from tier 2 (lifted) to tier 3 (P = 0.4)
    assert (preview["as_of"], preview["customers"], preview["model_version"]) == (AS_OF, 6, None)
    assert tiers(preview) == {1: (0, 0), 2: (3, 1), 3: (0, 2), 4: (1, 1), None: (2, 2)}
    assert preview["high_risk"] == {"now": 3, "proposed": 1, "margin": {"now": 0, "proposed": 0}}
    assert preview["work_orders"] == {"now": 3, "proposed": 3, "margin": {"now": 0, "proposed": 0}}
    assert (preview["moved_up"], preview["moved_down"]) == (0, 2)
    assert (preview["entering_count"], preview["leaving_count"]) == (0, 2)
    assert preview["entering"] == []
    assert moved(preview["leaving"]) == [("TWO-A", 2, 3), ("TWO-B", 2, 3)]
    assert preview["leaving"][0] == {
        "customer_id": made["TWO-A"].id, "external_id": "TWO-A", "name": "TWO-A", "probability": 0.4,
        "tier_now": 2, "tier_proposed": 3, "rules_now": ["Visits stopped", "Competitor signal"],
        "rules_proposed": ["Visits stopped", "Competitor signal"],
    }  # fmt: skip


@pytest.mark.django_db
def test_one_rule_for_high_risk_brings_customers_in():
    # given
    population()
    snapshot_run()

    # when N goes down to 1
    preview = preview_change(policy=with_changes(high_risk_min_rules=1))

    # then the one-rule customer enters and is lifted from tier 4 to tier 2
    assert preview["high_risk"] == {"now": 3, "proposed": 4, "margin": {"now": 0, "proposed": 0}}
    assert moved(preview["entering"]) == [("ONE", 4, 2)]
    assert preview["leaving"] == []
    assert tiers(preview)[2] == (3, 4)
    assert (preview["moved_up"], preview["moved_down"]) == (1, 0)


@pytest.mark.django_db
def test_disabling_a_rule_previews_the_rule_set_without_it():
    # given
    population()
    snapshot_run()
    rule = Rule.objects.get(name="Competitor signal")

    # when the competitor rule would be disabled
    preview = preview_change(rules=rules_after_edit(rule_id=rule.pk, fields={"is_enabled": False}))

    # then the two-rule customers fire one rule of four (P = 0.25, tier 4); THREE still fires two (P = 0.5)
    assert preview["high_risk"] == {"now": 3, "proposed": 1, "margin": {"now": 0, "proposed": 0}}
    assert moved(preview["leaving"]) == [("TWO-A", 2, 4), ("TWO-B", 2, 4)]
    assert tiers(preview) == {1: (0, 0), 2: (3, 1), 3: (0, 0), 4: (1, 2), None: (2, 3)}


@pytest.mark.django_db
def test_new_rule_and_deleted_rule_proposals():
    # given
    population()
    snapshot_run()
    satisfaction = Rule.objects.get(name="Satisfaction dropped")

    # when a rule is added that fires for everyone with a competitor signal in 90 days, or one is deleted
    added = preview_change(
        rules=rules_after_edit(
            fields={
                "name": "Competitor 90d",
                "conditions": [{"feature": "competitor_signals_90d", "op": ">=", "value": 1}],
            }
        )
    )
    removed = preview_change(rules=rules_after_edit(rule_id=satisfaction.pk, remove=True))

    # then the one-rule customer now fires two; deleting a rule THREE needed keeps it high risk with two
    assert moved(added["entering"]) == [("ONE", 4, 2)]
    assert removed["high_risk"] == {"now": 3, "proposed": 3, "margin": {"now": 0, "proposed": 0}}
    assert removed["entering"] == removed["leaving"] == []


@pytest.mark.django_db
def test_preview_changes_nothing():
    # given
    population()
    snapshot_run()
    before = stored_state()

    # when previews of both kinds run
    preview_change(policy=with_changes(high_risk_min_rules=3))
    preview_change(rules=rules_after_edit(rule_id=Rule.objects.first().pk, remove=True))

    # then nothing was written
    assert stored_state() == before


@pytest.mark.django_db
def test_preview_uses_the_runs_model_for_probabilities():
    # given a model that says 0.7 for everyone, pinned on the run
    population()
    estimator = DummyClassifier(strategy="prior").fit(np.zeros((10, 1)), [1] * 7 + [0] * 3)
    buffer = io.BytesIO()
    joblib.dump({"estimator": estimator, "reference": {}}, buffer)
    model = ModelVersion.objects.create(
        algorithm="dummy",
        features=["tenure_days"],
        horizon_days=60,
        sklearn_version="1.7",
        artifact=buffer.getvalue(),
        is_active=True,
    )
    snapshot_run(model_version=model)
    data = with_changes()
    data["tiers"][1]["min_probability"] = 0.75  # tier 2 now starts above the model's 0.7

    # when
    preview = preview_change(policy=data)

    # then everyone is tier 2 now; with the change only the rule-high customers stay there (lifted)
    assert preview["model_version"] == model.id
    assert tiers(preview) == {1: (0, 0), 2: (6, 3), 3: (0, 3), 4: (0, 0), None: (0, 0)}
    assert preview["high_risk"] == {"now": 3, "proposed": 3, "margin": {"now": 0, "proposed": 0}}
    assert preview["moved_down"] == 3


@pytest.mark.django_db
def test_entering_list_is_capped_and_riskiest_first():
    # given more one-rule customers than the list shows
    for i in range(PREVIEW_LIST_LIMIT + 3):
        c = customer(f"ONE-{i:03d}")
        competitor(c)
    snapshot_run()

    # when N = 1 makes all of them high risk
    preview = preview_change(policy=with_changes(high_risk_min_rules=1))

    # then the count is complete and the list has the first 50 (same probability: by id)
    assert preview["entering_count"] == PREVIEW_LIST_LIMIT + 3
    assert [r["external_id"] for r in preview["entering"]] == [f"ONE-{i:03d}" for i in range(PREVIEW_LIST_LIMIT)]


@pytest.mark.django_db
def test_preview_without_a_run_is_unavailable():
    # given no score run
    population()

    # when / then
    with pytest.raises(PreviewUnavailable, match="no score run yet"):
        preview_change(policy=with_changes(high_risk_min_rules=3))


@pytest.mark.django_db
def test_invalid_proposals_are_refused_with_every_problem_named():
    # given
    snapshot_run()
    policy = with_changes(high_risk_min_rules=0)
    policy["tiers"][2]["min_probability"] = 0.9

    # when / then
    with pytest.raises(ValidationError) as policy_error:
        preview_change(policy=policy)
    with pytest.raises(ValidationError) as rules_error:
        preview_change(
            rules=[
                {"name": "A", "conditions": [{"feature": "nope", "op": "~", "value": 1}]},
                {"name": "A", "conditions": []},
            ]
        )
    assert policy_error.value.message_dict["policy"] == [
        "high_risk_min_rules: 0 is out of range (1 to 50)",
        "tiers: min_probability must be strictly decreasing from tier 1 down",
    ]
    assert rules_error.value.message_dict["rules"] == [
        "rule 'A': two rules have this name",
        "rule 'A': condition 1: unknown feature 'nope'",
        "rule 'A': condition 1: unknown operator '~' (use one of < <= > >= == !=)",
        "rule 'A': a rule needs at least one condition",
    ]
