"""Scoring API, read-only: score runs (admins and team leads), models (admins), rules (everyone)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from interventions.permissions import is_admin, is_team_lead
from scoring.models import ModelVersion, Rule, ScoreRun

from .serializers import ModelVersionSerializer, RuleSerializer, ScoreRunSerializer


class IsAdmin(permissions.BasePermission):
    def has_permission(self, request, view):
        return is_admin(request.user)


class IsAdminOrTeamLead(permissions.BasePermission):
    def has_permission(self, request, view):
        return is_admin(request.user) or is_team_lead(request.user)


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass


@extend_schema_view(
    list=extend_schema(summary="Score runs, newest first (admins and team leads)"),
    retrieve=extend_schema(summary="One score run"),
)
class ScoreRunViewSet(ReadOnlyViewSet):
    queryset = ScoreRun.objects.order_by("-as_of")
    serializer_class = ScoreRunSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdminOrTeamLead]
    filterset_fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="Trained model versions, newest first (admins)"),
    retrieve=extend_schema(summary="One model version"),
)
class ModelVersionViewSet(ReadOnlyViewSet):
    # the artifact is a pickled pipeline of several MB: never read it for the API
    queryset = ModelVersion.objects.defer("artifact").order_by("-id")
    serializer_class = ModelVersionSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    filterset_fields = ["is_active"]


@extend_schema_view(
    list=extend_schema(summary="Early-warning rules in evaluation order"), retrieve=extend_schema(summary="One rule")
)
class RuleViewSet(ReadOnlyViewSet):
    queryset = Rule.objects.order_by("position", "id")
    serializer_class = RuleSerializer
    filterset_fields = ["is_enabled"]
