"""Issue 12 with real Celery workers over Redis against PostgreSQL: an eventless last chunk, a worker killed
mid-run, an older date after a newer one, two dates started together, a connection terminated during COPY."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from alerts.models import Alert
from churnops.celery import app as celery_app
from interventions.models import WorkOrder
from nightly.tasks import nightly_run_task, runs_sweep_task, score_chunk_task
from scoring.ml import model as ml
from scoring.ml.catalog import FEATURE_NAMES
from scoring.models import ScoreChunk, ScoreRun
from scoring.training import model_store
from tests.factories import customer, events_on_days
from tests.scoring.builders import every

AS_OF = date(2025, 6, 30)
BASE_DIR = Path(settings.BASE_DIR)
STALL_SECONDS = 6

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs CELERY_BROKER_URL and a PostgreSQL DATABASE_URL",
    ),
]


class Workers:
    """Start (patched) worker processes on one private queue; stop or kill them by pid."""

    def __init__(self, queue: str, log):
        self.queue, self.procs, self.log = queue, [], log

    def start(self, concurrency=2, pool="prefork", **faults) -> subprocess.Popen:
        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_QUEUE": self.queue,
            "OMP_NUM_THREADS": "1",
            "DJANGO_SETTINGS_MODULE": "churnops.settings.local",
            "DEBUG": "false",
            "SCORING_STALL_SECONDS": str(STALL_SECONDS),
            "SCORING_RUN_BUSY_RETRY_SECONDS": "1",
            **{k: str(v) for k, v in faults.items()},
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.patched_worker",
                "-Q",
                self.queue,
                "-c",
                str(concurrency),
                "--pool",
                pool,
                "--loglevel",
                "WARNING",
                "-n",
                f"{self.queue}-{len(self.procs)}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc) -> None:
        """SIGKILL the worker and its pool children (its own process group): a crashed machine, no goodbye."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def workers(transactional_db, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    # The app reads Django's CELERY_* settings: the namespaced keys are the ones that count (setting
    # `task_always_eager` alone leaves the tasks eager, in this process).
    previous = (celery_app.conf.CELERY_TASK_ALWAYS_EAGER, celery_app.conf.CELERY_TASK_DEFAULT_QUEUE)
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    assert celery_app.conf.task_always_eager is False
    log = (tmp_path / "workers.log").open("w")
    pool = Workers(queue, log)
    try:
        yield pool
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER, celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = previous
        pool.stop_all()
        log.close()


def population(n=20, *, eventless=0):
    """n customers, every other one firing two rules (competitor signal 5 days before AS_OF); then `eventless`."""
    for i in range(n):
        c = customer(f"W{i:02d}")
        if i % 2 == 0:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF - timedelta(days=120), 14))
            events_on_days(c, "competitor", [AS_OF - timedelta(days=5)])
        else:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))
    for i in range(eventless):
        customer(f"NEW{i:02d}")


def a_trained_model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
    result = ml.fit_one("logistic_regression", X, (X.iloc[:, 0] > 0.7).to_numpy().astype(int))
    model_store(result=result, horizon_days=60, train_from=AS_OF - timedelta(days=90), train_to=AS_OF, promote="always")


def wait_for(as_of, *, timeout=120, sweep=False) -> ScoreRun:
    """Wait until the run of `as_of` exists and is no longer active; with `sweep`, call the sweep as beat would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ScoreRun.objects.filter(as_of=as_of).first()
        if run is not None and run.status not in ScoreRun.ACTIVE:
            return run
        if sweep:
            runs_sweep_task.delay()
        time.sleep(1)
    raise AssertionError(f"run {as_of} still {run.status if run else 'not started'} after {timeout} s")


def alert_state():
    return sorted(
        Alert.objects.values_list(
            "customer_id", "status", "probability", "tier", "rules_fired", "last_run_as_of", "open_key"
        )
    )


def no_duplicates():
    open_alerts = Alert.objects.exclude(status=Alert.Status.CLOSED).values("customer").annotate(n=Count("id"))
    open_orders = WorkOrder.objects.filter(open_key__isnull=False).values("customer").annotate(n=Count("id"))
    return max([r["n"] for r in open_alerts] + [r["n"] for r in open_orders] + [1]) == 1


def test_a_run_with_an_eventless_last_chunk_completes(workers):
    # given: a trained model, 20 customers, then 6 new ones without activity (the last two chunks hold only them)
    a_trained_model()
    population(20, eventless=6)
    workers.start()

    # when
    nightly_run_task.delay(AS_OF.isoformat(), chunk_size=5)
    run = wait_for(AS_OF)

    # then
    assert run.status == ScoreRun.Status.DONE, run.error
    assert (run.stats["customers"], run.stats["no_activity"], run.stats["empty_chunks"]) == (20, 6, 2)


def test_a_worker_killed_mid_run_leads_to_a_completed_run_within_the_stall_timeout(workers):
    # given: 20 customers in 5 chunks, one slow worker (3 s a chunk, one at a time)
    population(20)
    doomed = workers.start(concurrency=1, pool="solo", SLOW_CHUNK_SECONDS=3)
    nightly_run_task.delay(AS_OF.isoformat(), chunk_size=4)
    deadline = time.monotonic() + 120  # a worker starts slowly on a busy machine
    while not ScoreChunk.objects.filter(done_at__isnull=False).exists():
        assert time.monotonic() < deadline, list(ScoreChunk.objects.values_list("index", "heartbeat_at", "done_at"))
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while not ScoreChunk.objects.filter(done_at__isnull=True, heartbeat_at__isnull=False).exists():
        assert time.monotonic() < deadline, Path(workers.log.name).read_text()[-3000:]
        time.sleep(0.2)  # the next chunk is in the worker's hands

    # when: the worker dies mid-chunk; a healthy one starts; beat calls the sweep every second
    workers.kill(doomed)
    killed_at = time.monotonic()
    workers.start()
    run = wait_for(AS_OF, timeout=STALL_SECONDS + 60, sweep=True)

    # then: done within the stall timeout (plus the work), nothing duplicated
    assert run.status == ScoreRun.Status.DONE, run.error
    assert time.monotonic() - killed_at < STALL_SECONDS + 45
    assert run.stats["stalls"] == 1
    assert run.stats["customers"] == 20
    assert no_duplicates()
    assert Alert.objects.filter(is_rule_high_risk=True).count() == 10

    # and when the dead worker's unacknowledged chunks are redelivered after a newer night, nothing is rewound
    nightly_run_task.delay((AS_OF + timedelta(days=1)).isoformat(), chunk_size=4)
    wait_for(AS_OF + timedelta(days=1))
    before = alert_state()
    for chunk_id in ScoreChunk.objects.filter(run=run).values_list("id", flat=True):
        score_chunk_task.delay(chunk_id).get(timeout=60)
    assert alert_state() == before
    # the newer night gave the same verdicts, so it rewrote no alert (issue 13): they keep the night they last
    # changed, and the older chunks redelivered after it changed nothing either
    assert {a[5] for a in before} == {AS_OF}
    assert ScoreRun.objects.get(as_of=AS_OF + timedelta(days=1)).stats["alerts_written"] == 0


def test_an_older_date_run_after_a_newer_one_changes_no_open_alert(workers):
    # given: the newest night ran
    population(20)
    workers.start()
    nightly_run_task.delay(AS_OF.isoformat(), chunk_size=4)
    assert wait_for(AS_OF).status == ScoreRun.Status.DONE
    before = alert_state()
    assert len(before) >= 10

    # when: a night 10 days older is run (its competitor signals did not exist yet)
    nightly_run_task.delay((AS_OF - timedelta(days=10)).isoformat(), chunk_size=4)
    older = wait_for(AS_OF - timedelta(days=10))

    # then
    assert older.status == ScoreRun.Status.DONE
    assert alert_state() == before


def test_two_dates_started_together_end_consistent(workers):
    # given
    population(20)
    workers.start(concurrency=2)
    newer, older = AS_OF, AS_OF - timedelta(days=10)

    # when: both nights are started at once
    nightly_run_task.delay(newer.isoformat(), chunk_size=4)
    nightly_run_task.delay(older.isoformat(), chunk_size=4)
    runs = [wait_for(newer), wait_for(older)]

    # then: both done, one after the other, every open alert from the newer night, no duplicates
    assert [r.status for r in runs] == [ScoreRun.Status.DONE, ScoreRun.Status.DONE]
    first, second = sorted(runs, key=lambda r: r.started_at)
    assert first.finished_at <= second.started_at
    assert set(Alert.objects.exclude(status=Alert.Status.CLOSED).values_list("last_run_as_of", flat=True)) == {newer}
    assert Alert.objects.filter(is_rule_high_risk=True).exclude(status=Alert.Status.CLOSED).count() == 10
    assert no_duplicates()


def test_a_connection_terminated_during_copy_is_retried(workers, tmp_path):
    # given: the first COPY of the run terminates its own database connection
    marker = tmp_path / "copy-killed"
    population(20)
    workers.start(KILL_FIRST_COPY=marker)

    # when
    nightly_run_task.delay(AS_OF.isoformat(), chunk_size=4)
    run = wait_for(AS_OF)

    # then: the connection really was terminated, and the chunk was retried and the run completed
    assert marker.read_text().isdigit()
    assert run.status == ScoreRun.Status.DONE, run.error
    assert run.stats["customers"] == 20
    assert ScoreChunk.objects.filter(run=run, attempts__gt=1).count() == 1
    assert no_duplicates()
