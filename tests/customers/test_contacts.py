"""Customer 360: contacts imported by CSV and the bulk API, and the customer search (page and API) with its
visibility rules."""

import pytest
from django.core.management import CommandError, call_command

from customers.importers import ImportValidationError, RowError
from customers.models import Contact
from customers.services import contacts_upsert
from tests.api.builders import login
from tests.factories import AlertFactory, CustomerFactory, contact_of, customer, user_with_role

pytestmark = pytest.mark.django_db

CONTACTS_CSV = """\
customer_external_id,name,role,phone,email,preferred_channel
C1,Li Wei,owner,+86 138-0013-8000,LI.WEI@example.com,call
C1,Ann Berg,buyer,,ann@example.com,e-mail
C2,Bo Chen,,(010) 5555 1234,,
"""


def test_contacts_import_from_csv_and_a_second_import_changes_nothing(tmp_path, capsys):
    # given two customers and a contacts file
    customer("C1")
    customer("C2")
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS_CSV)

    # when it is imported twice
    call_command("import_contacts", str(path))
    first = capsys.readouterr().out
    call_command("import_contacts", str(path))
    second = capsys.readouterr().out

    # then three contacts exist, normalised, and the second run changed nothing
    assert "contacts: 3 created, 0 updated, 0 unchanged, 0 invalid" in first
    assert "contacts: 0 created, 0 updated, 3 unchanged, 0 invalid" in second
    assert list(
        Contact.objects.order_by("name").values_list(
            "customer__external_id", "name", "phone", "phone_digits", "email", "preferred_channel"
        )
    ) == [
        ("C1", "Ann Berg", "", "", "ann@example.com", "email"),
        ("C2", "Bo Chen", "(010) 5555 1234", "01055551234", "", ""),
        ("C1", "Li Wei", "+86 138-0013-8000", "8613800138000", "li.wei@example.com", "call"),
    ]


def test_contact_rows_with_a_bad_email_or_phone_are_reported_by_line_and_nothing_is_written(tmp_path, capsys):
    # given a file whose line 3 has a bad e-mail, line 4 a bad phone and line 5 an unknown customer
    customer("C1")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "customer_external_id,name,phone,email\n"
        "C1,Good,+1 555 0100,good@example.com\n"
        "C1,Bad Mail,,not-an-email\n"
        "C1,Bad Phone,call me maybe,\n"
        "C9,Nobody,,\n"
    )

    # when it is imported
    with pytest.raises(CommandError, match="3 invalid row"):
        call_command("import_contacts", str(path))

    # then each problem is named by line and field, and not even the good row was written
    err = capsys.readouterr().err
    assert "line 3: email: 'not-an-email' is not an e-mail address" in err
    assert "line 4: phone: 'call me maybe' is not a phone number" in err
    assert "line 5: customer_external_id: no customer with external_id 'C9'" in err
    assert Contact.objects.count() == 0


def test_contacts_upsert_updates_by_customer_and_name():
    customer("C1")
    contacts_upsert(rows=[(0, {"customer_external_id": "C1", "name": "Li", "phone": "12345"})])

    result = contacts_upsert(rows=[(0, {"customer_external_id": "C1", "name": "Li", "phone": "67890"})])

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert list(Contact.objects.values_list("phone", "phone_digits")) == [("67890", "67890")]


def test_contacts_upsert_refuses_a_duplicate_and_an_unknown_channel():
    customer("C1")
    rows = [
        (0, {"customer_external_id": "C1", "name": "Li", "preferred_channel": "pigeon"}),
        (1, {"customer_external_id": "C1", "name": "li"}),
    ]

    with pytest.raises(ImportValidationError) as refused:
        contacts_upsert(rows=rows)

    assert refused.value.errors == [
        RowError(0, "preferred_channel", "unknown channel 'pigeon'; allowed: call, email, message, visit"),
        RowError(1, "name", "duplicate contact 'li' for customer 'C1' (first on line 0)"),
    ]


def test_bulk_contacts_api_reports_bad_rows_by_index(api_client, admin_user):
    customer("C1")
    payload = {
        "contacts": [
            {"customer_external_id": "C1", "name": "Li", "email": "li@example.com"},
            {"customer_external_id": "C1", "name": "Bad", "email": "nope"},
        ]
    }

    response = login(api_client, admin_user).post("/api/contacts/bulk/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_rows"
    assert response.json()["errors"] == [{"index": 1, "field": "email", "message": "'nope' is not an e-mail address"}]
    assert Contact.objects.count() == 0


def test_bulk_contacts_api_is_for_admins_and_integrations_only(api_client, am_user):
    customer("C1")
    payload = {"contacts": [{"customer_external_id": "C1", "name": "Li"}]}

    response = login(api_client, am_user).post("/api/contacts/bulk/", payload, format="json")

    assert response.status_code == 403
    assert Contact.objects.count() == 0


# --- search ----------------------------------------------------------------------------------------------------


@pytest.fixture
def two_owners(am_user, other_am_user):
    mine = CustomerFactory(external_id="C1", owner=am_user, name="Bakery North")
    theirs = CustomerFactory(external_id="C2", owner=other_am_user, name="Florist South")
    contact_of(mine, "Li Wei", phone="+86 138-0013-8000", email="li@bakery.example")
    contact_of(theirs, "Bo Chen", phone="+86 139-0000-1111", email="bo@florist.example")
    return mine, theirs


@pytest.mark.parametrize("query", ["138 0013 8000", "13800138000", "li@bakery", "Li Wei", "Bakery", "c1"])
def test_api_search_finds_the_owners_customer_by_contact(api_client, am_user, two_owners, query):
    response = login(api_client, am_user).get("/api/customers/", {"search": query})

    assert [c["external_id"] for c in response.json()["results"]] == ["C1"]


def test_api_search_by_another_ams_contact_phone_finds_nothing(api_client, other_am_user, two_owners):
    # the phone is C1's contact; am2 does not own C1 and holds no work order for it
    response = login(api_client, other_am_user).get("/api/customers/", {"search": "138-0013-8000"})

    assert response.json()["results"] == []


def test_customer_service_finds_any_customer_by_phone(api_client, cs_user, two_owners):
    response = login(api_client, cs_user).get("/api/customers/", {"search": "139 0000 1111"})

    assert [c["external_id"] for c in response.json()["results"]] == ["C2"]


def test_customer_list_page_searches_within_what_the_user_may_see(client, am_user, other_am_user, two_owners):
    client.force_login(am_user)

    found = client.get("/customers/", {"q": "+86 138 0013 8000"})
    hidden = client.get("/customers/", {"q": "139 0000 1111"})

    assert found.status_code == 200
    assert [c.external_id for c in found.context["page"].object_list] == ["C1"]
    assert list(hidden.context["page"].object_list) == []


def test_customer_list_page_filters_by_segment_and_owner(client, cs_user, am_user, other_am_user):
    customer("C1", owner=am_user, segment="retail")
    customer("C2", owner=other_am_user, segment="retail")
    customer("C3", owner=am_user, segment="wholesale")
    client.force_login(cs_user)

    response = client.get("/customers/", {"segment": "retail", "owner": am_user.pk})

    assert [c.external_id for c in response.context["page"].object_list] == ["C1"]


def test_customer_page_shows_contacts_as_links(client, am_user, two_owners):
    client.force_login(am_user)

    html = client.get(f"/customers/{two_owners[0].pk}/").content.decode()

    assert 'href="tel:+86138-0013-8000"' in html
    assert 'href="mailto:li@bakery.example"' in html


def test_a_user_without_a_role_finds_no_customer(client, two_owners):
    client.force_login(user_with_role("nobody", "nobody"))

    assert list(client.get("/customers/").context["page"].object_list) == []


def test_customer_list_page_filters_by_the_tier_of_the_open_alert(client, cs_user):
    urgent, watch = customer("C1"), customer("C2")
    AlertFactory(customer=urgent, tier=1)
    AlertFactory(customer=watch, tier=3)
    client.force_login(cs_user)

    response = client.get("/customers/", {"tier": 1})

    assert [c.external_id for c in response.context["page"].object_list] == ["C1"]
