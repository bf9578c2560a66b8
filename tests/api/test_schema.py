"""The OpenAPI schema is generated from the code without warnings, and every endpoint needs a login."""

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/customers/": {"get"},
    "/api/customers/{id}/": {"get"},
    "/api/customers/bulk/": {"post"},
    "/api/events/bulk/": {"post"},
    "/api/contacts/bulk/": {"post"},
    "/api/alerts/": {"get"},
    "/api/alerts/{id}/": {"get"},
    "/api/alerts/{id}/snooze/": {"post"},
    "/api/alerts/{id}/unsnooze/": {"post"},
    "/api/work-orders/": {"get"},
    "/api/work-orders/{id}/": {"get"},
    "/api/work-orders/{id}/resolve/": {"post"},
    "/api/work-orders/{id}/actions/": {"post"},
    "/api/work-orders/{id}/status/": {"post"},
    "/api/work-orders/{id}/assign/": {"post"},
    "/api/work-orders/reassign/": {"post"},
    "/api/notifications/": {"get"},
    "/api/notifications/read/": {"post"},
    "/api/playbooks/": {"get", "post"},
    "/api/playbooks/{id}/": {"get", "put", "delete"},
    "/api/offers/": {"get", "post"},
    "/api/offers/{id}/": {"get", "put", "delete"},
    "/api/score-runs/": {"get"},
    "/api/score-runs/{id}/": {"get"},
    "/api/win-back/": {"get"},  # issue 10: the win-back lane
    "/api/models/": {"get"},
    "/api/models/{id}/": {"get"},
    "/api/rules/": {"get", "post"},
    "/api/rules/{id}/": {"get", "put", "patch", "delete"},
    "/api/rules/preview/": {"post"},
    "/api/policy-versions/": {"get", "post"},
    "/api/policy-versions/{number}/": {"get"},
    "/api/policy-versions/{number}/rollback/": {"post"},
    "/api/policy-versions/current/": {"get"},
    "/api/policy-versions/preview/": {"post"},
    "/api/webhook-endpoints/": {"get"},
    "/api/webhook-endpoints/{id}/": {"get"},
    "/api/webhook-deliveries/": {"get"},
    "/api/webhook-deliveries/{id}/": {"get"},
    "/api/ruleset-versions/": {"get"},
    "/api/ruleset-versions/{number}/": {"get"},
    "/api/ruleset-versions/{number}/rollback/": {"post"},
}

LIST_URLS = [
    "/api/customers/",
    "/api/alerts/",
    "/api/work-orders/",
    "/api/score-runs/",
    "/api/models/",
    "/api/rules/",
    "/api/policy-versions/",
    "/api/ruleset-versions/",
]
POST_URLS = [
    "/api/customers/bulk/", "/api/events/bulk/", "/api/work-orders/1/resolve/", "/api/work-orders/1/actions/",
    "/api/work-orders/1/status/", "/api/work-orders/1/assign/", "/api/rules/", "/api/rules/preview/",
    "/api/policy-versions/", "/api/policy-versions/preview/", "/api/policy-versions/1/rollback/",
    "/api/ruleset-versions/1/rollback/",
]  # fmt: skip


def test_schema_endpoint_lists_every_path(api_client, am_user):
    # given a logged-in user
    api_client.force_authenticate(user=am_user)

    # when the schema is fetched as JSON
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then it has exactly our paths and methods
    assert response.status_code == 200
    schema = response.json()
    assert {path: set(ops) for path, ops in schema["paths"].items()} == PATHS


def test_schema_generates_without_warnings_or_errors(tmp_path, capsys):
    # given a clean generator tally
    GENERATOR_STATS.reset()

    # when the schema is generated and validated (the command raises on any warning or error)
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    # then nothing was reported and an OpenAPI document was written
    assert capsys.readouterr().err == ""
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.0.3")


@pytest.mark.parametrize("url", LIST_URLS)
def test_anonymous_list_is_refused(api_client, url):
    # given nobody is logged in
    # when a list is requested
    response = api_client.get(url)

    # then it is refused
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


@pytest.mark.parametrize("url", POST_URLS)
def test_anonymous_post_is_refused(api_client, url):
    # given nobody is logged in
    # when a change is posted
    response = api_client.post(url, {}, format="json")

    # then it is refused
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_token_authentication_works(api_client, am_user):
    # given an API token
    token = Token.objects.create(user=am_user)

    # when a list is requested with it
    response = api_client.get("/api/work-orders/", HTTP_AUTHORIZATION=f"Token {token.key}")

    # then the user is recognised
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}
