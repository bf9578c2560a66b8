"""``manage.py import_customers PATH [--skip-invalid] [--map ours=theirs ...]``"""

from django.core.management.base import BaseCommand

from customers.importers import CUSTOMER_REQUIRED
from customers.management.commands import add_import_arguments, run_import
from customers.services import customers_upsert


class Command(BaseCommand):
    help = (
        "Create or update customers from a CSV file with the header external_id,name,segment,region,owner,"
        "lifetime_value,contract_start,contract_end,churned_at (only external_id required; extra columns go "
        "into attributes). Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, path, skip_invalid, column_map, **options):
        result = run_import(
            self,
            path,
            required=CUSTOMER_REQUIRED,
            column_map=column_map,
            upsert=lambda rows: customers_upsert(rows=rows, skip_invalid=skip_invalid),
        )
        self.stdout.write(
            f"customers: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.invalid} invalid"
        )
