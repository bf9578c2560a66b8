"""``manage.py send_daily_digest [--day YYYY-MM-DD]``"""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from interventions.services import digests_send


class Command(BaseCommand):
    help = (
        "E-mail today's digest (steps due, new work orders, breaches) to everyone with open work who has not "
        "opted out; beat runs it every morning. A digest already sent for the day is not sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today")

    def handle(self, *args, day, **options):
        day = day or timezone.localdate()
        self.stdout.write(f"daily digest for {day.isoformat()}: {digests_send(day=day)} e-mail(s) sent")
