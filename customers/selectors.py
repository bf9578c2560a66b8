"""Read-side queries for customers, scoped to what a user may see."""

from django.db.models import QuerySet

from .models import Customer
from .permissions import customer_scope


def customer_list(*, user) -> QuerySet[Customer]:
    """Customers visible to ``user`` (see customers.permissions.customer_scope), with ``owner`` joined."""
    customers = Customer.objects.select_related("owner")
    scope = customer_scope(user)
    return customers if scope is None else customers.filter(scope)
