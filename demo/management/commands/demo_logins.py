from django.core.management.base import BaseCommand

from demo.roster import DEMO_USERS
from interventions.models import WorkOrder


class Command(BaseCommand):
    help = "Print where to log in to the demo and the demo users' passwords."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        self.stdout.write("")
        self.stdout.write(f"ChurnOps demo: log in at {url}")
        for user in DEMO_USERS:
            queue = WorkOrder.objects.filter(assignee__username=user.username, open_key__isnull=False).count()
            self.stdout.write(f"  {user.username:<8} {user.password:<16} {user.role:<18} {queue} open work orders")
        self.stdout.write("")
