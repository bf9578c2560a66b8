"""Alerts API: the latest risk verdict per customer, with the rules and factors behind it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import Alert
from churnops.core.api import StrictSerializer
from customers.api.serializers import CustomerSummarySerializer
from scoring.explain import factor_text


class FactorSerializer(serializers.Serializer):
    """One model factor behind a probability, strongest first."""

    feature = serializers.CharField()
    weight = serializers.FloatField(help_text="signed contribution in log-odds")
    text = serializers.SerializerMethodField(help_text="the factor in words, in the caller's language")

    @extend_schema_field(str)
    def get_text(self, factor: dict) -> str:
        return factor_text(factor)


class AlertSerializer(serializers.ModelSerializer):
    customer = CustomerSummarySerializer(read_only=True)
    rules_fired = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="names of the early-warning rules that fired"
    )
    factors = FactorSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "customer", "status", "probability", "tier", "max_tier", "rules_fired", "is_rule_high_risk",
            "factors", "is_control", "first_raised_at", "first_run_as_of", "last_run_as_of", "updated_at",
            "snoozed_until", "snooze_reason", "snoozed_by", "closed_at", "close_reason", "lane", "lane_reason",
            "value", "value_basis",
        ]  # fmt: skip
        read_only_fields = fields


class AlertSnoozeInputSerializer(StrictSerializer):
    until = serializers.DateField(help_text="last day of the snooze (inclusive); no work order opens until then")
    reason = serializers.CharField(max_length=2000)
