"""Rules, policy and history pages: forms, validation messages next to the field, preview, versions, rollback."""

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils.html import escape

from interventions.services import calendar_save
from scoring.ml.policy import default_policy
from scoring.models import PolicyVersion, Rule, RuleSetVersion, ScoreRun
from scoring.preview import rules_backtest
from scoring.selectors import policy_current, ruleset_current, scores_on
from scoring.services import defaults_install, policy_save, rule_save
from tests.factories import customer, events_on_days

from .builders import at, every
from .test_preview import AS_OF, population, snapshot_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def policy_post(**changes) -> dict:
    """The policy form's POST data for the policy in force, with some fields changed."""
    policy = policy_current().data
    data = {
        "high_risk_min_rules": policy["high_risk_min_rules"], "rule_high_min_tier": policy["rule_high_min_tier"],
        "horizon_days": policy["horizon_days"], "churn_mode": policy["churn_definition"]["mode"],
        "inactive_days": policy["churn_definition"]["inactive_days"], "control_share": policy["control_share"],
        "recontact_quiet_days": policy["recontact_quiet_days"], "comment": "",
    }  # fmt: skip
    for t in policy["tiers"]:
        for attr in (
            "min_probability",
            "assignee_role",
            "escalation_role",
            "first_contact_hours",
            "resolution_hours",
            "expected_cost",
        ):
            value = t[attr]
            data[f"tier_{t['tier']}_{attr}"] = "" if value is None else value
        if t["creates_work_order"]:
            data[f"tier_{t['tier']}_creates_work_order"] = "on"
    data.update(changes)
    return data


def rule_post(name="Spend collapse", conditions=(("spend_change_ratio", "<=", "-0.5"),), **changes) -> dict:
    rows = [*conditions, ("", "", ""), ("", "", "")]
    data = {
        "name": name,
        "description": "",
        "position": "9",
        "is_enabled": "on",
        "comment": "test",
        "cond-TOTAL_FORMS": str(len(rows)),
        "cond-INITIAL_FORMS": "0",
        "cond-MIN_NUM_FORMS": "0",
        "cond-MAX_NUM_FORMS": "12",
    }
    for i, (feature, op, value) in enumerate(rows):
        data.update({f"cond-{i}-feature": feature, f"cond-{i}-op": op, f"cond-{i}-value": value})
    data.update(changes)
    return data


def errors_of(response, field: str) -> list[str]:
    form = response.context["form"]
    return list(form.errors.get(field, []))


def versions():
    return PolicyVersion.objects.count(), RuleSetVersion.objects.count(), Rule.objects.count()


# --- rules page -------------------------------------------------------------------------------------------------------


def test_rules_page_lists_rules_with_conditions_status_and_backtest(admin_client, monkeypatch):
    # given the seed rules, one disabled, and a known backtest
    call_command("run_nightly", as_of=AS_OF)
    Rule.objects.filter(name="App gone quiet").update(is_enabled=False)
    backtest = {"as_of": "2025-05-01", "horizon_days": 60, "customers": 40, "churners": 8, "rules": [
        {"rule": "Visits stopped", "flagged": 10, "churned": 4, "precision": 0.4, "recall": 0.5},
        {"rule": ">= 2 rules", "flagged": 3, "churned": 2, "precision": 2 / 3, "recall": 0.25},
    ]}  # fmt: skip
    monkeypatch.setattr("scoring.views.rules_backtest", lambda: backtest)

    # when
    response = admin_client.get("/scoring/rules/")

    # then
    assert response.status_code == 200
    rows = {r["rule"].name: r for r in response.context["rows"]}
    assert list(rows) == [
        "Visits stopped",
        "App gone quiet",
        "Satisfaction dropped",
        "Renewal at risk",
        "Competitor signal",
    ]
    assert rows["Visits stopped"]["conditions"] == [
        "Days since the last service visit ≥ 90 days",
        "Service visits in the 12 months before the last 90 days ≥ 4 visits",
    ]
    assert rows["Visits stopped"]["backtest"]["precision"] == 0.4
    html = response.content.decode()
    # precision and recall of the rule, then of the '>= 2 rules' combination
    assert [text for text in ("40.0%", "50.0%", "66.7%", "25.0%") if text not in html] == []
    assert "off: not backtested" in html
    assert "Competitor signals in the last 30 days ≥ 1 signals" in html


def test_rules_backtest_measures_precision_and_recall_one_horizon_before_the_latest_run():
    # given: as of 1 May (the run's 30 Jun minus 60 days) A and B fire 'Visits stopped'; only A churns after
    backtest_day = AS_OF - timedelta(days=60)
    a, b = customer("A", churned_at=at(backtest_day + timedelta(days=20))), customer("B")
    for c in (a, b):
        events_on_days(c, "visit", every(backtest_day - timedelta(days=300), backtest_day - timedelta(days=100), 14))
        events_on_days(c, "login", [backtest_day - timedelta(days=3)])
    events_on_days(b, "login", [backtest_day + timedelta(days=30)])
    snapshot_run()

    # when
    result = rules_backtest()

    # then
    rows = {r["rule"]: r for r in result["rules"]}
    assert (result["as_of"], result["customers"], result["churners"]) == ("2025-05-01", 2, 1)
    assert rows["Visits stopped"] == {
        "rule": "Visits stopped",
        "flagged": 2,
        "churned": 1,
        "precision": 0.5,
        "recall": 1.0,
    }
    assert rows[">= 2 rules"]["flagged"] == 0


def test_rules_backtest_is_cached_per_version():
    # given a backtest computed once
    population()
    snapshot_run()
    first = rules_backtest()
    Rule.objects.all().delete()  # behind the services' back: the cached result must not notice

    # when it is asked again with the same versions
    again = rules_backtest()

    # then it is the cached result
    assert again == first


# --- rule form --------------------------------------------------------------------------------------------------------


def test_rule_form_offers_only_catalog_features_and_known_operators(admin_client):
    # when
    response = admin_client.get("/scoring/rules/new/")

    # then
    row = response.context["conditions"].forms[0]
    features = [value for value, _ in row.fields["feature"].choices if value]
    assert features[:2] == ["days_since_last_visit", "days_since_last_login"]
    assert ("days_since_last_visit", "Days since the last service visit (days)") in row.fields["feature"].choices
    assert [v for v, _ in row.fields["op"].choices if v] == ["<", "<=", ">", ">=", "==", "!="]


def test_new_rule_is_saved_as_a_new_rule_set_version(admin_client, admin_user):
    # given the seed rules (v1)
    call_command("run_nightly", as_of=AS_OF)

    # when a rule is added
    response = admin_client.post("/scoring/rules/new/", rule_post(comment="spend matters"))

    # then
    assert response.status_code == 302
    rule = Rule.objects.get(name="Spend collapse")
    assert rule.conditions == [{"feature": "spend_change_ratio", "op": "<=", "value": -0.5}]
    version = ruleset_current()
    assert (version.number, version.author, version.comment) == (2, admin_user, "spend matters")
    assert version.diff == [
        {
            "path": "Spend collapse",
            "before": None,
            "after": {
                "name": "Spend collapse",
                "description": "",
                "is_enabled": True,
                "position": 9,
                "conditions": [{"feature": "spend_change_ratio", "op": "<=", "value": -0.5}],
            },
        }
    ]


@pytest.mark.parametrize(
    ("conditions", "changes", "where", "message"),
    [
        (
            (("days_since_last_visit", ">=", "-5"),),
            {},
            ("cond", 0, "value"),
            "Must be between 0 and 36500 days for this feature.",
        ),
        (
            (("satisfaction_latest", "<=", "11"),),
            {},
            ("cond", 0, "value"),
            "Must be between 0 and 10 score for this feature.",
        ),
        (
            (("no_such_feature", ">=", "1"),),
            {},
            ("cond", 0, "feature"),
            "Select a valid choice. no_such_feature is not one of the available choices.",
        ),
        (
            (("tenure_days", "=>", "1"),),
            {},
            ("cond", 0, "op"),
            "Select a valid choice. => is not one of the available choices.",
        ),
        ((("tenure_days", ">=", "many"),), {}, ("cond", 0, "value"), "Enter a number."),
        ((("tenure_days", ">=", "inf"),), {}, ("cond", 0, "value"), "Enter a number."),
        ((("tenure_days", "", "5"),), {}, ("cond", 0, "op"), "Fill this in too, or clear the whole row."),
        ((), {}, ("formset",), "A rule needs at least one condition."),
        (
            (("tenure_days", "<", "30"),),
            {"name": "Visits stopped"},
            ("form", "name"),
            "Another rule already has this name.",
        ),
        ((("tenure_days", "<", "30"),), {"name": "  "}, ("form", "name"), "This field is required."),
        ((("tenure_days", "<", "30"),), {"comment": ""}, ("form", "comment"), "This field is required."),
        (
            (("tenure_days", "<", "30"),),
            {"position": "-1"},
            ("form", "position"),
            "Ensure this value is greater than or equal to 0.",
        ),
    ],
)
def test_rule_form_refuses_bad_values_next_to_the_field(admin_client, conditions, changes, where, message):
    # given the seed rules
    call_command("run_nightly", as_of=AS_OF)
    before = versions()

    # when
    response = admin_client.post("/scoring/rules/new/", rule_post(conditions=conditions, **changes))

    # then the message is on the field, shown on the page, and nothing was saved
    assert response.status_code == 400
    if where[0] == "cond":
        errors = response.context["conditions"].forms[where[1]].errors[where[2]]
    elif where[0] == "formset":
        errors = response.context["conditions"].non_form_errors()
    else:
        errors = errors_of(response, where[1])
    assert list(errors) == [message]
    assert escape(message) in response.content.decode()
    assert versions() == before


def test_rule_edit_preview_shows_the_effect_and_saves_nothing(admin_client):
    # given the known population and a run
    population()
    call_command("run_nightly", as_of=AS_OF)
    rule = Rule.objects.get(name="Competitor signal")
    before = versions()

    # when the competitor rule is previewed with a stricter threshold (2 signals: nobody has two)
    response = admin_client.post(
        f"/scoring/rules/{rule.pk}/edit/",
        rule_post(name="Competitor signal", conditions=(("competitor_signals_30d", ">=", "2"),), preview="1"),
    )

    # then
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["high_risk"] == {"now": 3, "proposed": 1, "margin": {"now": 0, "proposed": 0}}
    assert [r["external_id"] for r in preview["leaving"]] == ["TWO-A", "TWO-B"]
    assert "Leaving high risk: 2" in response.content.decode()
    assert versions() == before
    assert Rule.objects.get(pk=rule.pk).conditions == [{"feature": "competitor_signals_30d", "op": ">=", "value": 1}]


def test_disable_and_delete_go_through_a_confirm_page_with_preview(admin_client, admin_user):
    # given
    population()
    call_command("run_nightly", as_of=AS_OF)
    rule = Rule.objects.get(name="Competitor signal")

    # when the confirm page is opened, then the change confirmed, then the rule deleted
    confirm = admin_client.get(f"/scoring/rules/{rule.pk}/toggle/")
    refused = admin_client.post(f"/scoring/rules/{rule.pk}/toggle/", {"comment": ""})
    disabled = admin_client.post(f"/scoring/rules/{rule.pk}/toggle/", {"comment": "too noisy"})
    deleted = admin_client.post(f"/scoring/rules/{rule.pk}/delete/", {"comment": "gone for good"})

    # then
    assert confirm.status_code == 200
    assert confirm.context["verb"] == "Disable"
    assert confirm.context["preview"]["high_risk"] == {"now": 3, "proposed": 1, "margin": {"now": 0, "proposed": 0}}
    assert refused.status_code == 400
    assert (disabled.status_code, deleted.status_code) == (302, 302)
    assert not Rule.objects.filter(pk=rule.pk).exists()
    history = list(RuleSetVersion.objects.order_by("number").values_list("number", "comment", "author"))
    assert history == [
        (1, "default seed rules", None),
        (2, "too noisy", admin_user.id),
        (3, "gone for good", admin_user.id),
    ]
    assert RuleSetVersion.objects.get(number=2).diff == [
        {"path": "Competitor signal.is_enabled", "before": True, "after": False}
    ]


# --- policy page ----------------------------------------------------------------------------------------------------


def test_policy_page_shows_the_policy_in_force(admin_client):
    # given
    call_command("run_nightly", as_of=AS_OF)

    # when
    response = admin_client.get("/scoring/policy/")

    # then
    form = response.context["form"]
    assert response.status_code == 200
    assert form["high_risk_min_rules"].value() == 2
    assert form["tier_1_min_probability"].value() == 0.8
    assert form["tier_3_assignee_role"].value() == "customer_service"
    assert form["churn_mode"].value() == "explicit_or_inactive"
    assert [t["tier"] for t, _ in form.tier_rows()] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"tier_2_min_probability": "0.85"},
            "tier_2_min_probability",
            "Must be lower than tier 1's 0.8: thresholds fall strictly from tier 1 down.",
        ),
        (
            {"tier_3_min_probability": "0.6"},
            "tier_3_min_probability",
            "Must be lower than tier 2's 0.6: thresholds fall strictly from tier 1 down.",
        ),
        ({"tier_1_min_probability": "1.5"}, "tier_1_min_probability", "Ensure this value is less than or equal to 1."),
        (
            {"tier_4_min_probability": "-0.1"},
            "tier_4_min_probability",
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"high_risk_min_rules": "0"}, "high_risk_min_rules", "Ensure this value is greater than or equal to 1."),
        ({"high_risk_min_rules": "two"}, "high_risk_min_rules", "Enter a whole number."),
        ({"control_share": "0.8"}, "control_share", "Ensure this value is less than or equal to 0.5."),
        ({"inactive_days": "3"}, "inactive_days", "Ensure this value is greater than or equal to 7."),
        (
            {"churn_mode": "whenever"},
            "churn_mode",
            "Select a valid choice. whenever is not one of the available choices.",
        ),
        (
            {"tier_2_assignee_role": "intern"},
            "tier_2_assignee_role",
            "Select a valid choice. intern is not one of the available choices.",
        ),
        (
            {"tier_2_assignee_role": "automated"},
            "tier_2_assignee_role",
            "A tier that creates work orders needs a human role.",
        ),
        ({"tier_1_first_contact_hours": ""}, "tier_1_first_contact_hours", "Must be a whole number, got None."),
        ({"tier_1_resolution_hours": "12"}, "tier_1_resolution_hours", "Must not be shorter than first_contact_hours."),
        (
            {"rule_high_min_tier": "7"},
            "rule_high_min_tier",
            "Select a valid choice. 7 is not one of the available choices.",
        ),
        ({"comment": ""}, "comment", "This field is required."),
    ],
)
def test_policy_form_refuses_bad_values_next_to_the_field(admin_client, changes, field, message):
    # given
    call_command("run_nightly", as_of=AS_OF)
    before = versions()

    # when
    response = admin_client.post("/scoring/policy/", policy_post(**{"comment": "try", **changes}))

    # then
    assert response.status_code == 400
    assert errors_of(response, field) == [message]
    assert escape(message) in response.content.decode()
    assert versions() == before


def test_policy_preview_then_save_then_history_then_rollback_then_the_next_run_uses_it(admin_client, admin_user):
    # given the known population and last night's run
    population()
    call_command("run_nightly", as_of=AS_OF)
    before = versions()

    # when the admin previews "3 rules for high risk"
    preview = admin_client.post("/scoring/policy/", policy_post(high_risk_min_rules="3", comment="", preview="1"))

    # then the page shows the effect and nothing is saved
    assert preview.status_code == 200
    assert preview.context["preview"]["high_risk"] == {"now": 3, "proposed": 1, "margin": {"now": 0, "proposed": 0}}
    assert "Leaving high risk: 2" in preview.content.decode()
    assert versions() == before

    # when it is saved with a comment
    saved = admin_client.post(
        "/scoring/policy/", policy_post(high_risk_min_rules="3", comment="fewer false alarms", save="1")
    )

    # then it is the new version with author, comment and diff, shown in the history
    assert saved.status_code == 302
    new = policy_current()
    assert (new.data["high_risk_min_rules"], new.author, new.comment) == (3, admin_user, "fewer false alarms")
    assert new.diff == [{"path": "high_risk_min_rules", "before": 2, "after": 3}]
    history = admin_client.get("/scoring/history/")
    assert history.status_code == 200
    top = history.context["policy_rows"][0]
    changes = [("High risk when at least N rules fire", "2", "3")]
    assert (top["version"].number, top["in_force"], top["changes"]) == (new.number, True, changes)
    assert "fewer false alarms" in history.content.decode()

    # when the admin rolls back to the previous version with one click
    previous = PolicyVersion.objects.get(number=new.number - 1)
    rolled = admin_client.post(f"/scoring/history/policy/{previous.number}/rollback/")

    # then a new version equal to the old one is in force
    assert rolled.status_code == 302
    current = policy_current()
    assert (current.number, current.data, current.author) == (new.number + 1, previous.data, admin_user)
    assert current.comment == f"rollback to policy v{previous.number}"
    assert current.diff == [{"path": "high_risk_min_rules", "before": 3, "after": 2}]

    # when the next nightly run happens, it pins and uses the version in force
    call_command("run_nightly", as_of=AS_OF + timedelta(days=1))
    run = ScoreRun.objects.get(as_of=AS_OF + timedelta(days=1))
    assert run.policy_version == current
    assert int(scores_on(as_of=run.as_of).is_rule_high_risk.sum()) == 3


def test_rollback_to_the_version_in_force_is_refused(admin_client):
    # given
    call_command("run_nightly", as_of=AS_OF)
    before = versions()

    # when
    response = admin_client.post(f"/scoring/history/policy/{policy_current().number}/rollback/", follow=True)

    # then
    assert "nothing to roll back" in response.content.decode()
    assert versions() == before


def test_rules_rollback_restores_a_deleted_rule_and_keeps_surviving_ids(admin_client, admin_user):
    # given a rule deleted and another changed after v1
    call_command("run_nightly", as_of=AS_OF)
    kept = Rule.objects.get(name="Visits stopped")
    admin_client.post(f"/scoring/rules/{Rule.objects.get(name='Competitor signal').pk}/delete/", {"comment": "x"})
    admin_client.post(f"/scoring/rules/{kept.pk}/toggle/", {"comment": "y"})
    assert ruleset_current().number == 3

    # when rules v1 are rolled back to
    response = admin_client.post("/scoring/history/rules/1/rollback/")

    # then the rules equal v1 again, as v4, and the surviving rule kept its id
    assert response.status_code == 302
    current = ruleset_current()
    assert (current.number, current.rules, current.author) == (
        4,
        RuleSetVersion.objects.get(number=1).rules,
        admin_user,
    )
    assert Rule.objects.get(name="Visits stopped").pk == kept.pk
    assert Rule.objects.get(name="Visits stopped").is_enabled is True
    assert Rule.objects.filter(name="Competitor signal").exists()


def test_history_lists_runs_that_used_each_version(admin_client):
    # given two runs on policy v2 (v1 is the default, v2 the test's no-control-group policy)
    call_command("run_nightly", as_of=AS_OF)
    call_command("run_nightly", as_of=AS_OF + timedelta(days=1))

    # when
    response = admin_client.get("/scoring/history/")

    # then
    rows = {r["version"].number: r["runs"] for r in response.context["policy_rows"]}
    assert rows == {2: [date(2025, 7, 1), date(2025, 6, 30)], 1: []}
    assert [r["version"].number for r in response.context["ruleset_rows"]] == [1]


def test_preview_before_the_first_run_says_why_there_is_none(admin_client):
    # given the defaults but no score run
    from scoring.services import defaults_install

    defaults_install()

    # when
    response = admin_client.post("/scoring/policy/", policy_post(high_risk_min_rules="3", preview="1"))

    # then
    assert response.status_code == 200
    assert "No preview: there is no score run yet" in response.content.decode()


def test_history_reads_in_words_and_rollback_asks_first(admin_client):
    # given a policy change to a tier threshold and a rule's condition value
    defaults_install()
    data = default_policy()
    data["tiers"][0]["min_probability"] = 0.85
    policy_save(data=data, comment="stricter tier 1")
    rule = Rule.objects.get(name="Visits stopped")
    conditions = [{**c, "value": 120} if c["feature"] == "days_since_last_visit" else c for c in rule.conditions]
    rule_save(rule=rule, conditions=conditions, comment="longer silence")

    # when the admin opens the history
    html = admin_client.get("/scoring/history/").content.decode()

    # then changes read in words: no developer paths, no JSON
    assert "Tier 1 · from P(churn)" in html
    assert "Visits stopped · condition 1 · value" in html
    assert "tiers[0]" not in html
    assert "conditions[0]" not in html
    assert '{"' not in html

    # when they click "Roll back to v1" they see what would change and nothing is rolled back yet
    before = versions()
    confirm = admin_client.get("/scoring/history/policy/1/rollback/")
    assert confirm.status_code == 200
    assert "Tier 1 · from P(churn)" in confirm.content.decode()
    assert confirm.context["changes"] == [("Tier 1 · from P(churn)", "0.85", "0.8")]
    assert versions() == before


def test_every_input_of_the_rule_form_has_a_label(admin_client):
    # when the admin opens the new-rule form
    html = admin_client.get("/scoring/rules/new/").content.decode()

    # then every visible input, select and textarea is named by a label
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html)
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', html))
    assert len(ids) >= 12
    assert [i for i in ids if i not in labelled] == []


def test_policy_page_sets_a_tier_calendar_and_24x7_escalation_and_the_api_refuses_an_unknown_calendar(
    admin_client, admin_user
):
    # given the default policy and a calendar named "office"
    defaults_install()
    calendar_save(name="office", timezone="Europe/Berlin", hours={"mon": [["09:00", "17:00"]]})

    # when the admin gives tier 1 the office calendar and 24x7 escalations on the policy page
    saved = admin_client.post(
        "/scoring/policy/",
        policy_post(tier_1_calendar="office", tier_1_escalation_24x7="on", comment="office hours for urgent", save="1"),
    )

    # then the policy in force carries both, and only for tier 1
    assert saved.status_code == 302, saved.context["form"].errors
    tiers = policy_current().data["tiers"]
    assert (tiers[0]["calendar"], tiers[0]["escalation_24x7"]) == ("office", True)
    assert "calendar" not in tiers[1]

    # when a policy naming a calendar that does not exist is posted to the API
    data = {**policy_current().data}
    data["tiers"] = [{**t, "calendar": "nowhere"} if t["tier"] == 2 else t for t in data["tiers"]]
    response = admin_client.post("/api/policy-versions/", {"data": data}, content_type="application/json")

    # then it is refused with the field named, and nothing is saved
    assert response.status_code == 400
    assert response.json()["data"]["tiers"][1] == {"calendar": ["no calendar named 'nowhere'"]}
