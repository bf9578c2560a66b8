from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Alert(models.Model):
    """At most one open alert per customer: the latest risk verdict, updated by each re-score."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SNOOZED = "snoozed", _("Snoozed")
        CLOSED = "closed", _("Closed")

    class Lane(models.TextChoices):
        SAVE = "save", _("Save (a person works it)")
        AUTOMATED = "automated", _("Automated (no person, no SLA)")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="alerts")
    # Equals customer_id while the alert is open or snoozed, NULL once closed: a plain unique
    # column (NULLs are distinct) that both SQLite and PostgreSQL accept as an ON CONFLICT target.
    open_key = models.BigIntegerField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    probability = models.FloatField()
    tier = models.PositiveSmallIntegerField()
    max_tier = models.PositiveSmallIntegerField()
    rules_fired = models.JSONField(default=list)
    is_rule_high_risk = models.BooleanField(default=False)
    factors = models.JSONField(default=list)
    is_control = models.BooleanField(default=False)
    first_raised_at = models.DateTimeField()
    first_run_as_of = models.DateField()
    last_run_as_of = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)
    snoozed_until = models.DateField(null=True, blank=True)
    snooze_reason = models.TextField(blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=64, blank=True)
    # The lane the last run put the alert in, and why when not a person's ("over capacity", "control group", ...).
    lane = models.CharField(max_length=10, choices=Lane.choices, default=Lane.AUTOMATED)
    lane_reason = models.CharField(max_length=64, blank=True)
    # What saving the customer is worth, and from what: "ltv", "spend" (observed, the policy's window) or
    # "frequency" (purchases in that window, where events carry no amounts).
    value = models.FloatField(default=0)
    value_basis = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["tier", "-probability"]
        indexes = [models.Index(fields=["status", "tier"], name="alert_status_tier")]

    def __str__(self):
        return f"alert {self.customer_id} tier {self.tier}"
