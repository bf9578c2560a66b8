"""The report page, its CSV and rebuild endpoint, the e-mail, the tasks and the weekly_report command."""

import csv
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import WeeklyReport
from reports.services import report_email_send, weekly_report_build
from reports.tasks import weekly_report_task
from scoring.tasks import monthly_retrain_task

from .conftest import W43

PAGE = reverse("reports:week", args=["2025-W43"])


@pytest.fixture
def built(week43):
    """W43 and the two weeks before it, stored."""
    for week in (W43.shift(-2), W43.shift(-1), W43):
        weekly_report_build(week=week)
    return WeeklyReport.objects.get(week="2025-W43")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("am1", 403), ("lead", 200), ("admin", 200)])
def test_the_page_is_for_team_leads_and_admins(client, built, staff, who, status):
    # given
    if who:
        client.force_login(staff[who])

    # when
    response = client.get(PAGE)

    # then
    assert response.status_code == status


def test_the_page_shows_the_week_with_its_charts_and_trend(client, built, staff):
    # given
    client.force_login(staff["lead"])

    # when
    response = client.get(PAGE)

    # then
    html = response.content.decode()
    assert "Weekly outcome report · 2025-W43" in html
    assert "20 Oct – 26 Oct 2025" in html
    assert html.count('<svg class="rchart"') == 16  # 9 trends + 7 of the week (no drift chart without a model)
    assert "Too small to tell yet: each group needs at least 30 customers (worked 4, control 3)." in html
    assert [w["week"] for w in response.context["trend_weeks"]][-3:] == ["2025-W41", "2025-W42", "2025-W43"]
    assert sum(w["is_built"] for w in response.context["trend_weeks"]) == 3
    kpis = {k["label"]: k["value"] for k in response.context["kpis"]}
    assert kpis == {
        "Alerts raised": "5",
        "Work orders opened": "7",
        "First contact within SLA": "60%",
        "Median time to first contact": "15.5 h",
        "Save rate": "50%",
        "LTV retained": "19.0k",
        "Churners alerted ≥ 30 days ahead": "40%",
        "Realised ROC AUC": "–",
    }
    assert 'href="/reports/2025-W42/"' in html  # previous week
    assert "Rebuild" not in html  # team leads cannot rebuild


def test_the_index_opens_the_latest_week_or_explains_how_to_build_one(client, staff, db):
    # given
    client.force_login(staff["admin"])

    # when
    empty = client.get(reverse("reports:index"))
    weekly_report_build(week=W43)
    latest = client.get(reverse("reports:index"))

    # then
    assert "No week has been reported yet." in empty.content.decode()
    assert latest.status_code == 302
    assert latest["Location"] == PAGE


def test_an_unbuilt_or_malformed_week_is_not_found(client, staff, db):
    # given
    client.force_login(staff["admin"])

    # then
    assert client.get(reverse("reports:week", args=["2025-W40"])).status_code == 404
    assert client.get("/reports/2025-W99/").status_code == 404


def test_the_csv_has_every_figure_of_the_stored_weeks(client, built, staff):
    # given
    client.force_login(staff["admin"])

    # when
    response = client.get(reverse("reports:week_csv", args=["2025-W43"]))

    # then
    rows = _rows(response.content.decode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="churnops-report-2025-W43.csv"'
    assert rows[0] == ["week", "section", "group", "metric", "value", "definition"]  # definition: issue 16
    assert {r[0] for r in rows[1:]} == {"2025-W41", "2025-W42", "2025-W43"}
    this_week = {(r[1], r[2], r[3]): r[4] for r in rows if r[0] == "2025-W43"}
    assert this_week[("work_orders", "", "opened")] == "7"
    assert this_week[("sla", "by_tier/2", "first_contact_rate")] == "0"
    assert this_week[("first_contact_hours", "", "p90")] == "146"
    assert this_week[("outcomes", "by_assignee/lead1", "retained")] == "2"
    assert this_week[("cohorts", "uplift", "verdict")] == "too_small"
    assert this_week[("lead_time", "", "share_ahead")] == "0.4"
    assert this_week[("value", "", "ltv_retained")] == "19000"


def test_rebuild_is_an_admin_action(client, built, staff):
    # given
    client.force_login(staff["lead"])
    url = reverse("reports:rebuild", args=["2025-W43"])

    # when
    refused = client.post(url)
    client.force_login(staff["admin"])
    done = client.post(url)

    # then
    assert refused.status_code == 403
    assert done.status_code == 302
    assert WeeklyReport.objects.get(week="2025-W43").build_count == 2


def test_the_email_goes_to_admins_and_leads_with_the_csv_once(built, staff):
    # when
    sent = report_email_send(report_id=built.pk)
    again = report_email_send(report_id=built.pk)

    # then
    assert (sent, again) == (True, False)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "ChurnOps weekly outcome report 2025-W43 (20 Oct – 26 Oct 2025)"
    assert message.to == ["admin1@example.com", "lead1@example.com"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Open the report with its charts" in html
    assert "http://127.0.0.1:8000/reports/2025-W43/" in html
    name, content, attachment_type = message.attachments[0]
    assert (name, attachment_type) == ("churnops-report-2025-W43.csv", "text/csv")
    assert ["2025-W43", "work_orders", "", "opened", "7", ""] in _rows(content)
    assert "Work orders opened: 7" in message.body


def test_the_weekly_task_builds_last_week_and_mails_it_after_commit(week43, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        report_id = weekly_report_task("2025-W43")
    with django_capture_on_commit_callbacks(execute=True):
        weekly_report_task("2025-W43")

    # then
    assert WeeklyReport.objects.get(pk=report_id).week == "2025-W43"
    assert len(mail.outbox) == 1


def test_the_monthly_task_retrains_as_of_the_given_day(db, monkeypatch):
    # given
    seen = []
    monkeypatch.setattr(
        "scoring.lifecycle.monthly_retrain", lambda *, as_of: seen.append(as_of) or type("Run", (), {"pk": 7})()
    )

    # when
    run_id = monthly_retrain_task("2025-11-01")

    # then
    assert (run_id, [d.isoformat() for d in seen]) == (7, ["2025-11-01"])


def test_the_command_builds_and_mails_a_week(week43, capsys):
    # when
    call_command("weekly_report", week="2025-W43")
    call_command("weekly_report", week="2025-W43", email=False)

    # then
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2025-W43 (2025-10-20 to 2025-10-26) built: 5 alerts, 7 work orders opened, 5 resolved, save rate 50%, "
        "first contact within SLA 60%; e-mailed",
        "2025-W43 (2025-10-20 to 2025-10-26) already stored (use --rebuild to recompute): 5 alerts, 7 work orders "
        "opened, 5 resolved, save rate 50%, first contact within SLA 60%",
    ]
    assert len(mail.outbox) == 1


def test_the_command_refuses_a_malformed_week(db):
    with pytest.raises(CommandError, match="'2025-43' is not an ISO week like 2026-W47"):
        call_command("weekly_report", week="2025-43")


def test_the_page_reads_as_many_queries_for_twelve_weeks_as_for_one(client, week43, staff):
    # given
    client.force_login(staff["lead"])
    weekly_report_build(week=W43)
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    for k in range(1, 12):
        weekly_report_build(week=W43.shift(-k))

    # when
    with CaptureQueriesContext(connection) as twelve:
        response = client.get(PAGE)

    # then
    assert sum(w["is_built"] for w in response.context["trend_weeks"]) == 12
    assert len(twelve) == len(one)
