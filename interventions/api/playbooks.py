"""Playbooks and the offer kit over the API (admins only): list, read, create, replace, delete, through the
services that validate, version and audit every change."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response

from churnops.core.api import ErrorSerializer, StrictSerializer, UserSummarySerializer, allow
from churnops.core.roles import Role, is_admin
from interventions.choices import StepChannel
from interventions.models import Offer, Playbook, PlaybookStep, PlaybookVersion
from interventions.playbook_models import MAX_DUE_OFFSET_DAYS
from interventions.services import offer_save, playbook_delete, playbook_save

IsAdmin = allow(is_admin, gettext_lazy("only admins may read and change playbooks and offers"))
ADMIN_ONLY = [permissions.IsAuthenticated, IsAdmin]
WRITE_REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input; `field` names the first problem"),
    403: OpenApiResponse(ErrorSerializer, description="not an admin"),
    409: OpenApiResponse(ErrorSerializer, description="another one has this name"),
}


class PlaybookStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaybookStep
        fields = ["title", "instruction", "channel", "due_offset_days", "talk_track"]
        read_only_fields = fields


class PlaybookVersionSummarySerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlaybookVersion
        fields = ["number", "author", "comment", "diff", "created_at"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    steps = PlaybookStepSerializer(many=True, read_only=True)
    versions = PlaybookVersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "description",
            "tiers",
            "segments",
            "signals",
            "is_active",
            "position",
            "version",
            "steps",
            "versions",
            "updated_at",
        ]
        read_only_fields = fields


class PlaybookStepInputSerializer(StrictSerializer):
    title = serializers.CharField(max_length=120)
    instruction = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=StepChannel.choices)
    due_offset_days = serializers.IntegerField(
        min_value=0, max_value=MAX_DUE_OFFSET_DAYS, default=0, help_text="days after the work order opens"
    )
    talk_track = serializers.CharField(required=False, allow_blank=True, default="")


class PlaybookInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tiers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    segments = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    signals = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        default=list,
        help_text="rule names or factor features; empty: any",
    )
    is_active = serializers.BooleanField(default=True)
    position = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    steps = PlaybookStepInputSerializer(many=True, allow_empty=False)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="why it changed (kept in the version history)",
    )


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["id", "name", "description", "cost", "approval_limits", "is_active", "updated_at"]
        read_only_fields = fields


class OfferInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cost = serializers.FloatField(min_value=0)
    approval_limits = serializers.DictField(
        child=serializers.FloatField(min_value=0),
        required=False,
        default=dict,
        help_text=f"role -> highest cost it gives without approval; roles: {', '.join(Role.values)}",
    )
    is_active = serializers.BooleanField(default=True)


class _AdminCrud(viewsets.ModelViewSet):
    permission_classes = ADMIN_ONLY
    http_method_names = ["get", "post", "put", "delete", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="Playbooks with their steps and version history (admins)"),
    retrieve=extend_schema(summary="One playbook"),
    create=extend_schema(
        summary="Create a playbook (admins)",
        request=PlaybookInputSerializer,
        responses={201: PlaybookSerializer, **WRITE_REFUSALS},
    ),
    update=extend_schema(
        summary="Replace a playbook and its steps as a new version (admins); open work orders keep "
        "the steps they opened with",
        request=PlaybookInputSerializer,
        responses={200: PlaybookSerializer, **WRITE_REFUSALS},
    ),
    destroy=extend_schema(
        summary="Delete a playbook (admins); its versions stay in the history",
        responses={204: None, 403: WRITE_REFUSALS[403]},
    ),
)
class PlaybookViewSet(_AdminCrud):
    queryset = Playbook.objects.prefetch_related("steps", "versions__author").order_by("position", "name")
    serializer_class = PlaybookSerializer

    def _save(self, request, playbook: Playbook | None) -> Playbook:
        payload = PlaybookInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = {**payload.validated_data, "steps": [dict(s) for s in payload.validated_data["steps"]]}
        comment = data.pop("comment") or "changed through the API"
        return playbook_save(playbook=playbook, data=data, by=request.user, comment=comment)

    def create(self, request, *args, **kwargs):
        playbook = self._save(request, None)
        return Response(
            PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        playbook = self._save(request, self.get_object())
        return Response(PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data)

    def destroy(self, request, *args, **kwargs):
        playbook_delete(playbook=self.get_object(), by=request.user, comment="deleted through the API")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The offer kit (admins)"),
    retrieve=extend_schema(summary="One offer"),
    create=extend_schema(
        summary="Add an offer to the kit (admins)",
        request=OfferInputSerializer,
        responses={201: OfferSerializer, **WRITE_REFUSALS},
    ),
    update=extend_schema(
        summary="Change an offer (admins); offers already given keep their cost",
        request=OfferInputSerializer,
        responses={200: OfferSerializer, **WRITE_REFUSALS},
    ),
    destroy=extend_schema(
        summary="Retire an offer from the kit (admins); offers given stay in the history",
        responses={204: None, 403: WRITE_REFUSALS[403]},
    ),
)
class OfferViewSet(_AdminCrud):
    queryset = Offer.objects.order_by("cost", "name")
    serializer_class = OfferSerializer

    def _save(self, request, offer: Offer | None) -> Offer:
        payload = OfferInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return offer_save(offer=offer, data=dict(payload.validated_data), by=request.user)

    def create(self, request, *args, **kwargs):
        return Response(OfferSerializer(self._save(request, None)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        return Response(OfferSerializer(self._save(request, self.get_object())).data)

    def destroy(self, request, *args, **kwargs):
        offer = self.get_object()
        offer_save(offer=offer, data={"is_active": False, "name": offer.name, "cost": offer.cost}, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
