"""``manage.py weekly_report [--week 2026-W47] [--rebuild] [--no-email]``

Builds and stores the outcome report of an ISO week (default: the last completed one) and e-mails it to
admins and team leads once. A stored week is left as it is unless --rebuild says to recompute it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reports.services import report_email_send, weekly_report_build
from reports.weeks import IsoWeek


class Command(BaseCommand):
    help = "Build (or rebuild) the weekly outcome report of an ISO week and e-mail it to admins and team leads."

    def add_arguments(self, parser):
        parser.add_argument("--week", default=None, help="ISO week like 2026-W47 (default: last completed week)")
        parser.add_argument("--rebuild", action="store_true", help="recompute a stored week from today's data")
        parser.add_argument("--no-email", dest="email", action="store_false", help="do not e-mail it")

    def handle(self, *args, week=None, rebuild=False, email=True, **options):
        try:
            iso = IsoWeek.parse(week) if week else IsoWeek.last_completed()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            report, built = weekly_report_build(week=iso, rebuild=rebuild)
        sent = report_email_send(report_id=report.pk) if email else False
        d = report.data
        state = "built" if built else "already stored (use --rebuild to recompute)"
        self.stdout.write(
            f"{report.week} ({d['week_start']} to {d['week_end']}) {state}: {d['alerts']['raised']} alerts, "
            f"{d['work_orders']['opened']} work orders opened, {d['work_orders']['resolved']} resolved, "
            f"save rate {_pct(d['outcomes']['total']['save_rate'])}, "
            f"first contact within SLA {_pct(d['sla']['first_contact_rate'])}"
            f"{'; e-mailed' if sent else ''}"
        )


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"
