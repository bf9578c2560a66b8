from django.core.management.base import BaseCommand

from interventions.services import sla_sweep


class Command(BaseCommand):
    help = "Run the SLA sweep once now (beat runs it every 5 minutes): mark at-risk and breached work, escalate."

    def handle(self, *args, **options):
        sweep = sla_sweep()
        self.stdout.write(
            f"SLA sweep: {sweep.at_risk} at risk, {sweep.breached} breached, {sweep.escalated} "
            f"escalated, {sweep.reassigned} reassigned, {sweep.notified} notifications"
        )
