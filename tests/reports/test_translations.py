"""Issue 17, the report in 简体中文: stored in English, worded again in the reader's language (the uplift and return
sentences, fairness rule, flow definitions, drift and realised performance, CSV definitions, e-mails)."""

import numpy as np
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from interventions.models import AgentProfile
from reports import health
from reports.alarms import Thresholds
from reports.exports import report_csv
from reports.fairness import fairness_figures
from reports.flow import DEFINITIONS
from reports.models import WeeklyReport
from reports.presenters import period_text
from reports.services import report_email_send, weekly_report_build
from reports.uplift import cohort_figures, return_figures
from reports.weeks import IsoWeek
from reports.wording import drift_text, localized, performance_text, retrain_reason
from scoring.training import TrainingError, _enough, _gate_outcome
from tests.catalogs import compile_domain_catalogs

from .conftest import W43
from .test_health import model_version

pytestmark = pytest.mark.django_db

NO_EVIDENCE_EN = (
    "Treated customers churned more than the control: 30 of 40 treated (75.0%) vs 5 of 40 in the control "
    "(12.5%); no evidence of benefit (95% interval "
)
NO_EVIDENCE_ZH = (
    "干预组的流失多于对照组：干预组 40 位中流失 30 位（75.0%），对照组 40 位中流失 5 位（12.5%）；"
    "没有证据表明干预有效（95% 区间为 "
)


@pytest.fixture(autouse=True)
def _catalogs():
    compile_domain_catalogs()


def figures(worked: tuple[int, int], control: tuple[int, int]) -> dict:
    cohorts = cohort_figures({"worked": worked, "control": control, "flagged_other": (0, 0), "not_flagged": (0, 0)})
    return {"cohorts": {**cohorts, "return": return_figures(cohorts["uplift"], [], costs={})}}


def test_the_no_evidence_sentence_is_stored_in_english_and_read_in_chinese():
    # given treated customers who churned clearly more than the control (the whole interval below zero)
    data = figures((40, 30), (40, 5))

    # when
    with translation.override("zh-hans"):
        zh = localized(data)["cohorts"]
    with translation.override("en"):
        en = localized(data)["cohorts"]

    # then: the verdict code and the stored English do not move; each reader gets their language
    assert data["cohorts"]["uplift"]["verdict"] == zh["uplift"]["verdict"] == "more_churned"
    assert data["cohorts"]["uplift"]["text"].startswith(NO_EVIDENCE_EN)
    assert en["uplift"]["text"] == data["cohorts"]["uplift"]["text"]
    assert zh["uplift"]["text"].startswith(NO_EVIDENCE_ZH)
    assert zh["uplift"]["text"].endswith("个百分点）。")


def test_no_return_figure_is_claimed_without_evidence_in_either_language():
    data = figures((40, 30), (40, 5))
    with translation.override("zh-hans"):
        zh = localized(data)["cohorts"]["return"]
    assert (data["cohorts"]["return"]["is_shown"], data["cohorts"]["return"]["ratio"]) == (False, None)
    assert data["cohorts"]["return"]["text"].startswith("No return figure: " + NO_EVIDENCE_EN)
    assert zh["text"].startswith("不给出回报数字：" + NO_EVIDENCE_ZH)
    assert "倍" not in zh["text"]


def test_the_fairness_rule_and_the_flow_definitions_are_read_in_chinese():
    data = {"fairness": fairness_figures({}), "flow": {"definitions": dict(DEFINITIONS)}}
    with translation.override("zh-hans"):
        zh = localized(data)
    assert data["fairness"]["rules"]["text"].endswith('resolved cases are marked "too few to tell".')
    assert zh["fairness"]["rules"]["text"].endswith("相应数字标为“样本太少，无法判断”。")
    assert zh["flow"]["definitions"]["work_orders.opened_from_new_alerts"] == "本周为本周产生的预警创建的工单。"
    assert (
        data["flow"]["definitions"]["work_orders.opened_from_new_alerts"]
        == DEFINITIONS["work_orders.opened_from_new_alerts"]
    )


LIMITS = Thresholds(psi_warning=0.1, psi_alarm=0.25, drift_weeks=2)


def drift(features: list[dict]) -> dict:
    return {"warning": 0.1, "alarm": 0.25, "weeks": 2, "features": features, "available": True}


@pytest.mark.parametrize(
    "features",
    [
        [],
        [{"name": "visits_30d", "level": "warning", "is_alarm": False}],
        [{"name": "visits_30d", "level": "alarm", "is_alarm": False}],
        [
            {"name": "visits_30d", "level": "alarm", "is_alarm": True},
            {"name": "lifetime_value", "level": "alarm", "is_alarm": True},
        ],
        [
            {"name": "visits_30d", "level": "alarm", "is_alarm": False},
            {"name": "lifetime_value", "level": "warning", "is_alarm": False},
        ],
    ],
)
def test_the_drift_sentence_worded_again_is_the_one_health_stores(features):
    with translation.override("en"):
        assert drift_text(drift(features)) == health._drift_text(features, LIMITS)


def test_the_drift_alarm_reads_in_chinese():
    features = [{"name": "visits_30d", "level": "alarm", "is_alarm": True}]
    with translation.override("zh-hans"):
        assert drift_text(drift(features)) == "1 个特征连续 2 周高于 PSI 0.25：visits_30d。"


@pytest.mark.parametrize(
    ("realised", "validation"),
    [
        ({"roc_auc": 0.9, "precision": 0.9}, {"roc_auc": 0.95, "precision_at_tier2": 0.95}),
        ({"roc_auc": 0.6, "precision": 0.5}, {"roc_auc": 0.95, "precision_at_tier2": 0.95}),
        ({"roc_auc": 0.6, "precision": None}, {"roc_auc": 0.95}),
        ({"roc_auc": 0.7, "precision": 0.5}, {}),
    ],
)
def test_the_performance_sentence_worded_again_is_the_one_health_stores(realised, validation):
    # given what realised_performance stores for a model-scored week
    version = model_version(metrics={"train_cutoffs": ["2025-06-30"], **validation})
    out = {"available": True, "run_as_of": "2025-08-25", "horizon_days": 60, "churned": 9, **realised}
    stored = {**out, **health._compare(out, version, 2)}

    # when / then
    with translation.override("en"):
        assert performance_text(stored) == stored["text"]
    with translation.override("zh-hans"):
        assert performance_text(stored).startswith("实际 ROC AUC 为 ")


def test_the_performance_sentences_without_figures_are_the_stored_ones():
    none_yet = {
        "available": False,
        "horizon_days": 60,
        "text": "No scores are 60 days old yet: nothing to measure against.",
    }
    too_few = {
        "available": False,
        "horizon_days": 60,
        "run_as_of": "2025-08-25",
        "churned": 2,
        "roc_auc": 0.8,
        "text": "Too few churners (2) among the scores of 2025-08-25 to measure.",
    }
    rules_alone = {"available": True, "run_as_of": "2025-08-25", "roc_auc": 0.8, **health._compare({}, None, 2)}
    with translation.override("en"):
        assert [performance_text(p) for p in (none_yet, too_few, rules_alone)] == [
            p["text"] for p in (none_yet, too_few, rules_alone)
        ]
    with translation.override("zh-hans"):
        assert [performance_text(p) for p in (none_yet, too_few, rules_alone)] == [
            "还没有满 60 天的评分：暂无可衡量的数据。",
            "2025-08-25 的评分中流失客户太少（2 位），无法衡量。",
            "评分仅来自规则：没有可供比较的验证数字。",
        ]


def test_the_report_page_reads_in_chinese_while_the_stored_report_stays_english(client, week43, staff):
    # given a stored week, built while an admin browsed in Chinese
    with translation.override("zh-hans"):
        report, _ = weekly_report_build(week=W43)
    client.force_login(staff["lead"])

    # when
    with translation.override("zh-hans"):
        zh = client.get(reverse("reports:week", args=[str(W43)]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("en"):
        en = client.get(reverse("reports:week", args=[str(W43)]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then
    stored = WeeklyReport.objects.get(pk=report.pk).data
    assert stored["cohorts"]["uplift"]["text"] == (
        "Too small to tell yet: each group needs at least 30 customers (worked 4, control 3)."
    )
    assert "样本太少，暂时无法判断：每组至少需要 30 位客户（干预组 4 位，对照组 3 位）。" in zh
    assert 'title="本周为本周产生的预警创建的工单。"' in zh
    assert "样本太少，无法判断" in zh
    assert "Too small to tell yet" not in zh
    assert "Too small to tell yet: each group needs at least 30 customers (worked 4, control 3)." in en
    assert 'title="Work orders opened during the week for alerts raised during the week."' in en


def test_the_csv_keeps_its_machine_columns_and_words_the_definitions_for_people(week43):
    report, _ = weekly_report_build(week=W43)
    with translation.override("zh-hans"):
        zh = report_csv([report]).splitlines()
    en = report_csv([report]).splitlines()
    assert zh[0] == en[0] == "week,section,group,metric,value,definition"
    assert f"{W43},flow,work_orders,opened_from_new_alerts,7,本周为本周产生的预警创建的工单。" in zh
    assert any(line.startswith(f"{W43},flow,work_orders,opened_from_new_alerts,7,Work orders opened") for line in en)
    assert not any("text_parts" in line for line in zh)


def test_the_report_email_is_written_in_each_recipients_language(week43, staff):
    # given a team lead who reads Chinese and an admin whose profile asks no language (the installation's: en)
    AgentProfile.objects.update_or_create(user=staff["lead"], defaults={"language": "zh-hans"})
    report, _ = weekly_report_build(week=W43)

    # when the report is e-mailed
    sent = report_email_send(report_id=report.pk)

    # then each reader gets it in their own words, once
    assert sent
    by_reader = {tuple(m.to): m for m in mail.outbox}
    assert set(by_reader) == {(staff["lead"].email,), (staff["admin"].email,)}
    zh, en = by_reader[(staff["lead"].email,)], by_reader[(staff["admin"].email,)]
    assert zh.subject.startswith(f"ChurnOps 成果周报 {W43}")
    assert "样本太少，暂时无法判断" in zh.body
    assert en.subject.startswith(f"ChurnOps weekly outcome report {W43}")
    assert "样本太少" not in en.body


def test_a_retraining_reason_is_read_in_chinese_and_an_unknown_one_as_stored():
    # given the reasons scoring.training stores
    with pytest.raises(TrainingError) as too_little:
        _enough("validation", np.zeros(5))
    reasons = [
        str(too_little.value),
        "not promoted: validation roc_auc 0.712 < active model #3 0.801",
        "promoted",
        "a reason worded some other way",
    ]
    data = {"health": {"retraining": [{"status_text": "Kept the active model", "reason": r} for r in reasons]}}

    # when
    with translation.override("zh-hans"):
        zh = localized(data)["health"]["retraining"]
    with translation.override("en"):
        en = localized(data)["health"]["retraining"]

    # then
    assert [r["reason"] for r in en] == reasons
    assert [r["reason"] for r in zh] == [
        "验证数据集只有 5 个样本，其中 0 个流失：历史数据不足",
        "未启用：验证 roc_auc 为 0.712，低于现用模型 #3 的 0.801",
        "已启用新模型",
        "a reason worded some other way",
    ]
    assert {r["status_text"] for r in zh} == {"保留现用模型"}


def test_the_retrain_gates_reasons_on_one_holdout_are_read_in_chinese(db):
    # given the reasons the gate words (refused, and promoted) from both models' figures on one holdout
    new, active = model_version(), model_version()
    gate = {"cutoff": "2025-09-01", "n": 1101, "churners": 31}
    refused = _gate_outcome(
        new, active, {**gate, "challenger": {"pr_auc": 0.389}, "champion": {"pr_auc": 0.423}}, "if_better"
    )
    promoted = _gate_outcome(
        new, active, {**gate, "challenger": {"pr_auc": 0.486}, "champion": {"pr_auc": 0.401}}, "if_better"
    )

    # when read in Chinese
    with translation.override("zh-hans"):
        zh = [retrain_reason(o.reason) for o in (refused, promoted)]

    # then both are worded again, figures kept; in English they stay as stored
    assert not refused.promoted
    assert promoted.promoted
    assert zh[0].startswith(f"未启用：PR AUC 为 0.389，低于现用模型 #{active.pk} 的 0.423")
    assert zh[1].startswith(f"已启用：PR AUC 0.486 ≥ 现用模型 #{active.pk} 的 0.401")
    assert all("2025-09-01" in z and "1101" in z and "31" in z for z in zh)
    with translation.override("en"):
        assert [retrain_reason(o.reason) for o in (refused, promoted)] == [refused.reason, promoted.reason]


def test_the_reports_period_reads_in_each_languages_date_order():
    # given the week of 23-29 November 2026 and one across a new year
    weeks = [IsoWeek.parse("2026-W48"), IsoWeek.parse("2026-W01")]

    # when worded in English and in Chinese
    with translation.override("en"):
        en = [period_text(w) for w in weeks]
    with translation.override("zh-hans"):
        zh = [period_text(w) for w in weeks]

    # then each uses its own order (no "23 十一月" in Chinese)
    assert en == ["23 Nov – 29 Nov 2026", "29 Dec 2025 – 4 Jan 2026"]
    assert zh == ["11月23日 – 2026年11月29日", "2025年12月29日 – 2026年1月4日"]
