"""Webhook endpoints and their delivery log, read-only and for admins only."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets

from webhooks.selectors import delivery_list, endpoint_list, is_webhook_admin

from .serializers import WebhookDeliverySerializer, WebhookEndpointSerializer


class IsWebhookAdmin(permissions.BasePermission):
    message = "only admins can see webhooks"

    def has_permission(self, request, view):
        return is_webhook_admin(request.user)


# Left out of the published schema for now: tests/api/test_schema.py pins the exact list of paths and may not be
# changed in this step. Adding them is a one-line change there plus removing these decorators.
@extend_schema(exclude=True)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsWebhookAdmin]

    def get_queryset(self):
        return endpoint_list()


@extend_schema(exclude=True)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [permissions.IsAuthenticated, IsWebhookAdmin]

    def get_queryset(self):
        endpoint = self.request.query_params.get("endpoint")
        return delivery_list(endpoint_id=int(endpoint) if endpoint and endpoint.isdigit() else None)
