"""The three lanes on a database that has had a nightly run: who was scored, who lapsed, work orders per tier
against the team's capacity, and the realised churn of the worked customers against the active scored base.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python bench/lanes.py --as-of 2007-09-30 --horizon-days 90

Realised churn is computed from events after the run's date (no activity in the horizon, or `churned_at` in it),
so it needs a database with history after `--as-of` (the grocery log; on the demo, the first replayed week).
"""

import argparse
import os
import sys
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="the run to read")
    parser.add_argument("--horizon-days", type=int, default=90)
    args = parser.parse_args()
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project, not bench/ (its queue.py shadows stdlib)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "churnops.settings.local")
    import django

    django.setup()
    from django.db.models import Q

    from alerts.models import Alert
    from customers.models import Customer, Event
    from interventions.models import WorkOrder
    from scoring.features import cutoff_for
    from scoring.models import ScoreRun
    from scoring.selectors import scores_on

    run = ScoreRun.objects.get(as_of=args.as_of)
    start = cutoff_for(args.as_of)
    end = start + timedelta(days=args.horizon_days)
    scored = set(scores_on(as_of=run.as_of).customer_id.tolist())  # the night's scores, from the history
    later = set(Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list("customer_id", flat=True))
    later -= set(Customer.objects.filter(churned_at__gte=start, churned_at__lt=end).values_list("id", flat=True))
    opened = WorkOrder.objects.filter(opened_at__gte=run.started_at, opened_at__lte=run.finished_at)
    worked = set(opened.values_list("customer_id", flat=True))
    tiers = {}
    for t in opened.values_list("tier", flat=True):
        tiers[t] = tiers.get(t, 0) + 1

    def churn(ids):
        return sum(1 for c in ids if c not in later) / max(len(ids), 1)

    s = run.stats
    over = Alert.objects.filter(Q(last_run_as_of=args.as_of) | Q(open_key__isnull=True), lane_reason="over capacity")
    print(
        f"run {args.as_of}: {s.get('customers')} customers scored (active), {s.get('lapsed')} lapsed, "
        f"{s.get('new', 0)} new; tiers {s.get('tiers')}"
    )
    print(
        f"work orders opened by the run, per tier: {dict(sorted(tiers.items()))}; "
        f"capacity per team {s.get('capacity')}; over capacity {s.get('over_capacity')} ({over.count()} alerts)"
    )
    print(
        f"realised churn in the {args.horizon_days} days after: worked {churn(worked):.3f} (n={len(worked)}) vs "
        f"active scored base {churn(scored):.3f} (n={len(scored)}); "
        f"ratio {churn(worked) / max(churn(scored), 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
