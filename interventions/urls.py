from django.urls import path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.work_order, name="work_order"),
    path("<int:pk>/actions/", views.log_action, name="log_action"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/status/", views.set_status, name="set_status"),
]
