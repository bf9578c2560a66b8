"""Customer attributes as of each cut-off: history of changes, never today's value."""

from datetime import date, timedelta

import pytest

from customers.models import CustomerAttributeChange
from customers.services import customers_upsert
from scoring.features import compute_features
from tests.factories import customer, events_on_days

from .builders import at

AS_OF = date(2025, 6, 30)


def _import(**fields):
    row = {"external_id": "C1", "name": "C1", **{k: str(v) for k, v in fields.items()}}
    return customers_upsert(rows=[(2, row)])


@pytest.mark.django_db
def test_a_later_lifetime_value_change_does_not_alter_an_earlier_cut_off():
    # given: imported with LTV 1000 and a contract ending 20 days after the cut-off, both known before it
    _import(lifetime_value=1000, contract_end=AS_OF + timedelta(days=20))
    CustomerAttributeChange.objects.update(changed_at=at(AS_OF - timedelta(days=100)))
    c = CustomerAttributeChange.objects.first().customer
    events_on_days(c, "purchase", [AS_OF - timedelta(days=10)])
    before = compute_features(as_of=AS_OF).loc[c.id].fillna(-1).to_dict()

    # when: today's import raises the LTV and extends the contract
    result = _import(lifetime_value=250000, contract_end=AS_OF + timedelta(days=400))

    # then: the earlier cut-off reads what was known then; today's cut-off reads the new values
    assert result.updated == 1
    after = compute_features(as_of=AS_OF).loc[c.id].fillna(-1).to_dict()
    assert after == before
    assert after["lifetime_value"] == 1000
    assert after["days_to_contract_end"] == 20
    today = compute_features(as_of=date.today()).loc[c.id]
    assert today["lifetime_value"] == 250000


@pytest.mark.django_db
def test_an_attribute_recorded_after_the_cut_off_is_unknown_at_it():
    # given: a customer whose LTV was first imported today, with a purchase history from last year
    _import(lifetime_value=5000)
    c = CustomerAttributeChange.objects.get().customer
    events_on_days(c, "purchase", [AS_OF - timedelta(days=10)])

    # when
    f = compute_features(as_of=AS_OF).loc[c.id]

    # then: nobody knew the LTV then (the model treats it as 0, as for any customer without one)
    assert f["lifetime_value"] == 0


@pytest.mark.django_db
def test_reimporting_the_same_values_records_no_change():
    # given
    _import(lifetime_value=1000, segment="retail")
    first = CustomerAttributeChange.objects.count()

    # when
    result = _import(lifetime_value=1000, segment="retail")

    # then
    assert first == 2
    assert result.unchanged == 1
    assert CustomerAttributeChange.objects.count() == first


@pytest.mark.django_db
def test_a_work_order_shows_its_score_date_and_todays_score_when_it_changed():
    # given: scored 0.72 on the night the work order opened, 0.41 last night
    from datetime import UTC, datetime

    from scoring.selectors import score_then_and_now
    from tests.factories import score_on

    c = customer("C1")
    opened = datetime(2025, 7, 1, 2, 30, tzinfo=UTC)
    for as_of, p in ((AS_OF, 0.72), (AS_OF + timedelta(days=5), 0.41)):
        score_on(c, as_of, probability=p)

    # when
    changed = score_then_and_now(customer_id=c.id, probability=0.72, opened_at=opened)
    score_on(c, AS_OF + timedelta(days=5), probability=0.72)  # that night re-scored as 0.72
    same = score_then_and_now(customer_id=c.id, probability=0.72, opened_at=opened)

    # then
    assert changed["then"].as_of == AS_OF
    assert changed["now"].probability == 0.41
    assert same["then"].as_of == AS_OF
    assert same["now"] is None
