"""A Celery worker with test-only faults switched on by environment variables (see test_run_liveness.py):

- SLOW_CHUNK_SECONDS: every chunk sleeps this long before scoring (time to kill the worker mid-run);
- KILL_FIRST_COPY=<marker file>: the first COPY of the whole test terminates its own database connection, as a
  database restart or failover would.

Run as ``python -m tests.integration.patched_worker <celery worker arguments>``.
"""

import os
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "churnops.settings.local")
django.setup()

from churnops.celery import app  # noqa: E402
from churnops.core import bulk  # noqa: E402
from nightly import pipeline  # noqa: E402


def _patch() -> None:
    slow = float(os.environ.get("SLOW_CHUNK_SECONDS") or 0)
    if slow:
        real_score = pipeline._score_and_write

        def slow_score(run, chunk):
            time.sleep(slow)
            return real_score(run, chunk)

        pipeline._score_and_write = slow_score
    marker = os.environ.get("KILL_FIRST_COPY")
    if marker:
        real_copy_text = bulk.copy_text

        def copy_text_then_die(frame):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return real_copy_text(frame)
            os.close(fd)
            from django.db import connection

            pid = connection.connection.info.backend_pid
            import psycopg

            db = connection.settings_dict
            with psycopg.connect(
                host=db["HOST"] or "127.0.0.1",
                port=db["PORT"] or 5432,
                user=db["USER"],
                dbname=db["NAME"],
                autocommit=True,
            ) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            Path(marker).write_text(str(pid))
            return real_copy_text(frame)

        bulk.copy_text = copy_text_then_die


if __name__ == "__main__":
    _patch()
    app.worker_main(["worker", *sys.argv[1:]])
