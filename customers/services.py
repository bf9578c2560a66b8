"""Bulk upsert of customers, their contacts and events; shared by the CSV import commands and the REST API.

Both services validate every row first, then write inside one transaction with bulk queries only.
If any row is invalid and ``skip_invalid`` is False they raise ImportValidationError and write nothing.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import TRACKED_ATTRIBUTES
from .contact_rows import ContactRecord, phone_digits, validate_contact_rows
from .importers import (
    CustomerRecord,
    EventRecord,
    ImportValidationError,
    KeyIndex,
    Row,
    RowError,
    event_state,
    validate_customer_rows,
    validate_event_rows,
)
from .models import Contact, Customer, CustomerAttributeChange, Event

BATCH_SIZE = 1000  # rows per bulk INSERT (Django lowers it further to respect the backend's parameter limit)
LOOKUP_CHUNK = 900  # values per `__in` lookup; SQLite allows 999 parameters per query
# Rows validated and written at a time, all inside one transaction: memory stays flat with the size of the input
# (a million-row file is never held at once), and one bad row anywhere still rolls every batch back.
STREAM_BATCH = 5000


@dataclass
class ImportResult:
    """Counts of one import. For events ``unchanged`` counts rows that were already stored."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    customers_created: int = 0

    @property
    def skipped_duplicates(self):
        return self.unchanged


def _chunks(items, size=LOOKUP_CHUNK) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(rows: Iterable[Row]) -> Iterator[list[Row]]:
    rows = iter(rows)
    while batch := list(islice(rows, STREAM_BATCH)):
        yield batch


def _gate(errors, *, skip_invalid):
    """Sort errors by line; raise unless skipping. Returns (errors, set of invalid lines)."""
    errors = sorted(errors, key=lambda error: error.line)
    if errors and not skip_invalid:
        raise ImportValidationError(errors)
    return errors, {error.line for error in errors}


# --- customers ---------------------------------------------------------------------------------------------------


def _users_by_username(usernames):
    user_model = get_user_model()
    key = user_model.USERNAME_FIELD
    found = {}
    for chunk in _chunks(sorted(usernames)):
        found.update((getattr(u, key), u) for u in user_model.objects.filter(**{f"{key}__in": chunk}))
    return found


def _customers_by_external_id(external_ids) -> dict[str, Customer]:
    found = {}
    for chunk in _chunks(sorted(set(external_ids))):
        found.update((c.external_id, c) for c in Customer.objects.filter(external_id__in=chunk))
    return found


def _owner_errors(records: list[CustomerRecord], owners) -> list[RowError]:
    return [
        RowError(r.line, "owner", _("no user with username '%(owner)s'") % {"owner": r.fields["owner"]})
        for r in records
        if r.fields.get("owner") and r.fields["owner"] not in owners
    ]


def _apply_customer(customer: Customer, record: CustomerRecord, owners) -> bool:
    """Copy the record's values onto the customer; return whether anything changed."""
    changed = False
    for name, value in record.fields.items():
        attname, value = ("owner_id", owners[value].pk if value else None) if name == "owner" else (name, value)
        if getattr(customer, attname) != value:
            setattr(customer, attname, value)
            changed = True
    if record.attributes:
        merged = {**customer.attributes, **record.attributes}
        attributes = {key: value for key, value in merged.items() if value is not None}
        if attributes != customer.attributes:
            customer.attributes, changed = attributes, True
    return changed


def _write_customers(customers_by_fields):
    """Insert-or-update by external_id, one bulk upsert per set of written columns."""
    for fields, customers in customers_by_fields.items():
        Customer.objects.bulk_create(
            customers,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["external_id"],
            update_fields=[*sorted(fields), "updated_at"],
        )


def attribute_text(field: str, value) -> str:
    """The stored text of a tracked attribute value (numbers as repr, dates ISO, None as empty)."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(float(value)) if field == "lifetime_value" else str(value)


def _record_changes(changes: dict[str, dict[str, object]]) -> None:
    """One history row per tracked attribute that a write set or changed, stamped with the write's time."""
    if not changes:
        return
    ids = _customer_ids(changes)
    now = timezone.now()
    CustomerAttributeChange.objects.bulk_create(
        [
            CustomerAttributeChange(
                customer_id=ids[external_id], field=name, value=attribute_text(name, value), changed_at=now
            )
            for external_id, fields in changes.items()
            for name, value in fields.items()
        ],
        batch_size=BATCH_SIZE,
    )


def customers_upsert(*, rows: Iterable[Row], skip_invalid: bool = False) -> ImportResult:
    """Create or update customers by external_id from ``(line, row)`` pairs.

    Only columns present in a row are written; rows whose values already match are left untouched
    (counted as unchanged). ``owner`` must be the username of an existing user.
    Raises ImportValidationError (writing nothing) on any invalid row unless ``skip_invalid``.
    Rows stream through in batches of STREAM_BATCH; once a row is bad (without skipping) the rest are only
    validated, and the transaction is rolled back at the end.
    """
    result, errors, first_line = ImportResult(), [], KeyIndex()
    with transaction.atomic():
        for batch in _batches(rows):
            records, batch_errors = validate_customer_rows(batch, first_line=first_line)
            owners = _users_by_username({r.fields["owner"] for r in records if r.fields.get("owner")})
            batch_errors += _owner_errors(records, owners)
            errors += batch_errors
            if errors and not skip_invalid:
                continue
            bad_lines = {error.line for error in batch_errors}
            _customers_write_batch([r for r in records if r.line not in bad_lines], owners, result)
        errors, bad_lines = _gate(errors, skip_invalid=skip_invalid)
    result.invalid, result.errors = len(bad_lines), errors
    return result


def _customers_write_batch(good: list[CustomerRecord], owners, result: ImportResult) -> None:
    """Write one batch of valid rows, and record each change of a tracked attribute (point-in-time history)."""
    existing = _customers_by_external_id(r.external_id for r in good)
    to_write = defaultdict(list)
    attribute_changes: dict[str, dict[str, object]] = {}
    for record in good:
        customer = existing.get(record.external_id)
        is_new = customer is None
        customer = customer or Customer(external_id=record.external_id)
        before = {} if is_new else {name: getattr(customer, name) for name in TRACKED_ATTRIBUTES}
        if not _apply_customer(customer, record, owners) and not is_new:
            result.unchanged += 1
            continue
        result.created, result.updated = result.created + is_new, result.updated + (not is_new)
        customer.pk = None  # written through the INSERT ... ON CONFLICT (external_id) DO UPDATE path
        to_write[frozenset(record.fields) | ({"attributes"} if record.attributes else set())].append(customer)
        changed = {
            name: getattr(customer, name)
            for name in TRACKED_ATTRIBUTES
            if name in record.fields and (is_new or before[name] != getattr(customer, name))
        }
        if changed:
            attribute_changes[record.external_id] = changed
    _write_customers(to_write)
    _record_changes(attribute_changes)


# --- events ------------------------------------------------------------------------------------------------------


def _customer_ids(external_ids) -> dict[str, int]:
    found = {}
    for chunk in _chunks(sorted(set(external_ids))):
        found.update(Customer.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
    return found


def _create_bare_customers(external_ids) -> int:
    customers = [Customer(external_id=external_id) for external_id in sorted(external_ids)]
    Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(customers)


def _missing_customer_errors(records: list[EventRecord], missing) -> list[RowError]:
    return [
        RowError(
            r.line,
            "customer_external_id",
            _("no customer with external_id '%(customer_external_id)s'")
            % {"customer_external_id": r.customer_external_id},
        )
        for r in records
        if r.customer_external_id in missing
    ]


def _existing_event_keys(keys) -> set[tuple[int, str]]:
    """Which (customer_id, external_id) pairs are stored; queried in chunks that stay within the index."""
    found = set()
    for chunk in _chunks(sorted(keys), LOOKUP_CHUNK // 2):
        customer_ids, external_ids = {k[0] for k in chunk}, {k[1] for k in chunk}
        stored = Event.objects.filter(customer_id__in=customer_ids, external_id__in=external_ids)
        found.update(set(stored.values_list("customer_id", "external_id")) & set(chunk))
    return found


def _event(record: EventRecord, customer_id: int) -> Event:
    return Event(
        customer_id=customer_id,
        kind=record.kind,
        occurred_at=record.occurred_at,
        amount=record.amount,
        value=record.value,
        external_id=record.external_id,
    )


def events_upsert(
    *, rows: Iterable[Row], create_missing_customers: bool = False, skip_invalid: bool = False
) -> ImportResult:
    """Insert events from ``(line, row)`` pairs; events already stored (same customer and external_id)
    are skipped and counted as unchanged, so re-importing the same input is a no-op.

    Unknown customers are errors unless ``create_missing_customers`` (then bare customers are created).
    Raises ImportValidationError (writing nothing) on any invalid row unless ``skip_invalid``.
    """
    result, errors, state = ImportResult(), [], event_state()
    with transaction.atomic():
        for batch in _batches(rows):
            records, batch_errors = validate_event_rows(batch, state=state)
            customer_ids = _customer_ids(r.customer_external_id for r in records)
            missing = {r.customer_external_id for r in records} - customer_ids.keys()
            if not create_missing_customers:
                batch_errors += _missing_customer_errors(records, missing)
            errors += batch_errors
            if errors and not skip_invalid:
                continue
            bad_lines = {error.line for error in batch_errors}
            good = [r for r in records if r.line not in bad_lines]
            if create_missing_customers and missing:
                result.customers_created += _create_bare_customers(missing)
                customer_ids.update(_customer_ids(missing))
            events = [_event(r, customer_ids[r.customer_external_id]) for r in good]
            stored = _existing_event_keys({(e.customer_id, e.external_id) for e in events})
            new = [e for e in events if (e.customer_id, e.external_id) not in stored]
            Event.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
            result.created, result.unchanged = result.created + len(new), result.unchanged + len(events) - len(new)
        errors, bad_lines = _gate(errors, skip_invalid=skip_invalid)
    result.invalid, result.errors = len(bad_lines), errors
    return result


# --- contacts ----------------------------------------------------------------------------------------------------


def _apply_contact(contact: Contact, record: ContactRecord) -> bool:
    changed = False
    values = dict(record.fields)
    if "phone" in values:
        values["phone_digits"] = phone_digits(values["phone"])
    for name, value in values.items():
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    return changed


def contacts_upsert(*, rows: Iterable[Row], skip_invalid: bool = False) -> ImportResult:
    """Create or update contacts by (customer external_id, name) from ``(line, row)`` pairs.

    Only columns present in a row are written; a row whose values already match is counted as unchanged.
    Raises ImportValidationError (writing nothing) on any invalid row unless ``skip_invalid``.
    """
    records, errors = validate_contact_rows(rows)
    with transaction.atomic():
        customer_ids = _customer_ids(r.customer_external_id for r in records)
        missing = {r.customer_external_id for r in records} - customer_ids.keys()
        errors += [
            RowError(
                r.line,
                "customer_external_id",
                _("no customer with external_id '%(customer_external_id)s'")
                % {"customer_external_id": r.customer_external_id},
            )
            for r in records
            if r.customer_external_id in missing
        ]
        errors, bad_lines = _gate(errors, skip_invalid=skip_invalid)
        result = ImportResult(invalid=len(bad_lines), errors=errors)
        good = [r for r in records if r.line not in bad_lines]
        existing = {}
        for chunk in _chunks(sorted({customer_ids[r.customer_external_id] for r in good})):
            stored = Contact.objects.filter(customer_id__in=chunk)
            existing.update(((c.customer_id, c.name.casefold()), c) for c in stored)
        new, changed = [], []
        for record in good:
            customer_id = customer_ids[record.customer_external_id]
            contact = existing.get((customer_id, record.name.casefold()))
            if contact is None:
                contact = Contact(customer_id=customer_id, name=record.name)
                _apply_contact(contact, record)
                new.append(contact)
                existing[(customer_id, record.name.casefold())] = contact
            elif _apply_contact(contact, record):
                changed.append(contact)
            else:
                result.unchanged += 1
        Contact.objects.bulk_create(new, batch_size=BATCH_SIZE)
        fields = ["role", "phone", "phone_digits", "email", "preferred_channel", "updated_at"]
        now = timezone.now()
        for contact in changed:
            contact.updated_at = now
        Contact.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
        result.created, result.updated = len(new), len(changed)
    return result
