from django.db import models


class EventKind(models.TextChoices):
    VISIT = "visit", "Service visit"
    LOGIN = "login", "Login / app use"
    PURCHASE = "purchase", "Purchase"
    TICKET_OPENED = "ticket_opened", "Support ticket opened"
    TICKET_CLOSED = "ticket_closed", "Support ticket closed"
    SURVEY = "survey", "Satisfaction / NPS survey (value = score 0-10)"
    CAMPAIGN = "campaign", "Campaign / event attendance"
    RENEWAL = "renewal", "Contract renewal"
    COMPETITOR = "competitor", "Competitor signal"


EVENT_KINDS = frozenset(EventKind.values)


class AttributeField(models.TextChoices):
    """Customer attributes whose history is kept, so that features read them as they were at a cut-off."""

    LIFETIME_VALUE = "lifetime_value", "Lifetime value"
    CONTRACT_START = "contract_start", "Contract start"
    CONTRACT_END = "contract_end", "Contract end"
    SEGMENT = "segment", "Segment"


TRACKED_ATTRIBUTES = tuple(AttributeField.values)


class ContactChannel(models.TextChoices):
    """How a contact person prefers to be reached."""

    CALL = "call", "Phone call"
    EMAIL = "email", "E-mail"
    MESSAGE = "message", "Message"
    VISIT = "visit", "Visit"
