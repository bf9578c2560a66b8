"""Work orders API: work orders with their history, and the inputs of each state change."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from churnops.core.api import StrictSerializer, UserSummarySerializer
from customers.api.serializers import CustomerSummarySerializer
from interventions.choices import ActionKind, Outcome, Reason, WorkOrderStatus
from interventions.models import Action, Notification, Offer, WorkOrder, WorkOrderEvent, WorkOrderStep
from interventions.playbook_selectors import next_open_step


def _when(value, zone) -> str | None:
    """As DRF's DateTimeField renders it: ISO 8601 in the current time zone (None: as stored), UTC as Z."""
    if value is None:
        return None
    text = (value.astimezone(zone) if zone else value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class WorkOrderListSerializer(serializers.ListSerializer):
    """A page of work orders, each row built directly from the loaded columns: the same JSON as the row serializer
    (a test holds them equal), at a fraction of DRF's per-field cost on the 50-row page of a busy list."""

    def to_representation(self, data):
        zone = timezone.get_current_timezone()
        return [_row(wo, zone) for wo in (data.all() if hasattr(data, "all") else data)]


def _row(wo: WorkOrder, zone) -> dict:
    customer, assignee = wo.customer, wo.assignee
    return {
        "id": wo.id,
        "customer": {
            "id": customer.id,
            "external_id": customer.external_id,
            "name": customer.name,
            "segment": customer.segment,
            "region": customer.region,
        },
        "alert": wo.alert_id,
        "tier": wo.tier,
        "status": wo.status,
        "assignee": None if assignee is None else {"id": assignee.id, "username": assignee.username},
        "probability": wo.probability,
        "priority": wo.priority,
        "opened_at": _when(wo.opened_at, zone),
        "first_contact_due_at": _when(wo.first_contact_due_at, zone),
        "resolution_due_at": _when(wo.resolution_due_at, zone),
        "first_contact_at": _when(wo.first_contact_at, zone),
        "sla_due_at": _when(wo.sla_due_at, None),  # a generated column: DRF renders it as stored
        "is_at_risk": wo.is_at_risk,
        "is_breached": wo.is_breached,
        "breached_at": _when(wo.breached_at, zone),
        "breached_clock": wo.breached_clock,
        "breach_count": wo.breach_count,
        "escalated_at": _when(wo.escalated_at, zone),
        "resolved_at": _when(wo.resolved_at, zone),
        "outcome": wo.outcome,
        "reason": wo.reason,
        "resolution_note": wo.resolution_note,
        "updated_at": _when(wo.updated_at, zone),
    }


class WorkOrderSerializer(serializers.ModelSerializer):
    customer = CustomerSummarySerializer(read_only=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    # Read-only model fields lose `blank` in DRF, so the schema would not allow the "" an open work order has.
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    reason = serializers.ChoiceField(choices=Reason.choices, allow_blank=True, read_only=True)
    breached_clock = serializers.ChoiceField(
        choices=WorkOrder._meta.get_field("breached_clock").choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = WorkOrder
        fields = [
            "id", "customer", "alert", "tier", "status", "assignee", "probability", "priority",
            "opened_at", "first_contact_due_at", "resolution_due_at", "first_contact_at",
            "sla_due_at", "is_at_risk", "is_breached", "breached_at", "breached_clock", "breach_count", "escalated_at",
            "resolved_at", "outcome", "reason", "resolution_note", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        list_serializer_class = WorkOrderListSerializer


class ActionSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Action
        fields = ["id", "kind", "note", "author", "at"]
        read_only_fields = fields


class ActionWithOfferSerializer(ActionSerializer):
    """An action as listed in a work order: offer actions name the offer and the cost it was given at."""

    class Meta(ActionSerializer.Meta):
        fields = [*ActionSerializer.Meta.fields, "offer", "offer_cost"]
        read_only_fields = fields


class WorkOrderEventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = WorkOrderEvent
        fields = ["id", "at", "actor", "field", "before", "after", "note"]
        read_only_fields = fields


class WorkOrderStepSerializer(serializers.ModelSerializer):
    playbook = serializers.CharField(source="playbook_version.name", read_only=True, allow_null=True)
    playbook_version = serializers.IntegerField(source="playbook_version.number", read_only=True, allow_null=True)

    class Meta:
        model = WorkOrderStep
        fields = [
            "id",
            "position",
            "title",
            "instruction",
            "channel",
            "due_at",
            "done_at",
            "talk_track",
            "playbook",
            "playbook_version",
        ]
        read_only_fields = fields


# The columns a list row reads (WorkOrderListSerializer): no customer attributes JSON, no password hashes.
WORK_ORDER_ROW_COLUMNS = (
    *(f for f in WorkOrderSerializer.Meta.fields if f not in ("customer", "assignee", "alert")),
    "alert_id",
    *(f"customer__{f}" for f in CustomerSummarySerializer.Meta.fields),
    "assignee__id",
    "assignee__username",
)


class WorkOrderDetailSerializer(WorkOrderSerializer):
    """A work order with its playbook steps (in plan order) and the next open one, its actions (newest first) and
    its full change history (oldest first)."""

    steps = WorkOrderStepSerializer(many=True, read_only=True)
    next_step = serializers.SerializerMethodField()
    actions = ActionWithOfferSerializer(many=True, read_only=True)
    events = WorkOrderEventSerializer(many=True, read_only=True)

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "steps", "next_step", "actions", "events"]
        read_only_fields = fields
        list_serializer_class = serializers.ListSerializer

    @extend_schema_field(WorkOrderStepSerializer(allow_null=True))
    def get_next_step(self, wo) -> dict | None:
        step = next_open_step(list(wo.steps.all()))
        return WorkOrderStepSerializer(step).data if step else None


# --- inputs --------------------------------------------------------------------------------------------------------


# Ids are 64-bit database keys: a bigger integer is refused as invalid input, not left to overflow the database.
MAX_ID = 2**63 - 1


class WorkOrderResolveInputSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WorkOrderLogActionInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="id of the offer of the kit given (offer actions); above the caller's limit it needs an approval",
    )


class WorkOrderSetStatusInputSerializer(StrictSerializer):
    status = serializers.ChoiceField(
        choices=WorkOrderStatus.choices, help_text="resolving needs an outcome and a reason: use resolve/"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class WorkOrderAssignInputSerializer(StrictSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
        help_text="id of an active user; null leaves the work order unassigned",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class WorkOrderBulkReassignInputSerializer(StrictSerializer):
    work_orders = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=1000,
        help_text="ids of open work orders the caller may reassign",
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="id of an active member of the caller's team",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class BulkReassignResultSerializer(serializers.Serializer):
    reassigned = serializers.IntegerField(help_text="how many work orders changed hands")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "work_order", "created_at", "read_at"]
        read_only_fields = fields


class NotificationReadInputSerializer(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text="the notifications to mark read; all unread ones when omitted",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
