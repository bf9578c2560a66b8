"""Work orders API: list and read through work_order_list(user=...), change state through the services."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from churnops.core.api import ErrorSerializer, allow, allow_object
from churnops.core.roles import user_roles
from interventions.access import work_order_list
from interventions.models import Action, Notification, WorkOrder, WorkOrderEvent, WorkOrderStep
from interventions.permissions import can_bulk_reassign, can_reassign, can_work_on
from interventions.selectors import notification_list
from interventions.services import (
    notifications_mark_read,
    work_order_assign,
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
    work_orders_reassign,
)

from .serializers import (
    WORK_ORDER_ROW_COLUMNS,
    ActionSerializer,
    BulkReassignResultSerializer,
    MarkedSerializer,
    NotificationReadInputSerializer,
    NotificationSerializer,
    WorkOrderAssignInputSerializer,
    WorkOrderBulkReassignInputSerializer,
    WorkOrderDetailSerializer,
    WorkOrderLogActionInputSerializer,
    WorkOrderResolveInputSerializer,
    WorkOrderSerializer,
    WorkOrderSetStatusInputSerializer,
)

CanWorkOn = allow_object(can_work_on, gettext_lazy("you may not change this work order"))
CanBulkReassign = allow(can_bulk_reassign, gettext_lazy("only team leads and admins can reassign work orders"))
CanReassign = allow_object(can_reassign, gettext_lazy("only team leads and admins can reassign work orders"))


REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input, or the change is not allowed in this state"),
    403: OpenApiResponse(ErrorSerializer, description="the user may not make this change"),
    404: OpenApiResponse(ErrorSerializer, description="no such work order among those the user may see"),
}


class WorkOrderCursor(CursorPagination):
    """Pages by a cursor on the id: constant time at any depth (no COUNT, no OFFSET) over 100k open work orders."""

    ordering = ("id",)
    page_size = 50


@extend_schema_view(
    list=extend_schema(
        summary="Open work orders visible to the user (own; team leads their team's; admins all); "
        "resolved ones with ?status=resolved. Paged by cursor (follow `next`)."
    ),
    retrieve=extend_schema(summary="One work order with its actions and history"),
)
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = WorkOrder.objects.none()  # the real rows come from work_order_list(user=...)
    serializer_class = WorkOrderSerializer
    filterset_fields = ["status", "tier", "is_breached"]
    pagination_class = WorkOrderCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WorkOrder.objects.none()
        user = self.request.user
        # The roles in one query (not one per role check) serve the visibility scope.
        work_orders = work_order_list(user=user, roles=user_roles(user))
        if self.action == "list":
            work_orders = work_orders.only(*WORK_ORDER_ROW_COLUMNS)
            if not self.request.query_params.get("status"):
                work_orders = work_orders.filter(open_key__isnull=False)  # the default list: open work only
        if self.action == "retrieve":
            work_orders = work_orders.prefetch_related(
                Prefetch("actions", queryset=Action.objects.select_related("author")),
                Prefetch("events", queryset=WorkOrderEvent.objects.select_related("actor")),
                Prefetch(
                    "steps", queryset=WorkOrderStep.objects.select_related("playbook_version").order_by("position")
                ),
            )
        return work_orders

    def get_serializer_class(self):
        return WorkOrderDetailSerializer if self.action == "retrieve" else WorkOrderSerializer

    def _change(self, request, input_serializer, service, output_serializer, code=status.HTTP_200_OK):
        """One state change: find the work order (404/403 before the input is looked at), validate the input,
        call the service and render its result (a refusal is rendered by churnops.core.api.exception_handler)."""
        work_order = self.get_object()
        payload = input_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = service(work_order=work_order, by=request.user, **payload.validated_data)  # refusals: the handler
        return Response(output_serializer(result).data, status=code)

    @extend_schema(
        summary="Resolve with an outcome and a reason",
        request=WorkOrderResolveInputSerializer,
        responses={200: WorkOrderSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, CanWorkOn])
    def resolve(self, request, pk=None):
        return self._change(request, WorkOrderResolveInputSerializer, work_order_resolve, WorkOrderSerializer)

    @extend_schema(
        summary="Log an action (a call, e-mail, visit, offer, escalation or note)",
        request=WorkOrderLogActionInputSerializer,
        responses={201: ActionSerializer, **REFUSALS},
    )
    @action(
        detail=True, methods=["post"], url_path="actions", permission_classes=[permissions.IsAuthenticated, CanWorkOn]
    )
    def log_action(self, request, pk=None):
        return self._change(
            request, WorkOrderLogActionInputSerializer, work_order_log_action, ActionSerializer, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Move to another status along the allowed transitions",
        request=WorkOrderSetStatusInputSerializer,
        responses={200: WorkOrderSerializer, **REFUSALS},
    )
    @action(
        detail=True, methods=["post"], url_path="status", permission_classes=[permissions.IsAuthenticated, CanWorkOn]
    )
    def set_status(self, request, pk=None):
        return self._change(request, WorkOrderSetStatusInputSerializer, work_order_set_status, WorkOrderSerializer)

    @extend_schema(
        summary="Reassign (team leads and admins)",
        request=WorkOrderAssignInputSerializer,
        responses={200: WorkOrderSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, CanReassign])
    def assign(self, request, pk=None):
        return self._change(request, WorkOrderAssignInputSerializer, work_order_assign, WorkOrderSerializer)

    @extend_schema(
        summary="Reassign many work orders at once (team leads within their team, admins); all or nothing",
        request=WorkOrderBulkReassignInputSerializer,
        responses={200: BulkReassignResultSerializer, **REFUSALS},
    )
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated, CanBulkReassign])
    def reassign(self, request):
        payload = WorkOrderBulkReassignInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        moved = work_orders_reassign(
            work_order_ids=data["work_orders"], assignee=data["assignee"], by=request.user, note=data["note"]
        )
        return Response({"reassigned": moved})


@extend_schema_view(list=extend_schema(summary="The caller's notifications, newest first"))
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Notification.objects.none()  # the real rows come from notification_list(user=...)
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notification_list(user=self.request.user)

    @extend_schema(
        summary="Mark notifications read", request=NotificationReadInputSerializer, responses={200: MarkedSerializer}
    )
    @action(detail=False, methods=["post"])
    def read(self, request):
        payload = NotificationReadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = notifications_mark_read(user=request.user, ids=payload.validated_data.get("ids"))
        return Response({"marked": marked})
