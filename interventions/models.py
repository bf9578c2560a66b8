from django.conf import settings
from django.db import models

from .choices import ActionKind, Outcome, Reason, WorkOrderStatus


class AgentProfile(models.Model):
    """Capacity, leave and team of a person who works retention cases."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    capacity = models.PositiveIntegerField(default=200)
    leave_from = models.DateField(null=True, blank=True)
    leave_until = models.DateField(null=True, blank=True)
    team_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_members"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"profile of {self.user}"


class WorkOrder(models.Model):
    """A retention case for one at-risk customer, with an SLA clock and an assignee."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="work_orders")
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    # customer_id while open, NULL once resolved: enforces one open work order per customer.
    open_key = models.BigIntegerField(null=True, blank=True, unique=True)
    tier = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    probability = models.FloatField()
    priority = models.FloatField(default=0)
    opened_at = models.DateTimeField()
    first_contact_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    first_contact_at = models.DateTimeField(null=True, blank=True)
    is_at_risk = models.BooleanField(default=False)
    is_breached = models.BooleanField(default=False)
    breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_breached", "first_contact_due_at", "-priority"]
        indexes = [
            models.Index(fields=["assignee", "open_key", "is_breached", "first_contact_due_at"], name="wo_queue"),
            models.Index(fields=["status"], name="wo_status"),
        ]

    def __str__(self):
        return f"WO-{self.pk} {self.customer_id} tier {self.tier}"

    @property
    def is_open(self):
        return self.status != WorkOrderStatus.RESOLVED


class WorkOrderEvent(models.Model):
    """One change to a work order (status, assignee, tier, priority, SLA), by a person or the system."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    field = models.CharField(max_length=32)
    before = models.CharField(max_length=200, blank=True)
    after = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Action(models.Model):
    """Something an account manager did for a work order: a call, e-mail, visit, offer, escalation, note."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    note = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]


class Notification(models.Model):
    """A message to one user (SLA warning, breach, reassignment), e-mailed and listed in the app."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    work_order = models.ForeignKey(WorkOrder, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "work_order", "kind"], name="notification_once_per_kind"
            )
        ]
