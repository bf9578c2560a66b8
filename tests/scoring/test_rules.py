from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from scoring.backtest import backtest_rules
from scoring.ml.rules import RuleSpec, evaluate
from scoring.models import Rule, RuleSetVersion
from scoring.services import rule_save
from tests.factories import customer, events_on_days

from .builders import every

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([{"feature": "visits_per_day", "op": ">", "value": 1}], "condition 1: unknown feature 'visits_per_day'"),
        ([{"feature": "visits_30d", "op": "=>", "value": 1}], "condition 1: unknown operator '=>'"),
        (
            [{"feature": "satisfaction_latest", "op": "<=", "value": 11}],
            "condition 1: value 11 is out of range for satisfaction_latest (0 to 10 score)",
        ),
        ([{"feature": "visits_30d", "op": ">", "value": "many"}], "condition 1: value must be a finite number"),
        ([], "a rule needs at least one condition"),
    ],
)
@pytest.mark.django_db
def test_bad_rules_are_refused_when_saved_and_nothing_is_written(conditions, message):
    # given
    rules_before, versions_before = Rule.objects.count(), RuleSetVersion.objects.count()

    # when
    with pytest.raises(ValidationError) as refused:
        rule_save(name="Bad", conditions=conditions)

    # then
    assert any(m.startswith(message) for m in refused.value.message_dict["conditions"])
    assert (Rule.objects.count(), RuleSetVersion.objects.count()) == (rules_before, versions_before)


@pytest.mark.django_db
def test_a_good_rule_is_saved_with_a_new_rule_set_version(admin_user):
    # given
    before = RuleSetVersion.objects.order_by("-number").first().number

    # when
    rule_save(
        name="Spend collapse",
        conditions=[{"feature": "spend_change_ratio", "op": "<=", "value": -0.5}],
        by=admin_user,
        comment="new",
    )

    # then
    version = RuleSetVersion.objects.order_by("-number").first()
    assert version.number == before + 1
    assert version.author == admin_user
    assert version.diff == [
        {
            "path": "Spend collapse",
            "before": None,
            "after": {
                "name": "Spend collapse",
                "description": "",
                "is_enabled": True,
                "position": 0,
                "conditions": [{"feature": "spend_change_ratio", "op": "<=", "value": -0.5}],
            },
        }
    ]


def test_rules_evaluate_vectorised_and_nan_never_fires():
    # given
    features = pd.DataFrame({"a": [1.0, 5.0, np.nan, 5.0], "b": [0.0, 0.0, 0.0, 2.0]})
    rules = [RuleSpec("a high", (("a", ">=", 5.0),)), RuleSpec("a high and b", (("a", ">=", 5.0), ("b", ">", 1.0)))]

    # when
    fired = evaluate(rules, features)

    # then
    assert fired.tolist() == [[False, False], [True, False], [False, False], [True, True]]


@pytest.mark.django_db
def test_backtest_counts_flagged_churned_precision_and_recall():
    # given: two customers firing 'Competitor signal', one of whom leaves; a third leaves unflagged
    for name, signal, leaves in (("A", True, True), ("B", True, False), ("C", False, True), ("D", False, False)):
        c = customer(name)
        events_on_days(c, "visit", every(AS_OF - timedelta(days=100), AS_OF, 10))
        if signal:
            events_on_days(c, "competitor", [AS_OF - timedelta(days=3)])
        if not leaves:
            events_on_days(c, "visit", [AS_OF + timedelta(days=20)])

    # when
    result = backtest_rules(as_of=AS_OF, horizon_days=60)

    # then
    by_rule = {r["rule"]: r for r in result["rules"]}
    assert (result["customers"], result["churners"]) == (4, 2)
    assert by_rule["Competitor signal"] == {
        "rule": "Competitor signal",
        "flagged": 2,
        "churned": 1,
        "precision": 0.5,
        "recall": 0.5,
    }
    assert by_rule[">= 2 rules"]["flagged"] == 0
