from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_patterns = [
    path("", include("customers.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("interventions.api.urls")),
    path("", include("scoring.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="interventions:queue", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("work/", include("interventions.urls")),
    path("customers/", include("customers.urls")),
    path("scoring/", include("scoring.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
