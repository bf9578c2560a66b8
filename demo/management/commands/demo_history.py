"""``manage.py demo_history [--weeks 12] [--seed 7]``

Replays the last weeks of operation on the seeded demo data (after ``seed_demo``): past nightly runs,
account managers working the cases, monthly retraining and the weekly reports, so that the report page has
a history. It replaces any runs, alerts, work orders and reports already there, and refuses to run when the
database holds customers that seed_demo did not create.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from demo.replay import DemoHistoryError, history_replay


class Command(BaseCommand):
    help = "Simulate the last weeks of operation on the demo data and build their weekly reports."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=12, help="weeks of reports to build (default 12)")
        parser.add_argument("--seed", type=int, default=7, help="random seed of the account managers' behaviour")

    def handle(self, *args, weeks=12, seed=7, **options):
        if weeks < 1:
            raise CommandError("--weeks must be at least 1")
        started = time.monotonic()
        try:
            summary = history_replay(weeks=weeks, seed=seed)
        except DemoHistoryError as exc:
            raise CommandError(str(exc)) from exc
        for run in summary.retrains:
            self.stdout.write(f"retrain {run.as_of}: {run.get_status_display().lower()} ({run.reason})")
        for report in summary.reports:
            d = report.data
            self.stdout.write(
                f"{report.week}: {d['alerts']['raised']} alerts, {d['work_orders']['opened']} work orders opened, "
                f"{d['work_orders']['resolved']} resolved, "
                f"first contact in SLA {_pct(d['sla']['first_contact_rate'])}, "
                f"save rate {_pct(d['outcomes']['total']['save_rate'])}, LTV retained "
                f"{d['value']['ltv_retained']:,.0f}, realised AUC {_num(d['health']['performance'].get('roc_auc'))}, "
                f"drift alarms {len(d['health']['drift']['flagged'])}, uplift {d['cohorts']['uplift']['verdict']}"
                + (
                    f" {d['cohorts']['uplift']['difference']:+.1%}"
                    if d["cohorts"]["uplift"]["difference"] is not None
                    else ""
                )
            )
        self.stdout.write(
            f"{summary.runs} nightly runs, {summary.work_orders} work orders, {summary.contacts} first contacts, "
            f"{summary.resolutions} resolutions ({summary.saved} customers kept), {summary.sweeps} SLA sweeps, "
            f"{len(summary.reports)} weekly reports in "
            f"{time.monotonic() - started:.1f} s"
        )


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value) -> str:
    return "-" if value is None else f"{value:.3f}"
