"""Model health: drift (PSI) against the model's training data, realised performance, monthly retraining."""

import io
import math
from datetime import date

import joblib
import pytest
import time_machine
from django.core import mail

from reports import health
from reports.alarms import Thresholds
from reports.services import weekly_report_build
from scoring.lifecycle import monthly_retrain
from scoring.ml.policy import default_policy
from scoring.models import DriftBaseline, ModelVersion, RetrainRun
from scoring.training import TrainingError, TrainOutcome
from tests.factories import customer, event_at, score_on

from .builders import FixedModel, local
from .conftest import W43


def model_version(**fields) -> ModelVersion:
    buffer = io.BytesIO()
    joblib.dump({"estimator": FixedModel(), "reference": {}}, buffer)
    defaults = {
        "algorithm": "fixed",
        "features": ["visits_30d", "lifetime_value"],
        "horizon_days": 60,
        "sklearn_version": "test",
        "artifact": buffer.getvalue(),
        "train_to": date(2025, 6, 30),
        "metrics": {"train_cutoffs": ["2025-06-30"], "roc_auc": 0.95, "pr_auc": 0.8, "precision_at_tier2": 0.95},
    }
    return ModelVersion.objects.create(**{**defaults, **fields})


@pytest.fixture
def drifted(db):
    """Ten customers; at the training cut-off (30 Jun) customer i had i visits in 30 days, in W43 none had any.

    Lifetime values stay put, so their PSI is 0. Everyone logged in within 90 days of both dates.
    """
    for i in range(10):
        c = customer(f"D{i}", ltv=1000.0 * (i + 1))
        event_at(c, local(2025, 5, 15, 12), kind="login")
        event_at(c, local(2025, 10, 1, 12), kind="login")
        for d in range(i):
            event_at(c, local(2025, 6, 2 + d, 12), n=d)
    return model_version(is_active=True)


def test_drift_flags_the_feature_that_moved_and_not_the_one_that_stayed(drifted):
    # when: an alarm that fires in its first week (issue 16 made the default two weeks in a row)
    drift = health.drift_check(
        version=drifted,
        as_of=W43.sunday,
        policy=default_policy(),
        limits=Thresholds(psi_warning=0.1, psi_alarm=0.25, drift_weeks=1),
    )

    # then: visits_30d went from one customer per decile to all in the lowest bin
    by_hand = 0.9 * math.log(10) + 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert [(f["name"], f["is_flagged"]) for f in drift["features"]] == [
        ("visits_30d", True),
        ("lifetime_value", False),
    ]
    assert drift["features"][0]["psi"] == pytest.approx(by_hand, abs=1e-4)
    assert drift["features"][1]["psi"] == 0.0
    assert drift["flagged"] == ["visits_30d"]
    assert (drift["baseline_rows"], drift["current_rows"]) == (10, 10)
    # the score: 9 of 10 at 0.1 in training (bins (..0.1], (0.1..0.18], (0.18..)), now all 0.9
    score_by_hand = (1e-4 - 0.9) * math.log(1e-4 / 0.9) + (1.0 - 0.1) * math.log(1.0 / 0.1)
    assert drift["score_psi"] == pytest.approx(score_by_hand, abs=1e-4)
    assert drift["text"] == "1 feature(s) above PSI 0.25 for 1 week(s) in a row: visits_30d."


def test_the_training_distribution_is_computed_once_per_model(drifted):
    # when
    health.drift_check(version=drifted, as_of=W43.sunday, policy=default_policy())
    health.drift_check(version=drifted, as_of=W43.sunday, policy=default_policy())

    # then
    baseline = DriftBaseline.objects.get()
    assert (baseline.model_version, baseline.rows, baseline.cutoffs) == (drifted, 10, ["2025-06-30"])
    assert baseline.bins["features"]["visits_30d"]["shares"] == [0.1] * 10 + [0.0]


def test_drift_on_the_report_notifies_the_admins_once(drifted, staff, django_capture_on_commit_callbacks):
    # when: the features drifted in W42 already (the alarm needs two weeks in a row since issue 16)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_report_build(week=W43.shift(-1))
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = weekly_report_build(week=W43)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_report_build(week=W43, rebuild=True)

    # then
    assert report.data["health"]["suggest_retrain"] is True
    assert [m.subject for m in mail.outbox] == ["ChurnOps model health warning 2025-W43"]
    assert mail.outbox[0].to == ["admin1@example.com"]
    assert "visits_30d: PSI 8.28" in mail.outbox[0].body
    assert "http://127.0.0.1:8000/reports/2025-W43/" in mail.outbox[0].body


@pytest.fixture
def matured_scores(db):
    """Scores of 27 Aug (60 days before W43's Sunday): five churned by 27 Oct, five stayed, one long inactive."""
    version = model_version()
    as_of = date(2025, 8, 27)
    for i, p in enumerate((0.9, 0.85, 0.7, 0.62, 0.3)):  # churned on 20 Sep, no activity after the scores
        c = customer(f"C{i}", churned_at=local(2025, 9, 20))
        event_at(c, local(2025, 8, 1, 12))
        score_on(c, as_of, probability=p, model_version=version)
    for i, p in enumerate((0.65, 0.5, 0.4, 0.2, 0.1)):  # stayed: active before and after
        c = customer(f"S{i}")
        event_at(c, local(2025, 8, 1, 12))
        event_at(c, local(2025, 9, 15, 12))
        score_on(c, as_of, probability=p, model_version=version)
    gone = customer("GONE")  # last seen in April: outside the trained population, not counted
    event_at(gone, local(2025, 4, 1, 12))
    score_on(gone, as_of, probability=0.99, model_version=version)
    return version


def test_realised_performance_of_scores_one_horizon_old(matured_scores):
    # when
    perf = health.realised_performance(last_day=W43.sunday, policy=default_policy())

    # then: 21 of 25 churner/stayer pairs ranked right; 4 of the 5 at >= 0.6 churned
    assert perf["run_as_of"] == "2025-08-27"
    assert (perf["n"], perf["churned"], perf["flagged"]) == (10, 5, 5)
    assert perf["roc_auc"] == pytest.approx(0.84)
    assert (perf["precision"], perf["recall"]) == (0.8, 0.8)
    assert (perf["validation_roc_auc"], perf["validation_precision"]) == (0.95, 0.95)
    assert perf["is_degraded"] is True
    assert perf["text"] == (
        "Realised ROC AUC 0.840 vs 0.950 at validation; high-risk precision 80% vs 95%. "
        "Below validation by more than the margin: retrain the model."
    )


def test_realised_performance_within_the_margin_is_not_flagged(matured_scores):
    # given
    matured_scores.metrics = {**matured_scores.metrics, "roc_auc": 0.86, "precision_at_tier2": 0.85}
    matured_scores.save(update_fields=["metrics"])

    # when
    perf = health.realised_performance(last_day=W43.sunday, policy=default_policy())

    # then
    assert perf["is_degraded"] is False
    assert perf["text"].endswith("Within the margin of validation.")


def test_realised_performance_needs_a_full_horizon(matured_scores):
    # when: one day earlier the 27 Aug scores are 59 days old
    perf = health.realised_performance(last_day=date(2025, 10, 25), policy=default_policy())

    # then
    assert perf["available"] is False
    assert perf["text"] == "No scores are 60 days old yet: nothing to measure against."


def _outcome(version, promoted):
    return TrainOutcome(
        version, promoted, "promoted" if promoted else "not promoted: validation PR AUC 0.700 < active model #1 0.800"
    )


def test_monthly_retrain_records_a_promotion_once(db, monkeypatch):
    # given
    active = model_version(is_active=True)
    candidate = model_version(metrics={"roc_auc": 0.91, "pr_auc": 0.82, "n": 900})
    calls = []
    monkeypatch.setattr(
        "scoring.lifecycle.model_train", lambda **kw: calls.append(kw) or _outcome(candidate, promoted=True)
    )

    # when
    run = monthly_retrain(as_of=date(2025, 11, 1))
    again = monthly_retrain(as_of=date(2025, 11, 1))

    # then
    assert calls == [{"as_of": date(2025, 11, 1), "promote": "if_better"}]
    assert again.pk == run.pk
    assert (run.status, run.candidate, run.active_before, run.reason) == ("promoted", candidate, active, "promoted")
    assert run.metrics == {"roc_auc": 0.91, "pr_auc": 0.82, "brier": None, "n": 900, "churn_rate": None}


def test_monthly_retrain_that_is_not_better_keeps_the_active_model(db, monkeypatch):
    # given
    model_version(is_active=True)
    candidate = model_version(metrics={"roc_auc": 0.9, "pr_auc": 0.7})
    monkeypatch.setattr("scoring.lifecycle.model_train", lambda **kw: _outcome(candidate, promoted=False))

    # when
    run = monthly_retrain(as_of=date(2025, 11, 1))

    # then
    assert run.status == RetrainRun.Status.KEPT
    assert run.reason == "not promoted: validation PR AUC 0.700 < active model #1 0.800"


def test_a_failed_retrain_is_recorded_and_retried(db, monkeypatch):
    # given
    def fail(**kw):
        raise TrainingError("training set has 10 examples with 0 churners: not enough history")

    monkeypatch.setattr("scoring.lifecycle.model_train", fail)
    failed = monthly_retrain(as_of=date(2025, 11, 1))
    candidate = model_version()
    monkeypatch.setattr("scoring.lifecycle.model_train", lambda **kw: _outcome(candidate, promoted=True))

    # when
    retried = monthly_retrain(as_of=date(2025, 11, 1))

    # then
    assert (failed.status, failed.reason) == (
        "failed",
        "training set has 10 examples with 0 churners: not enough history",
    )
    assert (retried.pk, retried.status) == (failed.pk, "promoted")


def test_the_report_shows_the_retraining_of_its_week(db, monkeypatch):
    # given: the 1 Nov retraining ran on Saturday of 2025-W44
    candidate = model_version(metrics={"roc_auc": 0.91, "pr_auc": 0.82})
    monkeypatch.setattr("scoring.lifecycle.model_train", lambda **kw: _outcome(candidate, promoted=True))
    with time_machine.travel(local(2025, 11, 1, 3, 30), tick=False):
        monthly_retrain(as_of=date(2025, 11, 1))

    # when
    report, _ = weekly_report_build(week=W43.shift(1))
    later, _ = weekly_report_build(week=W43.shift(2))

    # then
    assert report.data["health"]["retraining"] == [
        {
            "as_of": "2025-11-01",
            "status": "promoted",
            "status_text": "Promoted",
            "candidate": candidate.pk,
            "algorithm": "fixed",
            "roc_auc": 0.91,
            "pr_auc": 0.82,
            "reason": "promoted",
        }
    ]
    assert later.data["health"]["retraining"] == []
    assert later.data["health"]["latest_retraining"]["as_of"] == "2025-11-01"
