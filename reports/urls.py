from django.urls import path, register_converter

from . import views


class IsoWeekConverter:
    regex = r"\d{4}-W\d{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(IsoWeekConverter, "isoweek")

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<isoweek:week>/", views.week, name="week"),
    path("<isoweek:week>.csv", views.week_csv, name="week_csv"),
    path("<isoweek:week>/rebuild/", views.rebuild, name="rebuild"),
]
