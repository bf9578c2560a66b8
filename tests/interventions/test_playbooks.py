"""Playbooks: validated and versioned saves, the steps a new work order gets (with due dates), ticking a step by
logging its action, and old work orders keeping the version they opened with."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from alerts.models import Alert
from churnops.core.roles import Role
from interventions.models import Playbook, PlaybookVersion, WorkOrder, WorkOrderStep
from interventions.services import (
    PlaybookInvalid,
    PlaybookRefused,
    playbook_save,
    playbooks_install_defaults,
    work_order_log_action,
    work_orders_open_for_alerts,
)
from scoring.ml.policy import default_policy
from tests.factories import NOW, TODAY, CustomerFactory, agent_user

pytestmark = pytest.mark.django_db
LOCAL = ZoneInfo(settings.TIME_ZONE)

PLAY = {
    "name": "Tier 2 basics",
    "tiers": [2],
    "steps": [
        {"title": "Call and listen", "channel": "call", "due_offset_days": 0, "talk_track": "How are things?"},
        {"title": "Send the offer", "channel": "offer", "due_offset_days": 3},
        {"title": "Follow-up call", "channel": "call", "due_offset_days": 14},
    ],
}


def end_of_local_day(days_after_now: int) -> datetime:
    day = NOW.astimezone(LOCAL).date() + timedelta(days=days_after_now)
    return datetime(day.year, day.month, day.day, 23, 59, tzinfo=LOCAL)


def candidate(c, *, tier=2, rules=(), factors=()):
    alert = Alert.objects.create(
        customer=c,
        open_key=c.id,
        tier=tier,
        max_tier=tier,
        probability=0.7,
        first_raised_at=NOW,
        first_run_as_of=TODAY,
        last_run_as_of=TODAY,
        rules_fired=list(rules),
        factors=list(factors),
    )
    return {"customer": c, "alert": alert, "tier": tier, "probability": 0.7}


def open_for(*candidates):
    with time_machine.travel(NOW, tick=False):
        work_orders_open_for_alerts(as_of=TODAY, candidates=list(candidates), policy=default_policy())


def steps_of(wo):
    return list(wo.steps.order_by("position").values_list("title", "channel", "due_at", "done_at"))


def test_a_new_work_order_gets_its_playbooks_steps_due_by_the_end_of_their_day():
    # given a tier-2 playbook and a tier-2 candidate
    am = agent_user("am1")
    playbook_save(data=PLAY, by=None)
    c = CustomerFactory(external_id="C1", owner=am)

    # when the work order opens
    open_for(candidate(c))

    # then it has the three steps, due at 23:59 local on the opening day, 3 and 14 days later
    wo = WorkOrder.objects.get()
    assert steps_of(wo) == [
        ("Call and listen", "call", end_of_local_day(0), None),
        ("Send the offer", "offer", end_of_local_day(3), None),
        ("Follow-up call", "call", end_of_local_day(14), None),
    ]
    assert set(wo.steps.values_list("playbook_version__number", flat=True)) == {1}


def test_no_playbook_applies_to_another_tier():
    am = agent_user("am1")
    playbook_save(data=PLAY, by=None)

    open_for(candidate(CustomerFactory(external_id="C1", owner=am), tier=3))

    assert WorkOrderStep.objects.count() == 0


def test_the_most_specific_playbook_wins_signal_over_segment_over_tier():
    # given the defaults (tier plays, plus signal plays for tiers 2 and 3) and a segment play for tier 2, and an
    # account manager with a team lead (tier 1 goes to the owner's lead)
    am = agent_user("am1", team_lead=agent_user("lead1", Role.TEAM_LEAD))
    playbooks_install_defaults()
    playbook_save(data={**PLAY, "name": "Retail tier 2", "segments": ["retail"]}, by=None)
    competitor = CustomerFactory(external_id="C1", owner=am, segment="retail")
    retail = CustomerFactory(external_id="C2", owner=am, segment="retail")
    plain = CustomerFactory(external_id="C3", owner=am, segment="wholesale")
    urgent = CustomerFactory(external_id="C4", owner=am, segment="retail")

    # when work orders open for them
    open_for(
        candidate(competitor, rules=["Competitor signal"]),
        candidate(retail),
        candidate(plain),
        candidate(urgent, tier=1, rules=["Competitor signal"]),
    )

    # then each got the playbook that fits it best
    chosen = {
        wo.customer.external_id: wo.steps.first().playbook_version.name
        for wo in WorkOrder.objects.select_related("customer")
    }
    assert chosen == {
        "C1": "Value comparison (competitor signal)",
        "C2": "Retail tier 2",
        "C3": "Tier 2 · call, targeted offer, event invite",
        "C4": "Tier 1 · 8-week save plan",
    }


def test_the_top_factor_is_a_signal_too():
    am = agent_user("am1")
    playbooks_install_defaults()
    c = CustomerFactory(external_id="C1", owner=am)

    open_for(candidate(c, factors=[{"feature": "satisfaction_drop", "weight": 2.0, "text": "satisfaction down"}]))

    assert WorkOrder.objects.get().steps.first().playbook_version.name == "Service recovery (satisfaction dropped)"


def test_the_tier_1_default_is_the_8_week_plan():
    am = agent_user("am1", team_lead=agent_user("lead1", Role.TEAM_LEAD))  # tier 1 goes to the lead
    playbooks_install_defaults()

    open_for(candidate(CustomerFactory(external_id="C1", owner=am), tier=1))

    offsets = [(s.title, (s.due_at - end_of_local_day(0)).days) for s in WorkOrder.objects.get().steps.all()]
    assert offsets == [
        ("Week 1: call and listen", 0),
        ("Week 1: executive care visit", 3),
        ("Week 1: best offer", 5),
        ("Week 2: answer the problem within 7 days", 7),
        ("Weeks 3–4: deliver value", 14),
        ("Weeks 3–4: check the value landed", 21),
        ("Weeks 5–8: light follow-up", 35),
        ("Weeks 5–8: light follow-up", 49),
    ]


def test_logging_a_call_ticks_the_next_open_call_step_only():
    # given a work order with two call steps and an offer step
    am = agent_user("am1")
    playbook_save(data=PLAY, by=None)
    open_for(candidate(CustomerFactory(external_id="C1", owner=am)))
    wo = WorkOrder.objects.get()

    # when the AM logs a call, then an e-mail (no e-mail step)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        call = work_order_log_action(work_order=wo, kind="call", by=am)
        work_order_log_action(work_order=wo, kind="email", by=am)

    # then only the first call step is done, by that action
    done = list(wo.steps.order_by("position").values_list("title", "done_at", "action"))
    assert done == [
        ("Call and listen", NOW + timedelta(hours=2), call.pk),
        ("Send the offer", None, None),
        ("Follow-up call", None, None),
    ]
    assert wo.events.filter(field="step_done").values_list("after", flat=True).get() == "Call and listen"


def test_editing_a_playbook_leaves_open_work_orders_on_their_version():
    # given a work order opened on version 1
    am = agent_user("am1")
    admin = agent_user("boss", "admin")
    playbook = playbook_save(data=PLAY, by=None)
    open_for(candidate(CustomerFactory(external_id="C1", owner=am)))
    old = WorkOrder.objects.get()

    # when an admin edits the playbook and a new work order opens
    edited = {**PLAY, "steps": [{"title": "Visit first", "channel": "visit", "due_offset_days": 1}]}
    playbook_save(playbook=playbook, data=edited, by=admin, comment="visits work better")
    open_for(candidate(CustomerFactory(external_id="C2", owner=am)))
    new = WorkOrder.objects.exclude(pk=old.pk).get()

    # then the old work order keeps version 1's steps, the new one gets version 2's
    assert [s.title for s in old.steps.all()] == ["Call and listen", "Send the offer", "Follow-up call"]
    assert set(old.steps.values_list("playbook_version__number", flat=True)) == {1}
    assert [(s.title, s.playbook_version.number) for s in new.steps.all()] == [("Visit first", 2)]
    # and the edit is audited: who, why, what changed
    v2 = PlaybookVersion.objects.get(playbook=playbook, number=2)
    assert (v2.author, v2.comment) == (admin, "visits work better")
    v1 = PlaybookVersion.objects.get(playbook=playbook, number=1)
    assert v2.diff == [{"path": "steps", "before": v1.data["steps"], "after": v2.data["steps"]}]
    assert Playbook.objects.get().version == 2


def test_saving_the_same_playbook_again_records_no_new_version():
    playbook = playbook_save(data=PLAY, by=None)

    playbook_save(playbook=playbook, data=PLAY, by=None)

    assert PlaybookVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"title": "Call", "channel": "call", "due_offset_days": -1}, "steps[0].due_offset_days"),
        ({"title": "Call", "channel": "fax", "due_offset_days": 0}, "steps[0].channel"),
        ({"title": "  ", "channel": "call", "due_offset_days": 0}, "steps[0].title"),
    ],
)
def test_a_bad_step_is_refused_with_its_field_named_and_nothing_is_saved(step, field):
    with pytest.raises(PlaybookInvalid) as refused:
        playbook_save(data={"name": "Bad", "steps": [step]}, by=None)

    assert refused.value.field == field
    assert refused.value.code == "invalid_playbook"
    assert (Playbook.objects.count(), PlaybookVersion.objects.count()) == (0, 0)


def test_only_admins_change_playbooks():
    am = agent_user("am1")

    with pytest.raises(PlaybookRefused):
        playbook_save(data=PLAY, by=am)

    assert Playbook.objects.count() == 0


def test_defaults_install_once():
    assert playbooks_install_defaults() == 5
    assert playbooks_install_defaults() == 0
    assert Playbook.objects.count() == 5


def test_an_admin_edit_in_django_admin_is_recorded_as_a_version(client):
    # given a playbook at version 1 and an admin
    admin = agent_user("boss", "admin", is_staff=True, is_superuser=True)
    playbook = playbook_save(data=PLAY, by=None)
    step = playbook.steps.get(position=0)
    client.force_login(admin)
    form = {
        "name": "Tier 2 basics",
        "description": "",
        "tiers": "[2]",
        "segments": "[]",
        "signals": "[]",
        "is_active": "on",
        "position": "0",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "1",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-id": step.pk,
        "steps-0-playbook": playbook.pk,
        "steps-0-position": "0",
        "steps-0-title": "Call first",
        "steps-0-channel": "call",
        "steps-0-due_offset_days": "1",
        "steps-0-instruction": "",
        "steps-0-talk_track": "",
        "steps-0-DELETE": "on",
    }

    # when a bad step is posted, nothing is saved; then a good edit is saved
    bad = client.post(
        f"/admin/interventions/playbook/{playbook.pk}/change/",
        {**form, "steps-0-DELETE": "", "steps-0-due_offset_days": "-2"},
    )
    client.post(f"/admin/interventions/playbook/{playbook.pk}/change/", {**form, "steps-0-DELETE": ""})

    # then the negative offset was refused on its field, and the good edit became version 2 by the admin
    assert bad.status_code == 200
    assert "due_offset_days" in str(bad.context["inline_admin_formsets"][0].formset.errors)
    v2 = PlaybookVersion.objects.get(playbook=playbook, number=2)
    assert (v2.author, v2.data["steps"][0]["title"], v2.data["steps"][0]["due_offset_days"]) == (admin, "Call first", 1)
