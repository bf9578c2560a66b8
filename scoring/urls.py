from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/delete/", views.rule_remove, name="rule_delete"),
    path("policy/", views.policy, name="policy"),
    path("history/", views.history, name="history"),
    path("history/policy/<int:number>/rollback/", views.policy_version_rollback, name="policy_rollback"),
    path("history/rules/<int:number>/rollback/", views.ruleset_version_rollback, name="ruleset_rollback"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
]
