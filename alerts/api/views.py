"""Alerts API: read scoped by alert_list(user=...); snoozing through the alert services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.models import Alert
from alerts.services import alert_snooze, alert_unsnooze
from churnops.core.api import ErrorSerializer
from interventions.access import alert_list

from .serializers import AlertSerializer, AlertSnoozeInputSerializer

REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input, or the alert is closed / not snoozed"),
    404: OpenApiResponse(ErrorSerializer, description="no such alert among those the user may see"),
}


@extend_schema_view(
    list=extend_schema(summary="Alerts visible to the user (control-group alerts for admins only)"),
    retrieve=extend_schema(summary="One alert"),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Alert.objects.none()  # the real rows come from alert_list(user=...)
    serializer_class = AlertSerializer
    filterset_fields = ["status", "tier", "is_control"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Alert.objects.none()
        return alert_list(user=self.request.user)

    @extend_schema(
        summary="Snooze with a reason until a date",
        request=AlertSnoozeInputSerializer,
        responses={200: AlertSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        alert = self.get_object()  # 404 before the input is looked at
        payload = AlertSnoozeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        alert = alert_snooze(alert=alert, by=request.user, **payload.validated_data)  # refusals: the handler
        return Response(AlertSerializer(alert).data)

    @extend_schema(summary="End a snooze now", request=None, responses={200: AlertSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def unsnooze(self, request, pk=None):
        alert = self.get_object()
        alert = alert_unsnooze(alert=alert, by=request.user)
        return Response(AlertSerializer(alert).data)
