"""Models of playbooks (what to do on a work order, step by step) and of the offer kit.

Imported by interventions.models, so they belong to the interventions app like every other workflow model.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import OfferApprovalStatus, StepChannel

# A step due more than a year after opening is a typo, not a plan.
MAX_DUE_OFFSET_DAYS = 365


class Playbook(models.Model):
    """A named sequence of steps, applied to a new work order by tier, segment and the customer's top risk signal.

    An empty `tiers`, `segments` or `signals` list matches anything; a playbook that names the customer's signal
    beats one that names the segment, which beats one that names only the tier.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    tiers = models.JSONField(default=list, blank=True, help_text=_("tier numbers, e.g. [1]; empty: any tier"))
    segments = models.JSONField(default=list, blank=True, help_text=_("customer segments; empty: any segment"))
    signals = models.JSONField(
        default=list, blank=True, help_text=_('rule names or factor features, e.g. ["Competitor signal"]; empty: any')
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("breaks ties between equally specific plays"))
    version = models.PositiveIntegerField(default=0, editable=False, help_text=_("number of the latest version"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class PlaybookStep(models.Model):
    """One step of a playbook: what to do, through which channel, how many days after the work order opens."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    instruction = models.TextField(blank=True)
    channel = models.CharField(max_length=12, choices=StepChannel.choices)
    due_offset_days = models.PositiveSmallIntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DUE_OFFSET_DAYS)],
        help_text=_("days after the work order opens"),
    )
    talk_track = models.TextField(blank=True, help_text=_("what to say: the opening, the questions, the answers"))

    class Meta:
        ordering = ["playbook_id", "position", "id"]


class PlaybookVersion(models.Model):
    """A playbook as it was saved (steps included), with who changed it, why, and what changed."""

    playbook = models.ForeignKey(Playbook, null=True, on_delete=models.SET_NULL, related_name="versions")
    name = models.CharField(max_length=120)
    number = models.PositiveIntegerField()
    data = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(max_length=300, blank=True)
    diff = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_unique")]

    def __str__(self):
        return f"{self.name} v{self.number}"


class WorkOrderStep(models.Model):
    """A step a work order got from its playbook version when it opened; logging the step's channel ticks it done.

    Copied, not linked: editing the playbook later leaves the steps of open work orders as they were.
    """

    work_order = models.ForeignKey("interventions.WorkOrder", on_delete=models.CASCADE, related_name="steps")
    playbook_version = models.ForeignKey(PlaybookVersion, null=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    instruction = models.TextField(blank=True)
    channel = models.CharField(max_length=12, choices=StepChannel.choices)
    due_at = models.DateTimeField()
    talk_track = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    action = models.ForeignKey(
        "interventions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["work_order_id", "position"]
        constraints = [models.UniqueConstraint(fields=["work_order", "position"], name="wo_step_unique_position")]
        indexes = [
            # The queue's "step overdue" flag and the daily digest read open steps by due time.
            models.Index(fields=["due_at", "work_order"], condition=Q(done_at__isnull=True), name="wo_step_open_due")
        ]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Offer(models.Model):
    """A retention offer of the kit: its cost, and up to which cost each role may give it without approval."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    cost = models.FloatField(validators=[MinValueValidator(0)])
    # {role: highest cost that role gives without a lead's approval}; a role not listed always needs approval,
    # admins never do.
    approval_limits = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cost", "name"]

    def __str__(self):
        return f"{self.name} ({self.cost:,.0f})"


class OfferApproval(models.Model):
    """A request to give an offer above the requester's limit, and a lead's decision on it."""

    work_order = models.ForeignKey("interventions.WorkOrder", on_delete=models.CASCADE, related_name="offer_approvals")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="approvals")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=OfferApprovalStatus.choices, default=OfferApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    action = models.ForeignKey(
        "interventions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One live request per work order and offer: asking twice does not notify the lead twice.
            models.UniqueConstraint(
                fields=["work_order", "offer"],
                condition=Q(status__in=["pending", "approved"]),
                name="offer_approval_one_live",
            )
        ]


class DailyDigest(models.Model):
    """The morning digest e-mailed to one person on one day; the row is the claim that makes sending it once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    due_steps = models.PositiveIntegerField(default=0)
    new_work_orders = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="daily_digest_once_a_day")]
