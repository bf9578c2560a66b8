"""Customers API: scoped lists, filters, and the bulk upserts of customers and events."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from customers.api.serializers import MAX_BULK_ROWS
from customers.models import Customer, Event
from tests.factories import CustomerFactory, team_member_of, user_with_role

from .builders import login


def rows_refused(response) -> dict:
    """The row errors of a refused bulk request, after checking it is one (code invalid_rows, a summary)."""
    body = response.json()
    assert body.pop("code") == "invalid_rows"
    assert body.pop("detail").endswith(str(body["errors"][0]["message"])) or body["errors"]
    return body


pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo(settings.TIME_ZONE)
CUSTOMERS = [
    {"external_id": "C1", "name": "Acme", "segment": "enterprise", "region": "north", "owner": "am1",
     "lifetime_value": 1200.5, "contract_start": "2023-01-01", "contract_end": "2024-12-31", "tier": "gold"},
    {"external_id": "C2", "name": "Beta", "segment": "smb", "region": "south", "churned_at": "2024-05-01"},
]  # fmt: skip
EVENTS = [
    {"customer_external_id": "C1", "kind": "purchase", "occurred_at": "2024-03-01", "amount": 19.99},
    {"customer_external_id": "C1", "kind": "teleport", "occurred_at": "2024-03-02T10:00:00"},
    {"customer_external_id": "C2", "kind": "survey", "occurred_at": "2024-03-03T08:00:00", "value": 9,
     "external_id": "S-1"},
]  # fmt: skip
BAD_KIND = (
    "unknown kind 'teleport'; allowed: campaign, competitor, login, purchase, renewal, survey, ticket_closed, "
    "ticket_opened, visit"
)


def customer_table():
    fields = ("external_id", "name", "segment", "region", "owner__username", "lifetime_value")
    fields += ("contract_start", "contract_end", "churned_at", "attributes", "updated_at")
    return list(Customer.objects.order_by("external_id").values_list(*fields))


def event_table():
    fields = ("customer__external_id", "kind", "occurred_at", "amount", "value", "external_id")
    return list(Event.objects.order_by("occurred_at", "external_id").values_list(*fields))


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def two_customers():
    return CustomerFactory(external_id="C1"), CustomerFactory(external_id="C2")


@pytest.fixture
def integration_user(db):
    return user_with_role("etl", "integration")


# --- list and detail -----------------------------------------------------------------------------------------------


def test_account_manager_sees_only_own_customers(api_client, am_user, other_am_user):
    # given two customers of am1 and one of am2
    mine = [CustomerFactory(external_id="A1", owner=am_user), CustomerFactory(external_id="A2", owner=am_user)]
    theirs = CustomerFactory(external_id="B1", owner=other_am_user)

    # when am1 lists customers and opens am2's
    login(api_client, am_user)
    listed = api_client.get("/api/customers/")
    detail = api_client.get(f"/api/customers/{theirs.id}/")

    # then only their own are listed and the other one does not exist for them
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["results"]] == [c.id for c in mine]
    assert detail.status_code == 404


def test_customer_detail_shape(api_client, am_user):
    # given a customer of am1
    c = CustomerFactory(
        external_id="A1", owner=am_user, segment="smb", region="north", lifetime_value=10.0, attributes={"x": "1"}
    )

    # when am1 opens it
    response = login(api_client, am_user).get(f"/api/customers/{c.id}/")

    # then every field is rendered, the owner as id and username
    body = response.json()
    assert response.status_code == 200
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": c.id, "external_id": "A1", "name": "Customer A1", "segment": "smb", "region": "north",
        "owner": {"id": am_user.id, "username": "am1"}, "lifetime_value": 10.0, "contract_start": None,
        "contract_end": None, "churned_at": None, "attributes": {"x": "1"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("segment=smb", ["A1", "A3"]),
        ("region=south", ["A2", "A3"]),
        ("segment=smb&region=south", ["A3"]),
        ("search=a2", ["A2"]),
        ("owner={am2}", ["A4"]),
    ],
)
def test_customer_filters(api_client, admin_user, am_user, other_am_user, query, expected):
    # given four customers in different segments, regions and owners
    CustomerFactory(external_id="A1", segment="smb", region="north", owner=am_user)
    CustomerFactory(external_id="A2", segment="enterprise", region="south", owner=am_user)
    CustomerFactory(external_id="A3", segment="smb", region="south", owner=am_user)
    CustomerFactory(external_id="A4", segment="enterprise", region="north", owner=other_am_user)

    # when an admin filters
    response = login(api_client, admin_user).get(f"/api/customers/?{query.format(am2=other_am_user.id)}")

    # then exactly the matching customers are listed
    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["results"]] == expected


def test_team_lead_sees_team_customers(api_client, lead_user, am_user, other_am_user):
    # given am1 is in the lead's team and am2 is not
    team_member_of(am_user, lead_user)
    CustomerFactory(external_id="A1", owner=am_user)
    CustomerFactory(external_id="B1", owner=other_am_user)

    # when the lead lists customers
    response = login(api_client, lead_user).get("/api/customers/")

    # then only the team's customer is listed
    assert [c["external_id"] for c in response.json()["results"]] == ["A1"]


@pytest.mark.parametrize("n", [2, 20])
def test_customer_list_query_count_is_constant(api_client, am_user, django_assert_num_queries, n):
    # given n customers of am1
    for i in range(n):
        CustomerFactory(external_id=f"A{i:03d}", owner=am_user)
    login(api_client, am_user)

    # when the list is fetched, then: roles, count, page (owner joined)
    with django_assert_num_queries(3):
        response = api_client.get("/api/customers/")
    assert response.json()["count"] == n


# --- bulk customers ------------------------------------------------------------------------------------------------


def test_bulk_customers_creates_exact_rows(api_client, admin_user, am_user):
    # given an admin and two customers to load
    # when they are posted
    response = post_json(login(api_client, admin_user), "/api/customers/bulk/", {"customers": CUSTOMERS})

    # then both are created with parsed values
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0, "errors": []}
    assert [row[:-1] for row in customer_table()] == [
        ("C1", "Acme", "enterprise", "north", "am1", 1200.5, date(2023, 1, 1), date(2024, 12, 31), None,
         {"tier": "gold"}),
        ("C2", "Beta", "smb", "south", None, 0.0, None, None, datetime(2024, 5, 1, tzinfo=LOCAL), {}),
    ]  # fmt: skip


def test_bulk_customers_repost_changes_nothing(api_client, admin_user, am_user):
    # given the customers were posted once
    login(api_client, admin_user)
    post_json(api_client, "/api/customers/bulk/", {"customers": CUSTOMERS})
    before = customer_table()

    # when the same body is posted again
    response = post_json(api_client, "/api/customers/bulk/", {"customers": CUSTOMERS})

    # then every row is unchanged, to the update stamp
    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0, "errors": []}
    assert customer_table() == before


def test_bulk_customers_update_by_external_id(api_client, admin_user, am_user):
    # given C1 exists
    login(api_client, admin_user)
    post_json(api_client, "/api/customers/bulk/", {"customers": CUSTOMERS})

    # when C1 comes again with a new segment
    response = post_json(api_client, "/api/customers/bulk/", {"customers": [{"external_id": "C1", "segment": "mid"}]})

    # then only that column of C1 changes
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "invalid": 0, "errors": []}
    c1 = Customer.objects.get(external_id="C1")
    assert (c1.name, c1.segment, c1.owner.username) == ("Acme", "mid", "am1")


def test_bulk_customers_bad_row_writes_nothing(api_client, admin_user, am_user):
    # given a good row, a row with an unknown owner and one with a negative value
    rows = [CUSTOMERS[0], {"external_id": "C8", "owner": "ghost"}, {"external_id": "C9", "lifetime_value": -1}]

    # when posted
    response = post_json(login(api_client, admin_user), "/api/customers/bulk/", {"customers": rows})

    # then every problem is reported with its index and nothing is written
    assert response.status_code == 400
    assert rows_refused(response) == {"errors": [
        {"index": 1, "field": "owner", "message": "no user with username 'ghost'"},
        {"index": 2, "field": "lifetime_value", "message": "must be >= 0, got -1"},
    ]}  # fmt: skip
    assert Customer.objects.count() == 0


def test_integration_account_may_bulk_upsert(api_client, integration_user, am_user):
    # given a user in the 'integration' group
    # when it posts customers
    response = post_json(login(api_client, integration_user), "/api/customers/bulk/", {"customers": CUSTOMERS})

    # then they are loaded
    assert response.status_code == 200
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("role_user", ["am_user", "lead_user", "cs_user"])
@pytest.mark.parametrize(
    ("url", "body"),
    [("/api/customers/bulk/", {"customers": CUSTOMERS}),
     ("/api/events/bulk/", {"events": EVENTS[:1], "create_missing_customers": True})],
)  # fmt: skip
def test_bulk_by_other_roles_is_forbidden_and_writes_nothing(api_client, request, role_user, url, body):
    # given a logged-in user who is neither admin nor integration
    user = request.getfixturevalue(role_user)

    # when they post a bulk load
    response = post_json(login(api_client, user), url, body)

    # then it is refused and nothing is written
    assert response.status_code == 403
    assert response.json() == {
        "detail": "only admins and integration accounts may bulk-upsert",
        "code": "permission_denied",
    }
    assert (Customer.objects.count(), Event.objects.count()) == (0, 0)


def test_anonymous_bulk_writes_nothing(api_client):
    # given nobody is logged in
    # when customers are posted
    response = post_json(api_client, "/api/customers/bulk/", {"customers": CUSTOMERS})

    # then it is refused and nothing is written
    assert response.status_code == 403
    assert Customer.objects.count() == 0


# --- malformed input -----------------------------------------------------------------------------------------------


def test_malformed_json_is_400(api_client, admin_user):
    # given a body that is not JSON
    # when posted
    response = login(api_client, admin_user).post(
        "/api/customers/bulk/", '{"customers": [{"external_id": "C1",', content_type="application/json"
    )

    # then it is a client error with the parser's message
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ('{"customers": [{"external_id": "C1", "lifetime_value": 1%s}]}' % ("0" * 400),
         "JSON parse error - integer of 401 digits is out of range"),
        ('{"customers": [{"external_id": "C1", "lifetime_value": NaN}]}',
         "JSON parse error - Out of range float values are not JSON compliant: 'NaN'"),
    ],
)  # fmt: skip
def test_numbers_json_cannot_carry_are_400(api_client, admin_user, raw, detail):
    # given a number no field could hold
    # when posted
    response = login(api_client, admin_user).post("/api/customers/bulk/", raw, content_type="application/json")

    # then it is a parse error, not a crash
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": "parse_error"}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ({}, {"customers": ["This field is required."]}),
        ({"customers": "C1"}, {"customers": ['Expected a list of items but got type "str".']}),
        ({"customers": None}, {"customers": ["This field may not be null."]}),
        ({"customers": [], "skip_invalid": "maybe"}, {"skip_invalid": ["Must be a valid boolean."]}),
        ({"customers": [], "dry_run": True, "upsert": 1}, {"dry_run": ["unknown field"], "upsert": ["unknown field"]}),
    ],
)
def test_wrong_shape_is_400_with_message(api_client, admin_user, body, errors):
    # given a body of the wrong shape
    # when posted
    response = post_json(login(api_client, admin_user), "/api/customers/bulk/", body)

    # then it is refused field by field
    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("C1", {"index": 0, "field": "row", "message": "expected an object with named fields, got str"}),
        ({"external_id": {"a": 1}}, {"index": 0, "field": "external_id", "message": "expected text, got {'a': 1}"}),
        ({"external_id": "C1", "name": True}, {"index": 0, "field": "name", "message": "expected text, got True"}),
        ({"external_id": "C1", "lifetime_value": "lots"},
         {"index": 0, "field": "lifetime_value", "message": "cannot parse 'lots' as a number"}),
    ],
)  # fmt: skip
def test_wrong_row_types_are_row_errors(api_client, admin_user, row, error):
    # given a row with a value of the wrong type
    # when posted
    response = post_json(login(api_client, admin_user), "/api/customers/bulk/", {"customers": [row]})

    # then it is reported as a row error and nothing is written
    assert response.status_code == 400
    assert rows_refused(response) == {"errors": [error]}
    assert Customer.objects.count() == 0


def test_bulk_size_is_capped(api_client, admin_user):
    # given one row more than the cap
    rows = [{"external_id": f"C{i}"} for i in range(MAX_BULK_ROWS + 1)]

    # when posted
    response = post_json(login(api_client, admin_user), "/api/customers/bulk/", {"customers": rows})

    # then it is refused before anything is read into the database
    assert response.status_code == 400
    assert response.json() == {"customers": ["Ensure this field has no more than 10000 elements."]}
    assert Customer.objects.count() == 0


def test_form_encoded_bulk_is_415(api_client, admin_user):
    # given form data instead of JSON
    # when posted
    response = login(api_client, admin_user).post("/api/customers/bulk/", {"customers": "C1"})

    # then the media type is refused
    assert response.status_code == 415
    assert Customer.objects.count() == 0


# --- bulk events ---------------------------------------------------------------------------------------------------


def test_bulk_events_bad_row_is_400_and_writes_nothing(api_client, admin_user, two_customers):
    # given three events, the second of an unknown kind
    # when posted
    response = post_json(login(api_client, admin_user), "/api/events/bulk/", {"events": EVENTS})

    # then the bad row is reported by index, field and message, and no event is written
    assert response.status_code == 400
    assert rows_refused(response) == {"errors": [{"index": 1, "field": "kind", "message": BAD_KIND}]}
    assert Event.objects.count() == 0


def test_bulk_events_bad_row_creates_no_missing_customer(api_client, admin_user):
    # given no customers, and events of unknown customers with a bad row
    # when posted with create_missing_customers
    body = {"events": EVENTS, "create_missing_customers": True}
    response = post_json(login(api_client, admin_user), "/api/events/bulk/", body)

    # then nothing at all is written
    assert response.status_code == 400
    assert (Customer.objects.count(), Event.objects.count()) == (0, 0)


def test_bulk_events_unknown_customer_is_an_error(api_client, admin_user):
    # given no customer C1
    # when one of its events is posted
    response = post_json(login(api_client, admin_user), "/api/events/bulk/", {"events": EVENTS[:1]})

    # then it is reported
    assert response.status_code == 400
    assert rows_refused(response) == {"errors": [
        {"index": 0, "field": "customer_external_id", "message": "no customer with external_id 'C1'"},
    ]}  # fmt: skip
    assert (Customer.objects.count(), Event.objects.count()) == (0, 0)


def test_bulk_events_skip_invalid_imports_exactly_the_good_rows(api_client, admin_user, two_customers):
    # given three events, the second of an unknown kind
    # when posted with skip_invalid
    body = {"events": EVENTS, "skip_invalid": True}
    response = post_json(login(api_client, admin_user), "/api/events/bulk/", body)

    # then the two good rows are stored and the bad one is reported
    assert response.status_code == 200
    assert response.json() == {
        "created": 2, "unchanged": 0, "invalid": 1, "customers_created": 0,
        "errors": [{"index": 1, "field": "kind", "message": BAD_KIND}],
    }  # fmt: skip
    table = event_table()
    assert [row[:5] for row in table] == [
        ("C1", "purchase", datetime(2024, 3, 1, tzinfo=LOCAL), 19.99, None),
        ("C2", "survey", datetime(2024, 3, 3, 8, tzinfo=LOCAL), None, 9.0),
    ]
    assert table[0][5].startswith("auto:")
    assert table[1][5] == "S-1"


def test_bulk_events_repost_is_a_noop(api_client, admin_user, two_customers):
    # given the good events were posted once
    login(api_client, admin_user)
    body = {"events": [EVENTS[0], EVENTS[2]]}
    post_json(api_client, "/api/events/bulk/", body)
    before = event_table()

    # when posted again
    response = post_json(api_client, "/api/events/bulk/", body)

    # then nothing new is stored
    assert response.json() == {"created": 0, "unchanged": 2, "invalid": 0, "customers_created": 0, "errors": []}
    assert event_table() == before


def test_bulk_events_create_missing_customers(api_client, admin_user):
    # given no customers
    # when events are posted with create_missing_customers
    body = {"events": [EVENTS[0], EVENTS[2]], "create_missing_customers": True}
    response = post_json(login(api_client, admin_user), "/api/events/bulk/", body)

    # then bare customers are created for them
    assert response.json() == {"created": 2, "unchanged": 0, "invalid": 0, "customers_created": 2, "errors": []}
    assert list(Customer.objects.values_list("external_id", "name")) == [("C1", ""), ("C2", "")]
