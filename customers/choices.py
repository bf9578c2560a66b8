from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    VISIT = "visit", _("Service visit")
    LOGIN = "login", _("Login / app use")
    PURCHASE = "purchase", _("Purchase")
    TICKET_OPENED = "ticket_opened", _("Support ticket opened")
    TICKET_CLOSED = "ticket_closed", _("Support ticket closed")
    SURVEY = "survey", _("Satisfaction / NPS survey (value = score 0-10)")
    CAMPAIGN = "campaign", _("Campaign / event attendance")
    RENEWAL = "renewal", _("Contract renewal")
    COMPETITOR = "competitor", _("Competitor signal")


EVENT_KINDS = frozenset(EventKind.values)


class AttributeField(models.TextChoices):
    """Customer attributes whose history is kept, so that features read them as they were at a cut-off."""

    LIFETIME_VALUE = "lifetime_value", _("Lifetime value")
    CONTRACT_START = "contract_start", _("Contract start")
    CONTRACT_END = "contract_end", _("Contract end")
    SEGMENT = "segment", _("Segment")


TRACKED_ATTRIBUTES = tuple(AttributeField.values)


class ContactChannel(models.TextChoices):
    """How a contact person prefers to be reached."""

    CALL = "call", _("Phone call")
    EMAIL = "email", _("E-mail")
    MESSAGE = "message", _("Message")
    VISIT = "visit", _("Visit")
