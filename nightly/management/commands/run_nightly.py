import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nightly.pipeline import RunInProgress
from nightly.tasks import nightly_run_task
from scoring.models import ScoreRun


class Command(BaseCommand):
    help = "Run the nightly pipeline (features, rules, model, tiers, alerts, work orders) for a date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for workers")

    def handle(self, *args, as_of=None, timeout=3600, **options):
        day = as_of or timezone.localdate()
        try:
            run_id = nightly_run_task.delay(day.isoformat()).get(timeout=timeout)
        except RunInProgress as exc:
            raise CommandError(f"run {day} not started: {exc}") from exc
        deadline = time.monotonic() + timeout
        run = ScoreRun.objects.get(pk=run_id)
        while run.status in ScoreRun.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.5)
            run.refresh_from_db()
        if run.status != ScoreRun.Status.DONE:
            raise CommandError(f"run {day} ended {run.status}: {run.stats}")
        s = run.stats
        self.stdout.write(
            f"run {day}: {s.get('customers', 0)} customers scored, {s.get('at_risk', 0)} at risk "
            f"(tiers {s.get('tiers', {})}), {s.get('rule_high', 0)} high risk by rules, "
            f"{s.get('work_orders_opened', 0)} work orders opened, {s.get('alerts_closed', 0)} alerts closed; "
            f"{s.get('lapsed', 0)} lapsed (win-back lane), {s.get('over_capacity', 0)} over capacity (automated lane), "
            f"free capacity { ({r: c['free'] for r, c in s.get('capacity', {}).items()}) }"
        )
        if s.get("note"):
            self.stdout.write(s["note"])
