"""``manage.py import_events PATH [--create-missing-customers] [--skip-invalid] [--kind K] [--map ours=theirs ...]``

Example for a file with columns ``cust,date``::

    manage.py import_events grocery_elog.csv --kind purchase --map customer_external_id=cust \\
        --map occurred_at=date --create-missing-customers
"""

from django.core.management.base import BaseCommand

from customers.choices import EVENT_KINDS
from customers.importers import EVENT_REQUIRED
from customers.management.commands import add_import_arguments, run_import
from customers.services import events_upsert


class Command(BaseCommand):
    help = (
        "Import events from a CSV file with the header customer_external_id,kind,occurred_at,amount,value,"
        "external_id (first three required). Events already stored are skipped, so re-importing is a no-op."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)
        parser.add_argument("--create-missing-customers", action="store_true", help="create unknown customers")
        parser.add_argument("--kind", choices=sorted(EVENT_KINDS), help="kind of every row (file has no kind column)")

    def handle(self, *args, path, create_missing_customers, skip_invalid, kind, column_map, **options):
        result = run_import(
            self,
            path,
            required=EVENT_REQUIRED,
            column_map=column_map,
            constants={"kind": kind} if kind else None,
            upsert=lambda rows: events_upsert(
                rows=rows, create_missing_customers=create_missing_customers, skip_invalid=skip_invalid
            ),
        )
        extra = f"; {result.customers_created} customers created" if result.customers_created else ""
        self.stdout.write(
            f"events: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged (already stored), {result.invalid} invalid{extra}"
        )
