"""Issue 17, the scoring side in 简体中文: explanations (also as stored), catalog descriptions, policy and rule
problems on the form and in the API (codes unchanged), and the nightly run summary; English under "en"."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from nightly.summary import run_summary
from scoring.explain import factor_rows
from scoring.forms import PolicyForm, condition_text
from scoring.ml.catalog import FEATURES_BY_NAME
from scoring.ml.explain import factor, phrase_values, signal_text
from scoring.ml.policy import default_policy, validate_policy
from scoring.ml.rules import validate_conditions
from scoring.ml.text import Text
from scoring.models import LatestScore, ScoreRun
from scoring.selectors import policy_current
from scoring.services import defaults_install
from scoring.texts import feature_description, problem_line, say
from tests.catalogs import compile_domain_catalogs
from tests.factories import customer, score_on, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogs():
    compile_domain_catalogs()


# A customer who bought every 30 days and has now been silent for 94: 3.1x the usual gap.
OVERDUE = {
    "days_since_last_purchase": 94.0,
    "recency_typical_gap_ratio": 3.1,
    "purchase_gap_median": 30.0,
    "activity_total": 12.0,
}


def overdue_factor() -> dict:
    values = phrase_values(OVERDUE)
    return factor("days_since_last_purchase", 0.4, signal_text("recency", values, list(OVERDUE)))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "no purchase for 94 days — 3× their usual gap: 40% of the risk"),
        ("zh-hans", "已 94 天未购买，是其通常间隔的 3×：占风险的 40%"),
    ],
)
def test_a_stored_explanation_is_shown_in_the_readers_language(language, expected):
    # given a factor as the nightly run stores it (JSON, English sentence plus its parts)
    stored = overdue_factor()

    # when a reader opens it
    with translation.override(language):
        rows = factor_rows([stored])

    # then
    assert stored["text"] == "no purchase for 94 days — 3× their usual gap: 40% of the risk"
    assert [(r["text"], r["feature"], r["weight"], r["bar"]) for r in rows] == [
        (expected, "days_since_last_purchase", 0.4, 100)
    ]


def test_a_catalog_phrase_with_a_nested_change_is_translated_as_a_whole():
    # given purchases down 75% against the 90 days before
    values = phrase_values({"purchases_90d": 2.0, "purchase_change_ratio": -0.75})
    reason = signal_text("frequency", values, ["purchase_change_ratio"])

    # when / then
    assert str(reason) == "purchases down 75% vs the prior 90 days"
    with translation.override("zh-hans"):
        assert say(reason) == "购买比之前 90 天减少 75%"


def test_an_explanation_stored_before_its_parts_were_kept_still_shows_its_english():
    old = {"feature": "tenure_days", "weight": 0.3, "text": "customer for 40 days: 30% of the risk"}
    with translation.override("zh-hans"):
        assert [r["text"] for r in factor_rows([old])] == ["customer for 40 days: 30% of the risk"]


def test_a_value_the_customer_does_not_have_is_named_as_not_recorded_in_both_languages():
    text = signal_text("satisfaction", phrase_values({"satisfaction_latest": None}), ["satisfaction_latest"])
    assert text is None  # never given as a reason without a value
    missing = Text("{feature}: not recorded", {"feature": Text(FEATURES_BY_NAME["satisfaction_latest"].description)})
    with translation.override("zh-hans"):
        assert say(missing) == "最近一次满意度 / NPS 评分（0–10）：无记录"
    assert str(missing) == "Latest satisfaction / NPS score (0-10): not recorded"


def test_a_broken_translation_falls_back_to_english_instead_of_failing():
    text = Text("no visit for {days:.0f} days", {"days": 12.0})
    assert text.render(lambda s: "已 {天数} 天未到店") == "no visit for 12 days"


def test_the_work_order_customer_page_shows_the_stored_factor_in_chinese(client):
    # given a customer whose latest score carries a stored factor
    owner = user_with_role("am1", "account_manager")
    c = customer("C1", owner=owner)
    score_on(c, date(2025, 6, 30), probability=0.7, tier=2)
    assert LatestScore.objects.filter(customer=c).update(factors=[overdue_factor()]) == 1
    client.force_login(owner)

    # when
    with translation.override("zh-hans"):
        zh = client.get(reverse("customers:detail", args=[c.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("en"):
        en = client.get(reverse("customers:detail", args=[c.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then
    assert "已 94 天未购买，是其通常间隔的 3×：占风险的 40%" in zh
    assert "no purchase for 94 days — 3× their usual gap: 40% of the risk" in en
    assert "已 94 天未购买" not in en


@pytest.mark.parametrize(
    ("language", "description", "condition"),
    [
        ("en", "Days since the last service visit", "Days since the last service visit ≥ 90 days"),
        ("zh-hans", "距上次到店服务的天数", "距上次到店服务的天数 ≥ 90 days"),
    ],
)
def test_the_rule_catalog_describes_features_in_the_readers_language(language, description, condition):
    feature = FEATURES_BY_NAME["days_since_last_visit"]
    with translation.override(language):
        assert feature_description(feature) == description
        assert condition_text({"feature": "days_since_last_visit", "op": ">=", "value": 90}) == condition
    assert feature.description == "Days since the last service visit"  # the catalog itself stays English


def test_every_catalog_description_and_phrase_has_a_chinese_translation():
    with translation.override("zh-hans"):
        untranslated = [
            s for f in FEATURES_BY_NAME.values() for s in (f.description, f.phrase) if translation.gettext(s) == s
        ]
    assert untranslated == []


def test_rule_problems_are_worded_in_the_readers_language():
    problems = validate_conditions([{"feature": "visits_30d", "op": "~", "value": 3}])
    assert [str(p) for p in problems] == ["condition 1: unknown operator '~' (use one of < <= > >= == !=)"]
    with translation.override("zh-hans"):
        assert [say(p) for p in problems] == ["条件 1：未知运算符“~”（请使用 < <= > >= == != 之一）"]


def _policy_form_data(policy: dict, **changes) -> dict:
    data = {
        k: ("" if v is None else ("on" if v is True else v))
        for k, v in PolicyForm.initial_from(policy).items()
        if v is not False
    }
    return {**data, "comment": "try", **changes}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "A tier that creates work orders needs a human role."),
        ("zh-hans", "生成工单的级别需要指定人工角色。"),
    ],
)
def test_a_policy_problem_is_shown_beside_its_field_in_the_readers_language(language, message):
    # given the default policy with tier 2's work orders given to nobody
    policy = default_policy()
    with translation.override(language):
        form = PolicyForm(_policy_form_data(policy, tier_2_assignee_role="automated"), policy=policy)

        # when
        valid = form.is_valid()

        # then
        assert not valid
        assert form.errors["tier_2_assignee_role"] == [message]


def test_the_policy_problem_keeps_its_location_in_both_languages():
    policy = default_policy()
    policy["tiers"][1]["min_probability"] = 0.9
    (problem,) = validate_policy(policy)
    assert problem.path == "tiers"
    assert problem_line(problem) == "tiers: min_probability must be strictly decreasing from tier 1 down"
    with translation.override("zh-hans"):
        assert problem_line(problem) == "tiers: min_probability（起始概率）必须从一级起严格递减"


@pytest.fixture
def admin_api(api_client):
    defaults_install()
    api_client.force_authenticate(user_with_role("admin1", "admin", is_staff=True, is_superuser=True))
    return api_client


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "tiers: min_probability must be strictly decreasing from tier 1 down"),
        ("zh-hans", "tiers: min_probability（起始概率）必须从一级起严格递减"),
    ],
)
def test_the_api_refuses_a_bad_policy_in_the_readers_language_and_writes_nothing(admin_api, language, message):
    # given tier 2's threshold above tier 1's
    in_force = policy_current().number
    data = policy_current().data
    data["tiers"][1]["min_probability"] = 0.9

    # when
    with translation.override(language):
        response = admin_api.post("/api/policy-versions/", {"data": data}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    # then
    assert response.status_code == 400
    assert response.json() == {"policy": [message]}
    assert policy_current().number == in_force


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "there is no score run yet: run the nightly pipeline once to have a snapshot"),
        ("zh-hans", "尚无评分运行：请先执行一次夜间运行以获得快照"),
    ],
)
def test_an_api_refusal_keeps_its_code_and_words_its_message(admin_api, language, detail):
    with translation.override(language):
        response = admin_api.post(
            "/api/policy-versions/preview/",
            {"data": policy_current().data},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 409
    assert response.json() == {"detail": detail, "code": "no_snapshot"}


def _run(status: str, **stats) -> ScoreRun:
    return ScoreRun.objects.create(
        as_of=date(2025, 6, 30),
        status=status,
        chunks_total=4,
        stats=stats,
        started_at=datetime(2025, 6, 30, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "The nightly run for 2025-06-30 is done: 12,000 customers scored, 340 at risk, "
            "150 work orders opened, 7 alerts closed.",
        ),
        (
            "zh-hans",
            "2025-06-30 的夜间运行已完成：已为 12,000 位客户评分，340 位有流失风险，新建 150 个工单，关闭 7 个预警。",
        ),
    ],
)
def test_the_nightly_run_summary_is_worded_in_the_readers_language(language, expected):
    run = _run(ScoreRun.Status.DONE, customers=12000, at_risk=340, work_orders_opened=150, alerts_closed=7)
    with translation.override(language):
        assert run_summary(run, chunks_done=4) == expected


def test_a_failed_run_summary_counts_its_pending_chunks_and_claims_no_figures():
    run = _run(ScoreRun.Status.FAILED, pending_chunks=[2, 3])
    assert (
        run_summary(run) == "The nightly run for 2025-06-30 failed. 2 chunks were not done; a retry scores them again."
    )
    with translation.override("zh-hans"):
        assert run_summary(run) == "2025-06-30 的夜间运行失败。有 2 个分块未完成；重试会重新为其评分。"
    assert "customers scored" not in run_summary(run)


def test_the_admins_hear_of_a_failed_run_in_words(mailoutbox):
    user_with_role("admin1", "admin", is_staff=True, is_superuser=True).__class__.objects.filter(
        username="admin1"
    ).update(email="admin@example.com")
    run = _run(ScoreRun.Status.FAILED, pending_chunks=[1])

    from nightly.liveness import notify_admins

    with translation.override("zh-hans"), pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn: fn())
        notify_admins(run)
    (mail,) = mailoutbox
    assert mail.subject == "ChurnOps：2025-06-30 的夜间运行状态为失败"
    assert mail.body.startswith("2025-06-30 的夜间运行失败。有 1 个分块未完成；重试会重新为其评分。")


def test_a_factor_with_a_value_the_customer_lacks_is_stored_as_valid_json_and_reads_back_the_same():
    # given purchases last 90 days known but the 90 days before not recorded (NaN)
    values = phrase_values({"purchases_90d": 2.0, "purchases_prev_90d": None})
    stored = factor("purchases_90d", 1.0, signal_text("frequency", values, ["purchases_90d"]))

    # when it goes through JSON as the nightly run stores it
    import json

    raw = json.dumps(stored, allow_nan=False)

    # then
    assert factor_rows([json.loads(raw)])[0]["text"] == stored["text"]
    assert stored["text"] == "purchases last 90 days: 2 (was nan the 90 days before): 100% of the risk"
