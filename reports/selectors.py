"""Reads for the weekly report: rows of other apps' data inside a time window, and stored reports.

Every fact is taken from an event timestamp (alert raised, work order opened, first contact action,
resolution, churn), never from a last-modified time, so later edits do not move a figure.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, F, FloatField, Max, Min, OuterRef, Q, Subquery, Sum

from alerts.models import Alert
from customers.models import Customer, Event
from interventions.choices import CONTACT_ACTIONS, Role
from interventions.models import Action, WorkOrder
from scoring.models import RetrainRun
from scoring.selectors import scores_at

from .metrics import AlertFacts, FlagFacts, WorkOrderFacts
from .models import WeeklyReport
from .weeks import IsoWeek

UNASSIGNED = "(unassigned)"


def work_order_facts(*, start: datetime, end: datetime) -> list[WorkOrderFacts]:
    """Work orders that were open at some point of [start, end) or had a deadline in it."""
    first_contact = (
        Action.objects.filter(work_order=OuterRef("pk"), kind__in=CONTACT_ACTIONS).order_by("at", "id").values("at")[:1]
    )
    offers = (
        Action.objects.filter(work_order=OuterRef("pk"), offer_cost__isnull=False)
        .order_by()
        .values("work_order")
        .annotate(total=Sum("offer_cost"))
        .values("total")
    )
    rows = (
        WorkOrder.objects.filter(opened_at__lt=end)
        .filter(
            Q(resolved_at__isnull=True)
            | Q(resolved_at__gte=start)
            | Q(first_contact_due_at__gte=start)
            | Q(resolution_due_at__gte=start)
        )
        .annotate(first_contact=Subquery(first_contact), offer_cost=Subquery(offers, output_field=FloatField()))
        .values_list(
            "id",
            "tier",
            "assignee__username",
            "opened_at",
            "first_contact_due_at",
            "resolution_due_at",
            "first_contact",
            "resolved_at",
            "outcome",
            "reason",
            "customer__lifetime_value",
            "paused_at",
            "offer_cost",
        )
        .order_by("id")
    )
    return [
        WorkOrderFacts(
            id=r[0],
            tier=r[1],
            assignee=r[2] or UNASSIGNED,
            opened_at=r[3],
            first_contact_due_at=r[4],
            resolution_due_at=r[5],
            first_contact_at=r[6],
            resolved_at=r[7],
            outcome=r[8],
            reason=r[9],
            lifetime_value=r[10] or 0.0,
            paused_at=r[11],
            offer_cost=r[12] or 0.0,
        )
        for r in rows
    ]


def alert_facts(*, start: datetime, end: datetime) -> list[AlertFacts]:
    """Alerts first raised in the window, with the tier, probability and rule verdict of their first score (from
    the nightly history; the alert's own values where that night is past the history's retention)."""
    rows = list(
        Alert.objects.filter(first_raised_at__gte=start, first_raised_at__lt=end)
        .values_list("customer_id", "first_run_as_of", "max_tier", "probability", "is_rule_high_risk", "is_control")
        .order_by("id")
    )
    first = scores_at((r[0], r[1]) for r in rows)
    facts = []
    for customer_id, as_of, max_tier, probability, rule_high, is_control in rows:
        score = first.get((customer_id, as_of))
        facts.append(
            AlertFacts(
                customer_id=customer_id,
                tier=(score.tier if score else None) or max_tier,
                probability=score.probability if score else probability,
                is_rule_high_risk=score.is_rule_high_risk if score else bool(rule_high),
                is_control=is_control,
            )
        )
    return facts


def churner_facts(*, start: datetime, end: datetime) -> list[tuple[datetime, datetime | None]]:
    """(churned_at, first alert raised before the churn or None) of each customer who churned in the window."""
    rows = (
        Customer.objects.filter(churned_at__gte=start, churned_at__lt=end)
        .annotate(first_alert=Min("alerts__first_raised_at", filter=Q(alerts__first_raised_at__lt=F("churned_at"))))
        .values_list("churned_at", "first_alert")
        .order_by("id")
    )
    return list(rows)


def _last_seen(end: datetime):
    """The customer's last activity before `end` (a subquery on the customer of the outer row)."""
    return (
        Event.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__lt=end)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def lapse_moment(last_seen: datetime | None, end: datetime, inactive_days: int | None) -> datetime | None:
    """When a customer last seen at `last_seen` became churned by inactivity, if that happened before `end`."""
    if last_seen is None or inactive_days is None:
        return None
    lapsed = last_seen + timedelta(days=inactive_days)
    return lapsed if lapsed <= end else None


def flag_facts(
    *,
    start: datetime,
    end: datetime,
    work_tiers: list[int],
    inactive_days: int | None = None,
    use_churned_at: bool = True,
) -> list[FlagFacts]:
    """Customers whose first alert of the window was raised in [start, end), with what followed before `end`.

    Churn by the policy's definition: the recorded churn date (`use_churned_at`) and/or `inactive_days`
    without activity.
    """
    alerts = (
        Alert.objects.filter(first_raised_at__gte=start, first_raised_at__lt=end)
        .annotate(last_seen=Subquery(_last_seen(end)))
        .values_list(
            "customer_id",
            "first_raised_at",
            "is_control",
            "max_tier",
            "customer__churned_at",
            "last_seen",
            "customer__lifetime_value",
        )
        .order_by("customer_id", "first_raised_at", "id")
    )
    first: dict[int, tuple] = {}
    for row in alerts:
        first.setdefault(row[0], row)
    opened: dict[int, list[datetime]] = {}
    for customer_id, at in (
        WorkOrder.objects.filter(customer_id__in=list(first), opened_at__gte=start, opened_at__lt=end)
        .values_list("customer_id", "opened_at")
        .order_by("opened_at")
    ):
        opened.setdefault(customer_id, []).append(at)
    facts = []
    for customer_id, (_, flagged_at, is_control, max_tier, churned_at, last_seen, ltv) in first.items():
        worked_at = next((at for at in opened.get(customer_id, []) if at >= flagged_at), None)
        facts.append(
            FlagFacts(
                customer_id=customer_id,
                flagged_at=flagged_at,
                is_control=is_control,
                reached_work_tier=max_tier in work_tiers,
                worked_at=worked_at,
                churned_at=churned_at if use_churned_at else None,
                lapsed_at=lapse_moment(last_seen, end, inactive_days),
                tier=max_tier,
                lifetime_value=ltv or 0.0,
            )
        )
    return facts


def not_flagged_counts(
    *, start: datetime, end: datetime, inactive_days: int | None = None, use_churned_at: bool = True
) -> tuple[int, int]:
    """(customers, churned in the window) of those never alerted before `end`, active before it, not churned
    before `start` (by the policy's definition: recorded churn and/or `inactive_days` without activity)."""
    alerted = Alert.objects.filter(customer_id=OuterRef("pk"), first_raised_at__lt=end)
    rows = (
        Customer.objects.exclude(Exists(alerted))
        .annotate(last_seen=Max("events__occurred_at", filter=Q(events__occurred_at__lt=end)))
        .filter(last_seen__isnull=False)
        .values_list("churned_at", "last_seen")
    )
    n = churned = 0
    for churned_at, last_seen in rows:
        left = [
            t
            for t in (churned_at if use_churned_at else None, lapse_moment(last_seen, end, inactive_days))
            if t is not None
        ]
        left_at = min(left) if left else None
        if left_at is not None and left_at < start:
            continue
        n += 1
        churned += left_at is not None and left_at < end
    return n, churned


def retrain_runs(*, start: datetime, end: datetime):
    return RetrainRun.objects.filter(started_at__gte=start, started_at__lt=end).select_related("candidate")


def retrain_latest(*, before: datetime) -> RetrainRun | None:
    return RetrainRun.objects.filter(started_at__lt=before).select_related("candidate").order_by("-started_at").first()


def report_list():
    return WeeklyReport.objects.order_by("-week_start")


def report_get(week: IsoWeek) -> WeeklyReport | None:
    return WeeklyReport.objects.filter(week=str(week)).first()


def report_trend(week: IsoWeek, count: int) -> list[tuple[IsoWeek, WeeklyReport | None]]:
    """The stored reports of `week` and the weeks before it, oldest first (None where a week was not built)."""
    weeks = week.previous(count)
    stored = {r.week: r for r in WeeklyReport.objects.filter(week__in=[str(w) for w in weeks])}
    return [(w, stored.get(str(w))) for w in weeks]


def report_recipients(*, roles=(Role.ADMIN, Role.TEAM_LEAD)) -> dict[str, list[str]]:
    """E-mail addresses of active users in the given roles (Django groups), each once, by the language their
    profile asks for (the installation's LANGUAGE_CODE when it asks none): each group gets the e-mail in its words."""
    rows = (
        User.objects.filter(groups__name__in=list(roles), is_active=True)
        .exclude(email="")
        .values_list("email", "agent__language")
        .distinct()
        .order_by("email")
    )
    by_language: dict[str, list[str]] = {}
    for email, language in rows:
        emails = by_language.setdefault(language or settings.LANGUAGE_CODE, [])
        if email not in emails:
            emails.append(email)
    return by_language
