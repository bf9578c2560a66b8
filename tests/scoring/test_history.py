"""Bounded score history: the packed nightly history, the latest score written only when it changed, alerts left
alone when nothing changed, and retention by month."""

import os
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from alerts.models import Alert
from alerts.services import alerts_upsert
from reports import health
from reports.services import report_figures
from reports.weeks import IsoWeek
from scoring.history import HISTORY_BLOCK, history_pack, history_unpack
from scoring.ml.policy import default_policy
from scoring.models import LatestScore, ScoreDay, ScoreRun
from scoring.score_writes import history_partition_ensure, history_prune, partition_name, scores_record
from scoring.selectors import score_history, scores_on
from tests.factories import customer, customer_flagged_by_two_rules, event_at, score_on
from tests.reports.builders import local
from tests.reports.test_health import model_version

AS_OF = date(2025, 6, 30)
W43 = IsoWeek(2025, 43)
on_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs a PostgreSQL DATABASE_URL"
)


def test_packing_keeps_each_customer_its_probability_tier_and_rule_verdict():
    # given: customers across three blocks, out of order, one of them unscored in the middle of a block
    ids = np.array([130, 1, 63, 64, 2])
    probability = np.array([0.12346, 1.0, 0.0, 0.5, 0.98766])
    tier = np.array([0, 1, 4, 2, 0])
    high = np.array([False, True, False, True, False])

    # when
    packed = history_pack(ids, probability, tier, high)
    decoded = history_unpack(
        [(AS_OF, b, p, t) for b, p, t in zip(packed.block, packed.probability, packed.tier, strict=True)]
    )

    # then: three rows of 64 slots (2 bytes + 1 byte each), every customer back, in id order, to 1e-4
    assert packed.block.tolist() == [0, 1, 2]
    assert packed.part.tolist() == [1, 0, 2]
    assert {len(p) for p in packed.probability} == {2 * HISTORY_BLOCK}
    assert decoded.customer_id.tolist() == [1, 2, 63, 64, 130]
    assert decoded.probability.tolist() == [1.0, 0.9877, 0.0, 0.5, 0.1235]
    assert decoded.tier.tolist() == [1, 0, 4, 2, 0]
    assert decoded.is_rule_high_risk.tolist() == [True, False, False, True, False]


def _night(ids, probability, tier, rules):
    return pd.DataFrame(
        {
            "probability": probability,
            "tier": tier,
            "is_rule_high_risk": [t in (1, 2) for t in tier],
            "rules_fired": rules,
        },
        index=pd.Index(ids, name="customer_id"),
    )


@pytest.mark.django_db
def test_a_rescore_that_changes_nothing_writes_no_latest_score():
    # given: two customers scored on the first night
    a, b = customer("A"), customer("B")
    first = ScoreRun.objects.create(as_of=AS_OF, status=ScoreRun.Status.DONE)
    scores_record(run=first, scored=_night([a.pk, b.pk], [0.7, 0.2], [2, 0], [["X"], ["Y"]]), factors={})
    stored = list(LatestScore.objects.values_list("customer_id", "as_of", "probability").order_by("customer_id"))

    # when: the next night moves A by less than the epsilon, then the night after moves B by five points
    second = ScoreRun.objects.create(as_of=AS_OF + timedelta(days=1), status=ScoreRun.Status.DONE)
    same = scores_record(run=second, scored=_night([a.pk, b.pk], [0.702, 0.2], [2, 0], [["X"], ["Y"]]), factors={})
    third = ScoreRun.objects.create(as_of=AS_OF + timedelta(days=2), status=ScoreRun.Status.DONE)
    moved = scores_record(run=third, scored=_night([a.pk, b.pk], [0.702, 0.25], [2, 0], [["X"], ["Y"]]), factors={})

    # then: nothing rewritten the second night; only B the third; the history has every night
    assert same == {"history_rows": 1, "scores_written": 0}
    assert moved == {"history_rows": 1, "scores_written": 1}
    latest = list(LatestScore.objects.values_list("customer_id", "as_of", "probability").order_by("customer_id"))
    assert latest == [stored[0], (b.pk, AS_OF + timedelta(days=2), 0.25)]
    assert [p.probability for p in score_history(customer_id=a.pk)] == [0.702, 0.702, 0.7]


@pytest.mark.django_db
def test_an_unchanged_alert_is_not_written():
    # given: an alert raised on the first night
    c = customer("A")
    row = {"customer_id": c.pk, "probability": 0.7, "tier": 2, "rules_fired": ["X"], "is_rule_high_risk": True,
           "factors": [], "value": 10.0, "value_basis": "ltv"}  # fmt: skip
    alerts_upsert(as_of=AS_OF, rows=[row], control_share=0)
    before = Alert.objects.values_list("updated_at", "last_run_as_of", "probability").get()
    xmin = _xmin("alerts_alert")

    # when: the next night gives the same verdict, the night after another tier
    same = alerts_upsert(as_of=AS_OF + timedelta(days=1), rows=[{**row, "probability": 0.701}], control_share=0)
    after_same = Alert.objects.values_list("updated_at", "last_run_as_of", "probability").get()
    xmin_same = _xmin("alerts_alert")
    changed = alerts_upsert(as_of=AS_OF + timedelta(days=2), rows=[{**row, "tier": 1}], control_share=0)

    # then: no write (no new row version on PostgreSQL), then one
    assert (same.written, changed.written) == (0, 1)
    assert list(same) == [c.pk]  # the unchanged alert is still the run's
    assert after_same == before
    assert xmin_same == xmin
    assert Alert.objects.values_list("tier", "last_run_as_of").get() == (1, AS_OF + timedelta(days=2))


def _xmin(table: str):
    """Row versions' creating transactions on PostgreSQL (a rewritten row gets a new one); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {table} ORDER BY 1")
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_second_quiet_night_of_the_pipeline_rewrites_no_score_and_no_alert(am_user):
    # given: a high-risk customer scored and alerted on the first night (rules only: no model)
    c = customer_flagged_by_two_rules("HIGH", owner=am_user)
    call_command("run_nightly", as_of=AS_OF)
    latest = LatestScore.objects.values_list("as_of", "probability", "tier").get(customer=c)
    alert = Alert.objects.values_list("updated_at", "last_run_as_of").get(customer=c)

    # when: the next night sees the same signals
    call_command("run_nightly", as_of=AS_OF + timedelta(days=1))

    # then: both nights are in the history; the latest score and the alert were not rewritten
    run = ScoreRun.objects.get(as_of=AS_OF + timedelta(days=1))
    assert (run.stats["scores_written"], run.stats["alerts_written"], run.stats["history_rows"]) == (0, 0, 1)
    assert LatestScore.objects.values_list("as_of", "probability", "tier").get(customer=c) == latest
    assert Alert.objects.values_list("updated_at", "last_run_as_of").get(customer=c) == alert
    assert [p.as_of for p in score_history(customer_id=c.pk)] == [AS_OF + timedelta(days=1), AS_OF]
    assert run.stats["work_orders_opened"] == 0  # the open work order of night 1 is still the customer's
    assert c.work_orders.filter(open_key__isnull=False).count() == 1


@pytest.mark.django_db
def test_the_customer_page_chart_reads_the_nightly_history(client, am_user):
    # given: three nights in the history; the latest score was written once (the later nights moved too little)
    c = customer("C", owner=am_user)
    for days, p in ((2, 0.40), (1, 0.402), (0, 0.404)):
        score_on(c, AS_OF - timedelta(days=days), probability=p, tier=3)
    client.force_login(am_user)

    # when
    response = client.get(reverse("customers:detail", args=[c.pk]))

    # then: one point a night, with each night's probability; the page's score is last night's
    points = response.context["chart"].points
    assert [(p["as_of"], p["p"]) for p in points] == [
        (AS_OF - timedelta(days=2), 0.4),
        (AS_OF - timedelta(days=1), 0.402),
        (AS_OF, 0.404),
    ]
    assert LatestScore.objects.get(customer=c).as_of == AS_OF - timedelta(days=2)
    assert response.context["latest"].as_of == AS_OF


def _matured_and_old_scores():
    """W43's matured scores (27 Aug 2025) and a night fourteen months before it."""
    version = model_version()
    for i, (p, churned) in enumerate(((0.9, True), (0.8, True), (0.6, False), (0.3, True), (0.2, False))):
        c = customer(f"M{i}", churned_at=local(2025, 9, 20) if churned else None)
        event_at(c, local(2025, 8, 1, 12))
        if not churned:
            event_at(c, local(2025, 9, 15, 12))
        score_on(c, date(2025, 8, 27), probability=p, model_version=version)
        score_on(c, date(2024, 6, 15), probability=0.5, model_version=version)


@pytest.mark.django_db
def test_retention_drops_old_months_and_the_report_of_a_week_inside_the_window_is_unchanged():
    # given: scores of a night inside the 13 months and of one outside
    _matured_and_old_scores()
    policy = default_policy()
    before = (report_figures(week=W43, policy=policy), health.realised_performance(last_day=W43.sunday, policy=policy))

    # when: the retention runs on 2025-10-27 (cut-off 2024-09-27: June 2024 is wholly older)
    pruned = history_prune(today=date(2025, 10, 27), months=13)

    # then: June 2024 is gone, August 2025 kept, and the week's report and realised AUC are the same
    assert len(scores_on(as_of=date(2024, 6, 15)).customer_id) == 0
    assert len(scores_on(as_of=date(2025, 8, 27)).customer_id) == 5
    after = (report_figures(week=W43, policy=policy), health.realised_performance(last_day=W43.sunday, policy=policy))
    assert after == before
    assert before[1]["n"] == 5
    assert pruned["cutoff"] == "2024-09-27"
    if connection.vendor == "postgresql":
        assert pruned["partitions_dropped"] == [partition_name(date(2024, 6, 1))]
    else:
        assert pruned["rows_deleted"] == 5  # one row per factory score: each wrote its own part of the block


@on_postgresql
@pytest.mark.postgres
@pytest.mark.django_db
def test_retention_drops_whole_monthly_partitions_on_postgresql():
    # given: partitions for June 2024 (with scores) through this month and the next
    _matured_and_old_scores()
    history_partition_ensure(as_of=date(2025, 10, 27))

    def partitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'scoring_scoreday'::regclass ORDER BY 1"
            )
            return [r[0] for r in cursor.fetchall()]

    months = ((2024, 6), (2025, 8), (2025, 10), (2025, 11))
    assert partitions() == [partition_name(date(y, m, 1)) for y, m in months]

    # when
    history_prune(today=date(2025, 10, 27), months=13)

    # then: the table of June 2024 is dropped (no rows deleted one by one), the others stay
    assert partitions() == [partition_name(date(y, m, 1)) for y, m in months[1:]]
    assert ScoreDay.objects.filter(as_of__lt=date(2025, 1, 1)).count() == 0


@pytest.mark.django_db
def test_the_nightly_run_creates_its_month_before_the_chunks(am_user):
    # given
    customer_flagged_by_two_rules("HIGH", owner=am_user)

    # when: the first night of a month
    call_command("run_nightly", as_of=date(2025, 7, 1))

    # then: the night is in the history (on PostgreSQL in the July partition, created ahead with August's)
    assert len(scores_on(as_of=date(2025, 7, 1)).customer_id) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s), to_regclass(%s)", [partition_name(date(2025, 7, 1)),
                                                                         partition_name(date(2025, 8, 1))])  # fmt: skip
            assert all(cursor.fetchone())


@pytest.mark.django_db
def test_the_retention_task_is_scheduled_and_keeps_thirteen_months(settings):
    # given: a score fourteen months old and one a month old
    c = customer("C")
    score_on(c, date(2024, 8, 20), probability=0.3)
    score_on(c, date(2025, 9, 20), probability=0.4)
    from nightly.tasks import score_history_retention_task

    # when: the beat's task runs on 2025-10-27 with the default retention
    result = score_history_retention_task("2025-10-27")

    # then
    entry = settings.CELERY_BEAT_SCHEDULE["score-history-retention"]
    assert entry["task"] == "scoring.tasks.score_history_retention_task"
    assert settings.SCORE_HISTORY_MONTHS == 13
    assert result["cutoff"] == "2024-09-27"
    assert [p.as_of for p in score_history(customer_id=c.pk)] == [date(2025, 9, 20)]
