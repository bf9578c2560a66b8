"""API primitives: strict input, the user summary, the error shape, permissions and the one error handler."""

from collections.abc import Callable, Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Refusal


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, at every nesting level, so a typo is an error instead of being ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
            if unknown:
                raise serializers.ValidationError({str(name): [_("unknown field")] for name in unknown})
        return super().to_internal_value(data)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class ErrorSerializer(serializers.Serializer):
    """Every refusal: a message for people and a stable code for programs."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text="stable machine-readable reason, e.g. not_allowed")


def allow(predicate: Callable, message: str | None = None) -> type[permissions.BasePermission]:
    """A DRF permission class from a role predicate `predicate(user)` (message None: DRF's own)."""

    class Allowed(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(predicate(request.user))

    if message:
        Allowed.message = message
    Allowed.__name__ = f"Allow_{getattr(predicate, '__name__', 'predicate')}"
    return Allowed


def allow_object(
    predicate: Callable, message: str = gettext_lazy("you may not change this")
) -> type[permissions.BasePermission]:
    """A DRF object permission class from `predicate(user, obj)`."""

    class AllowedObject(permissions.BasePermission):
        def has_object_permission(self, request, view, obj):
            return bool(predicate(request.user, obj))

    AllowedObject.message = message
    AllowedObject.__name__ = f"AllowObject_{getattr(predicate, '__name__', 'predicate')}"
    return AllowedObject


_STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


def _code_of(exc, status: int) -> str:
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return codes if isinstance(codes, str) else _STATUS_CODES.get(status, "error")


def exception_handler(exc, context):
    """Service refusals and Django's own errors as the API's error shape, each with a `code`.

    Refusal -> its status (400/403/404/409) with {"detail", "code"[, "field"][, "errors"]}; Django's
    ValidationError -> 400 with the field errors; DRF's own refusals keep their status and gain a code.
    """
    if isinstance(exc, Refusal):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        extra = getattr(exc, "payload", None)
        if callable(extra):
            body.update(extra())
        response = drf_exception_handler(exceptions.APIException(), context)
        response.status_code, response.data = exc.status, body
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail, code="invalid")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    # A refusal as a whole ({"detail": ...}) gains its code; field errors ({field: [messages]}) are already
    # keyed by what was wrong and keep their shape.
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", _code_of(exc, response.status_code))
    return response
