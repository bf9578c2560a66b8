from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command

from alerts.models import Alert
from interventions.models import WorkOrder
from nightly.pipeline import run_finish, run_start, score_chunk
from scoring.models import LatestScore, ScoreRun
from scoring.selectors import policy_current, score_latest, scores_on
from scoring.services import policy_save
from tests.factories import customer, customer_flagged_by_two_rules, events_on_days

from .builders import at, every

AS_OF = date(2025, 6, 30)


def one_rule_customer(external_id, **fields):
    c = customer(external_id, **fields)
    events_on_days(c, "visit", every(AS_OF - timedelta(days=60), AS_OF, 7))
    events_on_days(c, "competitor", [AS_OF - timedelta(days=5)])
    return c


def calm_customer(external_id, **fields):
    c = customer(external_id, **fields)
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))
    return c


def history_entries() -> int:
    """Scores in the nightly history, all nights together."""
    return sum(len(scores_on(as_of=d).customer_id) for d in ScoreRun.objects.values_list("as_of", flat=True))


def run(as_of=AS_OF):
    call_command("run_nightly", as_of=as_of)
    return ScoreRun.objects.get(as_of=as_of)


@pytest.mark.django_db
def test_two_rules_make_high_risk_and_one_rule_does_not(am_user):
    # given (no model yet: the rules alone give probability = share of rules fired)
    high = customer_flagged_by_two_rules("HIGH", owner=am_user)
    low = one_rule_customer("LOW", owner=am_user)
    calm = calm_customer("CALM", owner=am_user)

    # when
    run()

    # then
    scores = {c.id: score_latest(customer_id=c.id) for c in (high, low, calm)}
    assert not LatestScore.objects.filter(customer=calm).exists()  # calm, no rule: the history's night is its latest
    assert scores[high.id].rules_fired == ["Visits stopped", "Competitor signal"]
    assert scores[high.id].is_rule_high_risk is True
    assert scores[high.id].tier == 2  # rule-high lifts to at least tier 2
    assert scores[low.id].rules_fired == ["Competitor signal"]
    assert scores[low.id].is_rule_high_risk is False
    assert scores[low.id].tier == 4  # 1 of 5 rules = 0.2 -> monitor
    assert scores[calm.id].tier is None
    assert list(WorkOrder.objects.values_list("customer__external_id", flat=True)) == ["HIGH"]


@pytest.mark.django_db
def test_rerun_same_date_changes_nothing_and_keeps_one_open_alert(am_user):
    # given
    customer_flagged_by_two_rules("HIGH", owner=am_user)
    one_rule_customer("LOW", owner=am_user)
    run()
    snapshot = (
        list(Alert.objects.values_list("id", "customer_id", "tier", "status").order_by("id")),
        list(WorkOrder.objects.values_list("id", "customer_id", "tier", "assignee_id", "first_contact_due_at")),
        history_entries(),
    )

    # when: the same date again, and the next day
    run()
    again = (
        list(Alert.objects.values_list("id", "customer_id", "tier", "status").order_by("id")),
        list(WorkOrder.objects.values_list("id", "customer_id", "tier", "assignee_id", "first_contact_due_at")),
        history_entries(),
    )
    run(AS_OF + timedelta(days=1))

    # then
    assert again == snapshot
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == 2
    assert Alert.objects.count() == 2
    assert WorkOrder.objects.count() == 1
    assert history_entries() == 4


@pytest.mark.django_db
def test_work_order_follows_policy_tier_sla_and_owner(am_user):
    # given: tier 2 has a 72 hour first-contact SLA and the customer's owner is available
    c = customer_flagged_by_two_rules("HIGH", owner=am_user)

    # when
    with time_machine.travel(at(AS_OF, 9), tick=False):
        run()

    # then
    wo = WorkOrder.objects.get(customer=c)
    assert wo.tier == 2
    assert wo.assignee == am_user
    assert wo.first_contact_due_at == at(AS_OF, 9) + timedelta(hours=72)
    assert wo.resolution_due_at == at(AS_OF, 9) + timedelta(hours=14 * 24)
    assert wo.events.get().field == "created"


@pytest.mark.django_db
def test_customer_without_owner_goes_to_least_loaded_member_of_the_role(am_user, other_am_user):
    # given: am1 already has one open work order, am2 none; two ownerless high-risk customers
    customer_flagged_by_two_rules("BUSY", owner=am_user)
    run(AS_OF - timedelta(days=1))
    customer_flagged_by_two_rules("N1")

    # when
    run()

    # then
    assert WorkOrder.objects.get(customer__external_id="N1").assignee == other_am_user


@pytest.mark.django_db
def test_chunk_retry_writes_nothing_twice(am_user):
    # given: a started run whose chunks were all scored once
    for i in range(3):
        customer_flagged_by_two_rules(f"H{i}", owner=am_user)
    scoring_run = run_start(as_of=AS_OF, chunk_size=2)
    chunks = list(scoring_run.chunks.order_by("index"))
    for chunk in chunks:
        score_chunk(chunk_id=chunk.id)
    counts = (history_entries(), Alert.objects.count(), WorkOrder.objects.count())

    # when: every chunk is delivered again (at-least-once delivery), and the finish step too
    for chunk in chunks:
        score_chunk(chunk_id=chunk.id)
    rescored = (history_entries(), Alert.objects.count(), WorkOrder.objects.count())
    finished = run_finish(run_id=scoring_run.id)
    after_finish = (history_entries(), Alert.objects.count(), WorkOrder.objects.count())
    run_finish(run_id=scoring_run.id)

    # then: chunks write scores and alerts only; the work orders open once, in the run's finish step (the capacity
    # budget is the whole run's)
    assert len(chunks) == 2
    assert rescored == counts == (3, 3, 0)
    assert (history_entries(), Alert.objects.count(), WorkOrder.objects.count()) == after_finish == (3, 3, 3)
    assert finished.status == ScoreRun.Status.DONE
    assert finished.stats["work_orders_opened"] == 3


@pytest.mark.django_db
def test_run_records_the_versions_in_force(am_user):
    # given
    data = policy_current().data
    data["high_risk_min_rules"] = 3
    version = policy_save(data=data, comment="stricter")
    customer_flagged_by_two_rules("HIGH", owner=am_user)

    # when
    scoring_run = run()

    # then: with N = 3 two rules are not high risk any more
    assert scoring_run.policy_version == version
    assert LatestScore.objects.get().is_rule_high_risk is False


@pytest.mark.django_db
def test_a_failing_chunk_fails_the_run_and_a_rerun_resumes_only_pending_chunks(am_user, monkeypatch):
    # given: 4 customers in 2 chunks; the second chunk's scoring blows up once
    for i in range(4):
        customer_flagged_by_two_rules(f"H{i}", owner=am_user)
    real = score_chunk
    calls = []

    def flaky(*, chunk_id):
        calls.append(chunk_id)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(chunk_id=chunk_id)

    monkeypatch.setattr("nightly.pipeline.score_chunk", flaky)
    from nightly.tasks import nightly_run_task

    # when
    run_id = nightly_run_task.delay(AS_OF.isoformat(), chunk_size=2).get()
    failed = ScoreRun.objects.get(pk=run_id)
    nightly_run_task.delay(AS_OF.isoformat(), chunk_size=2).get()
    resumed = ScoreRun.objects.get(pk=run_id)

    # then
    assert failed.status == ScoreRun.Status.FAILED
    assert failed.stats["pending_chunks"] == [1]
    assert len(calls) == 3  # chunk 0, chunk 1 (failed), chunk 1 again
    assert resumed.status == ScoreRun.Status.DONE
    assert WorkOrder.objects.count() == 4


def test_the_first_night_installs_the_default_playbooks_and_offer_kit(db):
    from interventions.models import Offer, Playbook

    run_start(as_of=date(2025, 6, 30))

    assert Playbook.objects.exists()
    assert Offer.objects.exists()
