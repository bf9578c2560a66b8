from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.utils.html import escape

from customers.models import Customer
from scoring.explain import score_factors
from scoring.ml import model as ml
from scoring.models import ModelVersion
from scoring.selectors import score_latest, scores_on
from scoring.training import labels_for, model_rollback, model_store
from tests.factories import customer, events_on_days

from .builders import at, every

AS_OF = date(2025, 6, 30)
INACTIVE_60 = {"mode": "explicit_or_inactive", "inactive_days": 60}


@pytest.mark.django_db
def test_labels_come_only_from_the_horizon_after_the_cutoff():
    # given
    stays = customer("STAYS")
    events_on_days(stays, "visit", [AS_OF + timedelta(days=10)])
    silent = customer("SILENT")
    events_on_days(silent, "visit", [AS_OF, AS_OF + timedelta(days=61)])  # only before and after the window
    explicit = customer("EXPLICIT", churned_at=at(AS_OF + timedelta(days=30)))
    events_on_days(explicit, "visit", [AS_OF + timedelta(days=5)])
    later = customer("LATER", churned_at=at(AS_OF + timedelta(days=90)))
    events_on_days(later, "visit", [AS_OF + timedelta(days=5)])
    ids = [stays.id, silent.id, explicit.id, later.id]

    # when
    inactive = labels_for(customer_ids=ids, as_of=AS_OF, horizon_days=60, churn_definition=INACTIVE_60)
    explicit_only = labels_for(
        customer_ids=ids, as_of=AS_OF, horizon_days=60, churn_definition={"mode": "explicit", "inactive_days": 60}
    )

    # then
    assert inactive.tolist() == [0, 1, 1, 0]
    assert explicit_only.tolist() == [0, 0, 1, 0]


def _synthetic(n: int, seed: int):
    rng = np.random.default_rng(seed)
    recency = rng.exponential(40, n)
    visits = rng.poisson(6, n).astype(float)
    logit = -3 + recency / 25 - visits / 4
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"recency": recency, "visits": visits, "noise": rng.normal(size=n)}), y


def test_probabilities_are_calibrated_on_held_out_data():
    # given: class-imbalanced data (about 20% positives), trained with balanced class weights
    X_train, y_train = _synthetic(4000, 1)
    X_val, y_val = _synthetic(2000, 2)
    X_test, y_test = _synthetic(4000, 3)

    # when
    result = ml.train_and_select(X_train, y_train, X_val, y_val)
    p = ml.predict(result.estimator, X_test)

    # then: mean prediction matches the churn rate and each decile's mean matches its observed rate
    assert abs(p.mean() - y_test.mean()) < 0.02
    order = np.argsort(p)
    for decile in np.array_split(order, 10):
        assert abs(p[decile].mean() - y_test[decile].mean()) < 0.08
    assert result.metrics["roc_auc"] > 0.75
    assert set(result.candidates) == {"logistic_regression", "hist_gradient_boosting", "average"}


def _stored(pr_auc: float, roc_auc: float, promote="if_better"):
    X, y = _synthetic(300, 4)
    result = ml.fit_one("logistic_regression", X, y)
    result.metrics = {"pr_auc": pr_auc, "roc_auc": roc_auc}
    return model_store(result=result, horizon_days=60, train_from=AS_OF, train_to=AS_OF, promote=promote)


@pytest.mark.django_db
def test_a_worse_model_is_stored_but_not_promoted():
    # given
    first = _stored(pr_auc=0.60, roc_auc=0.80)

    # when
    worse = _stored(pr_auc=0.55, roc_auc=0.82)
    better = _stored(pr_auc=0.61, roc_auc=0.80)

    # then
    assert first.promoted is True
    assert worse.promoted is False
    assert "not promoted" in worse.reason
    assert better.promoted is True
    assert list(ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True)) == [better.version.pk]


@pytest.mark.django_db
def test_rollback_reactivates_the_previous_model():
    # given
    first = _stored(pr_auc=0.60, roc_auc=0.80)
    second = _stored(pr_auc=0.70, roc_auc=0.85)

    # when
    back = model_rollback()

    # then
    assert second.promoted is True
    assert back.pk == first.version.pk
    assert ModelVersion.objects.get(is_active=True).pk == first.version.pk


@pytest.mark.django_db
def test_train_model_command_trains_on_history_and_scores_explain_themselves(am_user, capsys, client):
    # given: 60 customers; a third stop visiting two months before leaving
    for i in range(60):
        c = customer(f"C{i:02d}", owner=am_user)
        if i % 3 == 0:
            leave = AS_OF - timedelta(days=20 + 5 * i)
            events_on_days(c, "visit", every(leave - timedelta(days=400), leave - timedelta(days=70), 6))
            Customer.objects.filter(pk=c.pk).update(churned_at=at(leave))
        else:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=500 + i), AS_OF, 6 + i % 4))

    # when
    call_command("train_model", as_of=AS_OF, promote="always")
    call_command("run_nightly", as_of=AS_OF)

    # then
    model = ModelVersion.objects.get(is_active=True)
    assert model.metrics["validation_cutoff"] == str(AS_OF - timedelta(days=60))
    assert len(model.metrics["train_cutoffs"]) == 9  # issue 11: all leak-free history, nine monthly cut-offs
    assert {"roc_auc", "pr_auc", "brier", "lift_top_decile", "precision_at_tier1", "recall_at_tier3"} <= set(
        model.metrics
    )
    assert model.features[0] == "days_since_last_visit"
    # a visit-only history: login recency is just tenure, so the run drops it and says why
    assert model.metrics["dropped_features"]["days_since_last_login"] == "same as tenure_days"
    assert "days_since_last_login" not in model.features
    assert "validation ROC AUC" in capsys.readouterr().out
    # every score explains itself: stored for the at-risk, worked out on demand for a calm customer
    # (only risk-raising signals are reasons now: take the calm customer closest to a tier, who has some)
    night = scores_on(as_of=AS_OF)
    calm_id = max(
        (p, int(c)) for c, p, t in zip(night.customer_id, night.probability, night.tier, strict=True) if t == 0
    )[1]
    calm = score_latest(customer_id=calm_id)
    assert calm.factors == []
    factors = score_factors(calm)
    assert 1 <= len(factors) <= 5
    assert all(set(f) == {"feature", "weight", "text", "why"} and f["text"] and f["weight"] > 0 for f in factors)
    assert [f["weight"] for f in factors] == sorted((f["weight"] for f in factors), reverse=True)
    client.force_login(am_user)
    page = client.get(f"/customers/{calm.customer_id}/").content.decode()
    assert escape(factors[0]["text"]) in page


@pytest.mark.parametrize("algorithm", ["logistic_regression", "hist_gradient_boosting"])
def test_top_factor_of_a_long_silent_customer_is_recency(algorithm):
    # given: a model where long recency means churn, and a customer quiet for 300 days with normal visits
    X, y = _synthetic(3000, 5)
    result = ml.fit_one(algorithm, X, y)
    row = pd.DataFrame({"recency": [300.0], "visits": [6.0], "noise": [0.0]})

    # when
    contrib = ml.contributions(algorithm, result.estimator, row, result.reference)
    factors = ml.top_factors(contrib, list(row.columns), k=3)[0]

    # then: recency first with a positive (risk-raising) weight, the others much smaller
    assert factors[0][0] == "recency"
    assert factors[0][1] > 1.0
    assert all(abs(w) < factors[0][1] / 3 for _, w in factors[1:])


def test_phrases_read_like_an_account_manager_would_say_them():
    from scoring.explain import _phrase

    row = {"visits_90d": 1.0, "visits_prev_90d": 6.0, "visit_change_ratio": -5 / 6}
    assert _phrase("visits_90d", row) == "visits last 90 days: 1 (was 6 the 90 days before)"
    assert _phrase("visit_change_ratio", row) == "visits down 83% vs the prior 90 days"


def test_a_missing_value_is_phrased_as_not_recorded():
    from scoring.explain import _phrase

    assert _phrase("days_to_contract_end", {"days_to_contract_end": None}) == (
        "Days until the contract ends (negative = ended): not recorded"
    )
