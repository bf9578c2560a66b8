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
