"""The COPY upsert (PostgreSQL) and its ORM fallback write exactly what they are given."""

from datetime import date

import pytest
from django.utils import timezone

from alerts.models import Alert
from churnops.core.bulk import model_upsert
from tests.factories import customer

TRICKY = 'said "no", then\nleft; 100% sure\\'


@pytest.mark.django_db
def test_upsert_round_trips_text_json_nulls_and_updates_only_the_named_fields():
    # given: one existing alert and one new, with quotes, commas, newlines, backslashes, blanks and NULLs
    a, b = customer("A"), customer("B")
    now = timezone.now()
    old = Alert.objects.create(
        customer=a,
        open_key=a.id,
        probability=0.5,
        tier=3,
        max_tier=3,
        first_raised_at=now,
        first_run_as_of=date(2025, 1, 1),
        last_run_as_of=date(2025, 1, 1),
        snooze_reason="keep me",
    )
    again = Alert(
        customer=a,
        open_key=a.id,
        probability=0.9,
        tier=1,
        max_tier=1,
        first_raised_at=now,
        first_run_as_of=date(2025, 2, 1),
        last_run_as_of=date(2025, 2, 1),
        snooze_reason="not me",
        factors=[{"text": TRICKY, "weight": -1.5}],
    )
    new = Alert(
        customer=b,
        open_key=b.id,
        probability=0.7,
        tier=2,
        max_tier=2,
        first_raised_at=now,
        first_run_as_of=date(2025, 2, 1),
        last_run_as_of=date(2025, 2, 1),
        rules_fired=['R, "1"'],
        snooze_reason="",
        snoozed_until=None,
    )

    # when
    model_upsert(
        model=Alert,
        objs=[again, new],
        unique_fields=("open_key",),
        update_fields=("probability", "tier", "factors", "last_run_as_of"),
    )

    # then
    updated, created = Alert.objects.get(pk=old.pk), Alert.objects.get(customer=b)
    assert (updated.probability, updated.tier, updated.max_tier) == (0.9, 1, 3)
    assert updated.factors == [{"text": TRICKY, "weight": -1.5}]
    assert (updated.first_run_as_of, updated.last_run_as_of, updated.snooze_reason) == (
        date(2025, 1, 1),
        date(2025, 2, 1),
        "keep me",
    )
    assert (created.rules_fired, created.snooze_reason, created.snoozed_until) == (['R, "1"'], "", None)
    assert Alert.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["\\N", "\\\\N", "a\tb\r\nc\\", "", "\\."])
def test_backslash_n_and_control_characters_stay_text(text):
    # given: text values that COPY would read as NULL, an escape or a field break if they were not escaped
    a = customer("A")
    alert = Alert(
        customer=a,
        open_key=a.id,
        probability=0.5,
        tier=3,
        max_tier=3,
        first_raised_at=timezone.now(),
        first_run_as_of=date(2025, 1, 1),
        last_run_as_of=date(2025, 1, 1),
        snooze_reason=text,
        close_reason=text[:64],
        rules_fired=[text],
    )

    # when
    model_upsert(model=Alert, objs=[alert], unique_fields=("open_key",), update_fields=("snooze_reason",))

    # then: exactly the text, not NULL
    stored = Alert.objects.get(customer=a)
    assert (stored.snooze_reason, stored.close_reason, stored.rules_fired) == (text, text, [text])
