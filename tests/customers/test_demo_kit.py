"""seed_demo also installs the default playbooks and offer kit and gives demo customers contact people."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from customers.models import Contact, Customer
from interventions.models import Offer, Playbook

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", customers=30, seed=42, as_of=date(2025, 6, 30), months=20, stdout=io.StringIO())


def test_seed_demo_has_playbooks_offers_and_contacts_and_a_rerun_changes_nothing():
    seed()
    contacts = list(Contact.objects.order_by("id").values_list("customer__external_id", "name", "phone", "email"))

    seed()

    assert Playbook.objects.count() == 5
    assert Offer.objects.count() == 4
    assert set(Contact.objects.values_list("customer_id", flat=True)) == set(
        Customer.objects.values_list("id", flat=True)
    )
    assert list(Contact.objects.order_by("id").values_list("customer__external_id", "name", "phone", "email")) == (
        contacts
    )
    assert all(c.phone_digits.startswith("4930") for c in Contact.objects.all())
