"""Scoring API: score runs for admins and leads, models for admins (never the artifact), rules for everyone."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.models import ModelVersion, Rule, ScoreRun
from scoring.services import defaults_install

from .builders import login

pytestmark = pytest.mark.django_db

FORBIDDEN = {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}


def model_version(**fields) -> ModelVersion:
    fields = {
        "algorithm": "logreg",
        "features": ["days_since_last_visit"],
        "horizon_days": 90,
        "sklearn_version": "1.5.0",
        "metrics": {"auc": 0.81},
        "artifact": b"\x80\x04secret",
        **fields,
    }
    return ModelVersion.objects.create(**fields)


@pytest.mark.parametrize(
    ("role_user", "expected"), [("am_user", 403), ("cs_user", 403), ("lead_user", 200), ("admin_user", 200)]
)
def test_score_runs_for_admins_and_leads(api_client, request, role_user, expected):
    # given two runs
    ScoreRun.objects.create(as_of=date(2025, 6, 29), status=ScoreRun.Status.DONE, stats={"scored": 10})
    ScoreRun.objects.create(as_of=date(2025, 6, 30))

    # when a user of the role lists them
    response = login(api_client, request.getfixturevalue(role_user)).get("/api/score-runs/")

    # then only admins and team leads get them, newest first
    assert response.status_code == expected
    if expected == 403:
        assert response.json() == FORBIDDEN
    else:
        assert [(r["as_of"], r["status"], r["stats"]) for r in response.json()["results"]] == [
            ("2025-06-30", "running", {}), ("2025-06-29", "done", {"scored": 10}),
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("role_user", "expected"), [("am_user", 403), ("cs_user", 403), ("lead_user", 403), ("admin_user", 200)]
)
def test_models_for_admins_only(api_client, request, role_user, expected):
    # given a trained model
    model_version(is_active=True)

    # when a user of the role lists models
    response = login(api_client, request.getfixturevalue(role_user)).get("/api/models/")

    # then only admins get them
    assert response.status_code == expected


def test_model_never_serializes_the_artifact(api_client, admin_user):
    # given a trained model with an artifact
    model = model_version(is_active=True)

    # when an admin lists and opens it
    login(api_client, admin_user)
    with CaptureQueriesContext(connection) as queries:
        listed = api_client.get("/api/models/").json()["results"]
        detail = api_client.get(f"/api/models/{model.id}/")

    # then the metadata is there and the artifact is not
    assert [m["id"] for m in listed] == [model.id]
    assert "artifact" not in listed[0]
    assert "artifact" not in detail.json()
    assert b"secret" not in detail.content
    assert [q["sql"] for q in queries if "artifact" in q["sql"]] == []  # not even read from the database
    assert {k: detail.json()[k] for k in ("algorithm", "metrics", "is_active")} == {
        "algorithm": "logreg", "metrics": {"auc": 0.81}, "is_active": True,
    }  # fmt: skip


@pytest.mark.parametrize("role_user", ["am_user", "cs_user", "lead_user", "admin_user"])
def test_rules_for_every_user(api_client, request, role_user):
    # given the seed rules
    defaults_install()

    # when any logged-in user lists rules
    response = login(api_client, request.getfixturevalue(role_user)).get("/api/rules/")

    # then they get names, conditions and whether each is enabled, in order
    assert response.status_code == 200
    rules = response.json()["results"]
    assert [r["name"] for r in rules] == [
        "Visits stopped", "App gone quiet", "Satisfaction dropped", "Renewal at risk", "Competitor signal",
    ]  # fmt: skip
    assert (rules[4]["conditions"], rules[4]["is_enabled"]) == (
        [{"feature": "competitor_signals_30d", "op": ">=", "value": 1.0}], True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "n_queries"),
    [("/api/score-runs/", 4), ("/api/models/", 3), ("/api/rules/", 2)],  # role checks, count, page
)
@pytest.mark.parametrize("n", [2, 20])
def test_scoring_list_query_count_is_constant(api_client, lead_user, admin_user, django_assert_num_queries,
                                              url, n_queries, n):  # fmt: skip
    # given n rows of each
    for i in range(n):
        ScoreRun.objects.create(as_of=date(2025, 1, 1).replace(day=i + 1))
        model_version()
        Rule.objects.create(name=f"R{i}", conditions=[{"feature": "tenure_days", "op": "<", "value": 30}])
    user = lead_user if url == "/api/score-runs/" else admin_user
    user.is_superuser = False  # a plain member of the admin group: its role is a query
    user.save()
    login(api_client, user)

    # when the list is fetched
    with django_assert_num_queries(n_queries):
        response = api_client.get(url)
    assert response.status_code == 200
