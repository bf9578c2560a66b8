from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from alerts.api.urls import router as alerts_router
from customers.api.urls import router as customers_router
from interventions.api.urls import router as interventions_router
from interventions.views import language_set
from scoring.api.urls import router as scoring_router
from webhooks.api.urls import router as webhooks_router

# One router for the whole API, so that /api/ lists every endpoint (each app keeps its own registrations).
api_router = DefaultRouter()
for app_router in (customers_router, alerts_router, interventions_router, scoring_router, webhooks_router):
    api_router.registry.extend(app_router.registry)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="interventions:queue", permanent=False)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            extra_context={
                "failure_limit": settings.AXES_FAILURE_LIMIT,
                "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            }
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The header's language switcher: Django's set_language, which also saves the choice to the profile.
    path("i18n/setlang/", language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("work/", include("interventions.urls")),
    path("customers/", include("customers.urls")),
    path("scoring/runs/", include("nightly.urls")),
    path("scoring/", include("scoring.urls")),
    path("reports/", include("reports.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("calendars/", include("interventions.calendar_urls")),
    path("api/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]


def not_found(request, exception=None):
    """API clients get JSON even for a URL no route matches (e.g. /api/rules/abc/); people get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """Django's own refusals (e.g. too many form fields) as JSON for API clients."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Bad request: the request could not be read."), "code": "bad_request"}, status=400
        )
    return defaults.bad_request(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Server error: the request was not completed."), "code": "server_error"}, status=500
        )
    return defaults.server_error(request)


handler400 = bad_request
handler404 = not_found
handler500 = server_error
