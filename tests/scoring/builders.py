"""Small hand-made histories for scoring tests: exact events, known features."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from customers.models import Customer, Event


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def add_events(customer, kind, days, *, amount=None, value=None):
    """Events of one kind on the given dates."""
    Event.objects.bulk_create([
        Event(customer=customer, kind=kind, occurred_at=at(d), amount=amount, value=value,
              external_id=f"{kind}-{d.isoformat()}-{i}")
        for i, d in enumerate(days)
    ])


def every(start: date, end: date, step_days: int) -> list[date]:
    out, d = [], start
    while d <= end:
        out.append(d)
        d += timedelta(days=step_days)
    return out


def customer(external_id: str, **fields) -> Customer:
    fields.setdefault("lifetime_value", 1000.0)
    return Customer.objects.create(external_id=external_id, name=external_id, **fields)
