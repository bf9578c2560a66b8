"""The demo's playbooks, offer kit and customer contacts: the defaults of a fresh installation, and one or two
generated contact people per demo customer (names, phones and e-mails derived from the external id, so a re-run
writes the same rows)."""

import hashlib

from customers.contact_rows import phone_digits
from customers.models import Contact
from interventions.services import offers_install_defaults, playbooks_install_defaults

CONTACT_BATCH_SIZE = 2_000  # rows per INSERT, as for the demo's events
FIRST = ("Li", "Wang", "Anna", "Jonas", "Mei", "Lukas", "Sofia", "Chen", "Emma", "Ben", "Yan", "Marie")
LAST = ("Zhang", "Schmidt", "Liu", "Müller", "Huang", "Weber", "Zhao", "Fischer", "Wu", "Becker")
ROLES = ("owner", "store manager", "purchasing", "finance")
CHANNELS = ("call", "email", "message", "call", "visit")


def _digits(external_id: str, salt: str) -> int:
    return int(hashlib.sha1(f"{salt}:{external_id}".encode(), usedforsecurity=False).hexdigest()[:12], 16)


def demo_contacts(external_id: str, customer_id: int) -> list[Contact]:
    """One contact for every customer, a second one for about a third of them."""
    contacts = []
    for n in range(1 + (_digits(external_id, "n") % 3 == 0)):
        h = _digits(external_id, f"c{n}")
        first, last = FIRST[h % len(FIRST)], LAST[(h // 7) % len(LAST)]
        phone = f"+49 30 {h % 9000 + 1000} {h // 9000 % 9000 + 1000}"
        slug = external_id.lower().replace("_", "-")
        contacts.append(
            Contact(
                customer_id=customer_id,
                name=f"{first} {last}",
                role=ROLES[(h // 3) % len(ROLES)],
                phone=phone,
                phone_digits=phone_digits(phone),
                email=f"{first.lower()}.{n}@{slug}.example".replace("ü", "ue"),
                preferred_channel=CHANNELS[(h // 11) % len(CHANNELS)],
            )
        )
    return contacts


def demo_kit_ensure(*, customers: list[tuple[str, int]]) -> dict:
    """Install the default playbooks and offers (if none exist) and the contacts of (external_id, id) customers."""
    playbooks = playbooks_install_defaults()
    offers = offers_install_defaults()
    written = 0
    for start in range(0, len(customers), CONTACT_BATCH_SIZE):
        batch = [
            c
            for external_id, pk in customers[start : start + CONTACT_BATCH_SIZE]
            for c in demo_contacts(external_id, pk)
        ]
        Contact.objects.bulk_create(batch, ignore_conflicts=True)  # (customer, name) is the key: re-runs skip
        written += len(batch)
    return {"playbooks": playbooks, "offers": offers, "contacts": written}
