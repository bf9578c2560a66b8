"""Who may see which rows: customers, work orders and alerts. One module, one rule per kind of row.

Every page, API endpoint and selector that serves a person scopes its rows through these functions, so a
user sees the same customers, work orders and alerts everywhere. Customer visibility depends on the work a
person holds, which is why it lives here on the workflow floor and not in customers/.
"""

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet

from alerts.models import Alert
from churnops.core.roles import Role, is_admin, is_team_lead
from customers.models import Customer

from .models import WorkOrder


def customer_scope(user) -> Q | None:
    """A filter on Customer for what `user` may see; None means everything, Q(pk__in=[]) nothing.

    Admins and customer service see every customer (customer service read-only); team leads the customers
    of their team; account managers their own; everyone also sees customers whose work order they hold.
    """
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


def customer_list(*, user) -> QuerySet[Customer]:
    """Customers visible to ``user`` (see customer_scope), with ``owner`` joined."""
    customers = Customer.objects.select_related("owner")
    scope = customer_scope(user)
    return customers if scope is None else customers.filter(scope)


def work_order_list(*, user, roles=None):
    """Work orders the user may see: admins all, team leads their team's, everyone else their own.

    `roles` (the user's group names, if the caller has read them) spares the role queries.
    """
    qs = WorkOrder.objects.select_related("customer", "assignee")
    if is_admin(user, roles):
        return qs
    if is_team_lead(user, roles):
        # An IN list of the team's ids (not a join on the profiles with an OR): PostgreSQL then walks the queue
        # index per member instead of filtering every open work order.
        team = User.objects.filter(Q(pk=user.pk) | Q(agent__team_lead=user)).values("pk")
        return qs.filter(assignee__in=team)
    return qs.filter(assignee=user)


def alert_list(*, user) -> QuerySet[Alert]:
    """Alerts the user may see, with the customer joined.

    Admins see all. Everyone else sees alerts of customers they can see (customer_list: owners, their team
    leads, customer service) or whose work order they can see (work_order_list: assignees, their team leads),
    and never a control-group alert: hold-outs must not be worked on, or the uplift measurement breaks.
    """
    # id last: a stable order for pagination
    alerts = Alert.objects.select_related("customer").order_by("tier", "-probability", "id")
    if is_admin(user):
        return alerts
    visible = Q(customer_id__in=customer_list(user=user).values("pk")) | Q(
        customer_id__in=work_order_list(user=user).values("customer_id")
    )
    return alerts.filter(visible, is_control=False)
