"""Rule, policy and targeting previews at scale: how long an admin waits for a preview over 1M customers.

    .venv/bin/python bench/preview.py --customers 1000000            # load, train, one nightly run, time previews
    .venv/bin/python bench/preview.py --keep                          # same database: time the previews again
    .venv/bin/python bench/preview.py --keep --exact                  # also the exact counts over everyone

Run it from a copy of the code (`git archive HEAD | tar -x -C DIR`, then `.venv/bin/python DIR/bench/preview.py`)
when editing the tree meanwhile: the nightly run and the pages import modules as they go.

Creates the PostgreSQL database churnops_bench_preview, loads customers and events with COPY in customer order
(bench/datagen.py, as bench/nightly.py does), trains a model on a sample and runs one nightly run in-process
(eager Celery) so the customers have tiers. Then it times, through the Django test client signed in as an admin
(the whole request: capacity, sampling, features, scoring twice, serialising or rendering), each `--repeats` times:

- the rule preview, `POST /api/rules/preview/` with the first rule disabled;
- the policy preview, `POST /api/policy-versions/preview/` with three rules for high risk instead of two;
- the targeting preview, the policy page's Preview with tier 2 and 3 thresholds lowered (work per team against
  free capacity).

With --exact, the exact counts of the rule preview (every customer scored: what the background task does) once.
Last line: rule_s=<median> policy_s=<median> targeting_s=<median>.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's queue module: run from the project root.
sys.path[0] = str(ROOT)

PG = "postgres://postgres@127.0.0.1:5432"
AS_OF = date(2026, 6, 30)


def _setup_env(db: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{db}",
            "CELERY_BROKER_URL": "",  # eager: the nightly run and the exact preview run in this process
            "DJANGO_SETTINGS_MODULE": "churnops.settings.local",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )


def build(args) -> dict:
    from bench.nightly import _recreate_db, load, train_sample

    _recreate_db(args.db)
    report = load(args, AS_OF)
    print(f"loaded: {report}", flush=True)
    report["model"] = train_sample(AS_OF, args.train_sample)
    print(f"model: {report['model']}", flush=True)
    return {**report, **nightly()}


def nightly() -> dict:
    """One nightly run in-process; a run a previous bench left unfinished is marked failed and resumed."""
    from nightly.tasks import nightly_run_task
    from scoring.models import ScoreRun

    report = {}
    ScoreRun.objects.filter(status=ScoreRun.Status.RUNNING).update(status=ScoreRun.Status.FAILED)
    started = time.perf_counter()
    run_id = nightly_run_task.delay(AS_OF.isoformat(), chunk_size=25_000).get()
    run = ScoreRun.objects.get(pk=run_id)
    report["nightly_s"] = round(time.perf_counter() - started, 1)
    report["run"] = {k: run.stats.get(k) for k in ("customers", "at_risk", "tiers", "work_orders_opened")}
    print(f"nightly run: {report['nightly_s']} s {report['run']}", flush=True)
    return report


def _admin_client():
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the client keeps the page's context: the targeting preview's figures are read there

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    client = Client()
    client.force_login(admin)
    return client


def _policy_form(policy: dict, **changes) -> dict:
    """The policy page's POST for a policy (as tests/scoring/test_admin_pages.py builds it), with changes."""
    data = {
        "high_risk_min_rules": policy["high_risk_min_rules"],
        "rule_high_min_tier": policy["rule_high_min_tier"],
        "horizon_days": policy["horizon_days"],
        "churn_mode": policy["churn_definition"]["mode"],
        "inactive_days": policy["churn_definition"]["inactive_days"],
        "control_share": policy["control_share"],
        "recontact_quiet_days": policy["recontact_quiet_days"],
        "comment": "",
        "preview": "1",
    }
    for t in policy["tiers"]:
        for attr in (
            "min_probability",
            "assignee_role",
            "escalation_role",
            "first_contact_hours",
            "resolution_hours",
            "expected_cost",
        ):
            value = t[attr]
            data[f"tier_{t['tier']}_{attr}"] = "" if value is None else value
        if t["creates_work_order"]:
            data[f"tier_{t['tier']}_creates_work_order"] = "on"
    data.update(changes)
    return data


def _timed(call, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(round(time.perf_counter() - started, 2))
    return times, result


def time_previews(args) -> dict:
    from scoring.models import Rule
    from scoring.preview import rules_after_edit
    from scoring.selectors import policy_in_force

    client = _admin_client()
    policy = policy_in_force()
    first = Rule.objects.order_by("position", "id").first()
    rules = rules_after_edit(rule_id=first.pk, fields={"is_enabled": False})
    report = {}

    def rule():
        response = client.post("/api/rules/preview/", {"rules": rules}, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        return response.json()

    def policy_api():
        data = {**policy, "high_risk_min_rules": 3}
        response = client.post("/api/policy-versions/preview/", {"data": data}, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        return response.json()

    lowered = {
        f"tier_{t['tier']}_min_probability": round(t["min_probability"] * 0.8, 3)
        for t in policy["tiers"]
        if t["tier"] in (2, 3) and t.get("min_probability")
    }

    def targeting():
        response = client.post("/scoring/policy/", _policy_form(policy, **lowered))
        assert response.status_code == 200, response.content[:500]
        assert b"data-sampling=" in response.content
        return response.context["preview"]

    for name, call in (("rule", rule), ("policy", policy_api), ("targeting", targeting)):
        times, answer = _timed(call, args.repeats)
        report[name] = {
            "times_s": times,
            "median_s": round(statistics.median(times), 2),
            "sampling": {k: v for k, v in answer["sampling"].items() if k != "strata"},
            "strata": answer["sampling"].get("strata"),
            "customers": answer["customers"],
            "high_risk": answer["high_risk"],
            "work_orders": answer["work_orders"],
            "teams": [(t["role"], t["flagged"], t["margin"], t["free_capacity"]) for t in answer["teams"]],
        }
        print(f"{name}: {times} s; {report[name]['sampling']}", flush=True)
    if args.exact:
        from scoring.preview import preview_change

        started = time.perf_counter()
        exact = preview_change(rules=rules, exact=True)
        report["rule_exact"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "high_risk": exact["high_risk"],
            "work_orders": exact["work_orders"],
            "customers": exact["customers"],
        }
        print(f"exact: {report['rule_exact']}", flush=True)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events-per-customer", type=int, default=20)
    parser.add_argument("--account-managers", type=int, default=50)
    parser.add_argument("--train-sample", type=int, default=50_000)
    parser.add_argument("--db", default="churnops_bench_preview")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database of a previous run")
    parser.add_argument("--exact", action="store_true", help="also time the exact counts over every customer")
    args = parser.parse_args()
    _setup_env(args.db)
    report = {"load": os.getloadavg()}
    if not args.keep:
        report["build"] = build(args)
    else:
        import django

        django.setup()
        from scoring.models import ScoreRun

        if not ScoreRun.objects.filter(status=ScoreRun.Status.DONE).exists():
            report["build"] = nightly()
    report["load_before_timing"] = os.getloadavg()
    report.update(time_previews(args))
    print(json.dumps(report, indent=2, default=str))
    print(" ".join(f"{k}_s={report[k]['median_s']}" for k in ("rule", "policy", "targeting")))


if __name__ == "__main__":
    main()
