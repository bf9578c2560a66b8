"""Customers API: customers visible to the user, and bulk upserts of customers and events."""

from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import BaseFilterBackend
from rest_framework.response import Response

from churnops.core.api import allow
from churnops.parsers import SafeJSONParser
from customers.models import Customer
from customers.permissions import can_bulk_upsert
from customers.selectors import customers_search
from customers.services import contacts_upsert, customers_upsert, events_upsert
from interventions.access import customer_list

from .serializers import (
    ContactBulkInputSerializer,
    ContactImportResultSerializer,
    CustomerBulkInputSerializer,
    CustomerImportResultSerializer,
    CustomerSerializer,
    EventBulkInputSerializer,
    EventImportResultSerializer,
    RowErrorsSerializer,
)

# A JSON integer longer than this does not fit a double (max ~1.8e308); no real value is that long.
MAX_INTEGER_DIGITS = 308


class BulkJSONParser(SafeJSONParser):
    """The API's JSON parser (NUL, surrogates, depth, NaN and huge integers refused with a 400)."""


# Admins and integration accounts (group 'integration') may load customers and events.
CanBulkUpsert = allow(can_bulk_upsert, gettext_lazy("only admins and integration accounts may bulk-upsert"))


BULK_RESPONSES = {
    400: OpenApiResponse(RowErrorsSerializer, description="invalid rows (nothing written) or a malformed body"),
    403: OpenApiResponse(description="not an admin or integration account"),
}


class CustomerSearchFilter(BaseFilterBackend):
    """`?search=`: name, external id, or a contact's name, phone or e-mail (customers.selectors.customers_search)."""

    def filter_queryset(self, request, queryset, view):
        return customers_search(queryset, request.query_params.get("search", ""))

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "search",
                "required": False,
                "in": "query",
                "schema": {"type": "string"},
                "description": "name, external id, or a contact's name, phone or e-mail (contains)",
            }
        ]


@extend_schema_view(
    list=extend_schema(summary="Customers visible to the user"), retrieve=extend_schema(summary="One customer")
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Customer.objects.none()  # the real rows come from customer_list(user=...)
    serializer_class = CustomerSerializer
    filter_backends = [filters.DjangoFilterBackend, CustomerSearchFilter]
    filterset_fields = ["segment", "region", "owner"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        return customer_list(user=self.request.user)

    @extend_schema(
        summary="Create or update customers by external_id",
        request=CustomerBulkInputSerializer,
        responses={200: CustomerImportResultSerializer, **BULK_RESPONSES},
    )
    @action(detail=False, methods=["post"], permission_classes=[CanBulkUpsert], parser_classes=[BulkJSONParser])
    def bulk(self, request):
        payload = CustomerBulkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = customers_upsert(
            rows=enumerate(payload.validated_data["customers"]), skip_invalid=payload.validated_data["skip_invalid"]
        )
        return Response(CustomerImportResultSerializer(result).data)


class EventViewSet(viewsets.GenericViewSet):
    queryset = Customer.objects.none()
    serializer_class = EventBulkInputSerializer
    permission_classes = [CanBulkUpsert]
    parser_classes = [BulkJSONParser]

    @extend_schema(
        summary="Insert events; events already stored are skipped",
        request=EventBulkInputSerializer,
        responses={200: EventImportResultSerializer, **BULK_RESPONSES},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        payload = EventBulkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = events_upsert(
            rows=enumerate(payload.validated_data["events"]),
            create_missing_customers=payload.validated_data["create_missing_customers"],
            skip_invalid=payload.validated_data["skip_invalid"],
        )
        return Response(EventImportResultSerializer(result).data)


class ContactViewSet(viewsets.GenericViewSet):
    queryset = Customer.objects.none()
    serializer_class = ContactBulkInputSerializer
    permission_classes = [CanBulkUpsert]
    parser_classes = [BulkJSONParser]

    @extend_schema(
        summary="Create or update customer contacts by (customer external_id, name)",
        request=ContactBulkInputSerializer,
        responses={200: ContactImportResultSerializer, **BULK_RESPONSES},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        payload = ContactBulkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = contacts_upsert(
            rows=enumerate(payload.validated_data["contacts"]), skip_invalid=payload.validated_data["skip_invalid"]
        )
        return Response(ContactImportResultSerializer(result).data)
