"""Customers API: output of customers and import results, input of bulk upserts."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from churnops.core.api import StrictSerializer, UserSummarySerializer
from customers.choices import ContactChannel, EventKind
from customers.models import Customer

# Rows per bulk request: 10k customers or events is a few MB of JSON and one bulk write of a
# few seconds; larger loads belong in the CSV import commands or several requests.
MAX_BULK_ROWS = 10_000


class CustomerSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id", "external_id", "name", "segment", "region", "owner", "lifetime_value",
            "contract_start", "contract_end", "churned_at", "attributes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CustomerSummarySerializer(serializers.ModelSerializer):
    """The customer as shown inside alerts and work orders."""

    class Meta:
        model = Customer
        fields = ["id", "external_id", "name", "segment", "region"]
        read_only_fields = fields


# --- bulk input ----------------------------------------------------------------------------------------------------
# Rows are passed to the importer unvalidated: it checks every value and reports problems per row
# (index, field, message), which a nested DRF serializer could not do in the same shape.
# The row serializers below only describe a row in the OpenAPI schema.


class CustomerRowSerializer(serializers.Serializer):
    """One customer; columns not listed here are stored in `attributes` (null removes the key)."""

    external_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    segment = serializers.CharField(max_length=64, required=False, allow_blank=True)
    region = serializers.CharField(max_length=64, required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_null=True, help_text="username of an existing user")
    lifetime_value = serializers.FloatField(required=False, min_value=0)
    contract_start = serializers.DateField(required=False, allow_null=True)
    contract_end = serializers.DateField(required=False, allow_null=True)
    churned_at = serializers.DateTimeField(required=False, allow_null=True)


class EventRowSerializer(serializers.Serializer):
    """One event; without `external_id` a stable id is derived from the row, so re-posting is a no-op."""

    customer_external_id = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=EventKind.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO date or date-time; naive values are local time")
    amount = serializers.FloatField(required=False, allow_null=True, min_value=0)
    value = serializers.FloatField(required=False, allow_null=True, help_text="survey score 0-10")
    external_id = serializers.CharField(max_length=80, required=False, allow_blank=True)


@extend_schema_field(CustomerRowSerializer)
class CustomerRowField(serializers.Field):
    def to_internal_value(self, data):
        return data


@extend_schema_field(EventRowSerializer)
class EventRowField(serializers.Field):
    def to_internal_value(self, data):
        return data


class ContactRowSerializer(serializers.Serializer):
    """One contact, keyed by customer and name: re-posting it updates the contact, never duplicates it."""

    customer_external_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=120)
    role = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="5 to 20 digits")
    email = serializers.EmailField(max_length=200, required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False, allow_blank=True)


@extend_schema_field(ContactRowSerializer)
class ContactRowField(serializers.Field):
    def to_internal_value(self, data):
        return data


class ContactBulkInputSerializer(StrictSerializer):
    contacts = serializers.ListField(child=ContactRowField(), max_length=MAX_BULK_ROWS)
    skip_invalid = serializers.BooleanField(default=False)


class CustomerBulkInputSerializer(StrictSerializer):
    customers = serializers.ListField(child=CustomerRowField(), max_length=MAX_BULK_ROWS)
    skip_invalid = serializers.BooleanField(default=False)


class EventBulkInputSerializer(StrictSerializer):
    events = serializers.ListField(child=EventRowField(), max_length=MAX_BULK_ROWS)
    create_missing_customers = serializers.BooleanField(default=False)
    skip_invalid = serializers.BooleanField(default=False)


# --- bulk output ---------------------------------------------------------------------------------------------------


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(source="line", help_text="0-based position of the row in the request")
    field = serializers.CharField()
    message = serializers.CharField()


class RowErrorsSerializer(serializers.Serializer):
    """Some rows are invalid and nothing was written."""

    detail = serializers.CharField()
    code = serializers.CharField(help_text="invalid_rows")
    errors = RowErrorSerializer(many=True)


class CustomerImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invalid = serializers.IntegerField(help_text="rows skipped because of errors (only with skip_invalid)")
    errors = RowErrorSerializer(many=True, help_text="problems of the skipped rows")


class EventImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="events that were already stored")
    invalid = serializers.IntegerField(help_text="rows skipped because of errors (only with skip_invalid)")
    customers_created = serializers.IntegerField()
    errors = RowErrorSerializer(many=True, help_text="problems of the skipped rows")


class ContactImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invalid = serializers.IntegerField(help_text="rows skipped because of errors (only with skip_invalid)")
    errors = RowErrorSerializer(many=True, help_text="problems of the skipped rows")
