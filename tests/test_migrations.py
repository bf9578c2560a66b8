"""The one migration of the layering change moves two tables between apps: their rows must survive it."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("scoring", "0002_drop_score_features"), ("reports", "0001_initial")]
AFTER = [("scoring", "0003_model_lifecycle_from_reports"), ("reports", "0002_model_lifecycle_to_scoring")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_retrain_runs_and_drift_baselines_keep_their_rows_when_they_move_to_scoring():
    # given the schema before the move, with one retrain run and one drift baseline stored under reports
    old = migrate(BEFORE)
    version = old.get_model("scoring", "ModelVersion").objects.create(
        algorithm="logreg", artifact=b"", features=["x"], metrics={}, horizon_days=60, sklearn_version="1.7"
    )
    old.get_model("reports", "RetrainRun").objects.create(
        as_of=date(2026, 1, 1), started_at=timezone.now(), status="kept", reason="kept", candidate=version
    )
    old.get_model("reports", "DriftBaseline").objects.create(model_version=version, bins={"a": 1}, rows=7)

    # when the migrations run
    new = migrate(AFTER)

    # then scoring holds the same rows
    run = new.get_model("scoring", "RetrainRun").objects.get()
    assert (run.as_of, run.status, run.reason, run.candidate_id) == (date(2026, 1, 1), "kept", "kept", version.pk)
    baseline = new.get_model("scoring", "DriftBaseline").objects.get()
    assert (baseline.model_version_id, baseline.bins, baseline.rows) == (version.pk, {"a": 1}, 7)
    migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_stored_scores_move_into_the_nightly_history_and_the_latest_scores():
    # given: the schema before bounded history, with two nights of full score rows for two customers
    old = migrate([("scoring", "0004_run_liveness")])
    Customer = old.get_model("customers", "Customer")
    a = Customer.objects.create(external_id="A", name="A")
    b = Customer.objects.create(external_id="B", name="B")
    ScoreRun = old.get_model("scoring", "ScoreRun")
    CustomerScore = old.get_model("scoring", "CustomerScore")
    nights = [date(2026, 1, 31), date(2026, 2, 1)]  # two months: two partitions on PostgreSQL
    runs = [ScoreRun.objects.create(as_of=d, status="done") for d in nights]
    for run, (pa, pb) in zip(runs, ((0.61, 0.1), (0.72, 0.2)), strict=True):
        CustomerScore.objects.create(run=run, customer=a, as_of=run.as_of, probability=pa, tier=2,
                                     rules_fired=["X"], is_rule_high_risk=True, factors=[{"feature": "f"}])  # fmt: skip
        CustomerScore.objects.create(run=run, customer=b, as_of=run.as_of, probability=pb)

    # when
    new = migrate([("scoring", "0005_score_history")])

    # then: every night is in the packed history, and each customer's newest score is its latest
    from scoring.history import history_unpack

    rows = new.get_model("scoring", "ScoreDay").objects.values_list("as_of", "block", "probability", "tier")
    history = history_unpack(rows)
    assert list(zip(history.customer_id.tolist(), history.as_of.tolist(), history.probability.tolist(),
                    history.tier.tolist(), strict=True)) == [
        (a.pk, nights[0], 0.61, 2), (a.pk, nights[1], 0.72, 2), (b.pk, nights[0], 0.1, 0), (b.pk, nights[1], 0.2, 0),
    ]  # fmt: skip
    latest = new.get_model("scoring", "LatestScore").objects.order_by("customer_id")
    assert [(s.customer_id, s.as_of, s.probability, s.tier, s.rules_fired, s.factors) for s in latest] == [
        (a.pk, nights[1], 0.72, 2, ["X"], [{"feature": "f"}]),
        (b.pk, nights[1], 0.2, None, [], []),
    ]
    migrate(executor_leaf_nodes())
