from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_index, name="list"),
    path("<int:pk>/snooze/", views.alert_snooze_page, name="snooze"),
    path("<int:pk>/unsnooze/", views.alert_unsnooze_page, name="unsnooze"),
]
