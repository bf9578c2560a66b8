from datetime import date
from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from churnops.core.business_time import Calendar, CalendarError, validate_calendar

from .choices import ActionKind, NotificationKind, Outcome, Reason, SlaClock, WorkOrderStatus
from .playbook_models import (  # noqa: F401  (models of this app, registered through this module)
    DailyDigest,
    Offer,
    OfferApproval,
    Playbook,
    PlaybookStep,
    PlaybookVersion,
    WorkOrderStep,
)

# Open work orders a person holds at most unless an admin sets otherwise.
DEFAULT_CAPACITY = 200


class BusinessCalendar(models.Model):
    """A named working calendar (time zone, weekly hours, holidays) on which SLA clocks count business hours."""

    name = models.CharField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # {"mon": [["09:00", "17:00"]], ...}; an interval whose end is not after its start runs past midnight.
    hours = models.JSONField(default=dict)
    # [{"date": "2026-12-25", "name": "Christmas Day"}, ...], sorted by date. On the row itself (not a child
    # table) so that a calendar is read with the profile that uses it, in the same query as the work orders.
    holidays = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clock(self):
        """The calendar as the pure business-time module takes it (parsed once per instance)."""
        cached = getattr(self, "_clock", None)
        if cached is None:
            cached = self._clock = calendar_of(self.timezone, self.hours, self.holidays)
        return cached


def calendar_of(tz: str, hours: dict, holidays: list) -> Calendar:
    parsed, errors = validate_calendar(tz, hours)
    if parsed is None:
        raise CalendarError("; ".join(f"{f}: {m}" for f, m in errors))
    return Calendar(
        tz=parsed.tz, week=parsed.week, holidays=frozenset(date.fromisoformat(h["date"]) for h in holidays or [])
    )


@cache
def timezone_names() -> frozenset[str]:
    """The IANA time zones this machine knows (read from disk once)."""
    return frozenset(available_timezones())


def validate_timezone_name(value: str) -> None:
    """A time zone of the IANA database (Europe/Berlin, Asia/Shanghai); blank is allowed by the field."""
    if value and value not in timezone_names():
        raise ValidationError(
            _("Unknown time zone “%(zone)s”: use a name such as Europe/Berlin or Asia/Shanghai."),
            code="unknown_timezone",
            params={"zone": value},
        )


class AgentProfile(models.Model):
    """Capacity, leave and team of a person who works retention cases."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    capacity = models.PositiveIntegerField(default=DEFAULT_CAPACITY)
    leave_from = models.DateField(null=True, blank=True)
    leave_until = models.DateField(null=True, blank=True)
    team_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_members"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    # Working hours: set on a team lead's profile for the whole team, on a member's for them alone;
    # none means the tier's calendar in the policy, or round the clock.
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="profiles"
    )
    wants_daily_digest = models.BooleanField(default=True, help_text=_("e-mail a morning digest of due steps"))
    # Blank: the browser's language (Accept-Language), and the installation's TIME_ZONE.
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_("blank: the browser's"),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        validators=[validate_timezone_name],
        help_text=_("blank: the installation's time zone"),
    )

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
    # The clock the queue counts down: first contact until the customer was reached, then resolution.
    # Computed by the database so that no write path can let it drift from the two due times.
    sla_due_at = models.GeneratedField(
        expression=Case(
            When(first_contact_at__isnull=True, then=F("first_contact_due_at")), default=F("resolution_due_at")
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
    # is_at_risk: 80% of the running clock has elapsed (cleared when the clock changes).
    # is_breached / breached_at: an SLA was missed (kept, with the first breach time, for compliance figures).
    is_at_risk = models.BooleanField(default=False)
    is_breached = models.BooleanField(default=False)
    breached_at = models.DateTimeField(null=True, blank=True)
    # When 80% of each clock's business time has gone (computed with the due times; NULL on rows written before
    # calendars, whose warning is then 80% of the wall-clock span).
    first_contact_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    # Set while waiting on the customer: the clocks stand still; resuming pushes the due times by the business
    # time that was left. paused_seconds is the wall-clock total of finished pauses.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, db_default=0)
    breached_clock = models.CharField(max_length=16, choices=SlaClock.choices, blank=True)
    breach_count = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The SLA sweep step that last claimed this row with a conditional UPDATE; read back to know which rows it won.
    sla_claim = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_breached", "sla_due_at", "-priority", "id"]
        indexes = [
            # Exactly the queue's order, open rows only: the first page is an index range scan, no sort.
            # is_at_risk rides along after the unique id (it cannot change the order), so the queue's totals are an
            # index-only scan; a key column rather than INCLUDE, which SQLite lacks.
            models.Index(
                fields=["assignee", "-is_breached", "sla_due_at", "-priority", "id", "is_at_risk"],
                condition=Q(open_key__isnull=False),
                name="wo_queue_open",
            ),
            # The team and admin queues: the same order across many assignees, walked in index order and filtered
            # by the team instead of sorting every open row of the team.
            models.Index(
                fields=["-is_breached", "sla_due_at", "-priority", "id"],
                condition=Q(open_key__isnull=False),
                name="wo_queue_open_all",
            ),
            # The SLA sweep reads only open rows whose clock is near or past due.
            models.Index(fields=["sla_due_at"], condition=Q(open_key__isnull=False), name="wo_open_sla_due"),
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


class SlaPause(models.Model):
    """One stretch of waiting on the customer during which the work order's SLA clocks stood still."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Working time on the clock's calendar that the pause gave back to the running clock.
    business_seconds = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order"], condition=models.Q(ended_at__isnull=True), name="sla_pause_one_open"
            )
        ]


class Action(models.Model):
    """Something an account manager did for a work order: a call, e-mail, visit, offer, escalation, note."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    note = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()
    # An offer action's offer and its cost when given (the kit's price may change later; the report counts this).
    offer = models.ForeignKey("interventions.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    offer_cost = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class Notification(models.Model):
    """A message to one user (SLA warning, breach, reassignment), e-mailed and listed in the app."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    work_order = models.ForeignKey(WorkOrder, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set by the mailer's conditional UPDATE claim, so a retried or duplicated send task e-mails once.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Not e-mailed before this moment: the recipient's next working moment (NULL: at once).
    deliver_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The release of e-mails held for working hours reads only the held ones.
            models.Index(
                fields=["deliver_after"],
                name="notification_held",
                condition=Q(emailed_at__isnull=True, deliver_after__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "work_order", "kind"], name="notification_once_per_kind")
        ]


class SlaSweep(models.Model):
    """One run of the SLA sweep and what it did; its id tags the rows it claimed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    at_risk = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    reassigned = models.PositiveIntegerField(default=0)
    notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"SLA sweep {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"
