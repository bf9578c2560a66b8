from django.urls import include, path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("reassign/", views.bulk_reassign, name="bulk_reassign"),
    path("<int:pk>/", views.work_order, name="work_order"),
    path("<int:pk>/actions/", views.log_action, name="log_action"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/status/", views.set_status, name="set_status"),
    path("offer-approvals/<int:pk>/decide/", views.offer_decide, name="offer_decide"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/digest/", views.digest_preference, name="digest_preference"),
    path("preferences/", views.preferences, name="preferences"),
    path("team/", views.team, name="team"),
    path("team/<int:user_id>/", views.agent_edit, name="agent_edit"),
    # The alert pages live under /work/ until the project urls include alerts.urls themselves.
    path("alerts/", include("alerts.urls")),
]
