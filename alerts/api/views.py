"""Alerts API: read-only, scoped by alert_list(user=...)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from alerts.models import Alert
from alerts.selectors import alert_list

from .serializers import AlertSerializer


@extend_schema_view(
    list=extend_schema(summary="Alerts visible to the user (control-group alerts for admins only)"),
    retrieve=extend_schema(summary="One alert"),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Alert.objects.none()  # the real rows come from alert_list(user=...)
    serializer_class = AlertSerializer
    filterset_fields = ["status", "tier"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Alert.objects.none()
        return alert_list(user=self.request.user)
