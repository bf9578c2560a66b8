from rest_framework import serializers

from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "events",
            "is_active",
            "is_slack_compatible",
            "allows_private",
            "created_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]  # never the secret
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "idempotency_key",
            "event_type",
            "status",
            "attempts",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "response_status",
            "latency_ms",
            "error",
        ]
        read_only_fields = fields
