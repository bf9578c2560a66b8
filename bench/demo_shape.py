"""The demo's shape after `make demo-data`: tiers per nightly run, saturated probabilities, the weekly save rates,
drift alarms and the model in force each week, and what each monthly retrain decided.

    .venv/bin/python bench/demo_shape.py                     # the project's database
    DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python bench/demo_shape.py
"""

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project, not bench/ (its queue.py shadows stdlib)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "churnops.settings.local")
    import django

    django.setup()
    from alerts.models import Alert
    from interventions.models import WorkOrder
    from reports.models import WeeklyReport
    from scoring.models import RetrainRun, ScoreRun
    from scoring.selectors import scores_on

    print("run        model  scored  tiers 1/2/3/4      rule-high  P>=0.99")
    for run in ScoreRun.objects.order_by("as_of"):
        tiers = run.stats.get("tiers") or {}
        probabilities = scores_on(as_of=run.as_of).probability.tolist()
        saturated = sum(p >= 0.99 for p in probabilities)
        print(
            f"{run.as_of}  #{run.model_version_id or '-':<4} {run.stats.get('customers', 0):>6}  "
            + " / ".join(f"{tiers.get(str(t), 0):>3}" for t in (1, 2, 3, 4))
            + f"  {run.stats.get('rule_high', 0):>9}  {saturated} of {len(probabilities)}"
        )
    open_alerts = Alert.objects.filter(open_key__isnull=False)
    open_orders = WorkOrder.objects.filter(open_key__isnull=False)
    print(
        "open alerts by tier:", {t: open_alerts.filter(tier=t).count() for t in (1, 2, 3, 4)},
        "open work orders by tier:", {t: open_orders.filter(tier=t).count() for t in (1, 2, 3)},
    )  # fmt: skip
    print("\nweek      model  resolved  retained  save rate  drift warn/alarm  uplift (treated vs control churn)")
    for report in WeeklyReport.objects.order_by("week_start"):
        d = report.data
        total, drift, uplift = d["outcomes"]["total"], d["health"]["drift"], d["cohorts"]["uplift"]
        warned = sum(f["level"] != "ok" for f in drift.get("features", []))
        rate = "-" if total["save_rate"] is None else f"{total['save_rate']:.0%}"
        worked, control = d["cohorts"].get("worked", {}), d["cohorts"].get("control", {})
        print(
            f"{report.week}  #{d['health']['model_in_force'] or '-':<4} {total['total']:>8}  {total['retained']:>8}  "
            f"{rate:>9}  {warned:>7} / {len(drift['flagged'])}  {uplift['verdict']} "
            f"{_rate(worked)} vs {_rate(control)}"
        )
    print()
    for retrain in RetrainRun.objects.order_by("as_of"):
        print(f"retrain {retrain.as_of}: {retrain.status} ({retrain.reason})")


def _rate(group: dict) -> str:
    if not group.get("n"):
        return "-"
    return f"{group['churned']}/{group['n']} ({group['churned'] / group['n']:.0%})"


if __name__ == "__main__":
    main()
