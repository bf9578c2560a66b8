"""Who gets in where: every scoring page and API operation for anonymous, wrong-role and right-role users, and
refused access changes nothing. Also the scoping of work orders and customers by role."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from rest_framework.test import APIClient

from alerts.models import Alert
from interventions.models import WorkOrder
from scoring.models import PolicyVersion, Rule, RuleSetVersion, ScoreRun
from scoring.selectors import policy_current
from scoring.services import defaults_install, policy_rollback, policy_save, rule_delete, rule_save, ruleset_rollback
from tests.factories import CustomerFactory, team_member_of, work_order_for
from tests.scoring.test_admin_pages import policy_post, rule_post

pytestmark = pytest.mark.django_db

WRONG_ROLES = ["am_user", "lead_user", "cs_user"]


@pytest.fixture
def configured():
    """Seed rules and policy (v1 each), a second version of each, and a run so previews have a snapshot."""
    defaults_install()
    rule = Rule.objects.get(name="Competitor signal")
    rule_save(rule=rule, is_enabled=False, comment="v2")
    policy_save(data={**policy_current().data, "high_risk_min_rules": 3}, comment="v2")
    ScoreRun.objects.create(as_of=date(2025, 6, 30), status=ScoreRun.Status.DONE)
    return rule


def config_state():
    return (
        list(PolicyVersion.objects.values_list("number", "data", "author", "comment")),
        list(RuleSetVersion.objects.values_list("number", "rules", "author", "comment")),
        list(Rule.objects.values_list("id", "name", "conditions", "is_enabled", "position")),
    )


def page_requests(rule: Rule) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", "/scoring/rules/", None),
        ("get", "/scoring/rules/new/", None),
        ("get", f"/scoring/rules/{rule.pk}/edit/", None),
        ("get", f"/scoring/rules/{rule.pk}/toggle/", None),
        ("get", f"/scoring/rules/{rule.pk}/delete/", None),
        ("get", "/scoring/policy/", None),
        ("get", "/scoring/history/", None),
        ("post", "/scoring/rules/new/", rule_post()),
        ("post", f"/scoring/rules/{rule.pk}/edit/", rule_post(name=rule.name)),
        ("post", f"/scoring/rules/{rule.pk}/toggle/", {"comment": "x"}),
        ("post", f"/scoring/rules/{rule.pk}/delete/", {"comment": "x"}),
        ("post", "/scoring/policy/", policy_post(comment="x", high_risk_min_rules="4")),
        ("post", "/scoring/history/policy/1/rollback/", {}),
        ("post", "/scoring/history/rules/1/rollback/", {}),
    ]


def test_anonymous_is_sent_to_log_in_and_changes_nothing(client, configured):
    # given
    before = config_state()

    # when every page is requested without logging in
    responses = [(url, getattr(client, method)(url, data)) for method, url, data in page_requests(configured)]

    # then each goes to the log-in page, and nothing changed
    assert [(url, r.status_code, r["Location"].split("?")[0]) for url, r in responses] == [
        (url, 302, "/accounts/login/") for url, _ in responses
    ]
    assert config_state() == before


@pytest.mark.parametrize("role_user", WRONG_ROLES)
def test_wrong_role_is_refused_every_page_and_changes_nothing(client, request, configured, role_user):
    # given a signed-in user who is not an admin
    client.force_login(request.getfixturevalue(role_user))
    before = config_state()

    # when every page is requested
    responses = [
        (url, getattr(client, method)(url, data).status_code) for method, url, data in page_requests(configured)
    ]

    # then each is forbidden, and nothing changed
    assert responses == [(url, 403) for url, _ in responses]
    assert config_state() == before


def test_admin_gets_every_page(client, admin_user, configured):
    # given
    client.force_login(admin_user)

    # when the pages (GET only) are requested
    statuses = [client.get(url).status_code for method, url, _ in page_requests(configured) if method == "get"]

    # then
    assert statuses == [200] * 7


@pytest.mark.parametrize(
    ("role_user", "shows_links"), [("am_user", False), ("lead_user", False), ("cs_user", False), ("admin_user", True)]
)
def test_admin_links_in_the_top_bar_only_for_admins(client, request, role_user, shows_links):
    # given
    defaults_install()
    client.force_login(request.getfixturevalue(role_user))

    # when any page is shown
    html = client.get("/work/").content.decode()

    # then
    assert (
        'href="/scoring/rules/"' in html,
        'href="/scoring/policy/"' in html,
        'href="/scoring/history/"' in html,
    ) == (shows_links,) * 3


# --- API ------------------------------------------------------------------------------------------------------------

NEW_RULE = {
    "name": "Quiet",
    "conditions": [{"feature": "days_since_last_activity", "op": ">=", "value": 120}],
    "comment": "api",
}


def api_requests(rule: Rule) -> list[tuple[str, str, dict | None]]:
    policy = policy_current().data
    return [
        ("post", "/api/rules/", NEW_RULE),
        ("put", f"/api/rules/{rule.pk}/", {**NEW_RULE, "name": rule.name}),
        ("patch", f"/api/rules/{rule.pk}/", {"is_enabled": True}),
        ("delete", f"/api/rules/{rule.pk}/", None),
        ("post", "/api/rules/preview/", {"rules": [{"name": "Quiet", "conditions": NEW_RULE["conditions"]}]}),
        ("get", "/api/policy-versions/", None),
        ("get", "/api/policy-versions/1/", None),
        ("get", "/api/policy-versions/current/", None),
        ("post", "/api/policy-versions/", {"data": {**policy, "high_risk_min_rules": 4}, "comment": "api"}),
        ("post", "/api/policy-versions/preview/", {"data": {**policy, "high_risk_min_rules": 4}}),
        ("post", "/api/policy-versions/1/rollback/", {}),
        ("get", "/api/ruleset-versions/", None),
        ("get", "/api/ruleset-versions/1/", None),
        ("post", "/api/ruleset-versions/1/rollback/", {}),
    ]


def test_api_anonymous_is_refused_and_changes_nothing(configured):
    # given
    client = APIClient()
    before = config_state()

    # when
    responses = [(url, getattr(client, m)(url, d, format="json")) for m, url, d in api_requests(configured)]

    # then
    assert [(url, r.status_code) for url, r in responses] == [(url, 403) for url, _ in responses]
    assert {r.json()["detail"] for _, r in responses} == {"Authentication credentials were not provided."}
    assert config_state() == before


@pytest.mark.parametrize("role_user", WRONG_ROLES)
def test_api_wrong_role_is_refused_and_changes_nothing(request, configured, role_user):
    # given
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(role_user))
    before = config_state()

    # when
    responses = [(url, getattr(client, m)(url, d, format="json")) for m, url, d in api_requests(configured)]

    # then
    assert [(url, r.status_code) for url, r in responses] == [(url, 403) for url, _ in responses]
    assert config_state() == before


def test_api_admin_may_do_everything(admin_user, configured):
    # given
    client = APIClient()
    client.force_authenticate(admin_user)

    # when
    statuses = [
        (m, url, getattr(client, m)(url, d, format="json").status_code) for m, url, d in api_requests(configured)
    ]

    # then
    assert [s for _, _, s in statuses] == [201, 200, 200, 204, 200, 200, 200, 200, 201, 200, 201, 200, 200, 201]


@pytest.mark.parametrize("service", ["rule_save", "rule_delete", "policy_save", "policy_rollback", "ruleset_rollback"])
@pytest.mark.parametrize("role_user", WRONG_ROLES)
def test_services_refuse_a_user_without_the_right(request, configured, service, role_user):
    # given
    user = request.getfixturevalue(role_user)
    before = config_state()
    calls = {
        "rule_save": lambda: rule_save(rule=configured, by=user, is_enabled=True),
        "rule_delete": lambda: rule_delete(rule=configured, by=user),
        "policy_save": lambda: policy_save(data=policy_current().data, by=user),
        "policy_rollback": lambda: policy_rollback(version=PolicyVersion.objects.get(number=1), by=user),
        "ruleset_rollback": lambda: ruleset_rollback(version=RuleSetVersion.objects.get(number=1), by=user),
    }

    # when / then
    with pytest.raises(PermissionDenied):
        calls[service]()
    assert config_state() == before


def test_django_admin_cannot_change_rules_or_versions_behind_the_history(client, admin_user, configured):
    # given a superuser in Django admin
    client.force_login(admin_user)
    before = config_state()

    # when they try to add or change rules and versions there
    statuses = [
        client.post("/admin/scoring/rule/add/", {"name": "X"}).status_code,
        client.post(f"/admin/scoring/rule/{configured.pk}/change/", {"name": "X"}).status_code,
        client.post(f"/admin/scoring/rule/{configured.pk}/delete/", {"post": "yes"}).status_code,
        client.post("/admin/scoring/policyversion/add/", {}).status_code,
    ]

    # then it is refused (the pages version every change) and nothing changed
    assert statuses == [403, 403, 403, 403]
    assert config_state() == before


# --- work orders and customers by role ------------------------------------------------------------------------------


@pytest.fixture
def teams(am_user, other_am_user, lead_user):
    """am1 is in lead1's team, am2 is not; each owns one customer with an open work order."""
    team_member_of(am_user, lead_user)
    mine = work_order_for(CustomerFactory(external_id="MINE", owner=am_user), assignee=am_user)
    theirs = work_order_for(CustomerFactory(external_id="THEIRS", owner=other_am_user), assignee=other_am_user)
    return mine, theirs


@pytest.mark.parametrize(
    ("role_user", "visible"),
    [
        ("am_user", ["MINE"]),
        ("other_am_user", ["THEIRS"]),
        ("lead_user", ["MINE"]),
        ("cs_user", []),
        ("admin_user", ["MINE", "THEIRS"]),
    ],
)
def test_work_orders_and_customers_are_scoped_by_role(request, teams, role_user, visible):
    # given
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(role_user))

    # when
    work_orders = client.get("/api/work-orders/").json()["results"]

    # then
    assert sorted(w["customer"]["external_id"] for w in work_orders) == visible


@pytest.mark.parametrize(("role_user", "customer_status"), [("other_am_user", 404), ("cs_user", 200)])
def test_someone_elses_work_order_is_hidden_and_unchanged(client, request, teams, role_user, customer_status):
    # given am1's work order
    mine, _ = teams
    user = request.getfixturevalue(role_user)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    before = list(WorkOrder.objects.values_list("id", "status", "assignee", "outcome"))

    # when another user opens it and tries to change it, on the page and through the API
    page = client.get(f"/work/{mine.pk}/")
    resolve_page = client.post(f"/work/{mine.pk}/resolve/", {"outcome": "retained", "reason": "price"})
    resolve_api = api.post(
        f"/api/work-orders/{mine.pk}/resolve/", {"outcome": "retained", "reason": "price"}, format="json"
    )
    customer_page = client.get(f"/customers/{mine.customer_id}/")

    # then it does not exist for them, and nothing changed (customer service may look the customer up, read-only)
    assert (page.status_code, resolve_page.status_code, resolve_api.status_code, customer_page.status_code) == (
        404,
        404,
        404,
        customer_status,
    )
    assert list(WorkOrder.objects.values_list("id", "status", "assignee", "outcome")) == before


def test_score_runs_only_for_leads_and_admins_runs_record_versions(admin_user, am_user):
    # given a real nightly run
    call_command("run_nightly", as_of=date(2025, 6, 30))
    client = APIClient()

    # when an account manager and an admin ask for runs
    client.force_authenticate(am_user)
    refused = client.get("/api/score-runs/")
    client.force_authenticate(admin_user)
    runs = client.get("/api/score-runs/").json()["results"]

    # then only the admin sees them, with the versions the run used
    assert refused.status_code == 403
    assert [(r["policy_version_number"], r["ruleset_version_number"]) for r in runs] == [(1, 1)]
    assert Alert.objects.count() == 0
