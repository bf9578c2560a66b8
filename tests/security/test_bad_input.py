"""Bad input gets a 4xx with a message, never a 500, and writes nothing: oversized bodies, malformed JSON,
wrong types, unknown fields, out-of-range dates and numbers, on the API and on the admin pages."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from customers.models import Customer, Event
from interventions.models import Action, WorkOrder
from scoring.models import PolicyVersion, Rule, RuleSetVersion
from scoring.services import defaults_install
from tests.factories import CustomerFactory, work_order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user):
    defaults_install()
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def written():
    return (
        Customer.objects.count(),
        Event.objects.count(),
        WorkOrder.objects.count(),
        Action.objects.count(),
        PolicyVersion.objects.count(),
        RuleSetVersion.objects.count(),
        Rule.objects.count(),
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
@pytest.mark.parametrize("url", ["/api/customers/bulk/", "/api/events/bulk/", "/api/rules/", "/api/policy-versions/"])
def test_oversized_body_is_refused_before_it_is_read(admin_api, url):
    # given
    before = written()
    body = '{"customers": [' + ",".join(f'{{"external_id": "C{i:05d}"}}' for i in range(200)) + "]}"

    # when
    response = admin_api.post(url, body, content_type="application/json")

    # then
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body of {len(body)} bytes is larger than the limit of 2000 bytes"}
    assert written() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_oversized_form_post_to_a_page_is_refused(client, admin_user):
    client.force_login(admin_user)
    before = written()
    urlencoded = client.post(
        "/scoring/policy/", "comment=" + "x" * 5_000, content_type="application/x-www-form-urlencoded"
    )
    multipart = client.post("/scoring/policy/", {"comment": "x" * 5_000})
    assert (urlencoded.status_code, multipart.status_code) == (413, 400)  # the second is Django's own check
    assert written() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"customers": [',
        "not json",
        '{"customers": [{"external_id": NaN}]}',
        '{"customers": [{"lifetime_value": 1' + "0" * 400 + "}]}",
    ],
)
def test_malformed_json_is_a_400_with_a_message(admin_api, body):
    before = written()
    response = admin_api.post("/api/customers/bulk/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert written() == before


@pytest.mark.parametrize(
    ("url", "body", "errors"),
    [
        ("/api/customers/bulk/", {"customers": "C1"}, {"customers": ['Expected a list of items but got type "str".']}),
        (
            "/api/customers/bulk/",
            {"customers": [], "skip_invalid": "maybe"},
            {"skip_invalid": ["Must be a valid boolean."]},
        ),
        ("/api/customers/bulk/", {"customers": [], "dry_run": True}, {"dry_run": ["unknown field"]}),
        ("/api/events/bulk/", {"events": [], "extra": 1}, {"extra": ["unknown field"]}),
        (
            "/api/rules/",
            {"name": "X", "conditions": [{"feature": "tenure_days", "op": "<", "value": [1]}]},
            {"conditions": [{"value": ["A valid number is required."]}]},
        ),
        ("/api/policy-versions/1/rollback/", {"comment": "x", "force": True}, {"force": ["unknown field"]}),
    ],
)
def test_wrong_types_and_unknown_fields_are_400_and_write_nothing(admin_api, url, body, errors):
    before = written()
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert written() == before


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"external_id": "D1", "contract_start": "0000-01-01"}, "contract_start"),
        ({"external_id": "D2", "contract_end": "10000-01-01"}, "contract_end"),
        ({"external_id": "D3", "churned_at": "9999-12-31T23:59:59-12:00"}, "churned_at"),
        ({"external_id": "D4", "churned_at": "0001-01-01T00:00:00+14:00"}, "churned_at"),
        ({"external_id": "D5", "lifetime_value": -5}, "lifetime_value"),
        ({"external_id": "D6", "lifetime_value": "lots"}, "lifetime_value"),
    ],
)
def test_dates_and_numbers_out_of_range_are_400_and_write_nothing(admin_api, row, field):
    before = written()
    response = admin_api.post("/api/customers/bulk/", {"customers": [row]}, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert written() == before


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2025-13-01"])
def test_event_dates_out_of_range_are_400_and_write_nothing(admin_api, occurred_at):
    CustomerFactory(external_id="E1")
    before = written()
    response = admin_api.post(
        "/api/events/bulk/",
        {"events": [{"customer_external_id": "E1", "kind": "visit", "occurred_at": occurred_at}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert written() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("resolve", {"outcome": "retained", "reason": "price", "colour": "red"}),
        ("actions", {"kind": "call", "urgent": True}),
        ("status", {"status": "in_progress", "why": "x"}),
    ],
)
def test_work_order_changes_refuse_unknown_fields(am_user, path, body):
    # given the account manager's own work order
    wo = work_order_for(CustomerFactory(external_id="W1", owner=am_user), assignee=am_user)
    client = APIClient()
    client.force_authenticate(am_user)
    before = (written(), list(WorkOrder.objects.values_list("status", "outcome")))

    # when
    response = client.post(f"/api/work-orders/{wo.pk}/{path}/", body, format="json")

    # then
    assert response.status_code == 400
    unknown = next(k for k in body if k not in ("outcome", "reason", "kind", "status"))
    assert response.json() == {unknown: ["unknown field"]}
    assert (written(), list(WorkOrder.objects.values_list("status", "outcome"))) == before


@pytest.mark.parametrize("url", ["/api/rules/abc/", "/api/policy-versions/v1/", "/api/nothing-here/"])
def test_unknown_api_urls_answer_json(admin_api, url):
    response = admin_api.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("value", ["1e400", "nan", "-inf", "0x10", "1,5"])
def test_policy_page_refuses_non_numbers(client, admin_user, value):
    # given
    from tests.scoring.test_admin_pages import policy_post

    defaults_install()
    client.force_login(admin_user)
    before = written()

    # when
    response = client.post("/scoring/policy/", policy_post(comment="x", tier_1_min_probability=value))

    # then
    assert response.status_code == 400
    assert list(response.context["form"].errors["tier_1_min_probability"]) == ["Enter a number."]
    assert written() == before
