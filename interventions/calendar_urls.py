from django.urls import path

from .views import calendars as calendar_views

app_name = "calendars"
urlpatterns = [
    path("", calendar_views.calendar_list, name="list"),
    path("<int:pk>/holidays/", calendar_views.calendar_holidays, name="holidays"),
]
