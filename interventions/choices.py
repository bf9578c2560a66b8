from django.db import models


class Role(models.TextChoices):
    """Django group names; each user's role is their group."""

    ACCOUNT_MANAGER = "account_manager", "Account manager"
    TEAM_LEAD = "team_lead", "Team lead"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    ADMIN = "admin", "Admin"


class WorkOrderStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (WorkOrderStatus.NEW, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.WAITING)

# Legal status moves; anything else is refused by work_order_set_status.
TRANSITIONS = {
    WorkOrderStatus.NEW: {WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.WAITING, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.IN_PROGRESS: {WorkOrderStatus.WAITING, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.WAITING: {WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.RESOLVED: {WorkOrderStatus.IN_PROGRESS},  # reopen
}


class ActionKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    VISIT = "visit", "Visit"
    OFFER = "offer", "Offer"
    ESCALATION = "escalation", "Escalation"
    NOTE = "note", "Note"


# Actions that count as reaching the customer (stop the first-contact clock).
CONTACT_ACTIONS = frozenset({ActionKind.CALL, ActionKind.EMAIL, ActionKind.VISIT, ActionKind.OFFER})


class Outcome(models.TextChoices):
    RETAINED = "retained", "Retained"
    CHURNED = "churned", "Churned"
    UNREACHABLE = "unreachable", "Unreachable"
    FALSE_ALARM = "false_alarm", "False alarm"


class Reason(models.TextChoices):
    PRICE = "price", "Price"
    SERVICE = "service", "Service"
    PRODUCT = "product", "Product"
    COMPETITOR = "competitor", "Competitor"
    RELOCATION = "relocation", "Relocation"
    OTHER = "other", "Other"
