"""Rules, policy versions, rule-set versions, previews and rollback through the API (admins)."""

from datetime import date

import pytest

from scoring.models import PolicyVersion, Rule, RuleSetVersion, ScoreRun
from scoring.selectors import policy_current, ruleset_current
from scoring.services import defaults_install

from .builders import login

pytestmark = pytest.mark.django_db

RULE = {"name": "Quiet", "conditions": [{"feature": "days_since_last_activity", "op": ">=", "value": 120}]}


@pytest.fixture
def admin_api(api_client, admin_user):
    defaults_install()
    return login(api_client, admin_user)


def state():
    return (
        PolicyVersion.objects.count(),
        RuleSetVersion.objects.count(),
        list(Rule.objects.values_list("name", "conditions", "is_enabled")),
    )


def test_create_rule_makes_a_new_version_with_author_and_comment(admin_api, admin_user):
    # when
    response = admin_api.post("/api/rules/", {**RULE, "comment": "long silences"}, format="json")

    # then
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("name", "conditions", "is_enabled")} == {
        "name": "Quiet", "conditions": [{"feature": "days_since_last_activity", "op": ">=", "value": 120.0}],
        "is_enabled": True,
    }  # fmt: skip
    version = ruleset_current()
    assert (version.number, version.author, version.comment) == (2, admin_user, "long silences")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({**RULE, "colour": "red"}, {"colour": ["unknown field"]}),
        (
            {**RULE, "conditions": [{"feature": "tenure_days", "op": "<", "value": 3, "unit": "d"}]},
            {"conditions": [{"unit": ["unknown field"]}]},
        ),
        (
            {**RULE, "conditions": [{"feature": "shoe_size", "op": "<", "value": 3}]},
            {"conditions": [{"feature": ['"shoe_size" is not a valid choice.']}]},
        ),
        (
            {**RULE, "conditions": [{"feature": "tenure_days", "op": "≈", "value": 3}]},
            {"conditions": [{"op": ['"≈" is not a valid choice.']}]},
        ),
        (
            {**RULE, "conditions": [{"feature": "tenure_days", "op": "<", "value": "soon"}]},
            {"conditions": [{"value": ["A valid number is required."]}]},
        ),
        ({**RULE, "conditions": []}, {"conditions": {"non_field_errors": ["This list may not be empty."]}}),
        (
            {**RULE, "conditions": [{"feature": "satisfaction_latest", "op": "<", "value": 42}]},
            {"conditions": ["condition 1: value 42 is out of range for satisfaction_latest (0 to 10 score)"]},
        ),
        ({**RULE, "name": "Visits stopped"}, {"name": ["Rule with this Name already exists."]}),
        ({**RULE, "position": -1}, {"position": ["Ensure this value is greater than or equal to 0."]}),
        ({**RULE, "is_enabled": "perhaps"}, {"is_enabled": ["Must be a valid boolean."]}),
        ([RULE], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_bad_rule_is_refused_with_a_message_and_writes_nothing(admin_api, body, errors):
    # given
    before = state()

    # when
    response = admin_api.post("/api/rules/", body, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == errors
    assert state() == before


def test_patch_disables_and_delete_removes_with_versions(admin_api):
    # given
    rule = Rule.objects.get(name="Competitor signal")

    # when
    patched = admin_api.patch(f"/api/rules/{rule.pk}/", {"is_enabled": False, "comment": "noisy"}, format="json")
    deleted = admin_api.delete(f"/api/rules/{rule.pk}/?comment=gone")

    # then
    assert (patched.status_code, patched.json()["is_enabled"], deleted.status_code) == (200, False, 204)
    assert list(RuleSetVersion.objects.order_by("number").values_list("number", "comment")) == [
        (1, "default seed rules"),
        (2, "noisy"),
        (3, "gone"),
    ]


def test_policy_versions_new_version_and_current(admin_api, admin_user):
    # given
    data = {**policy_current().data, "high_risk_min_rules": 3}

    # when
    created = admin_api.post("/api/policy-versions/", {"data": data, "comment": "stricter"}, format="json")
    current = admin_api.get("/api/policy-versions/current/").json()
    listed = admin_api.get("/api/policy-versions/").json()["results"]

    # then
    assert created.status_code == 201
    assert (current["number"], current["data"]["high_risk_min_rules"], current["comment"]) == (2, 3, "stricter")
    assert current["author"] == {"id": admin_user.id, "username": "admin1"}
    assert current["diff"] == [{"path": "high_risk_min_rules", "before": 2, "after": 3}]
    assert [v["number"] for v in listed] == [2, 1]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"high_risk_min_rules": 0},
            {"data": {"high_risk_min_rules": ["Ensure this value is greater than or equal to 1."]}},
        ),
        ({"control_share": "a lot"}, {"data": {"control_share": ["A valid number is required."]}}),
        ({"surprise": 1}, {"data": {"surprise": ["unknown field"]}}),
        ({"rule_high_min_tier": 9}, {"policy": ["rule_high_min_tier: 9 is out of range (1 to 4)"]}),
        ({"tiers": []}, {"data": {"tiers": {"non_field_errors": ["This list may not be empty."]}}}),
    ],
)
def test_bad_policy_is_refused_with_a_message_and_writes_nothing(admin_api, change, errors):
    # given
    before = state()

    # when
    response = admin_api.post("/api/policy-versions/", {"data": {**policy_current().data, **change}}, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == errors
    assert state() == before


def test_unordered_tiers_are_refused(admin_api):
    data = policy_current().data
    data["tiers"][1]["min_probability"] = 0.9
    response = admin_api.post("/api/policy-versions/", {"data": data}, format="json")
    assert response.status_code == 400
    assert response.json() == {"policy": ["tiers: min_probability must be strictly decreasing from tier 1 down"]}


def test_preview_through_the_api_and_409_without_a_run(admin_api):
    # given no run yet
    data = {**policy_current().data, "high_risk_min_rules": 3}
    before = state()

    # when previews are asked before and after a run exists
    early = admin_api.post("/api/policy-versions/preview/", {"data": data}, format="json")
    ScoreRun.objects.create(as_of=date(2025, 6, 30), status=ScoreRun.Status.DONE)
    policy = admin_api.post("/api/policy-versions/preview/", {"data": data}, format="json")
    rules = admin_api.post("/api/rules/preview/", {"rules": [RULE]}, format="json")

    # then
    assert early.status_code == 409
    assert early.json() == {
        "detail": "there is no score run yet: run the nightly pipeline once to have a snapshot",
        "code": "no_snapshot",
    }
    assert (policy.status_code, rules.status_code) == (200, 200)
    assert policy.json()["customers"] == 0
    assert policy.json()["tiers"][-1] == {
        "tier": None,
        "name": "no tier",
        "now": 0,
        "proposed": 0,
        "margin": {"now": 0, "proposed": 0},
    }
    assert state() == before


def test_rollbacks_through_the_api(admin_api):
    # given a second version of each
    admin_api.post(
        "/api/policy-versions/", {"data": {**policy_current().data, "high_risk_min_rules": 3}}, format="json"
    )
    admin_api.delete(f"/api/rules/{Rule.objects.get(name='Visits stopped').pk}/")

    # when both are rolled back to v1, and then once more to the same content
    policy = admin_api.post("/api/policy-versions/1/rollback/", {"comment": "back"}, format="json")
    rules = admin_api.post("/api/ruleset-versions/1/rollback/", {}, format="json")
    again = admin_api.post("/api/ruleset-versions/1/rollback/", {}, format="json")
    missing = admin_api.post("/api/ruleset-versions/99/rollback/", {}, format="json")

    # then
    assert (policy.status_code, policy.json()["number"], policy.json()["comment"]) == (201, 3, "back")
    assert policy.json()["data"]["high_risk_min_rules"] == 2
    assert (rules.status_code, rules.json()["number"]) == (201, 3)
    assert Rule.objects.filter(name="Visits stopped").exists()
    assert again.status_code == 400
    assert again.json() == {"version": ["rules v1 are the same as the rules in force (v3): nothing to roll back"]}
    assert missing.status_code == 404


def test_api_root_lists_the_endpoints_of_every_app(admin_api):
    response = admin_api.get("/api/")
    assert response.status_code == 200
    assert {
        "customers",
        "alerts",
        "work-orders",
        "score-runs",
        "models",
        "rules",
        "policy-versions",
        "ruleset-versions",
    } <= set(response.json())
