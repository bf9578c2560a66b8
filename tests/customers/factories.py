"""factory_boy factories for customers tests."""

from datetime import UTC, datetime

import factory
from django.contrib.auth.models import User

from customers.choices import EventKind
from customers.models import Customer, Event


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = "smb"
    region = "north"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    customer = factory.SubFactory(CustomerFactory)
    kind = EventKind.PURCHASE
    occurred_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    amount = 10.0
    external_id = factory.Sequence(lambda n: f"E{n}")
