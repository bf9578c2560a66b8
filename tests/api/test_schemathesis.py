"""Property-based API test: schemathesis generates requests from our OpenAPI schema for every operation and
checks, as an admin and as an account manager, that no response is a server error or breaks the schema.

The schema is loaded from the app itself (WSGI, no server). Examples are bounded and derandomized so that the
run is repeatable and takes well under a minute; it is part of the normal suite (make test and CI).
"""

import json
from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from churnops.wsgi import application
from interventions.choices import Role
from scoring.models import ScoreRun
from scoring.services import defaults_install
from tests.factories import CustomerFactory, alert_for, team_member_of, user_with_role, work_order_for

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10  # generated examples per operation (plus schemathesis's boundary cases, the explicit phase)
# Rules and policies have large nested bodies whose boundary cases alone are hundreds of requests, and previews
# compute features: for these, generated examples only, so that the whole run stays under a minute.
HEAVY = r"^/api/rules/|^/api/policy-versions/$|/preview/$"
# Requests are generated valid and invalid (positive and negative modes); whatever comes in, the answer must
# not be a server error and must be a documented status with a documented body.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def same_db_connection():
    """Keep the test's connection (and its transaction) across requests, as Django's test client does: the WSGI
    handler would otherwise close it at the end of each request (PostgreSQL would lose the test data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(same_db_connection):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def tokens(db):
    """An admin and an account manager with API tokens, and a little data for both to see and change."""
    assert connection.settings_dict["NAME"].startswith(("file:memorydb", "test_", ":memory:")), "not the test DB"
    defaults_install()
    admin = user_with_role("st-admin", Role.ADMIN, is_staff=True, is_superuser=True)
    am = user_with_role("st-am", Role.ACCOUNT_MANAGER)
    lead = user_with_role("st-lead", Role.TEAM_LEAD)
    team_member_of(am, lead)
    for i in range(3):
        c = CustomerFactory(
            external_id=f"ST{i}", owner=am, lifetime_value=1000.0 * (i + 1), contract_end=date(2025, 9, 30)
        )
        work_order_for(c, assignee=am, alert=alert_for(c))
    CustomerFactory(external_id="ST-OTHER")
    ScoreRun.objects.create(as_of=date(2025, 6, 30), status=ScoreRun.Status.DONE)
    return {role: Token.objects.create(user=user).key for role, user in (("admin", admin), ("am", am))}


def _bounded(*phases: Phase):
    return settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )


def _call_as_each_role(case, tokens):
    for token in tokens.values():
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@schema.exclude(path_regex=HEAVY).parametrize()
@_bounded(Phase.explicit, Phase.generate)
def test_api_conforms_to_its_schema(case, tokens):
    _call_as_each_role(case, tokens)


@schema.include(path_regex=HEAVY).parametrize()
@_bounded(Phase.generate)
def test_configuration_api_conforms_to_its_schema(case, tokens):
    _call_as_each_role(case, tokens)


HOSTILE_TEXT = ("a\x00b", "\ud800", "x\udfff", "\\N")


def _poisoned(value, text):
    """The body with every string (keys too) carrying a hostile character."""
    if isinstance(value, str):
        return value + text
    if isinstance(value, list):
        return [_poisoned(v, text) for v in value]
    if isinstance(value, dict):
        return {_poisoned(k, text): _poisoned(v, text) for k, v in value.items()}
    return value


def _nested(depth):
    body = []
    for _ in range(depth):
        body = [body]
    return body


@schema.include(method="POST").exclude(path_regex=HEAVY).parametrize()
@settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_hostile_bodies_are_never_a_server_error(case, tokens, client):
    """Issue 12: NUL bytes, unpaired surrogates and deep nesting in any POST body answer 4xx, never 5xx.

    The operations, paths and bodies are schemathesis's; the poisoned body is sent as raw JSON (escaped, as a
    client would send a lone surrogate), which schemathesis itself cannot encode.
    """
    sample = case.body if isinstance(case.body, dict | list | str) else {"note": "x"}  # no body: send one anyway
    bodies = [_poisoned(sample, text) for text in HOSTILE_TEXT]
    bodies += [{"x": _nested(200)}, _nested(500)]
    for body in bodies:
        raw = json.dumps(body, ensure_ascii=True)
        response = client.post(
            case.formatted_path,
            raw,
            content_type="application/json",
            QUERY_STRING="",
            HTTP_AUTHORIZATION=f"Token {tokens['admin']}",
        )
        assert response.status_code < 500, (case.formatted_path, raw[:200], response.content[:500])
