"""Reads of customers: search by name, external id and contact (name, phone, e-mail), and list filters.

Visibility is not decided here: callers pass the customers a person may see (interventions.access.customer_list).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .contact_rows import phone_digits
from .models import Contact, Customer

# A query with at least this many digits is also matched against contacts' phone digits ("138 0013" finds
# "+86 138-0013-8000"); fewer would match half the phone book.
MIN_PHONE_DIGITS = 4


def customers_search(customers: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """The customers among `customers` whose name or external id, or one of whose contacts' name, e-mail or
    phone, contains `query` (case-insensitive). Contacts are matched through EXISTS, so no row repeats."""
    query = (query or "").strip()
    if not query:
        return customers
    contact = Q(name__icontains=query) | Q(email__icontains=query)
    digits = phone_digits(query)
    if len(digits) >= MIN_PHONE_DIGITS:
        contact |= Q(phone_digits__contains=digits)
    matching_contact = Exists(Contact.objects.filter(contact, customer=OuterRef("pk")))
    return customers.filter(Q(name__icontains=query) | Q(external_id__icontains=query) | matching_contact)


def customers_filter(
    customers: QuerySet[Customer], *, segment: str = "", owner_id: int | None = None
) -> QuerySet[Customer]:
    """Narrow by segment and owner (the tier of a customer's alert is the workflow's: see the list page)."""
    if segment:
        customers = customers.filter(segment=segment)
    if owner_id:
        customers = customers.filter(owner_id=owner_id)
    return customers


def segments() -> list[str]:
    return list(Customer.objects.exclude(segment="").order_by("segment").values_list("segment", flat=True).distinct())


def contact_list(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("name", "id")
