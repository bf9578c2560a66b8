from django.db import models
from django.utils.translation import gettext_lazy as _

from churnops.core.roles import Role  # noqa: F401  (re-exported: the workflow's choices read with Role)


class WorkOrderStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")


OPEN_STATUSES = (WorkOrderStatus.NEW, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.WAITING)

# Legal status moves; anything else is refused by work_order_set_status.
TRANSITIONS = {
    WorkOrderStatus.NEW: {WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.WAITING, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.IN_PROGRESS: {WorkOrderStatus.WAITING, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.WAITING: {WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.RESOLVED},
    WorkOrderStatus.RESOLVED: {WorkOrderStatus.IN_PROGRESS},  # reopen
}


class ActionKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    OFFER = "offer", _("Offer")
    MESSAGE = "message", _("Message")
    ESCALATION = "escalation", _("Escalation")
    NOTE = "note", _("Note")


# Actions that count as reaching the customer (stop the first-contact clock).
CONTACT_ACTIONS = frozenset({ActionKind.CALL, ActionKind.EMAIL, ActionKind.VISIT, ActionKind.OFFER, ActionKind.MESSAGE})


class StepChannel(models.TextChoices):
    """How a playbook step reaches the customer; logging an action of the same kind ticks the step done."""

    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    MESSAGE = "message", _("Message")
    OFFER = "offer", _("Offer")


class OfferApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    USED = "used", _("Given")


class Outcome(models.TextChoices):
    RETAINED = "retained", _("Retained")
    CHURNED = "churned", _("Churned")
    UNREACHABLE = "unreachable", _("Unreachable")
    FALSE_ALARM = "false_alarm", _("False alarm")


class Reason(models.TextChoices):
    PRICE = "price", _("Price")
    SERVICE = "service", _("Service")
    PRODUCT = "product", _("Product")
    COMPETITOR = "competitor", _("Competitor")
    RELOCATION = "relocation", _("Relocation")
    OTHER = "other", _("Other")


class SlaClock(models.TextChoices):
    """The two SLA clocks of a work order: first contact until the customer is reached, then resolution."""

    FIRST_CONTACT = "first_contact", _("First contact")
    RESOLUTION = "resolution", _("Resolution")


class NotificationKind(models.TextChoices):
    """What a notification is about; with the recipient and the work order it is the notification's natural key."""

    AT_RISK_FIRST_CONTACT = "at_risk_first_contact", _("First-contact SLA at risk")
    AT_RISK_RESOLUTION = "at_risk_resolution", _("Resolution SLA at risk")
    BREACHED_FIRST_CONTACT = "breached_first_contact", _("First-contact SLA breached")
    BREACHED_RESOLUTION = "breached_resolution", _("Resolution SLA breached")
    ESCALATED_FIRST_CONTACT = "escalated_first_contact", _("Escalation: first-contact SLA breached")
    ESCALATED_RESOLUTION = "escalated_resolution", _("Escalation: resolution SLA breached")
    ASSIGNED = "assigned", _("Work order assigned to you")
    ASSIGNED_MANY = "assigned_many", _("Work orders assigned to you")
    OFFER_APPROVAL = "offer_approval", _("An offer waits for your approval")
    OFFER_DECIDED = "offer_decided", _("Your offer request was decided")


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
