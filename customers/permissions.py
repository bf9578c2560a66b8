"""Who may see which customer: one rule, shared by the customer page, the API and the selectors."""

from django.db.models import Exists, OuterRef, Q

from interventions.choices import Role


def customer_scope(user) -> Q | None:
    """A filter on Customer for what `user` may see; None means everything, Q(pk__in=[]) nothing.

    Admins and customer service see every customer (customer service read-only); team leads the customers
    of their team; account managers their own; everyone also sees customers whose work order they hold.
    """
    from interventions.models import WorkOrder

    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser or roles & {Role.ADMIN, Role.CUSTOMER_SERVICE}:
        return None
    holds_work = Q(Exists(WorkOrder.objects.filter(customer=OuterRef("pk"), assignee=user)))
    if Role.TEAM_LEAD in roles:
        return Q(owner=user) | Q(owner__agent__team_lead=user) | holds_work
    if Role.ACCOUNT_MANAGER in roles:
        return Q(owner=user) | holds_work
    return holds_work


def can_view_customer(user, customer) -> bool:
    scope = customer_scope(user)
    if scope is None:
        return True
    return type(customer).objects.filter(scope, pk=customer.pk).exists()
