from django.db import models

from churnops.core.roles import Role  # noqa: F401  (re-exported: the workflow's choices read with Role)


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
    MESSAGE = "message", "Message"
    ESCALATION = "escalation", "Escalation"
    NOTE = "note", "Note"


# Actions that count as reaching the customer (stop the first-contact clock).
CONTACT_ACTIONS = frozenset({ActionKind.CALL, ActionKind.EMAIL, ActionKind.VISIT, ActionKind.OFFER, ActionKind.MESSAGE})


class StepChannel(models.TextChoices):
    """How a playbook step reaches the customer; logging an action of the same kind ticks the step done."""

    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    VISIT = "visit", "Visit"
    MESSAGE = "message", "Message"
    OFFER = "offer", "Offer"


class OfferApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    USED = "used", "Given"


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


class SlaClock(models.TextChoices):
    """The two SLA clocks of a work order: first contact until the customer is reached, then resolution."""

    FIRST_CONTACT = "first_contact", "First contact"
    RESOLUTION = "resolution", "Resolution"


class NotificationKind(models.TextChoices):
    """What a notification is about; with the recipient and the work order it is the notification's natural key."""

    AT_RISK_FIRST_CONTACT = "at_risk_first_contact", "First-contact SLA at risk"
    AT_RISK_RESOLUTION = "at_risk_resolution", "Resolution SLA at risk"
    BREACHED_FIRST_CONTACT = "breached_first_contact", "First-contact SLA breached"
    BREACHED_RESOLUTION = "breached_resolution", "Resolution SLA breached"
    ESCALATED_FIRST_CONTACT = "escalated_first_contact", "Escalation: first-contact SLA breached"
    ESCALATED_RESOLUTION = "escalated_resolution", "Escalation: resolution SLA breached"
    ASSIGNED = "assigned", "Work order assigned to you"
    ASSIGNED_MANY = "assigned_many", "Work orders assigned to you"
    OFFER_APPROVAL = "offer_approval", "An offer waits for your approval"
    OFFER_DECIDED = "offer_decided", "Your offer request was decided"


AT_RISK_KIND = {
    SlaClock.FIRST_CONTACT: NotificationKind.AT_RISK_FIRST_CONTACT,
    SlaClock.RESOLUTION: NotificationKind.AT_RISK_RESOLUTION,
}
BREACHED_KIND = {
    SlaClock.FIRST_CONTACT: NotificationKind.BREACHED_FIRST_CONTACT,
    SlaClock.RESOLUTION: NotificationKind.BREACHED_RESOLUTION,
}
ESCALATED_KIND = {
    SlaClock.FIRST_CONTACT: NotificationKind.ESCALATED_FIRST_CONTACT,
    SlaClock.RESOLUTION: NotificationKind.ESCALATED_RESOLUTION,
}
