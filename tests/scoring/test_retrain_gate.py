"""The retrain gate: champion and challenger are compared on the same holdout, and customers the team worked are
not taught to the model as customers who stayed (issues 10 and 16)."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from customers.models import Customer
from scoring.ml import model as ml
from scoring.models import ModelVersion
from scoring.training import interventions_around, model_store, train
from tests.factories import alert_raised, customer, events_on_days, work_order_for

from .builders import at, every

AS_OF = date(2025, 6, 30)
CHAMPION_AS_OF = AS_OF - timedelta(days=90)
N_CUTOFFS = 3


def history(n: int = 90) -> list[Customer]:
    """n customers visiting weekly for two years; a third fade out and leave, spread over the last year."""
    out = []
    for i in range(n):
        c = customer(f"C{i:03d}")
        if i % 3 == 0:
            leave = AS_OF - timedelta(days=10 + 4 * i)
            events_on_days(c, "visit", every(AS_OF - timedelta(days=700), leave - timedelta(days=75), 7))
            events_on_days(c, "visit", every(leave - timedelta(days=74), leave - timedelta(days=1), 30))
            Customer.objects.filter(pk=c.pk).update(churned_at=at(leave))
        else:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=700 - i % 7), AS_OF, 7 + i % 3))
        out.append(c)
    return out


def stored(result, *, promote: str, train_to: date = AS_OF):
    return model_store(result=result, horizon_days=60, train_from=train_to, train_to=train_to, promote=promote)


def a_result(metrics: dict) -> ml.TrainResult:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((120, 3)), columns=["a", "b", "c"])
    result = ml.fit_one("logistic_regression", X, (X["a"] > 0.6).to_numpy().astype(int))
    result.metrics = metrics
    return result


def gate(active_pk: int, *, challenger: float, champion: float) -> dict:
    return {
        "cutoff": "2025-05-01",
        "n": 400,
        "churners": 40,
        "challenger": {"pr_auc": challenger, "roc_auc": 0.8},
        "champion": {"model_version": active_pk, "pr_auc": champion, "roc_auc": 0.8},
    }


@pytest.mark.django_db
def test_the_gate_scores_both_models_on_the_same_holdout_not_on_their_own_dates():
    # given: a champion trained three months ago, whose stored validation figure came from an easier date
    history()
    champion = stored(train(as_of=CHAMPION_AS_OF, n_cutoffs=N_CUTOFFS), promote="always", train_to=CHAMPION_AS_OF)
    champion = champion.version
    ModelVersion.objects.filter(pk=champion.pk).update(metrics={**champion.metrics, "pr_auc": 0.999})
    champion.refresh_from_db()

    # when
    result = train(as_of=AS_OF, n_cutoffs=N_CUTOFFS, champion=champion)

    # then: one holdout (the challenger's newest validation cut-off), the same rows for both models
    g = result.metrics["gate"]
    assert g["cutoff"] == result.metrics["validation_cutoffs"][0] == str(AS_OF - timedelta(days=60))
    index, y, _ = result.holdout
    assert (g["n"], g["churners"]) == (len(index), int(y.sum())) == (len(y), int(y.sum()))
    assert g["churners"] > 0
    assert g["champion"]["model_version"] == champion.pk
    assert g["champion"]["pr_auc"] is not None
    assert g["champion"]["pr_auc"] != 0.999  # measured on the holdout, not copied from its own training date
    assert g["champion_saw_holdout"] is False


@pytest.mark.django_db
def test_a_challenger_better_on_the_same_holdout_replaces_the_champion():
    # given: the champion's own validation figure (another date) is higher than the challenger's
    active = stored(a_result({"pr_auc": 0.90, "roc_auc": 0.9}), promote="always").version

    # when: on the same holdout the challenger is better
    outcome = stored(
        a_result({"pr_auc": 0.60, "roc_auc": 0.8, "gate": gate(active.pk, challenger=0.62, champion=0.55)}),
        promote="if_better",
    )

    # then
    assert outcome.promoted is True
    assert outcome.reason.startswith(f"promoted: PR AUC 0.620 >= active model #{active.pk} 0.550 on the same holdout")
    assert ModelVersion.objects.get(is_active=True).pk == outcome.version.pk


@pytest.mark.django_db
def test_a_challenger_worse_on_the_same_holdout_does_not_replace_the_champion():
    # given: the champion's own validation figure (another date) is lower than the challenger's
    active = stored(a_result({"pr_auc": 0.40, "roc_auc": 0.7}), promote="always").version

    # when: on the same holdout the challenger is worse
    outcome = stored(
        a_result({"pr_auc": 0.70, "roc_auc": 0.8, "gate": gate(active.pk, challenger=0.50, champion=0.58)}),
        promote="if_better",
    )

    # then
    assert outcome.promoted is False
    assert outcome.reason == (
        f"not promoted: PR AUC 0.500 < active model #{active.pk} 0.580 on the same holdout "
        "(cut-off 2025-05-01, 400 customers, 40 churned)"
    )
    assert ModelVersion.objects.get(is_active=True).pk == active.pk


@pytest.mark.django_db
def test_a_gate_measured_against_another_model_is_not_used():
    # given: the gate was measured against a model that is no longer in force
    old = stored(a_result({"pr_auc": 0.40, "roc_auc": 0.7}), promote="always").version
    active = stored(a_result({"pr_auc": 0.80, "roc_auc": 0.9}), promote="always").version

    # when
    outcome = stored(
        a_result({"pr_auc": 0.70, "roc_auc": 0.8, "gate": gate(old.pk, challenger=0.9, champion=0.1)}),
        promote="if_better",
    )

    # then: judged against the model in force, not the stale comparison
    assert outcome.promoted is False
    assert f"active model #{active.pk}" in outcome.reason


@pytest.mark.django_db
def test_customers_the_team_worked_are_not_taught_as_customers_who_stayed():
    # given: a history, and two customers flagged as they faded: one worked and saved (kept visiting), one drawn into
    # the control group (no work order, left)
    customers = history()
    saved, control = customer("SAVED"), customer("CONTROL")
    for c in (saved, control):
        events_on_days(c, "visit", every(AS_OF - timedelta(days=700), AS_OF - timedelta(days=150), 7))
    events_on_days(saved, "visit", every(AS_OF - timedelta(days=120), AS_OF, 5))  # after the save
    flagged_at = at(AS_OF - timedelta(days=125))
    work_order_for(saved, opened_at=flagged_at, resolved_at=at(AS_OF - timedelta(days=118)))
    alert_raised(control, raised_at=flagged_at, tier=2, control=True)

    # when
    worked, held_out = interventions_around(cutoff=AS_OF - timedelta(days=90), horizon_days=60)
    result = train(as_of=AS_OF, n_cutoffs=N_CUTOFFS)

    # then: the saved customer is left out of the training examples around the work; the control one stays and
    # stands in for the worked one (weight 2 where both were in the population, 1 for everyone else)
    assert (worked, held_out) == ({saved.pk}, {control.pk})
    X, y = result.training_data
    assert saved.pk not in set(X.index)
    assert control.pk in set(X.index)
    weights = pd.Series(result.training_weights, index=X.index)
    assert set(weights[control.pk]) == {2.0}
    assert set(weights.drop(control.pk)) == {1.0}
    assert result.metrics["treated_excluded"] >= 1
    assert {c.pk for c in customers[:10]} & set(X.index)
