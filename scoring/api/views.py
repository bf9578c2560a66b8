"""Scoring API: score runs (admins and team leads), models (admins), rules (read: everyone; write: admins),
policy and rule-set versions with rollback, and previews of a change (admins).

Every write goes through scoring.services, which versions it (author, comment, diff); a service's refusal
(Django ValidationError) becomes a 400 naming the problems.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from churnops.core.api import ErrorSerializer, allow
from customers.models import Customer
from interventions.services import free_capacity_by_role
from scoring.models import ModelVersion, Rule, ScoreRun
from scoring.permissions import can_edit_scoring, can_manage_models, can_view_score_runs
from scoring.preview_exact import preview_answer
from scoring.selectors import policy_current, policy_versions, ruleset_versions, winback_list
from scoring.services import policy_rollback, policy_save, rule_delete, rule_save, ruleset_rollback

from .serializers import (
    ModelVersionSerializer,
    PolicyInputSerializer,
    PolicyPreviewInputSerializer,
    PolicyVersionSerializer,
    PreviewSerializer,
    RollbackInputSerializer,
    RuleInputSerializer,
    RuleSerializer,
    RuleSetVersionSerializer,
    RulesPreviewInputSerializer,
    ScoreRunSerializer,
    WinbackSerializer,
)

IsAdmin = allow(can_manage_models)
IsAdminOrTeamLead = allow(can_view_score_runs)
CanEditScoring = allow(can_edit_scoring, gettext_lazy("only admins may read or change the scoring configuration"))


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass


def _preview_response(**proposal) -> Response:
    """A preview (sampled above the sample size; `exact` asks for the exact counts in the background); an invalid
    proposal (400) or no snapshot yet (409) is rendered by the exception handler."""
    capacity = free_capacity_by_role(timezone.localdate())
    return Response(PreviewSerializer(preview_answer(**proposal, capacity=capacity)).data)


WRITE_REFUSALS = {
    400: OpenApiResponse(description="invalid input: each problem is named, nothing was saved"),
    403: OpenApiResponse(ErrorSerializer, description="not an admin: nothing was saved"),
}
PREVIEW_RESPONSES = {
    200: PreviewSerializer,
    400: OpenApiResponse(description="invalid proposal: each problem is named"),
    403: OpenApiResponse(ErrorSerializer, description="not an admin"),
    409: OpenApiResponse(ErrorSerializer, description="no score run yet, so no snapshot to preview on"),
}
COMMENT_PARAMETER = OpenApiParameter("comment", str, description="why, kept in the history", required=False)


@extend_schema_view(
    list=extend_schema(summary="Score runs, newest first, with the versions they used (admins and team leads)"),
    retrieve=extend_schema(summary="One score run"),
)
class ScoreRunViewSet(ReadOnlyViewSet):
    queryset = ScoreRun.objects.select_related("policy_version", "ruleset_version").order_by("-as_of")
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
    list=extend_schema(summary="Early-warning rules in evaluation order"),
    retrieve=extend_schema(summary="One rule"),
    create=extend_schema(
        summary="Add a rule (admins); saves a new rule-set version",
        request=RuleInputSerializer,
        responses={201: RuleSerializer, **WRITE_REFUSALS},
    ),
    update=extend_schema(
        summary="Replace a rule (admins); saves a new rule-set version",
        request=RuleInputSerializer,
        responses={200: RuleSerializer, **WRITE_REFUSALS},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a rule, e.g. is_enabled (admins)",
        request=RuleInputSerializer,
        responses={200: RuleSerializer, **WRITE_REFUSALS},
    ),
    destroy=extend_schema(
        summary="Delete a rule (admins); saves a new rule-set version",
        parameters=[COMMENT_PARAMETER],
        responses={204: None, **WRITE_REFUSALS},
    ),
)
class RuleViewSet(viewsets.ModelViewSet):
    queryset = Rule.objects.order_by("position", "id")
    serializer_class = RuleSerializer
    filterset_fields = ["is_enabled"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticated(), CanEditScoring()]

    def _save(self, request, rule: Rule | None, *, partial: bool = False) -> Rule:
        payload = RuleInputSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        comment = fields.pop("comment", "")
        return rule_save(rule=rule, by=request.user, comment=comment or "changed through the API", **fields)

    def create(self, request, *args, **kwargs):
        rule = self._save(request, None)
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        rule = self._save(request, self.get_object(), partial=kwargs.get("partial", False))
        return Response(RuleSerializer(rule).data)

    def destroy(self, request, *args, **kwargs):
        rule = self.get_object()
        comment = request.query_params.get("comment", "")[:1000]
        rule_delete(rule=rule, by=request.user, comment=comment or f"deleted rule '{rule.name}' through the API")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Preview a whole proposed rule set against the rules in force (admins); saves nothing",
        request=RulesPreviewInputSerializer,
        responses=PREVIEW_RESPONSES,
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        payload = RulesPreviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return _preview_response(rules=_plain(data["rules"]), exact=data["exact"])


@extend_schema_view(
    list=extend_schema(summary="Policy versions, newest (in force) first (admins)"),
    retrieve=extend_schema(summary="One policy version by its number"),
    create=extend_schema(
        summary="Save a new policy version (admins); the next scoring run uses it",
        request=PolicyInputSerializer,
        responses={201: PolicyVersionSerializer, **WRITE_REFUSALS},
    ),
)
class PolicyVersionViewSet(mixins.CreateModelMixin, ReadOnlyViewSet):
    serializer_class = PolicyVersionSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditScoring]
    lookup_field = "number"
    lookup_value_regex = r"\d{1,9}"

    def get_queryset(self):
        return policy_versions()

    def create(self, request, *args, **kwargs):
        payload = PolicyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        version = policy_save(
            data=_plain(data["data"]), by=request.user, comment=data["comment"] or "changed through the API"
        )
        return Response(PolicyVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The policy in force (admins)",
        responses={200: PolicyVersionSerializer, 404: OpenApiResponse(ErrorSerializer)},
    )
    @action(detail=False, methods=["get"])
    def current(self, request):
        version = policy_current()
        if version is None:
            raise NotFound(gettext("there is no policy yet: the first scoring run installs the default"))
        return Response(PolicyVersionSerializer(version).data)

    @extend_schema(
        summary="Preview a proposed policy against the one in force (admins); saves nothing",
        request=PolicyPreviewInputSerializer,
        responses=PREVIEW_RESPONSES,
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        payload = PolicyPreviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return _preview_response(policy=_plain(data["data"]), exact=data["exact"])

    @extend_schema(
        summary="Put this version back in force as a new version (admins)",
        request=RollbackInputSerializer,
        responses={201: PolicyVersionSerializer, **WRITE_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request, number=None):
        version = self.get_object()
        payload = RollbackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        new = policy_rollback(version=version, by=request.user, comment=payload.validated_data["comment"])
        return Response(PolicyVersionSerializer(new).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Rule-set versions, newest (in force) first (admins)"),
    retrieve=extend_schema(summary="One rule-set version by its number"),
)
class RuleSetVersionViewSet(ReadOnlyViewSet):
    serializer_class = RuleSetVersionSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditScoring]
    lookup_field = "number"
    lookup_value_regex = r"\d{1,9}"

    def get_queryset(self):
        return ruleset_versions()

    @extend_schema(
        summary="Make the rules equal to this version again, as a new version (admins)",
        request=RollbackInputSerializer,
        responses={201: RuleSetVersionSerializer, **WRITE_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request, number=None):
        version = self.get_object()
        payload = RollbackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            new = ruleset_rollback(version=version, by=request.user, comment=payload.validated_data["comment"])
        return Response(RuleSetVersionSerializer(new).data, status=status.HTTP_201_CREATED)


def _plain(value):
    """Validated data (OrderedDicts inside) as plain JSON-like dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@extend_schema_view(list=extend_schema(summary="The win-back lane: customers gone, by value (admins, team leads)"))
class WinbackViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Customers gone by the churn definition in force as of the latest run: no save work order, ranked by value."""

    serializer_class = WinbackSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdminOrTeamLead]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no database read
            return Customer.objects.none()
        return winback_list()
