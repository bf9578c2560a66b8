"""Read-side queries for customers, scoped to what a user may see."""

from django.db.models import Q, QuerySet

from interventions.choices import Role

from .models import Customer


def customer_list(*, user) -> QuerySet[Customer]:
    """Customers visible to ``user``, with ``owner`` joined.

    Admins (superusers or group 'admin') and customer service see all customers (customer service read-only;
    enforce that in the view/permission layer); team leads see customers owned by themselves or by agents whose
    AgentProfile.team_lead is them; account managers see the customers they own; anyone else sees none.
    """
    customers = Customer.objects.select_related("owner")
    if not user.is_authenticated or not user.is_active:
        return customers.none()
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser or roles & {Role.ADMIN, Role.CUSTOMER_SERVICE}:
        return customers.all()
    if Role.TEAM_LEAD in roles:
        return customers.filter(Q(owner=user) | Q(owner__agent__team_lead=user))
    if Role.ACCOUNT_MANAGER in roles:
        return customers.filter(owner=user)
    return customers.none()
