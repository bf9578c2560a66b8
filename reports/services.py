"""Writes for reports: building and storing a week's report, e-mailing it, notifying drift, retraining."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from interventions.choices import Reason, Role
from scoring.ml.policy import active_days
from scoring.models import ModelVersion, RetrainRun, ScoreRun
from scoring.selectors import model_active, policy_current, policy_in_force
from webhooks.services import webhook_emit

from . import health
from .exports import report_csv
from .fairness import fairness_figures
from .flow import flow_figures
from .metrics import (
    alert_figures,
    first_contact_figures,
    lead_time_figures,
    outcome_figures,
    sla_figures,
    value_figures,
    work_order_figures,
)
from .models import WeeklyReport
from .presenters import week_context
from .selectors import (
    alert_facts,
    churner_facts,
    flag_facts,
    not_flagged_counts,
    report_get,
    report_recipients,
    report_trend,
    retrain_latest,
    retrain_runs,
    work_order_facts,
)
from .selectors_groups import alert_spans, fairness_facts, work_order_spans
from .uplift import cohort_counts, cohort_figures, flagged_group, return_figures, tier_uplift
from .weeks import IsoWeek, local_midnight
from .wording import localized

log = logging.getLogger(__name__)

SCHEMA = 2  # 2: flow, fairness, drift levels with memory, the gated return, per-tier uplift
LEAD_TIME_BAR_DAYS = 30  # the seeds' bar: a churner warned at least 30 days ahead can still be worked


def _policy() -> tuple[dict, int | None]:
    current = policy_current()
    return policy_in_force(), (current.number if current else None)


def _model_for(week: IsoWeek) -> ModelVersion | None:
    """The model that scored the week (its latest finished run), else the one in force."""
    run = (
        ScoreRun.objects.filter(status=ScoreRun.Status.DONE, as_of__gte=week.monday, as_of__lte=week.sunday)
        .select_related("model_version")
        .order_by("-as_of")
        .first()
    )
    return run.model_version if run and run.model_version else model_active()


def _retrain_row(run: RetrainRun) -> dict:
    return {
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "status_text": run.get_status_display(),
        "candidate": run.candidate_id,
        "algorithm": run.candidate.algorithm if run.candidate else None,
        "roc_auc": run.metrics.get("roc_auc"),
        "pr_auc": run.metrics.get("pr_auc"),
        "reason": run.reason,
    }


def _model_row(version: ModelVersion | None) -> dict | None:
    if version is None:
        return None
    return {
        "id": version.pk,
        "algorithm": version.algorithm,
        "train_to": str(version.train_to or ""),
        "validation_roc_auc": version.metrics.get("roc_auc"),
        "validation_pr_auc": version.metrics.get("pr_auc"),
    }


def health_figures(*, week: IsoWeek, policy: dict, matured=None) -> dict:
    """Drift (with memory: last week's stored report carries each feature's run of alarm weeks) and realised
    performance; the retrain banner only for the model in force."""
    version = _model_for(week)
    previous = report_get(week.shift(-1))
    drift = health.drift_check(
        version=version,
        as_of=week.sunday,
        policy=policy,
        previous=previous.data.get("health", {}).get("drift") if previous else None,
    )
    in_force = model_active()
    in_force_id = in_force.pk if in_force else None
    performance = health.realised_performance(
        last_day=week.sunday, policy=policy, matured=matured, in_force_id=in_force_id
    )
    latest = retrain_latest(before=week.end)
    drift_alarm = bool(drift["flagged"]) and drift.get("model_version") == in_force_id
    return {
        "model": _model_row(version),
        "model_in_force": in_force_id,
        "drift": drift,
        "performance": performance,
        "retraining": [_retrain_row(r) for r in retrain_runs(start=week.start, end=week.end)],
        "latest_retraining": _retrain_row(latest) if latest else None,
        "suggest_retrain": drift_alarm or performance["is_degraded"],
    }


def _churn_rule(policy: dict) -> dict:
    mode = policy["churn_definition"]["mode"]
    return {"inactive_days": active_days(policy), "use_churned_at": mode != "inactive"}


def uplift_figures(*, week: IsoWeek, policy: dict, work_tiers: list[int]) -> dict:
    """Treated vs control churn over the trailing horizon, the uplift, per tier, and the return only when the
    uplift's interval supports it."""
    end, horizon = week.end, policy["horizon_days"]
    window_start = local_midnight(week.monday + timedelta(days=7 - horizon))
    rule = _churn_rule(policy)
    flags = flag_facts(start=window_start, end=end, work_tiers=work_tiers, **rule)
    counts = cohort_counts(flags, end, not_flagged_counts(start=window_start, end=end, **rule))
    cohorts = cohort_figures(counts)
    costs = {t["tier"]: t["expected_cost"] for t in policy["tiers"]}
    treated = [f for f in flags if flagged_group(f) == "worked"]
    return {
        **cohorts,
        "window_from": window_start.date().isoformat(),
        "window_days": horizon,
        "churn_definition": {**policy["churn_definition"]},
        "return": return_figures(cohorts["uplift"], treated, costs=costs),
        "by_tier": tier_uplift(flags, end, tiers=work_tiers),
    }


def report_figures(*, week: IsoWeek, policy: dict) -> dict:
    """Every figure of the week, computed from event timestamps inside the week (or trailing windows)."""
    start, end = week.start, week.end
    tiers = [t["tier"] for t in policy["tiers"]]
    work_tiers = [t["tier"] for t in policy["tiers"] if t["creates_work_order"]]
    high_tier, threshold = health.high_risk_threshold(policy)
    rows = work_order_facts(start=start, end=end)
    matured = health.matured_scores(last_day=week.sunday, policy=policy)
    fairness_groups = fairness_facts(
        start=start,
        end=end,
        active_days=active_days(policy) or policy["horizon_days"],
        customer_ids=matured[1],
        probabilities=matured[2],
        labels=matured[3],
    )
    return {
        "alerts": alert_figures(
            alert_facts(start=start, end=end), tiers=tiers, high_risk_tier=high_tier, model_threshold=threshold
        ),
        "flow": flow_figures(
            alert_spans(start=start, end=end),
            work_order_spans(start=start, end=end),
            start,
            end,
            tiers=tiers,
            work_tiers=work_tiers,
        ),
        "work_orders": work_order_figures(rows, start, end, tiers=work_tiers),
        "sla": sla_figures(rows, start, end, tiers=work_tiers),
        "first_contact_hours": first_contact_figures(rows, start, end, tiers=work_tiers),
        "outcomes": outcome_figures(rows, start, end, tiers=work_tiers, reasons=list(Reason.values)),
        "cohorts": uplift_figures(week=week, policy=policy, work_tiers=work_tiers),
        "fairness": fairness_figures(fairness_groups),
        "lead_time": lead_time_figures(churner_facts(start=start, end=end), bar_days=LEAD_TIME_BAR_DAYS),
        "value": value_figures(
            rows, start, end, costs={t["tier"]: t["expected_cost"] for t in policy["tiers"]}, tiers=work_tiers
        ),
        "health": health_figures(week=week, policy=policy, matured=matured),
    }


def _report_data(week: IsoWeek) -> tuple[dict, int | None]:
    policy, number = _policy()
    data = {
        "schema": SCHEMA,
        "week": str(week),
        "week_start": week.monday.isoformat(),
        "week_end": week.sunday.isoformat(),
        "time_zone": settings.TIME_ZONE,
        "policy_version": number,
        "tiers": [
            {
                "tier": t["tier"],
                "name": t["name"],
                "creates_work_order": t["creates_work_order"],
                "expected_cost": t["expected_cost"],
            }
            for t in policy["tiers"]
        ],
        **report_figures(week=week, policy=policy),
    }
    model = data["health"]["model"]
    return data, model["id"] if model else None


def weekly_report_build(*, week: IsoWeek, rebuild: bool = False, notify: bool = True) -> tuple[WeeklyReport, bool]:
    """Build and store a week's report; an existing one is returned unchanged unless `rebuild`.

    With `notify`, drift or under-performance found in it is e-mailed to the admins once, after commit.

    The figures are computed outside the transaction (they read a lot); the write is short and keyed
    by the week, so two workers building the same week store one report.
    """
    existing = WeeklyReport.objects.filter(week=str(week)).first()
    if existing and not rebuild:
        return existing, False
    with translation.override("en"):  # frozen in English; pages and e-mails word it in the reader's language
        data, model_id = _report_data(week)
    now = timezone.now()
    with transaction.atomic():
        report, created = WeeklyReport.objects.select_for_update().get_or_create(
            week=str(week),
            defaults={"week_start": week.monday, "data": data, "model_version_id": model_id, "built_at": now},
        )
        if not created:
            if not rebuild:
                return report, False
            WeeklyReport.objects.filter(pk=report.pk).update(
                data=data, model_version_id=model_id, built_at=now, build_count=F("build_count") + 1
            )
            report.refresh_from_db()
        webhook_emit(
            event_type="weekly_report.built",
            key=f"weekly_report.built:{report.week}:{report.build_count}",
            payload={"week": report.week, "url": report_url(report), "summary": f"Weekly report {report.week}"},
        )
        if notify and data["health"]["suggest_retrain"]:
            transaction.on_commit(lambda: health_notify(report_id=report.pk))
    return report, True


def report_url(report: WeeklyReport) -> str:
    base = getattr(settings, "CHURNOPS_BASE_URL", "") or settings.REPORT_SITE_URL
    return base.rstrip("/") + reverse("reports:week", args=[report.week])


def _email_context(report: WeeklyReport) -> dict:
    return {**week_context(report), "url": report_url(report)}


def report_email_send(*, report_id: int, force: bool = False) -> bool:
    """E-mail the report (HTML + CSV) to admins and team leads, once; returns whether it was sent now."""
    now = timezone.now()
    claim = WeeklyReport.objects.filter(pk=report_id)
    if not force:
        claim = claim.filter(emailed_at__isnull=True)
    if not claim.update(emailed_at=now):
        return False
    report = WeeklyReport.objects.get(pk=report_id)
    try:
        for language, recipients in report_recipients().items():
            with translation.override(language):
                context = _email_context(report)
                message = EmailMultiAlternatives(
                    subject=gettext("ChurnOps weekly outcome report %(week)s (%(period)s)")
                    % {"week": report.week, "period": context["period"]},
                    body=render_to_string("reports/weekly_report_email.txt", context),
                    to=recipients,
                )
                html = render_to_string("reports/weekly_report_email.html", context)
                message.attach_alternative(html, "text/html")
                csv = report_csv(report_trend_reports(report))
                message.attach(f"churnops-report-{report.week}.csv", csv, "text/csv")
                message.send()
    except Exception:
        WeeklyReport.objects.filter(pk=report_id, emailed_at=now).update(emailed_at=None)  # let a retry send it
        raise
    return True


def report_trend_reports(report: WeeklyReport) -> list[WeeklyReport]:
    return [r for _, r in report_trend(IsoWeek.parse(report.week), settings.REPORT_TREND_WEEKS) if r]


def health_notify(*, report_id: int) -> bool:
    """Tell the admins (once per report) that features drifted or the model under-performs."""
    if not WeeklyReport.objects.filter(pk=report_id, health_notified_at__isnull=True).update(
        health_notified_at=timezone.now()
    ):
        return False
    report = WeeklyReport.objects.get(pk=report_id)
    for language, recipients in report_recipients(roles=(Role.ADMIN,)).items():
        with translation.override(language):
            _health_email(report, recipients)
    return True


def _health_email(report: WeeklyReport, recipients: list[str]) -> None:
    health_data = localized(report.data)["health"]
    lines = [gettext("Model health in %(week)s needs attention.") % {"week": report.week}, ""]
    if health_data["drift"]["flagged"]:
        lines.append(health_data["drift"]["text"])
        lines += [f"  {f['name']}: PSI {f['psi']:.2f}" for f in health_data["drift"]["features"] if f["is_flagged"]]
    if health_data["performance"]["is_degraded"]:
        lines.append(health_data["performance"]["text"])
    lines += [
        "",
        gettext("Consider retraining the model (manage.py train_model --promote if_better)."),
        "",
        gettext("Report: %(url)s") % {"url": report_url(report)},
    ]
    EmailMultiAlternatives(
        subject=gettext("ChurnOps model health warning %(week)s") % {"week": report.week},
        body="\n".join(lines),
        to=recipients,
    ).send()
