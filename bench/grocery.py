"""Model quality on the real grocery log: the published protocol and two earlier cut-off pairs, one run each.

    .venv/bin/python bench/grocery.py            # markdown tables for bench/README.md

Imports ../shared/data/grocery_elog.csv into a throw-away SQLite database with the normal import command and
runs `manage.py evaluate` (horizon 90 days, customers active in the 180 days before) for each pair; the
logistic regression and BG/NBD references are computed in the same run on the same rows.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT.parent / "shared" / "data" / "grocery_elog.csv"
PAIRS = (("2007-06-30", "2007-09-30"), ("2007-03-31", "2007-06-30"), ("2006-12-31", "2007-03-31"))


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    tmp = Path(tempfile.mkdtemp(prefix="grocery-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3", "OMP_NUM_THREADS": "1"}
    env.pop("CELERY_BROKER_URL", None)
    manage(env, "migrate", "-v0")
    manage(
        env,
        "import_events",
        str(LOG),
        "--kind",
        "purchase",
        "--map",
        "customer_external_id=cust",
        "--map",
        "occurred_at=date",
        "--create-missing-customers",
    )
    rows, candidates = [], []
    for train, test in PAIRS:
        out = tmp / f"{train}.json"
        manage(
            env,
            "evaluate",
            "--train-cutoff",
            train,
            "--test-cutoff",
            test,
            "--horizon-days",
            "90",
            "--active-days",
            "180",
            "--json",
            str(out),
        )
        r = json.loads(out.read_text())
        scorers = (
            (f"**model** ({r['algorithm']})", "model"),
            ("logistic regression", "logistic_regression"),
            ("BG/NBD P(alive)", "bgnbd"),
            ("recency alone", "recency"),
        )
        for name, key in scorers:
            m = r[key]
            rows.append(
                f"| {train} → {test} | {name} | {m['n']} | {m['churn_rate']:.1%} | {m['roc_auc']:.3f} | "
                f"{m['pr_auc']:.3f} | {m['brier']:.3f} | {m['ece']:.3f} | {m['lift_top_decile']:.2f} |"
            )
        for name, c in sorted(r["candidates"].items(), key=lambda kv: -kv[1]["roc_auc"]):
            candidates.append(
                f"| {train} | {name} | {c['roc_auc']:.3f} ± {c['roc_auc_std']:.3f} | "
                f"{c['pr_auc']:.3f} ± {c['pr_auc_std']:.3f} | {c['brier']:.3f} | "
                f"{', '.join(f'{v:.3f}' for v in c['roc_auc_folds'])} |"
            )
    print("| train → test cut-off | scorer | n | churn rate | ROC AUC | PR AUC | Brier | ECE (10) | lift, top decile |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    print(
        "| train cut-off | candidate | validation ROC AUC (mean ± sd) | PR AUC (mean ± sd) | Brier | ROC AUC per "
        "validation cut-off |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(candidates))


if __name__ == "__main__":
    main()
