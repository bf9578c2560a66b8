from django.conf import settings
from django.db import models

from .choices import AttributeField, ContactChannel, EventKind


class Customer(models.Model):
    """A customer account whose churn risk ChurnOps watches."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=64, blank=True, db_index=True)
    region = models.CharField(max_length=64, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_customers"
    )
    lifetime_value = models.FloatField(default=0)
    contract_start = models.DateField(null=True, blank=True)
    contract_end = models.DateField(null=True, blank=True)
    churned_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self):
        return f"{self.name or self.external_id} ({self.external_id})"


class Event(models.Model):
    """One activity of a customer: a visit, login, purchase, ticket, survey, renewal or signal."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    occurred_at = models.DateTimeField()
    amount = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    # Source id; when the source gives none the importer derives a stable one from the row,
    # so that re-importing the same file is a no-op.
    external_id = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "external_id"], name="event_unique_source_id")]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="event_customer_time")]

    def __str__(self):
        return f"{self.kind} {self.customer_id} {self.occurred_at:%Y-%m-%d}"


class CustomerAttributeChange(models.Model):
    """A customer attribute's value from `changed_at` on: features read the one in force at each cut-off."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="attribute_changes")
    field = models.CharField(max_length=32, choices=AttributeField.choices)
    # As text: a number, an ISO date or a segment name; empty when the value was cleared.
    value = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "field", "changed_at"], name="attr_change_customer_time")]

    def __str__(self):
        return f"{self.customer_id} {self.field}={self.value} from {self.changed_at:%Y-%m-%d}"


class Contact(models.Model):
    """A person at a customer whom an account manager calls, mails or visits."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # The phone's digits only, so a search for "138 0013 8000" finds "+86 138-0013-8000".
    phone_digits = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    email = models.EmailField(max_length=200, blank=True)
    preferred_channel = models.CharField(max_length=12, choices=ContactChannel.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id", "name", "id"]
        constraints = [
            # A contact's natural key: re-importing the same file updates, never duplicates.
            models.UniqueConstraint(fields=["customer", "name"], name="contact_unique_name")
        ]

    def __str__(self):
        return f"{self.name} ({self.customer_id})"
