"""The daily digest: one e-mail per person with exactly today's open due steps, new work orders and breaches;
sent once a day; people who opted out in their profile get none."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from interventions.models import AgentProfile, DailyDigest, WorkOrder
from interventions.services import digest_for, digests_send, playbook_save, work_order_log_action
from interventions.services import work_orders_open_for_alerts as open_work
from scoring.ml.policy import default_policy
from tests.factories import NOW, TODAY, AlertFactory, CustomerFactory, WorkOrderFactory, agent_user

pytestmark = pytest.mark.django_db

PLAY = {
    "name": "Plan",
    "tiers": [2],
    "steps": [
        {"title": "Call today", "channel": "call", "due_offset_days": 0},
        {"title": "E-mail today", "channel": "email", "due_offset_days": 0},
        {"title": "Visit in 3 days", "channel": "visit", "due_offset_days": 3},
    ],
}


def opened_for(am, external_id: str):
    customer = CustomerFactory(external_id=external_id, owner=am)
    with time_machine.travel(NOW, tick=False):
        open_work(
            as_of=TODAY,
            candidates=[
                {"customer": customer, "alert": AlertFactory(customer=customer, tier=2), "tier": 2, "probability": 0.7}
            ],
            policy=default_policy(),
        )
    return WorkOrder.objects.get(customer=customer)


@pytest.fixture
def am_with_work():
    am = agent_user("am1", capacity=200)
    playbook_save(data=PLAY, by=None)
    wo = opened_for(am, "C1")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        work_order_log_action(work_order=wo, kind="email", by=am)  # one of today's steps is done
    return am, wo


def test_the_digest_lists_exactly_the_open_steps_due_today(am_with_work):
    am, wo = am_with_work
    other = agent_user("am2")
    opened_for(other, "C2")  # someone else's steps

    digest = digest_for(user=am, day=TODAY)

    assert [(s.work_order_id, s.title) for s in digest.due_steps] == [(wo.pk, "Call today")]
    assert [w.pk for w in digest.new_work_orders] == [wo.pk]
    assert digest.breaches == []
    later = digest_for(user=am, day=TODAY + timedelta(days=3))
    assert [s.title for s in later.due_steps] == ["Visit in 3 days"]
    assert later.new_work_orders == []


def test_one_email_per_person_once_a_day_with_steps_new_work_and_breaches(am_with_work):
    am, wo = am_with_work
    breached = WorkOrderFactory(
        customer=CustomerFactory(external_id="C9", name="Late Ltd"),
        assignee=am,
        is_breached=True,
        breached_at=NOW - timedelta(days=1),
        opened_at=NOW - timedelta(days=9),
    )

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        first = digests_send(day=TODAY)
        again = digests_send(day=TODAY)

    assert (first, again) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["am1@example.com"]
    assert message.subject.endswith("1 steps due, 1 new, 1 breached")
    assert "- Call today (Call) · WO-" in message.body
    assert "E-mail today" not in message.body
    assert "Visit in 3 days" not in message.body
    assert f"WO-{breached.pk} Late Ltd" in message.body
    assert f"{settings.CHURNOPS_BASE_URL.rstrip('/')}/work/{wo.pk}/" in message.body
    assert DailyDigest.objects.get().due_steps == 1


def test_people_who_opted_out_get_no_digest(am_with_work):
    am, _wo = am_with_work
    AgentProfile.objects.filter(user=am).update(wants_daily_digest=False)

    assert digests_send(day=TODAY) == 0
    assert mail.outbox == []


def test_the_command_sends_the_digest(am_with_work, capsys):
    call_command("send_daily_digest", "--day", TODAY.isoformat())

    assert "1 e-mail(s) sent" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_the_beat_schedule_has_the_digest_with_an_expiry():
    entry = settings.CELERY_BEAT_SCHEDULE["daily-digest"]

    assert entry["task"] == "interventions.tasks.daily_digest_task"
    assert entry["options"]["expires"] > 0


def test_a_person_turns_their_digest_off_on_the_notifications_page(client, am_with_work):
    am, _wo = am_with_work
    client.force_login(am)

    client.post("/work/notifications/digest/", {"wants_daily_digest": "off"})

    assert AgentProfile.objects.get(user=am).wants_daily_digest is False
    assert digests_send(day=TODAY) == 0
