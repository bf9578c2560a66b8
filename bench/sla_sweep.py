"""SLA sweep over 100,000 open work orders in PostgreSQL, with and without working calendars.

    .venv/bin/python bench/sla_sweep.py                       # fill (as bench/queue.py does), then time the sweep
    .venv/bin/python bench/sla_sweep.py --keep --calendars    # same data; every team on a 9-17 calendar
    .venv/bin/python bench/sla_sweep.py --keep --root /tmp/base   # time another checkout's sweep on the same data

Fills its own database (churnops_bench_sla) with bench/queue.py's data: 100,000 open work orders of 50 account
managers in 5 teams, plus 20,000 resolved. Before each timed sweep every SLA flag, notification, timeline event and
sweep row is cleared, so each run does the same work. With --calendars, each team lead's profile gets a Europe/Berlin
Monday-Friday 09:00-12:00 + 13:00-17:30 calendar with 12 holidays, and every work order stores its 80% warning times,
as work orders opened on calendars do: notices are then held for working hours. E-mail sending is switched off (it
runs in Celery workers). Last line: seconds=<value>.
"""

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

HERE = Path(__file__).resolve().parent
DB = "churnops_bench_sla"


def _queue_bench():
    spec = importlib.util.spec_from_file_location("bench_queue", HERE / "queue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.DB = DB
    return module


def _reset() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE interventions_notification, interventions_workorderevent, interventions_slasweep")
        cur.execute(
            "UPDATE interventions_workorder SET is_at_risk = false, is_breached = false, breached_at = NULL, "
            "breached_clock = '', breach_count = 0, escalated_at = NULL, sla_claim = NULL, "
            "first_contact_warn_at = NULL, resolution_warn_at = NULL WHERE open_key IS NOT NULL"
        )
        # Raw SQL: the timed checkout may predate calendars (its models do not know these columns).
        cur.execute("UPDATE interventions_agentprofile SET calendar_id = NULL")
        cur.execute("DELETE FROM interventions_businesscalendar")
        cur.execute("VACUUM ANALYZE interventions_workorder")


def _calendars() -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from interventions.models import AgentProfile, BusinessCalendar
    from interventions.services import calendar_holidays_import, calendar_save

    BusinessCalendar.objects.filter(name="Berlin office").delete()
    cal = calendar_save(
        name="Berlin office",
        timezone="Europe/Berlin",
        hours={d: [["09:00", "12:00"], ["13:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    calendar_holidays_import(calendar=cal, text="\n".join(f"2026-{m:02d}-0{d}" for m in range(1, 13) for d in [1]))
    for lead in User.objects.filter(username__startswith="lead"):
        AgentProfile.objects.update_or_create(user=lead, defaults={"calendar": cal, "capacity": 5000})
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE interventions_workorder SET "
            "first_contact_warn_at = opened_at + (first_contact_due_at - opened_at) * 0.8, "
            "resolution_warn_at = opened_at + (resolution_due_at - opened_at) * 0.8"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    parser.add_argument("--calendars", action="store_true", help="every team on a working calendar")
    parser.add_argument("--root", default=str(HERE.parent), help="the checkout whose sweep is timed")
    args = parser.parse_args()

    queue_bench = _queue_bench()
    os.environ.update(queue_bench._env(0))
    os.environ["DATABASE_URL"] = f"{queue_bench.PG}/{DB}"
    # The timed checkout first, and this one (queue.py put it on the path for its filler) only after it.
    sys.path[:] = [
        args.root,
        *(p for p in sys.path if p not in ("", ".", args.root, str(HERE.parent))),
        str(HERE.parent),
    ]
    if not args.keep:
        queue_bench._recreate_db()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=HERE.parent, check=True)
        queue_bench._fill()
    else:
        import django

        django.setup()
    _reset()
    if args.calendars:
        _calendars()

    from interventions.services import notifications as notifications_module
    from interventions.services import sla_sweep

    notifications_module._enqueue_email = lambda ids: None  # e-mail is the workers' job, not the sweep's
    started, cpu = time.perf_counter(), time.process_time()
    sweep = sla_sweep()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    held = 0
    if hasattr(notifications_module, "notifications_release"):
        from interventions.models import Notification

        held = Notification.objects.filter(deliver_after__isnull=False).count()
    import interventions

    code = Path(interventions.__file__).parent.parent
    print(
        f"code {code}: calendars={'yes' if args.calendars else 'no'}; {sweep.at_risk:,} at risk, "
        f"{sweep.breached:,} breached ({sweep.escalated:,} escalated), {sweep.notified:,} notifications "
        f"({held:,} held for working hours), {os.getloadavg()[0]:.2f} load"
    )
    print(f"python_cpu_seconds={cpu:.2f}")
    print(f"seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
