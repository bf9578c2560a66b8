"""``manage.py seed_demo --customers N [--seed 42] [--as-of YYYY-MM-DD] [--months 30] [--reset]``

Creates the demo staff (``demo.roster.DEMO_USERS``) and a generated population of customers and events.
Re-running with the same arguments changes nothing; a bigger ``--customers`` with the same seed, as-of and
months extends the population. Demo data from other arguments must be cleared with ``--reset`` first.
"""

import time
from datetime import date

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from churnops.core.roles import Role
from customers.models import Customer, Event
from demo.kit import demo_kit_ensure
from demo.population import DEMO_SOURCE, GENERATOR_VERSION, MIN_MONTHS, Population, generate_population
from demo.roster import DEMO_USERS, FULL_NAMES, TEAM_LEAD_USERNAME
from interventions.models import DEFAULT_CAPACITY, AgentProfile

# Rows per INSERT statement. 2,000 keeps a statement ~0.5 MB on PostgreSQL; Django lowers it further on
# SQLite to fit the bound-parameter limit. Event objects are built one batch at a time: a million model
# instances held at once would cost gigabytes.
EVENT_BATCH_SIZE = 2_000
CUSTOMER_BATCH_SIZE = 1_000
# Customer ids are read back by external_id in chunks that stay under SQLite's 999-parameter default.
ID_LOOKUP_CHUNK = 900
CUSTOMER_UPDATE_FIELDS = [
    "name",
    "segment",
    "region",
    "owner",
    "lifetime_value",
    "contract_start",
    "contract_end",
    "churned_at",
    "attributes",
]


class Command(BaseCommand):
    help = "Create demo staff users and a reproducible generated population of customers and activity events."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True, help="number of customers to generate")
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
        parser.add_argument(
            "--as-of", dest="as_of", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today"
        )
        # 30 months: the model's training cut-offs, months before the replayed weeks, still see the full 365 + 90
        # days of history their features look back over (with less, those features drift as history fills in).
        parser.add_argument("--months", type=int, default=30, help=f"months of history (>= {MIN_MONTHS})")
        parser.add_argument(
            "--reset", action="store_true", help="delete demo customers from earlier runs with other arguments"
        )

    def handle(self, *args, customers, seed, as_of, months, reset, **options):
        if customers < 0:
            raise CommandError("--customers must be >= 0")
        if months < MIN_MONTHS:
            raise CommandError(f"--months must be >= {MIN_MONTHS}")
        as_of = as_of or timezone.localdate()
        started = time.monotonic()
        population = generate_population(customers, seed, as_of, months)
        generated = time.monotonic()
        run_key = f"seed={seed} as_of={as_of.isoformat()} months={months} generator={GENERATOR_VERSION}"
        with transaction.atomic():
            users = demo_users_ensure()
            _clear_other_runs(run_key=run_key, reset=reset)
            customer_ids = _customers_upsert(population, users=users, run_key=run_key)
            events_before = Event.objects.count()
            _events_insert(population, customer_ids=customer_ids)
            events_new = Event.objects.count() - events_before
            kit = demo_kit_ensure(
                customers=[(c.external_id, pk) for c, pk in zip(population.customers, customer_ids, strict=True)]
            )
        self.stdout.write(
            f"customers: {len(population.customers)}\n"
            f"events: {len(population.event_kind)} ({events_new} new)\n"
            f"churned: {len(population.churned)}\n"
            f"about to churn: {len(population.about_to_churn)}\n"
            f"playbooks: {kit['playbooks']} new, offers: {kit['offers']} new, contacts: {kit['contacts']}\n"
            f"as of {as_of.isoformat()}, seed {seed}, {months} months; "
            f"generated in {generated - started:.1f} s, written in {time.monotonic() - generated:.1f} s"
        )


def demo_users_ensure() -> dict[str, User]:
    """Get or create the demo staff with their groups and agent profiles; existing passwords are kept."""
    users = {}
    for username, role, password in DEMO_USERS:
        is_admin = role == Role.ADMIN
        first, last = FULL_NAMES.get(username, ("", ""))
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.com",
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "first_name": first,
                "last_name": last,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[username] = user
    lead = users[TEAM_LEAD_USERNAME]
    for username, role, _ in DEMO_USERS:
        if role in (Role.ACCOUNT_MANAGER, Role.CUSTOMER_SERVICE, Role.TEAM_LEAD):
            AgentProfile.objects.get_or_create(
                user=users[username],
                defaults={"capacity": DEFAULT_CAPACITY, "team_lead": None if username == lead.username else lead},
            )
    return users


def _clear_other_runs(*, run_key: str, reset: bool) -> None:
    other_runs = Customer.objects.filter(attributes__source=DEMO_SOURCE).exclude(attributes__demo_run=run_key)
    if not other_runs.exists():
        return
    if not reset:
        raise CommandError(
            "demo customers from a run with another seed, as-of or months exist; "
            "add --reset to delete them (with their events) first"
        )
    other_runs.delete()


def _customers_upsert(population: Population, *, users: dict[str, User], run_key: str) -> list[int]:
    """Insert or update the customers by external_id; returns their ids in population order."""
    rows = [
        Customer(
            external_id=c.external_id,
            name=c.name,
            segment=c.segment,
            region=c.region,
            owner=users[c.owner] if c.owner else None,
            lifetime_value=c.lifetime_value,
            contract_start=c.contract_start,
            contract_end=c.contract_end,
            churned_at=c.churned_at,
            # the planned churn date (also for those leaving after as-of): demo_history's outcomes follow it
            attributes={
                "source": DEMO_SOURCE,
                "demo_run": run_key,
                "demo_churn_date": c.churn_date.isoformat() if c.churn_date else None,
            },
        )
        for c in population.customers
    ]
    Customer.objects.bulk_create(
        rows,
        batch_size=CUSTOMER_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=CUSTOMER_UPDATE_FIELDS,
    )
    external_ids = [c.external_id for c in population.customers]
    id_by_external_id = {}
    for start in range(0, len(external_ids), ID_LOOKUP_CHUNK):
        chunk = external_ids[start : start + ID_LOOKUP_CHUNK]
        id_by_external_id.update(Customer.objects.filter(external_id__in=chunk).values_list("external_id", "id"))
    return [id_by_external_id[e] for e in external_ids]


def _events_insert(population: Population, *, customer_ids: list[int]) -> None:
    """Insert the events batch by batch; those already stored (same customer and external_id) are skipped."""
    index_by_external_id = {c.external_id: i for i, c in enumerate(population.customers)}
    total = len(population.event_kind)
    for start in range(0, total, EVENT_BATCH_SIZE):
        rows = population.event_rows(start, min(start + EVENT_BATCH_SIZE, total))
        batch = [
            Event(
                customer_id=customer_ids[index_by_external_id[customer]],
                external_id=external_id,
                kind=kind,
                occurred_at=occurred_at,
                amount=amount,
                value=value,
            )
            for customer, external_id, kind, occurred_at, amount, value in rows
        ]
        Event.objects.bulk_create(batch, ignore_conflicts=True)
