"""Nightly pipeline at scale: the full pipeline with real Celery workers vs a plain pandas script.

    .venv/bin/python bench/nightly.py --customers 1000000 --events-per-customer 20

Creates a fresh PostgreSQL database, loads customers and events with COPY (customer order), trains a
model on a sample, then times (1) the whole nightly run (features, rules, model, tiers, alerts, work
orders) dispatched as a Celery chord to real workers over Redis and (2) bench/baseline.py computing
the same features, rules and probabilities from the same rows. Last line: ratio=<pipeline/baseline>.

    .venv/bin/python bench/nightly.py --customers 100000 --nights 30

Steady state: after the first night, each next night appends a day of events (arrival order) and runs the next
date on the same data and the same worker; per night: time, rows written, table and index sizes, and the
history's bytes per customer per night. Last line: night_1=<s> night_N=<s> history_bytes_per_customer_night=<b>.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's queue module: run from the project root.
sys.path[0] = str(ROOT)

PG = "postgres://postgres@127.0.0.1:5432"


def _setup_env(db: str, broker: str, queue: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{db}",
            "CELERY_BROKER_URL": broker,
            "CELERY_QUEUE": queue,
            "DJANGO_SETTINGS_MODULE": "churnops.settings.local",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )


def _recreate_db(db: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")


def _peak_rss_mb(pids) -> float:
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            pass
    return peak / 1024


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def load(args, as_of: date) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    from bench.datagen import copy_customers, copy_events, restore, without_indexes

    call_command("migrate", verbosity=0)
    group, _ = Group.objects.get_or_create(name="account_manager")
    owners = []
    for i in range(args.account_managers):
        user = User.objects.create_user(f"am{i:03d}", password="x")
        user.groups.add(group)
        owners.append(user.id)
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    ddl = without_indexes(raw, "customers_event")
    copy_customers(raw, n=args.customers, owner_ids=owners, as_of=as_of)
    events = copy_events(raw, n=args.customers, per_customer=args.events_per_customer, as_of=as_of)
    restore(raw, ddl)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"events": events, "load_s": round(time.perf_counter() - started, 1)}


def reuse_data() -> dict:
    """Clear the previous night's output (scores, alerts, work) and keep customers, events and the model."""
    import django

    django.setup()
    from django.db import connection

    from customers.models import Customer, Event

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE scoring_scorerun, alerts_alert, interventions_workorder, interventions_notification CASCADE"
        )
    return {"customers": Customer.objects.count(), "events": Event.objects.count()}


def train_sample(as_of: date, sample: int) -> dict:
    """Train the model on the first `sample` customers at two earlier cut-offs (the nightly run only scores)."""
    import numpy as np
    import pandas as pd

    from scoring.ml import model as ml
    from scoring.selectors import policy_in_force
    from scoring.services import defaults_install
    from scoring.training import examples_at, model_store

    defaults_install()
    churn = policy_in_force()["churn_definition"]
    frames = [
        examples_at(as_of=as_of - timedelta(days=d), horizon_days=60, churn_definition=churn, active_days=90)
        for d in (60, 150)
    ]
    X_val, y_val = frames[0]
    X_tr, y_tr = frames[1]
    keep_tr, keep_val = X_tr.index <= sample, X_val.index <= sample
    result = ml.train_and_select(X_tr[keep_tr], y_tr[keep_tr], X_val[keep_val], y_val[keep_val])
    # Score with the BG/NBD fitted at the newest cut-off, as model_train does (the chunks then agree with it).
    result.bgnbd_params = X_val.attrs.get("bgnbd_params")
    model_store(
        result=result,
        horizon_days=60,
        train_from=as_of - timedelta(days=150),
        train_to=as_of - timedelta(days=60),
        promote="always",
    )
    return {
        "algorithm": result.algorithm,
        "val_roc_auc": round(result.metrics["roc_auc"], 3),
        "train_rows": int(keep_tr.sum()),
        "churn_rate": round(float(np.mean(pd.Series(y_val))), 3),
    }


def start_worker(args, queue: str) -> subprocess.Popen:
    worker = subprocess.Popen(
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
            str(args.workers),
            "--pool",
            "prefork",
            "--loglevel",
            "WARNING",
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    time.sleep(4)  # let the worker connect before the clock starts
    return worker


WRITTEN = ("scores_written", "history_rows", "alerts_written", "work_orders_opened")


def run_night(args, as_of: date, worker: subprocess.Popen) -> dict:
    from nightly.tasks import nightly_run_task
    from scoring.models import ScoreRun

    started = time.perf_counter()
    run_id = nightly_run_task.delay(as_of.isoformat(), chunk_size=args.chunk_size).get(timeout=3600)
    run = ScoreRun.objects.get(pk=run_id)
    while run.status == ScoreRun.Status.RUNNING:
        time.sleep(0.2)
        run.refresh_from_db()
    elapsed = time.perf_counter() - started
    return {
        "pipeline_s": round(elapsed, 2),
        "status": run.status,
        "chunks": run.chunks_total,
        "worker_peak_rss_mb": round(_peak_rss_mb(_children(worker.pid)), 1),
        **{k: run.stats.get(k) for k in ("customers", "at_risk", "rule_high", *WRITTEN)},
        "stage_seconds": run.stats.get("seconds"),  # summed over chunks: worker seconds, not wall-clock
        "finish_s": round((run.finished_at - max(c.done_at for c in run.chunks.all())).total_seconds(), 2),
    }


def run_pipeline(args, as_of: date, queue: str) -> dict:
    worker = start_worker(args, queue)
    try:
        return run_night(args, as_of, worker)
    finally:
        worker.terminate()
        worker.wait(timeout=60)


SIZED = ("scoring_scoreday", "scoring_latestscore", "alerts_alert", "interventions_workorder", "customers_event")


def table_sizes() -> dict:
    """Heap (with TOAST) and index bytes per table (a partitioned table: its partitions added up), and dead
    tuples as the statistics last saw them."""
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in SIZED:
            cur.execute(
                "SELECT COALESCE(SUM(pg_table_size(c.oid)), 0), COALESCE(SUM(pg_indexes_size(c.oid)), 0), "
                "COALESCE(SUM(s.n_dead_tup), 0) FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.relkind = 'r' AND (c.relname = %s OR c.oid IN (SELECT inhrelid FROM pg_inherits "
                "WHERE inhparent = %s::regclass))",
                [table, table],
            )
            heap, index, dead = cur.fetchone()
            out[table] = {"heap": int(heap), "index": int(index), "dead": int(dead)}
    return out


def cpu_probe() -> float:
    """Seconds for a fixed piece of single-core numpy work: the machine's contention at the time (on a quiet core
    ~0.1 s). Nights whose probe is slower ran on a busier machine, whatever their data."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random(2_000_000)
    started = time.perf_counter()
    for _ in range(5):
        np.sort(x)
    return round(time.perf_counter() - started, 3)


def steady_state(args, as_of: date, queue: str, baseline_out: Path) -> list[dict]:
    """Night 1 on the loaded data, then `--nights - 1` more, each after appending that day's events."""
    from django.db import connection

    from bench.datagen import copy_day_events
    from nightly.tasks import score_history_retention_task

    nights, scored = [], 0
    worker = start_worker(args, queue)
    try:
        for k in range(args.nights):
            day = as_of + timedelta(days=k)
            appended = 0
            if k:
                connection.ensure_connection()
                appended = copy_day_events(
                    connection.connection,
                    n=args.customers,
                    per_customer=args.events_per_customer,
                    day=day - timedelta(days=1),
                    seed=100 + k,
                )
            started = time.perf_counter()
            score_history_retention_task(day.isoformat())  # the beat's daily task, half an hour before the night
            maintenance = round(time.perf_counter() - started, 2)
            probe = cpu_probe()
            night = run_night(args, day, worker)
            night["maintenance_s"] = maintenance
            night["cpu_probe_s"] = probe
            if not k:  # the plain script on the same rows as night 1, before any day is appended
                baseline = run_baseline(args.db, day, baseline_out)
                night["baseline_customers"] = baseline.pop("customers", None)  # the script scores everyone
                night.update(baseline)
                night.update(compare(baseline_out, day))
                night["ratio"] = round(night["pipeline_s"] / night["baseline_s"], 3)
            scored += night["customers"] or 0
            sizes = table_sizes()
            history = sizes["scoring_scoreday"]["heap"] + sizes["scoring_scoreday"]["index"]
            row = {
                "night": k + 1,
                "as_of": day.isoformat(),
                "events_appended": appended,
                "load": os.getloadavg()[0],
                **night,
                "sizes": sizes,
                "history_bytes_per_customer_night": round(history / max(scored, 1), 1),
            }
            print(json.dumps(row), flush=True)
            nights.append(row)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return nights


def run_baseline(db: str, as_of: date, out: Path) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "baseline.py"),
            "--dsn",
            f"postgresql://postgres@127.0.0.1:5432/{db}",
            "--as-of",
            as_of.isoformat(),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["baseline_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result


def compare(out: Path, as_of: date) -> dict:
    """Check that the pipeline and the baseline agree on probabilities and high-risk flags."""
    import numpy as np

    from scoring.selectors import scores_on

    base = np.load(out)
    # Every customer the night scored, from the history (probabilities in steps of 1e-4: a difference up to 5e-5
    # is the packing; the latest scores of tiered and rule-fired customers hold the full value).
    night = scores_on(as_of=as_of)
    ids, prob, high = night.customer_id, night.probability, night.is_rule_high_risk
    order = np.argsort(ids)
    ids, prob, high = ids[order], prob[order], high[order]
    # The script scores everyone; the pipeline only the active population (the lapsed go to the win-back lane).
    pos = np.searchsorted(base["ids"], ids)
    found = bool(len(ids)) and bool(np.all(base["ids"][np.minimum(pos, len(base["ids"]) - 1)] == ids))
    return {
        "pipeline_customers_in_baseline": found,
        "baseline_only_customers": int(len(base["ids"]) - len(ids)),
        "max_probability_diff": float(np.abs(prob - base["probability"][pos]).max()) if found else None,
        "high_risk_mismatches": int((high != base["high"][pos]).sum()) if found else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events-per-customer", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=25_000)
    parser.add_argument("--account-managers", type=int, default=50)
    parser.add_argument("--train-sample", type=int, default=50_000)
    parser.add_argument("--db", default="churnops_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--nights", type=int, default=1, help="consecutive nights on the same data (steady state)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the loaded data and model of the last run; only clear its scores and work",
    )
    args = parser.parse_args()
    as_of = date(2026, 6, 30)
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    _setup_env(args.db, args.broker, queue)
    report = {
        "customers": args.customers,
        "events_per_customer": args.events_per_customer,
        "workers": args.workers,
        "chunk_size": args.chunk_size,
    }
    if args.reuse:
        report["reused"] = reuse_data()
    else:
        _recreate_db(args.db)
        report.update(load(args, as_of))
        print(f"loaded: {report}", flush=True)
        report["model"] = train_sample(as_of, args.train_sample)
        print(f"model: {report['model']}", flush=True)
    if args.nights > 1:
        nights = steady_state(args, as_of, queue, Path("/tmp") / f"{queue}.npz")
        first, last = nights[0], nights[-1]
        print(
            f"night_1={first['pipeline_s']}s baseline={first['baseline_s']}s ratio={first['ratio']} "
            f"night_{len(nights)}={last['pipeline_s']}s "
            f"history_bytes_per_customer_night={last['history_bytes_per_customer_night']}"
        )
        return
    report.update(run_pipeline(args, as_of, queue))
    print(f"pipeline: {report['pipeline_s']} s", flush=True)
    out = Path("/tmp") / f"{queue}.npz"
    report.update(run_baseline(args.db, as_of, out))
    report.update(compare(out, as_of))
    report["ratio"] = round(report["pipeline_s"] / report["baseline_s"], 3)
    print(json.dumps(report, indent=2))
    print(f"pipeline={report['pipeline_s']}s baseline={report['baseline_s']}s ratio={report['ratio']}")


if __name__ == "__main__":
    main()
