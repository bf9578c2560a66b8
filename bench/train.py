"""Training time at scale: synthetic customers in PostgreSQL, then `model_train` as the nightly job runs it.

    .venv/bin/python bench/train.py --customers 25000        # last line: train_s=<seconds>

Creates the PostgreSQL database `churnops_bench_train`, loads customers and events with COPY (bench/datagen.py),
then times `scoring.training.model_train` (features at every monthly cut-off, selection over the rolling
validation cut-offs, the refit), one process, OMP_NUM_THREADS=1 like the workers.
"""

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench.nightly import PG, _recreate_db  # noqa: I001


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--events-per-customer", type=int, default=20)
    parser.add_argument("--db", default="churnops_bench_train")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data, train again")
    args = parser.parse_args()
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{args.db}",
            "DJANGO_SETTINGS_MODULE": "churnops.settings.local",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    as_of = date(2026, 11, 1)
    if not args.reuse:
        _recreate_db(args.db)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.datagen import copy_customers, copy_events, restore, without_indexes
    from scoring.training import model_train

    if not args.reuse:
        call_command("migrate", verbosity=0)
        connection.ensure_connection()
        raw = connection.connection
        ddl = without_indexes(raw, "customers_event")
        copy_customers(raw, n=args.customers, owner_ids=[None], as_of=as_of)
        copy_events(raw, n=args.customers, per_customer=args.events_per_customer, as_of=as_of)
        restore(raw, ddl)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    started = time.perf_counter()
    outcome = model_train(as_of=as_of, promote="always")
    elapsed = time.perf_counter() - started
    m = outcome.version.metrics
    print(
        json.dumps(
            {
                "customers": args.customers,
                "algorithm": outcome.version.algorithm,
                "n_train": m["n_train"],
                "validation_roc_auc": round(m["roc_auc"], 4),
                "roc_auc_std": round(m["roc_auc_std"], 4),
                "candidates": {k: round(v["roc_auc"], 4) for k, v in m["candidates"].items()},
            }
        )
    )
    print(f"train_s={elapsed:.1f}")


if __name__ == "__main__":
    main()
