from django.urls import path

from . import views

app_name = "nightly"
urlpatterns = [path("", views.runs, name="runs"), path("<int:pk>/retry/", views.run_retry, name="run_retry")]
