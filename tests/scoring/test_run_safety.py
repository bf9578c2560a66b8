"""Issue 12 in-process: empty chunks, the date fence, one active run, retried transient errors, the stall sweep,
the retrain message. The same scenarios run against a real worker in tests/integration/test_run_liveness.py."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Alert
from nightly.pipeline import RunInProgress, run_start
from nightly.tasks import nightly_retry_task, nightly_run_task, runs_sweep_task
from scoring.ml import model as ml
from scoring.ml.catalog import FEATURE_NAMES
from scoring.models import ScoreChunk, ScoreRun
from scoring.selectors import policy_current
from scoring.services import policy_save
from scoring.training import model_store
from tests.factories import customer, events_on_days

from .builders import every

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 6, 30)


def at_risk(external_id, *, competitor_on=AS_OF - timedelta(days=5), **fields):
    """Fires 'Visits stopped', and 'Competitor signal' from `competitor_on`."""
    c = customer(external_id, **fields)
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF - timedelta(days=120), 14))
    events_on_days(c, "competitor", [competitor_on])
    return c


def calm(external_id):
    c = customer(external_id)
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))
    return c


def nightly(as_of=AS_OF, chunk_size=2):
    return ScoreRun.objects.get(pk=nightly_run_task.delay(as_of.isoformat(), chunk_size=chunk_size).get())


def no_work_orders():
    """Alerts only (no work order keeps an alert open), so that a wrong close would show."""
    data = policy_current().data
    for tier in data["tiers"]:
        tier["creates_work_order"] = False
    policy_save(data=data, comment="alerts only")


def a_trained_model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
    y = (X.iloc[:, 0] > 0.7).to_numpy().astype(int)
    result = ml.fit_one("logistic_regression", X, y)
    return model_store(
        result=result, horizon_days=60, train_from=AS_OF - timedelta(days=90), train_to=AS_OF, promote="always"
    )


def alert_state():
    return sorted(
        Alert.objects.values_list(
            "customer_id", "status", "probability", "tier", "rules_fired", "last_run_as_of", "open_key"
        )
    )


# --- empty chunks --------------------------------------------------------------------------------------------------


def test_a_last_chunk_of_eventless_customers_completes_as_empty():
    # given: a trained model (sklearn refuses an empty frame), 4 scored customers then 3 new ones without activity
    a_trained_model()
    for i in range(4):
        calm(f"A{i}")
    for i in range(3):
        customer(f"NEW{i}")

    # when
    run = nightly()

    # then
    assert run.status == ScoreRun.Status.DONE, run.stats
    assert (run.chunks_total, run.stats["customers"], run.stats["no_activity"], run.stats["empty_chunks"]) == (
        4,
        4,
        3,
        2,
    )


def test_chunk_ranges_follow_the_customers_that_exist_when_the_chunk_runs():
    # given: a run started over 4 customers, which then lose some customers and gain others before the chunks run
    first = [calm(f"A{i}") for i in range(4)]
    run = run_start(as_of=AS_OF, chunk_size=2)
    first[3].delete()
    for i in range(3):
        calm(f"LATE{i}")

    # when
    nightly()

    # then: the late customers are scored in the open-ended last chunk
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.DONE
    assert run.stats["customers"] == 6


# --- date fence and one active run ---------------------------------------------------------------------------------


def test_an_older_date_run_after_a_newer_one_changes_no_open_alert():
    # given: the newest run raised alerts; 10 days earlier the competitor signal of two customers did not exist
    no_work_orders()
    for i in range(3):
        at_risk(f"R{i}", competitor_on=AS_OF - timedelta(days=5 if i < 2 else 40))
    calm("CALM")
    nightly(AS_OF)
    before = alert_state()
    assert len(before) == 3

    # when: the older date is run (re-run of a stuck date, a late redelivery)
    older = nightly(AS_OF - timedelta(days=10))

    # then: nothing rewound, nothing closed
    assert older.status == ScoreRun.Status.DONE
    assert alert_state() == before
    assert older.stats["fenced"] == 4


def test_a_newer_run_still_updates_and_closes():
    # given
    no_work_orders()
    at_risk("R0", competitor_on=AS_OF - timedelta(days=5))
    nightly(AS_OF - timedelta(days=10))
    nightly(AS_OF)
    assert Alert.objects.get().last_run_as_of == AS_OF

    # when: much later the signal is stale, visits stay stopped: risk lower
    later = nightly(AS_OF + timedelta(days=200))

    # then
    assert later.stats["fenced"] == 0
    assert Alert.objects.get().last_run_as_of in (AS_OF, AS_OF + timedelta(days=200))


def test_a_second_date_is_refused_while_a_run_is_active_and_allowed_once_it_is_abandoned(settings):
    # given: a run started and not finished
    calm("A")
    first = run_start(as_of=AS_OF)

    # when / then: another date is refused, the same date resumes
    with pytest.raises(RunInProgress, match="2025-06-30"):
        run_start(as_of=AS_OF + timedelta(days=1))
    assert run_start(as_of=AS_OF).pk == first.pk

    # when the active run shows no progress for the stall timeout, it is failed as abandoned and admins are told
    settings.SCORING_STALL_SECONDS = 60
    ScoreRun.objects.filter(pk=first.pk).update(progress_at=timezone.now() - timedelta(minutes=5))
    ScoreRun.objects.filter(pk=first.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    second = run_start(as_of=AS_OF + timedelta(days=1))

    # then
    first.refresh_from_db()
    assert first.status == ScoreRun.Status.FAILED
    assert first.error == "abandoned: no progress for 60 s"
    assert second.status == ScoreRun.Status.RUNNING


# --- retries -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("terminating connection due to administrator command"),
        psycopg.InterfaceError("the connection is closed"),
    ],
)
def test_a_transient_psycopg_error_in_a_write_is_retried(monkeypatch, error):
    # given: the first COPY of scores fails as a terminated connection would
    from nightly import pipeline

    real, calls = pipeline._write_scores, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_write_scores", flaky)
    at_risk("R0")

    # when
    run = nightly(chunk_size=10)

    # then
    assert run.status == ScoreRun.Status.DONE
    assert len(calls) == 2
    assert ScoreChunk.objects.get().attempts == 2


def test_a_validation_error_fails_the_chunk_at_once(monkeypatch):
    from nightly import pipeline

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("bad feature")

    monkeypatch.setattr(pipeline, "_write_scores", broken)
    at_risk("R0")
    run = nightly(chunk_size=10)
    assert run.status == ScoreRun.Status.FAILED
    assert len(calls) == 1
    assert "bad feature" in run.error


# --- liveness ------------------------------------------------------------------------------------------------------


def test_the_sweep_re_dispatches_a_stalled_run_and_tells_the_admins(
    settings, admin_user, django_capture_on_commit_callbacks
):
    # given: a run whose worker died: started, one chunk heartbeat long ago, nothing since
    settings.SCORING_STALL_SECONDS = 60
    for i in range(4):
        at_risk(f"R{i}")
    run = run_start(as_of=AS_OF, chunk_size=2)
    long_ago = timezone.now() - timedelta(minutes=10)
    ScoreRun.objects.filter(pk=run.pk).update(progress_at=long_ago, started_at=long_ago)
    ScoreChunk.objects.filter(run=run, index=0).update(heartbeat_at=long_ago, attempts=1)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_sweep_task.delay().get() == 1

    # then: chunks re-sent and done, the run completed, admins told it had stalled
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.DONE
    assert run.stats["stalls"] == 1
    assert Alert.objects.count() == 4
    assert [m.subject for m in mail.outbox] == ["ChurnOps: the nightly run for 2025-06-30 is stalled"]
    assert mail.outbox[0].to == [admin_user.email]


def test_a_run_in_progress_is_left_alone_by_the_sweep(settings):
    settings.SCORING_STALL_SECONDS = 600
    calm("A")
    run = run_start(as_of=AS_OF)
    assert runs_sweep_task.delay().get() == 0
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.RUNNING


def test_a_failed_night_is_retried_once(monkeypatch, admin_user, django_capture_on_commit_callbacks):
    # given: a night that failed (and told the admins)
    from nightly import pipeline

    real, calls = pipeline._write_scores, []

    def fails_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("bad feature")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_write_scores", fails_first)
    at_risk("R0")
    with django_capture_on_commit_callbacks(execute=True):
        assert nightly(chunk_size=10).status == ScoreRun.Status.FAILED
    assert mail.outbox[-1].subject == "ChurnOps: the nightly run for 2025-06-30 is failed"

    # when the beat's retry entry runs twice
    first = nightly_retry_task.delay(AS_OF.isoformat()).get()
    second = nightly_retry_task.delay(AS_OF.isoformat()).get()

    # then it re-ran once and the night is done
    run = ScoreRun.objects.get(as_of=AS_OF)
    assert (first, second) == (run.pk, None)
    assert run.status == ScoreRun.Status.DONE


# --- retrain message -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ({"pr_auc": 0.818, "roc_auc": 0.70}, "not promoted: validation ROC AUC 0.700 < active model #{pk} 0.800"),
        ({"pr_auc": 0.700, "roc_auc": 0.90}, "not promoted: validation PR AUC 0.700 < active model #{pk} 0.807"),
    ],
)
def test_the_retrain_refusal_names_the_metric_that_failed(metrics, reason):
    active = a_trained_model().version
    active.metrics = {"pr_auc": 0.807, "roc_auc": 0.80}
    active.save()
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((200, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
    result = ml.fit_one("logistic_regression", X, (X.iloc[:, 0] > 0.7).to_numpy().astype(int))
    result.metrics = metrics
    outcome = model_store(result=result, horizon_days=60, train_from=AS_OF, train_to=AS_OF)
    assert (outcome.promoted, outcome.reason) == (False, reason.format(pk=active.pk))


def test_the_command_refuses_a_second_date_while_a_run_is_active():
    from django.core.management import CommandError, call_command

    calm("A")
    run_start(as_of=AS_OF)
    with pytest.raises(CommandError, match="run 2025-07-01 not started: the run for 2025-06-30 is still in progress"):
        call_command("run_nightly", as_of=AS_OF + timedelta(days=1))
