"""Webhook endpoints and their delivery log, read-only and for admins only."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from churnops.core.api import allow
from churnops.core.roles import is_admin
from webhooks.selectors import delivery_list, endpoint_list

from .serializers import WebhookDeliverySerializer, WebhookEndpointSerializer

IsWebhookAdmin = allow(is_admin, "only admins can see webhooks")


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints (admins)"),
    retrieve=extend_schema(summary="One webhook endpoint (admins)"),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsWebhookAdmin]

    def get_queryset(self):
        return endpoint_list()


@extend_schema_view(
    list=extend_schema(
        summary="Webhook deliveries, newest first: status, latency, attempts (admins)",
        parameters=[OpenApiParameter("endpoint", int, description="only this endpoint's")],
    ),
    retrieve=extend_schema(summary="One webhook delivery (admins)"),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [permissions.IsAuthenticated, IsWebhookAdmin]

    def get_queryset(self):
        endpoint = self.request.query_params.get("endpoint")
        return delivery_list(endpoint_id=int(endpoint) if endpoint and endpoint.isdigit() else None)
