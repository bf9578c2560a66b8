"""Issue 16 on the page: the return only where the uplift supports it, the flow with definitions, fairness."""

from django.urls import reverse

from reports.models import WeeklyReport
from reports.services import weekly_report_build

from .conftest import W43


def page(client, user, week="2025-W43") -> str:
    client.force_login(user)
    return client.get(reverse("reports:week", args=[week])).content.decode()


def test_the_page_shows_the_sentence_not_a_return_when_the_uplift_is_too_small(client, week43, staff):
    # given
    weekly_report_build(week=W43)

    # when
    html = page(client, staff["lead"])

    # then
    assert 'id="no-return"' in html
    assert "No return figure." in html
    assert "Too small to tell yet: each group needs at least 30 customers (worked 4, control 3)." in html
    assert 'id="return-ratio"' not in html
    assert "LTV per unit of cost" not in html
    assert 'id="health-alarm"' not in html
    # the flow, each number with its definition on hover; the fairness tables with the small-group rule
    assert 'title="Work orders opened during the week for alerts raised during the week."' in html
    assert 'id="fairness"' in html
    assert "too few to tell" in html


def test_the_page_shows_the_return_where_the_interval_supports_it(client, week43, staff):
    # given: the stored week as if the uplift had been measured above zero (8 of 40 treated vs 20 of 40 control)
    report, _ = weekly_report_build(week=W43)
    data = report.data
    data["cohorts"]["uplift"].update(
        difference=0.3,
        low=0.1,
        high=0.48,
        verdict="fewer_churned",
        is_supported=True,
        text="Working the cases cut churn by 30.0 points.",
    )
    data["cohorts"]["return"].update(is_shown=True, ratio=12.5, ratio_low=4.2, text="The work kept about 12.")
    WeeklyReport.objects.filter(pk=report.pk).update(data=data)

    # when
    html = page(client, staff["lead"])

    # then
    assert 'id="return-ratio">12.5×' in html
    assert "at least 4.2×" in html
    assert 'id="no-return"' not in html
