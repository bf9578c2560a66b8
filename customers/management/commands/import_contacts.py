"""``manage.py import_contacts PATH [--skip-invalid] [--map ours=theirs ...]``"""

from django.core.management.base import BaseCommand

from customers.contact_rows import CONTACT_REQUIRED
from customers.management.commands import add_import_arguments, run_import
from customers.services import contacts_upsert


class Command(BaseCommand):
    help = (
        "Create or update customer contacts from a CSV file with the header customer_external_id,name,role,phone,"
        "email,preferred_channel (customer_external_id and name required; a contact is keyed by customer and "
        "name). Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, path, skip_invalid, column_map, **options):
        result = run_import(
            self,
            path,
            required=CONTACT_REQUIRED,
            column_map=column_map,
            upsert=lambda rows: contacts_upsert(rows=rows, skip_invalid=skip_invalid),
        )
        self.stdout.write(
            f"contacts: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.invalid} invalid"
        )
