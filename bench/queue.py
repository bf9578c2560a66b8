"""Queue page under load: 100,000 open work orders in PostgreSQL, a real server, concurrent clients.

    .venv/bin/python bench/queue.py                      # 100k open work orders, 20 clients, 15 s
    .venv/bin/python bench/queue.py --keep --workers 4   # reuse the filled database, try another server set-up

Creates its own database (churnops_bench_queue), migrates it, fills it with COPY: 50 account managers in
5 teams, 100,000 customers each with one open work order (2,000 per account manager; a mix of tiers,
statuses, at-risk and breached SLAs) plus 20,000 resolved ones. Starts gunicorn with the production
settings (persistent database connections, DEBUG off) on loopback, signs one account manager in (a real
session row, cookie sent by the clients), checks the page, then runs closed-loop clients (threads, one
request in flight each) for the given time against the account manager's queue page (`/work/`) and
reports p50/p95/p99 and throughput. The server is stopped by its pid. Last line: p95_ms=<value>.
"""

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow the standard library's
# `queue` (which psycopg imports): take the folder off the path before importing anything else.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
DB = "churnops_bench_queue"
TEAMS, AMS_PER_TEAM = 5, 10
OPEN, RESOLVED = 100_000, 20_000
COPY_BLOCK = 50_000  # rows per COPY buffer (~10 MB of text)


def _env(port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "DJANGO_SETTINGS_MODULE": "churnops.settings.production",
        "SECRET_KEY": "bench-queue-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
        "BENCH_PORT": str(port),
    }


def _recreate_db() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def _copy(cur, table: str, columns: list[str], lines) -> None:
    buffer = io.StringIO()
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    for count, line in enumerate(lines, start=1):
        buffer.write(line)
        if count % COPY_BLOCK == 0:
            with cur.copy(statement) as copy:
                copy.write(buffer.getvalue())
            buffer = io.StringIO()
    if buffer.tell():
        with cur.copy(statement) as copy:
            copy.write(buffer.getvalue())


def _ts(value: datetime | None) -> str:
    return "\\N" if value is None else value.isoformat()


def _fill() -> None:
    """Users, groups, customers and work orders (am00 … am49 in teams of 10 under lead00 … lead04)."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from interventions.choices import Role
    from interventions.models import AgentProfile

    t0 = time.perf_counter()
    am_group = Group.objects.create(name=Role.ACCOUNT_MANAGER)
    lead_group = Group.objects.create(name=Role.TEAM_LEAD)
    leads, ams = [], []
    for t in range(TEAMS):
        lead = User.objects.create_user(f"lead{t:02d}", password="bench-password-1")
        lead.groups.add(lead_group)
        leads.append(lead)
        for a in range(AMS_PER_TEAM):
            am = User.objects.create_user(
                f"am{t * AMS_PER_TEAM + a:02d}",
                password="bench-password-1",
                first_name="Account",
                last_name=f"Manager {t * AMS_PER_TEAM + a}",
            )
            am.groups.add(am_group)
            AgentProfile.objects.create(user=am, team_lead=lead, capacity=5000)
            ams.append(am)
    am_ids = np.array([u.id for u in ams])

    rng = np.random.default_rng(11)
    n = OPEN + RESOLVED
    now = datetime.now(UTC)
    owner = am_ids[np.arange(n) % len(am_ids)]
    ltv = np.round(rng.lognormal(8, 1, n), 2)
    tier = rng.choice([1, 2, 3], n, p=[0.15, 0.45, 0.40])
    hours = {1: (24, 7 * 24), 2: (72, 14 * 24), 3: (168, 30 * 24)}
    age_h = rng.uniform(0, 200, n)
    prob = np.round(rng.uniform(0.4, 0.99, n), 4)
    segments = np.array(["retail", "smb", "enterprise", "premium"])
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg cursor underneath, for COPY
        _copy(
            cur,
            "customers_customer",
            [
                "id",
                "external_id",
                "name",
                "segment",
                "region",
                "owner_id",
                "lifetime_value",
                "attributes",
                "created_at",
                "updated_at",
            ],
            (
                f"{i + 1}\tC{i + 1:07d}\tCustomer {i + 1}\t{segments[i % 4]}\tnorth\t{owner[i]}\t{ltv[i]}\t{{}}\t"
                f"{now.isoformat()}\t{now.isoformat()}\n"
                for i in range(n)
            ),
        )
        cur.execute("SELECT setval('customers_customer_id_seq', %s)", [n])

        def rows():
            for i in range(n):
                t = int(tier[i])
                opened = now - timedelta(hours=float(age_h[i]))
                first_due = opened + timedelta(hours=hours[t][0])
                res_due = opened + timedelta(hours=hours[t][1])
                contacted = opened + timedelta(hours=float(age_h[i]) / 2) if i % 3 == 0 else None
                resolved = i >= OPEN
                running_due = res_due if contacted else first_due
                breached = running_due <= now
                at_risk = not breached and (now - opened) >= 4 * (running_due - now)
                status = "resolved" if resolved else ("in_progress" if contacted else ("new", "waiting")[i % 2])
                yield (
                    "\t".join(
                        [
                            str(i + 1),
                            "\\N" if resolved else str(i + 1),
                            str(t),
                            status,
                            str(owner[i]),
                            str(prob[i]),
                            str(round(prob[i] * ltv[i] * 0.35 / (300, 120, 30)[t - 1], 3)),
                            _ts(opened),
                            _ts(first_due),
                            _ts(res_due),
                            _ts(contacted),
                            "t" if at_risk and not resolved else "f",
                            "t" if breached and not resolved else "f",
                            _ts(running_due if breached and not resolved else None),
                            ("resolution" if contacted else "first_contact") if breached and not resolved else "",
                            "1" if breached and not resolved else "0",
                            _ts(now if resolved else None),
                            "retained" if resolved else "",
                            "price" if resolved else "",
                            "",
                            _ts(now),
                        ]
                    )
                    + "\n"
                )

        _copy(
            cur,
            "interventions_workorder",
            [
                "customer_id",
                "open_key",
                "tier",
                "status",
                "assignee_id",
                "probability",
                "priority",
                "opened_at",
                "first_contact_due_at",
                "resolution_due_at",
                "first_contact_at",
                "is_at_risk",
                "is_breached",
                "breached_at",
                "breached_clock",
                "breach_count",
                "resolved_at",
                "outcome",
                "reason",
                "resolution_note",
                "updated_at",
            ],
            rows(),
        )
        cur.execute("VACUUM ANALYZE")  # fresh statistics and visibility map: index-only totals as in production
    print(
        f"filled {n:,} customers and work orders ({OPEN:,} open) for {len(ams)} account managers "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )


def _session_cookie(username: str) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies["sessionid"].value


def _get(port: int, path: str, cookie: str, conn=None) -> tuple[int, bytes]:
    """One GET; on a kept-alive connection when given one (as a browser or a proxy in front would)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read()
        if response.will_close:
            conn.close()
        return response.status, body
    finally:
        if own:
            conn.close()


def _load(port: int, path: str, cookie: str, clients: int, seconds: float, keep_alive: bool) -> tuple[list[float], int]:
    """Closed loop: each client sends its next request when the previous answer arrived."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client():
        mine, bad = [], 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30) if keep_alive else None
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                status, _ = _get(port, path, cookie, conn)
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                status = 0
            mine.append((time.perf_counter() - start) * 1000)
            bad += status != 200
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            _get(port, "/accounts/login/", "")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    # One sync worker per core measured best on this 2-core machine (4 workers: +25 ms at p95, more switching).
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker; above 1 runs gthread workers and the clients keep connections alive",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--path", default="/work/", help="page to load: the account manager's queue; /api/work-orders/ for its API"
    )
    parser.add_argument(
        "--user",
        default="am00",
        help="who is signed in (lead00 with --path '/work/?team=1': the "
        "team queue of 10 account managers, 20,000 open)",
    )
    parser.add_argument("--keep", action="store_true", help="reuse the filled database of a previous run")
    args = parser.parse_args()

    os.environ.update(_env(args.port))
    if not args.keep:
        _recreate_db()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
        _fill()
    else:
        import django

        django.setup()
    username = args.user
    cookie = _session_cookie(username)

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "churnops.wsgi",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread" if args.threads > 1 else "sync",
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "--backlog",
            "256",
        ],
        cwd=ROOT,
        env=_env(args.port),
        start_new_session=True,
    )
    try:
        _wait_for(args.port)
        status, body = _get(args.port, args.path, cookie)
        if status != 200 or (b"WO-" not in body and b'"results"' not in body):
            raise RuntimeError(f"{args.path} answered {status}, not a queue page or list")
        keep_alive = args.threads > 1  # sync workers close every connection
        _load(args.port, args.path, cookie, args.clients, 3, keep_alive)  # warm-up: workers connect, load templates
        latencies, errors = _load(args.port, args.path, cookie, args.clients, args.seconds, keep_alive)
    finally:
        server.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    ms = np.array(latencies)
    p50, p95, p99 = (float(np.percentile(ms, q)) for q in (50, 95, 99))
    print(
        f"{args.path} as {username}: {len(ms):,} requests from {args.clients} clients in {args.seconds:.0f} s "
        f"({len(ms) / args.seconds:.0f} req/s), {errors} errors, gunicorn {args.workers} workers × "
        f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    )
    print(f"p50_ms={p50:.1f} p95_ms={p95:.1f} p99_ms={p99:.1f} max_ms={ms.max():.1f}")
    print(f"p95_ms={p95:.1f}")


if __name__ == "__main__":
    main()
