"""Hostile bytes and implausible values (issue 12): NUL characters, unpaired surrogates, deep nesting, a note
of exactly \\N, 1e308 money, year-1 contracts, events in 2099, 5 MB attributes, oversized CSV fields.
Every one is a 4xx naming the field (API) or a line-numbered error (CSV), and nothing is written."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from customers.models import Customer, Event
from interventions.models import WorkOrder, WorkOrderEvent
from scoring.services import defaults_install
from tests.factories import CustomerFactory, team_member_of, work_order_for

pytestmark = pytest.mark.django_db

NUL = '"a\\u0000b"'
SURROGATE = '"a\\ud800b"'
LOW_SURROGATE = '"\\udfffb"'


@pytest.fixture
def admin_api(admin_user):
    defaults_install()
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def written():
    return Customer.objects.count(), Event.objects.count(), WorkOrderEvent.objects.count()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (NUL, "contains a NUL character"),
        (SURROGATE, "contains an unpaired surrogate (U+D800)"),
        (LOW_SURROGATE, "contains an unpaired surrogate (U+DFFF)"),
    ],
)
@pytest.mark.parametrize(
    ("url", "template", "field"),
    [
        (
            "/api/customers/bulk/",
            '{"customers": [{"external_id": "C1"}, {"external_id": "C2", "name": %s}]}',
            "customers[1].name",
        ),
        ("/api/customers/bulk/", '{"customers": [{"external_id": %s}]}', "customers[0].external_id"),
        ("/api/customers/bulk/", '{"customers": [{"external_id": "C1", "tier": %s}]}', "customers[0].tier"),
        (
            "/api/events/bulk/",
            '{"events": [{"customer_external_id": "C1", "kind": "visit", "occurred_at": "2025-01-01",'
            ' "external_id": %s}], "create_missing_customers": true}',
            "events[0].external_id",
        ),
        ("/api/rules/", '{"name": %s, "conditions": []}', "name"),
    ],
)
def test_nul_and_surrogates_are_a_400_naming_the_field(admin_api, url, template, field, value, message):
    before = written()
    response = admin_api.post(url, template % value, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {field: [message]}
    assert written() == before


def test_a_nul_in_a_field_name_is_refused(admin_api):
    response = admin_api.post(
        "/api/customers/bulk/",
        '{"customers": [{"external_id": "C1", "a\\u0000": "x"}]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"customers[0].a\\u0000": ["field name contains a NUL character"]}
    assert Customer.objects.count() == 0


def test_a_surrogate_pair_is_a_character_not_an_error(admin_api):
    body = '{"customers": [{"external_id": "C1", "name": "\\ud83d\\ude00"}]}'
    response = admin_api.post("/api/customers/bulk/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get().name == "\N{GRINNING FACE}"


@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize("url", ["/api/customers/bulk/", "/api/rules/", "/api/policy-versions/preview/"])
def test_deep_nesting_is_a_400(admin_api, url, depth):
    before = written()
    body = '{"customers": ' + "[" * depth + "]" * depth + "}"
    response = admin_api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested deeper than 32 levels" in str(response.json())
    assert written() == before


@pytest.mark.parametrize("note", ["\\N", "\\\\N", "tab\there", "\\."])
def test_a_note_of_backslash_n_is_stored_as_text(admin_user, am_user, lead_user, other_am_user, note):
    team_member_of(am_user, lead_user)
    team_member_of(other_am_user, lead_user)
    wo = work_order_for(CustomerFactory(external_id="W1", owner=am_user), assignee=am_user)
    client = APIClient()
    client.force_authenticate(admin_user)
    assert (
        client.post(
            f"/api/work-orders/{wo.pk}/status/", {"status": "in_progress", "note": note}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/work-orders/{wo.pk}/assign/", {"assignee": other_am_user.pk, "note": note}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/work-orders/reassign/", {"work_orders": [wo.pk], "assignee": am_user.pk, "note": note}, format="json"
        ).status_code
        == 200
    )
    assert list(wo.events.values_list("note", flat=True)) == [note, note, note]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"external_id": "D1", "lifetime_value": 1e308}, "lifetime_value"),
        ({"external_id": "D2", "contract_start": "0001-01-01"}, "contract_start"),
        ({"external_id": "D3", "contract_end": "9999-12-31"}, "contract_end"),
        ({"external_id": "D4", "churned_at": "2099-01-01"}, "churned_at"),
        ({"external_id": "D5", "notes": "x" * 5_000_000}, "notes"),
    ],
)
def test_implausible_customer_values_are_400_and_write_nothing(admin_api, row, field, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    response = admin_api.post("/api/customers/bulk/", {"customers": [row]}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("event", "field"), [({"occurred_at": "2099-01-01"}, "occurred_at"), ({"amount": 1e300}, "amount")]
)
def test_implausible_event_values_are_400_and_write_nothing(admin_api, event, field):
    CustomerFactory(external_id="E1")
    row = {"customer_external_id": "E1", "kind": "purchase", "occurred_at": "2025-01-01", **event}
    response = admin_api.post("/api/events/bulk/", {"events": [row]}, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Event.objects.count() == 0


def test_contract_years_are_configurable(admin_api, settings):
    settings.IMPORT_CONTRACT_YEARS = (1, 9999)
    response = admin_api.post(
        "/api/customers/bulk/", {"customers": [{"external_id": "D2", "contract_start": "0001-01-01"}]}, format="json"
    )
    assert response.status_code == 200


# --- CSV -----------------------------------------------------------------------------------------------------------


def _import(tmp_path, text):
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=err)
    return str(raised.value), err.getvalue()


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('C3,"' + "x" * 200_000 + '"\n', "line 4: row: a field is larger than 128 KB"),
        ("C3,a\x00b\n", "line 4: name: contains a NUL character"),
        ("C3\x00,b\n", "line 4: external_id: contains a NUL character"),
        ("C3,b,\n", "line 4: row: has 1 more value(s) than the header has columns"),
    ],
)
def test_csv_hostile_field_is_a_bad_row_of_its_line(tmp_path, bad_line, message):
    text = "external_id,name\nC1,a\nC2,b\n" + bad_line + "C4,d\n"
    summary, errors = _import(tmp_path, text)
    assert errors.splitlines() == [message]
    assert "1 invalid row(s); nothing was imported" in summary
    assert Customer.objects.count() == 0


def test_csv_events_in_the_far_future_are_bad_rows(tmp_path):
    CustomerFactory(external_id="C1")
    path = tmp_path / "events.csv"
    path.write_text("customer_external_id,kind,occurred_at\nC1,visit,2025-01-01\nC1,visit,2099-01-01\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_events", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("line 3: occurred_at: 2099-01-01 is more than 2 day(s) in the future")
    assert Event.objects.count() == 0


def test_csv_bad_last_row_of_many_batches_writes_nothing(tmp_path, settings):
    from customers import services

    rows = "".join(f"C{i},n{i}\n" for i in range(12_000))
    summary, errors = _import(tmp_path, "external_id,name\n" + rows + "BAD,\x00\n")
    assert errors.splitlines() == ["line 12002: name: contains a NUL character"]
    assert services.STREAM_BATCH < 12_000
    assert Customer.objects.count() == 0
    assert WorkOrder.objects.count() == 0


def test_duplicates_are_found_across_batches_with_a_compact_key_index(tmp_path, monkeypatch):
    # given: keys fold into the digest arrays every 3 keys, so most look-ups go through the arrays
    from customers.importers import KeyIndex

    monkeypatch.setattr(KeyIndex, "RECENT_KEYS", 3)
    rows = "".join(f"C{i},n{i}\n" for i in range(20))

    # when: C4 and C17 come again at the end
    summary, errors = _import(tmp_path, "external_id,name\n" + rows + "C4,again\nC17,again\nC99,new\n")

    # then
    assert errors.splitlines() == [
        "line 22: external_id: duplicate 'C4' (first on line 6)",
        "line 23: external_id: duplicate 'C17' (first on line 19)",
    ]
    assert Customer.objects.count() == 0


def test_identical_events_without_ids_stay_distinct_across_folds(monkeypatch):
    from customers.importers import KeyIndex
    from customers.services import events_upsert

    monkeypatch.setattr(KeyIndex, "RECENT_KEYS", 2)
    CustomerFactory(external_id="E1")
    row = {"customer_external_id": "E1", "kind": "visit", "occurred_at": "2025-01-01"}
    other = {**row, "occurred_at": "2025-01-02"}
    result = events_upsert(rows=enumerate([row, other, row, other, row]))
    assert result.created == 5
    again = events_upsert(rows=enumerate([row, other, row, other, row]))
    assert (again.created, again.unchanged) == (0, 5)
