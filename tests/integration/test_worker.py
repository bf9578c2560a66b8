"""A real Celery worker process runs the nightly pipeline over Redis against PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from alerts.models import Alert
from churnops.celery import app as celery_app
from interventions.models import WorkOrder
from nightly.tasks import nightly_run_task
from scoring.models import ScoreRun
from tests.factories import customer, events_on_days
from tests.scoring.builders import every

AS_OF = date(2025, 6, 30)
BASE_DIR = Path(settings.BASE_DIR)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs CELERY_BROKER_URL and a PostgreSQL DATABASE_URL",
    ),
]


def _worker_env(queue: str) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_QUEUE": queue,
        "OMP_NUM_THREADS": "1",
        "DJANGO_SETTINGS_MODULE": "churnops.settings.local",
        "DEBUG": "false",
    }


@pytest.fixture
def worker(transactional_db):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "churnops",
            "worker",
            "-Q",
            queue,
            "-c",
            "2",
            "--pool",
            "prefork",
            "--loglevel",
            "WARNING",
            "-n",
            f"{queue}@%h",
        ],
        cwd=BASE_DIR,
        env=_worker_env(queue),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_worker_runs_the_nightly_pipeline(worker, am_user):
    # given: 30 customers, 10 of them firing two rules; chunks of 7 customers (5 chunks)
    for i in range(30):
        c = customer(f"W{i:02d}", owner=am_user)
        if i % 3 == 0:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF - timedelta(days=120), 14))
            events_on_days(c, "competitor", [AS_OF - timedelta(days=5)])
        else:
            events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))

    # when: the task goes through Redis to the worker process
    run_id = nightly_run_task.delay(AS_OF.isoformat(), chunk_size=7).get(timeout=120)
    deadline = time.monotonic() + 120
    run = ScoreRun.objects.get(pk=run_id)
    while run.status == ScoreRun.Status.RUNNING and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()

    # then
    assert worker.poll() is None, worker.stdout.read()
    assert run.status == ScoreRun.Status.DONE
    assert run.chunks_total == 5
    assert run.chunks.filter(done_at__isnull=False).count() == 5
    assert run.stats["customers"] == 30
    assert run.stats["rule_high"] == 10
    assert Alert.objects.filter(is_rule_high_risk=True).count() == 10
    assert WorkOrder.objects.count() == Alert.objects.filter(is_rule_high_risk=True, is_control=False).count()
