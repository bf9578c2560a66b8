"""Customer and event import: services, management commands and the customer_list selector."""

import io
import textwrap
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from customers.importers import ImportValidationError, RowError, csv_rows, validate_event_rows
from customers.models import Customer, Event
from customers.services import customers_upsert, events_upsert
from interventions.access import customer_list
from tests.factories import CustomerFactory, EventFactory, UserFactory, team_member_of

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo(settings.TIME_ZONE)

CUSTOMERS_CSV = """\
external_id,name,segment,region,owner,lifetime_value,contract_start,contract_end,churned_at,tier
C1,Acme,enterprise,north,am1,1200.5,2023-01-01,2024-12-31,,gold
C2,Beta,smb,south,,0,,,2024-05-01,
C3,Gamma,,,,,,,2024-05-01T10:30:00,
"""

EVENTS_HEADER = "customer_external_id,kind,occurred_at,amount,value,external_id\n"
EVENTS_CSV = (
    EVENTS_HEADER
    + """\
C1,purchase,2024-03-01,19.99,,
C1,survey,2024-03-02T10:00:00,,9,S-1
C2,login,2024-03-03T08:00:00+00:00,,,
"""
)
GOOD_EVENT_LINE = "C1,purchase,2024-03-01,19.99,,\n"


def rows(text):
    """(line, row) pairs of a CSV text, as the commands produce them."""
    return csv_rows(io.StringIO(textwrap.dedent(text)), required=())


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customer_table():
    fields = ("external_id", "name", "segment", "region", "owner__username", "lifetime_value")
    fields += ("contract_start", "contract_end", "churned_at", "attributes")
    return list(Customer.objects.order_by("external_id").values_list(*fields))


def event_table():
    fields = ("customer__external_id", "kind", "occurred_at", "amount", "value", "external_id")
    return list(Event.objects.order_by("occurred_at", "external_id").values_list(*fields))


def stamps():
    return dict(Customer.objects.values_list("external_id", "updated_at"))


@pytest.fixture
def two_customers():
    return CustomerFactory(external_id="C1"), CustomerFactory(external_id="C2")


# --- customers -----------------------------------------------------------------------------------------------------


def test_good_customers_csv_imports_exact_rows(am_user):
    # given a customers CSV with an owner, blanks and an extra column
    # when it is imported
    result = customers_upsert(rows=rows(CUSTOMERS_CSV))

    # then exactly those three customers exist with parsed values
    assert (result.created, result.updated, result.unchanged, result.invalid, result.errors) == (3, 0, 0, 0, [])
    assert customer_table() == [
        ("C1", "Acme", "enterprise", "north", "am1", 1200.5, date(2023, 1, 1), date(2024, 12, 31), None,
         {"tier": "gold"}),
        ("C2", "Beta", "smb", "south", None, 0.0, None, None, datetime(2024, 5, 1, tzinfo=LOCAL), {}),
        ("C3", "Gamma", "", "", None, 0.0, None, None, datetime(2024, 5, 1, 10, 30, tzinfo=LOCAL), {}),
    ]  # fmt: skip


def test_reimporting_customers_changes_nothing(am_user):
    # given the file was imported once
    customers_upsert(rows=rows(CUSTOMERS_CSV))
    before = stamps()

    # when the same file is imported again
    result = customers_upsert(rows=rows(CUSTOMERS_CSV))

    # then every row is unchanged and no row was written
    assert (result.created, result.updated, result.unchanged, result.invalid) == (0, 0, 3, 0)
    assert Customer.objects.count() == 3
    assert stamps() == before


def test_edited_customer_row_updates_exactly_that_row(am_user):
    # given the file was imported once
    customers_upsert(rows=rows(CUSTOMERS_CSV))
    before, table = stamps(), customer_table()
    created = dict(Customer.objects.values_list("external_id", "created_at"))

    # when C2's name and tier change
    edited = CUSTOMERS_CSV.replace("C2,Beta,smb,south,,0,,,2024-05-01,", "C2,Beta GmbH,smb,south,,0,,,2024-05-01,B")
    result = customers_upsert(rows=rows(edited))

    # then only C2 is updated
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    after = stamps()
    assert after["C1"] == before["C1"]
    assert after["C3"] == before["C3"]
    assert after["C2"] > before["C2"]
    assert dict(Customer.objects.values_list("external_id", "created_at")) == created
    assert customer_table() == [table[0], (*table[1][:1], "Beta GmbH", *table[1][2:9], {"tier": "B"}), table[2]]


def test_partial_customer_columns_leave_other_fields_alone(am_user):
    # given imported customers
    customers_upsert(rows=rows(CUSTOMERS_CSV))

    # when a file with only external_id and segment is imported
    result = customers_upsert(rows=rows("external_id,segment\nC1,mid\nC4,smb\n"))

    # then C1 keeps its other values and C4 is created with defaults
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    c1 = Customer.objects.get(external_id="C1")
    assert (c1.name, c1.segment, c1.owner.username, c1.attributes) == ("Acme", "mid", "am1", {"tier": "gold"})
    assert Customer.objects.filter(external_id="C4", name="", segment="smb", owner=None).count() == 1


@pytest.mark.parametrize(
    ("bad_line", "error"),
    [
        ("C9,X,,,ghost,,,,", RowError(3, "owner", "no user with username 'ghost'")),
        ("C9,X,,,,-1,,,", RowError(3, "lifetime_value", "must be >= 0, got -1")),
        ("C9,X,,,,abc,,,", RowError(3, "lifetime_value", "cannot parse 'abc' as a number")),
        ("C9,X,,,,,2024-02-30,,",
         RowError(3, "contract_start", "cannot parse '2024-02-30' as a date (expected YYYY-MM-DD)")),
        ("C9,X,,,,,2024-02-01,2024-01-31,",
         RowError(3, "contract_end", "2024-01-31 is before contract_start 2024-02-01")),
        ("C9,X,,,,,,,yesterday", RowError(3, "churned_at", "cannot parse 'yesterday' as a date/time")),
        (",X,,,,,,,", RowError(3, "external_id", "is required")),
        ("C1,Again,,,,,,,", RowError(3, "external_id", "duplicate 'C1' (first on line 2)")),
    ],
)  # fmt: skip
def test_bad_customer_row_is_reported_and_nothing_is_written(am_user, bad_line, error):
    # given a good row on line 2 and a bad one on line 3
    text = "external_id,name,segment,region,owner,lifetime_value,contract_start,contract_end,churned_at\n"
    text += f"C1,Acme,,,am1,,,,\n{bad_line}\n"

    # when it is imported
    with pytest.raises(ImportValidationError) as excinfo:
        customers_upsert(rows=rows(text))

    # then exactly that error is reported and no customer was written
    assert excinfo.value.errors == [error]
    assert Customer.objects.count() == 0


# --- events --------------------------------------------------------------------------------------------------------


def test_events_import(two_customers):
    # given customers C1 and C2
    # when events are imported
    result = events_upsert(rows=rows(EVENTS_CSV))

    # then the three events are stored with parsed values and a derived id where none was given
    assert (result.created, result.unchanged, result.invalid, result.customers_created) == (3, 0, 0, 0)
    table = event_table()
    assert [row[:5] for row in table] == [
        ("C1", "purchase", datetime(2024, 3, 1, tzinfo=LOCAL), 19.99, None),
        ("C1", "survey", datetime(2024, 3, 2, 10, tzinfo=LOCAL), None, 9.0),
        ("C2", "login", datetime(2024, 3, 3, 8, tzinfo=ZoneInfo("UTC")), None, None),
    ]
    assert table[1][5] == "S-1"
    for derived in (table[0][5], table[2][5]):
        assert derived.startswith("auto:")
        assert derived.endswith("#0")
        assert len(derived) == len("auto:") + 32 + len("#0")


def test_reimporting_events_is_a_noop(two_customers):
    # given the events were imported once
    events_upsert(rows=rows(EVENTS_CSV))
    before = event_table()

    # when the same file is imported again
    result = events_upsert(rows=rows(EVENTS_CSV))

    # then nothing new is stored
    assert (result.created, result.unchanged, result.invalid) == (0, 3, 0)
    assert event_table() == before


def test_identical_rows_without_external_id_are_two_events_and_stay_two(two_customers):
    # given a file with two identical purchases on the same day
    text = EVENTS_HEADER + GOOD_EVENT_LINE + GOOD_EVENT_LINE

    # when it is imported twice
    first = events_upsert(rows=rows(text))
    second = events_upsert(rows=rows(text))

    # then there are two distinct events, also after the re-import
    assert (first.created, first.unchanged) == (2, 0)
    assert (second.created, second.unchanged) == (0, 2)
    ids = sorted(Event.objects.values_list("external_id", flat=True))
    assert [external_id[-2:] for external_id in ids] == ["#0", "#1"]
    assert ids[0][:-2] == ids[1][:-2]


def test_date_and_equivalent_local_datetime_give_the_same_event_id(two_customers):
    # given an event imported with a date
    events_upsert(rows=rows(EVENTS_HEADER + GOOD_EVENT_LINE))

    # when the same instant is imported written as a naive local datetime
    result = events_upsert(rows=rows(EVENTS_HEADER + "C1,purchase,2024-03-01T00:00:00,19.99,,\n"))

    # then it is recognised as the stored event
    assert (result.created, result.unchanged) == (0, 1)


def test_existing_events_with_source_ids_are_skipped(two_customers):
    # given an event already stored under source id S-1
    EventFactory(customer=two_customers[0], kind="survey", value=9, external_id="S-1")

    # when a file carrying S-1 and a new event is imported
    result = events_upsert(rows=rows(EVENTS_CSV))

    # then only the new ones are inserted
    assert (result.created, result.unchanged) == (2, 1)
    assert Event.objects.count() == 3


@pytest.mark.parametrize(
    ("bad_line", "error"),
    [
        (
            "C1,purchased,2024-03-01,,,",
            RowError(3, "kind", "unknown kind 'purchased'; allowed: campaign, competitor, login, purchase, renewal, "
                     "survey, ticket_closed, ticket_opened, visit"),
        ),
        ("C1,purchase,2024-13-01,,,", RowError(3, "occurred_at", "cannot parse '2024-13-01' as a date/time")),
        ("C1,purchase,1899-12-31,,,", RowError(3, "occurred_at", "year 1899 in '1899-12-31' is outside 1900..2100")),
        ("C1,purchase,,,,", RowError(3, "occurred_at", "is required")),
        ("C1,purchase,2024-03-01,-5,,", RowError(3, "amount", "must be >= 0, got -5")),
        ("C1,purchase,2024-03-01,,ten,", RowError(3, "value", "cannot parse 'ten' as a number")),
        (",purchase,2024-03-01,,,", RowError(3, "customer_external_id", "is required")),
        ("C9,purchase,2024-03-01,,,", RowError(3, "customer_external_id", "no customer with external_id 'C9'")),
        ("C1,survey,2024-03-01,,11,", RowError(3, "value", "survey score must be within 0..10, got 11")),
        ("C1,survey,2024-03-01,,,", RowError(3, "value", "is required for kind 'survey' (score 0-10)")),
        ("C1,purchase,2024-03-01,,,,extra", RowError(3, "row", "has 1 more value(s) than the header has columns")),
    ],
)  # fmt: skip
def test_bad_event_row_is_reported_and_nothing_is_written(two_customers, bad_line, error):
    # given a good row on line 2 and a bad one on line 3
    text = EVENTS_HEADER + GOOD_EVENT_LINE + bad_line + "\n"

    # when it is imported
    with pytest.raises(ImportValidationError) as excinfo:
        events_upsert(rows=rows(text))

    # then exactly that error is reported, naming the line and field, and nothing was written
    assert excinfo.value.errors == [error]
    assert str(excinfo.value.errors[0]).startswith(f"line 3: {error.field}: ")
    assert Event.objects.count() == 0
    assert Customer.objects.count() == 2


def test_duplicate_source_event_id_in_one_file_is_an_error(two_customers):
    text = EVENTS_HEADER + "C1,login,2024-03-01,,,E1\nC1,visit,2024-03-02,,,E1\n"

    with pytest.raises(ImportValidationError) as excinfo:
        events_upsert(rows=rows(text))

    assert excinfo.value.errors == [RowError(3, "external_id", "duplicate 'E1' for customer 'C1' (first on line 2)")]


def test_skip_invalid_imports_exactly_the_good_rows(two_customers):
    # given a file with two good and two bad rows
    text = EVENTS_HEADER + GOOD_EVENT_LINE + "C1,nope,2024-03-01,,,\nC2,login,2024-03-05,,,\nC9,login,2024-03-05,,,\n"

    # when it is imported skipping invalid rows
    result = events_upsert(rows=rows(text), skip_invalid=True)

    # then exactly the good rows are stored and the bad ones reported
    assert (result.created, result.unchanged, result.invalid) == (2, 0, 2)
    assert [(e.line, e.field) for e in result.errors] == [(3, "kind"), (5, "customer_external_id")]
    assert [row[:2] for row in event_table()] == [("C1", "purchase"), ("C2", "login")]


def test_create_missing_customers_creates_bare_customers(two_customers):
    # given events for the known C1 and the unknown N1 and N2
    text = EVENTS_HEADER + GOOD_EVENT_LINE + "N1,login,2024-03-02,,,\nN2,visit,2024-03-03,,,\nN1,login,2024-03-04,,,\n"

    # when imported with create_missing_customers
    result = events_upsert(rows=rows(text), create_missing_customers=True)

    # then N1 and N2 exist as bare customers and all four events are stored
    assert (result.created, result.customers_created) == (4, 2)
    assert list(Customer.objects.filter(external_id__startswith="N").values_list(
        "external_id", "name", "segment", "owner", "lifetime_value", "attributes")) == [
        ("N1", "", "", None, 0.0, {}), ("N2", "", "", None, 0.0, {}),
    ]  # fmt: skip
    assert Event.objects.filter(customer__external_id="N1").count() == 2


def test_api_style_rows_with_json_values(two_customers):
    # given JSON-typed rows located by their 0-based index
    payload = [
        {"customer_external_id": "C1", "kind": "survey", "occurred_at": "2024-03-01T12:00:00Z", "value": 7},
        {"customer_external_id": "C2", "kind": "purchase", "occurred_at": "2024-03-01", "amount": -1},
    ]

    # when validated
    with pytest.raises(ImportValidationError) as excinfo:
        events_upsert(rows=enumerate(payload))

    # then the error points at index 1
    assert excinfo.value.errors == [RowError(1, "amount", "must be >= 0, got -1")]


def test_api_style_rows_that_are_not_objects_are_errors():
    records, errors = validate_event_rows(enumerate([["C1", "login", "2024-03-01"]]))

    assert records == []
    assert errors == [RowError(0, "row", "expected an object with named fields, got list")]


# --- commands ------------------------------------------------------------------------------------------------------


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_customers_command_prints_summary(tmp_path, am_user):
    path = write(tmp_path, CUSTOMERS_CSV)

    first, _ = run("import_customers", path)
    second, _ = run("import_customers", path)

    assert first == "customers: 3 created, 0 updated, 0 unchanged, 0 invalid\n"
    assert second == "customers: 0 created, 0 updated, 3 unchanged, 0 invalid\n"


def test_import_customers_command_rejects_unknown_owner(tmp_path, am_user):
    path = write(tmp_path, "external_id,owner\nC1,am1\nC2,ghost\n")
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"1 invalid row\(s\); nothing was imported"):
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == "line 3: owner: no user with username 'ghost'\n"
    assert Customer.objects.count() == 0


def test_import_events_command_fails_with_line_and_reason(tmp_path, two_customers):
    # given a file with an unparseable date on line 3
    path = write(tmp_path, EVENTS_HEADER + GOOD_EVENT_LINE + "C1,purchase,2024-13-01,,,\n")
    err = io.StringIO()

    # when imported
    with pytest.raises(CommandError, match=r"1 invalid row\(s\); nothing was imported"):
        call_command("import_events", str(path), stdout=io.StringIO(), stderr=err)

    # then the error is printed and nothing is written
    assert err.getvalue() == "line 3: occurred_at: cannot parse '2024-13-01' as a date/time\n"
    assert Event.objects.count() == 0


def test_import_events_command_skip_invalid_warns_and_imports_good_rows(tmp_path, two_customers):
    path = write(tmp_path, EVENTS_HEADER + GOOD_EVENT_LINE + "C1,purchase,2024-03-01,-5,,\n")

    out, err = run("import_events", path, "--skip-invalid")

    assert out == "events: 1 created, 0 updated, 0 unchanged (already stored), 1 invalid\n"
    assert "skipped: line 3: amount: must be >= 0, got -5" in err
    assert Event.objects.count() == 1


def test_import_events_command_creates_missing_customers(tmp_path):
    path = write(tmp_path, EVENTS_HEADER + GOOD_EVENT_LINE)

    out, _ = run("import_events", path, "--create-missing-customers")

    assert out == "events: 1 created, 0 updated, 0 unchanged (already stored), 0 invalid; 1 customers created\n"
    assert list(Customer.objects.values_list("external_id", "name")) == [("C1", "")]


def test_import_command_caps_printed_errors_at_50(tmp_path, two_customers):
    path = write(tmp_path, EVENTS_HEADER + "C1,bogus,2024-03-01,,,\n" * 60)
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"60 invalid row\(s\)"):
        call_command("import_events", str(path), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert len(lines) == 51
    assert lines[0].startswith("line 2: kind: unknown kind 'bogus'")
    assert lines[49].startswith("line 51: kind:")
    assert lines[50] == "... and 10 more"


def test_import_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="nope.csv: no such file"):
        call_command("import_events", str(tmp_path / "nope.csv"))


def test_import_command_missing_required_column(tmp_path):
    path = write(tmp_path, "customer_external_id,kind\nC1,login\n")

    with pytest.raises(CommandError, match=r"missing required column\(s\): occurred_at \(header has: "):
        call_command("import_events", str(path))


def test_import_command_empty_file(tmp_path):
    path = write(tmp_path, "")

    with pytest.raises(CommandError, match="the file is empty: expected a header line"):
        call_command("import_customers", str(path))


def test_import_command_rejects_bad_mapping_and_kind_clash(tmp_path):
    path = write(tmp_path, EVENTS_HEADER + GOOD_EVENT_LINE)

    with pytest.raises(CommandError, match="bad column mapping 'occurred_at'"):
        call_command("import_events", str(path), "--map", "occurred_at")
    with pytest.raises(CommandError, match="mapped column\\(s\\) not in the header: when"):
        call_command("import_events", str(path), "--map", "occurred_at=when")
    with pytest.raises(CommandError, match="kind in the file and also given as a fixed value"):
        call_command("import_events", str(path), "--kind", "login")


def test_import_events_with_column_mapping_of_grocery_like_file(tmp_path):
    # given a file in another shape: cust,date with a repeated identical row
    path = write(tmp_path, "cust,date\n1,2006-01-01\n2,2006-01-01\n2,2006-12-19\n1,2006-01-01\n")
    args = ["--kind", "purchase", "--map", "customer_external_id=cust", "--map", "occurred_at=date"]

    # when imported twice with a fixed kind, mapped columns and customer creation
    first, _ = run("import_events", path, *args, "--create-missing-customers")
    second, _ = run("import_events", path, *args, "--create-missing-customers")

    # then two customers and four purchases exist, and the second run added nothing
    assert first == "events: 4 created, 0 updated, 0 unchanged (already stored), 0 invalid; 2 customers created\n"
    assert second == "events: 0 created, 0 updated, 4 unchanged (already stored), 0 invalid\n"
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["1", "2"]
    assert sorted(row[:3] for row in event_table()) == [
        ("1", "purchase", datetime(2006, 1, 1, tzinfo=LOCAL)),
        ("1", "purchase", datetime(2006, 1, 1, tzinfo=LOCAL)),
        ("2", "purchase", datetime(2006, 1, 1, tzinfo=LOCAL)),
        ("2", "purchase", datetime(2006, 12, 19, tzinfo=LOCAL)),
    ]


@pytest.mark.shared_data
def test_import_shared_grocery_file():
    path = Path(settings.BASE_DIR).parent / "shared" / "data" / "grocery_elog.csv"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    args = ["--kind", "purchase", "--map", "customer_external_id=cust", "--map", "occurred_at=date"]

    run("import_events", path, *args, "--create-missing-customers")
    again, _ = run("import_events", path, *args, "--create-missing-customers")

    assert Customer.objects.count() == 1525
    assert Event.objects.count() == 10_483
    assert again == "events: 0 created, 0 updated, 10483 unchanged (already stored), 0 invalid\n"


# --- customer_list selector ----------------------------------------------------------------------------------------


@pytest.fixture
def owned(am_user, other_am_user, lead_user):
    team_member_of(am_user, lead_user)
    return {
        "am1": CustomerFactory(external_id="A1", owner=am_user),
        "am2": CustomerFactory(external_id="A2", owner=other_am_user),
        "lead1": CustomerFactory(external_id="L1", owner=lead_user),
        "none": CustomerFactory(external_id="N1", owner=None),
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin_user", ["A1", "A2", "L1", "N1"]),
        ("cs_user", ["A1", "A2", "L1", "N1"]),
        ("lead_user", ["A1", "L1"]),
        ("am_user", ["A1"]),
        ("other_am_user", ["A2"]),
    ],
)
def test_customer_list_is_scoped_to_the_role(request, owned, who, expected):
    user = request.getfixturevalue(who)

    assert [c.external_id for c in customer_list(user=user)] == expected


def test_customer_list_for_user_without_role_is_empty(owned):
    assert list(customer_list(user=UserFactory(username="nobody"))) == []
