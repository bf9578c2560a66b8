"""The demo's past: weeks of operation replayed on the seeded data, so the report has a history to show.

On a clock moved back with time-machine, in time order: the nightly pipeline scores past dates (features only
see events before each cut-off), account managers contact and resolve the work orders it opens (after
realistic delays, some late; outcomes follow what the customer really did, from Customer.churned_at), the
model is retrained on the 1st of each month, and each week's report is built on the Monday after it.
"""

import heapq
import itertools
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import time_machine
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from threadpoolctl import threadpool_limits

from alerts.models import Alert
from customers.models import Customer
from demo.outcomes import customer_key, customer_saved, plan_case, planned_churn, saves_undo
from demo.population import DEMO_SOURCE
from interventions.choices import Outcome
from interventions.models import AgentProfile, SlaSweep, WorkOrder
from interventions.services import WorkOrderError, sla_sweep, work_order_log_action, work_order_resolve
from nightly import pipeline
from reports.models import WeeklyReport
from reports.services import weekly_report_build
from reports.weeks import IsoWeek
from scoring.lifecycle import monthly_retrain
from scoring.models import (
    DriftBaseline,
    LatestScore,
    ModelVersion,
    PolicyVersion,
    RetrainRun,
    Rule,
    RuleSetVersion,
    ScoreDay,
    ScoreRun,
)
from scoring.selectors import policy_in_force
from scoring.services import defaults_install, policy_save
from scoring.training import TrainingError, model_store, train

log = logging.getLogger(__name__)

RUN_HOUR = 2  # the nightly beat entry runs at 02:00
REPORT_HOUR = 6  # the weekly report on Monday at 06:00
RETRAIN_TIME = time(3, 30)
LEAD_IN_STEP_DAYS = 21  # runs before the first reported week only feed the realised-performance figures
# The demo's models train on 3 cut-offs instead of 6: each cut-off is a full feature computation, and the
# replay must stay under a minute for 2,000 customers.
DEMO_MODEL_CUTOFFS = 3
CONTACT_KIND = {1: "call", 2: "call", 3: "email"}
SWEEP_EVERY = timedelta(hours=3)  # the SLA sweep runs every few minutes in production; every 3 h keeps the replay fast
# A pilot's control group: a third of the flagged customers get no work order, so the uplift can be measured
# within weeks on a 2,000-customer demo (the product's default is 10%).
DEMO_CONTROL_SHARE = 0.35


class DemoHistoryError(Exception):
    """The database holds more than demo data: replaying history would wipe real work."""


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    work_order_id: int = field(compare=False)
    outcome: str = field(default="", compare=False)
    reason: str = field(default="", compare=False)
    saves: bool = field(default=False, compare=False)


@dataclass
class HistorySummary:
    runs: int = 0
    work_orders: int = 0
    contacts: int = 0
    resolutions: int = 0
    saved: int = 0
    sweeps: int = 0
    retrains: list = field(default_factory=list)
    reports: list = field(default_factory=list)


def history_reset() -> None:
    """Forget the operational history and configuration (runs, alerts, work orders, reports, models, rules and
    policy back to the defaults); customers and events stay. The replay then starts from the same state every
    time, whatever an earlier demo edited."""
    # Counted, not excluded: a customer without the JSON key is NULL there, and exclude() would let it through.
    if Customer.objects.count() != Customer.objects.filter(attributes__source=DEMO_SOURCE).count():
        raise DemoHistoryError("customers other than the seeded demo ones exist; demo_history only runs on demo data")
    with transaction.atomic():
        AgentProfile.objects.update(last_assigned_at=None)  # the assigners' round-robin starts afresh
        WeeklyReport.objects.all().delete()
        RetrainRun.objects.all().delete()
        DriftBaseline.objects.all().delete()
        WorkOrder.objects.all().delete()
        Alert.objects.all().delete()
        LatestScore.objects.all().delete()
        ScoreDay.objects.all().delete()  # the packed nightly history has no key to the runs: it goes explicitly
        ScoreRun.objects.all().delete()
        SlaSweep.objects.all().delete()
        saves_undo()
        ModelVersion.objects.all().delete()
        PolicyVersion.objects.all().delete()
        RuleSetVersion.objects.all().delete()
        Rule.objects.all().delete()
        defaults_install()


def _at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


class _Replay:
    """The clock of the replay: everything happens in time order, each write under its own moment."""

    def __init__(self, *, seed: int, now: datetime):
        self.seed, self.now = seed, now
        self.steps: list[_Step] = []
        self.counter = itertools.count()
        self.policy = policy_in_force()
        self.tiers = {t["tier"]: t for t in self.policy["tiers"]}
        self.summary = HistorySummary()
        self.next_sweep: datetime | None = None

    def advance_to(self, moment: datetime) -> None:
        """Play every account-manager step and SLA sweep due before `moment`, in time order."""
        while True:
            step_at = self.steps[0].at if self.steps else None
            if (
                self.next_sweep is not None
                and self.next_sweep < moment
                and (step_at is None or self.next_sweep <= step_at)
            ):
                with time_machine.travel(self.next_sweep, tick=False):
                    sla_sweep(now=self.next_sweep)  # breaches are found when they happen, not when the demo starts
                self.summary.sweeps += 1
                self.next_sweep += SWEEP_EVERY
            elif step_at is not None and step_at < moment:
                step = heapq.heappop(self.steps)
                with time_machine.travel(step.at, tick=False):
                    self._play(step)
            else:
                return

    def _play(self, step: _Step) -> None:
        wo = WorkOrder.objects.select_related("assignee").filter(pk=step.work_order_id).first()
        if wo is None or wo.assignee is None or not wo.is_open:
            return
        try:
            if step.kind == "contact":
                work_order_log_action(
                    work_order=wo, kind=CONTACT_KIND.get(wo.tier, "call"), by=wo.assignee, note="Reached the customer."
                )
                self.summary.contacts += 1
            else:
                if step.saves:
                    customer_saved(customer_id=wo.customer_id, at=step.at, until=self.now, seed=self.seed)
                    self.summary.saved += 1
                work_order_resolve(
                    work_order=wo, outcome=step.outcome, reason=step.reason, by=wo.assignee, note="Demo history."
                )
                self.summary.resolutions += 1
        except WorkOrderError as exc:
            log.debug("demo step skipped: %s", exc)

    def run(self, as_of: date) -> None:
        moment = min(_at(as_of, time(RUN_HOUR)), self.now)
        self.advance_to(moment)
        with time_machine.travel(moment, tick=False):
            started = timezone.now()
            run = pipeline.run_start(as_of=as_of)
            for chunk_id in run.chunks.filter(done_at__isnull=True).values_list("id", flat=True):
                pipeline.score_chunk(chunk_id=chunk_id)
            pipeline.run_finish(run_id=run.pk)
        if self.next_sweep is None:
            self.next_sweep = moment + SWEEP_EVERY
        self.summary.runs += 1
        fresh = list(WorkOrder.objects.filter(opened_at__gte=started).select_related("assignee", "customer"))
        self.summary.work_orders += len(fresh)
        for wo in fresh:
            self._plan(wo)

    def _push(
        self, at: datetime, kind: str, wo: WorkOrder, outcome: str = "", reason: str = "", saves: bool = False
    ) -> None:
        if at < self.now:
            heapq.heappush(self.steps, _Step(at, next(self.counter), kind, wo.pk, outcome, reason, saves))

    def _plan(self, wo: WorkOrder) -> None:
        """When the assignee reaches the customer and how the case ends, from what the customer was going to do."""
        if wo.assignee is None:
            return
        # Keyed by customer and opening time, not by work order id: ids are never reused, so a replay draws the same
        # again (and by the customer's external id, so a re-seeded demo does too).
        rng = np.random.default_rng([self.seed, customer_key(wo.customer), int(wo.opened_at.timestamp())])
        plan = plan_case(
            rng=rng,
            seed=self.seed,
            opened_at=wo.opened_at,
            username=wo.assignee.username,
            tier=self.tiers[wo.tier],
            churn_at=planned_churn(wo.customer),
        )
        if plan.contact_at is not None:
            self._push(plan.contact_at, "contact", wo)
        self._push(
            max(plan.resolve_at, plan.contact_at or plan.resolve_at) + timedelta(minutes=5),
            "resolve",
            wo,
            Outcome(plan.outcome).value,
            plan.reason,
            plan.saves,
        )

    def retrain(self, day: date) -> None:
        moment = _at(day, RETRAIN_TIME)
        self.advance_to(moment)
        with time_machine.travel(moment, tick=False):
            run = monthly_retrain(as_of=day, n_cutoffs=DEMO_MODEL_CUTOFFS)
        self.summary.retrains.append(run)

    def report(self, week: IsoWeek) -> None:
        moment = min(_at(week.sunday + timedelta(days=1), time(REPORT_HOUR)), self.now)
        self.advance_to(moment)
        with time_machine.travel(moment, tick=False):
            report, _ = weekly_report_build(week=week, rebuild=True, notify=False)
        self.summary.reports.append(report)


def initial_model(*, as_of: date) -> None:
    """The model in force when the replay starts, trained only on history before it."""
    with time_machine.travel(_at(as_of, time(1)), tick=False):
        policy = policy_in_force()
        result = train(as_of=as_of, policy=policy, n_cutoffs=DEMO_MODEL_CUTOFFS)
        cutoffs = sorted(result.metrics["train_cutoffs"])
        model_store(
            result=result,
            horizon_days=policy["horizon_days"],
            train_from=date.fromisoformat(cutoffs[0]),
            train_to=as_of,
            promote="always",
        )


def _schedule(*, weeks: int, today: date, horizon: int) -> list[tuple[date, int, object]]:
    """(day, order within the day, what) for runs, retrains and reports."""
    this_monday = today - timedelta(days=today.weekday())
    report_weeks = [IsoWeek.of(this_monday - timedelta(weeks=k)) for k in range(weeks, 0, -1)]
    first_monday = report_weeks[0].monday
    lead_in_from = report_weeks[0].sunday - timedelta(days=horizon + LEAD_IN_STEP_DAYS)
    run_days = [today - timedelta(days=7 * k) for k in range(0, (today - first_monday).days // 7 + 2)]
    lead = run_days[-1] - timedelta(days=LEAD_IN_STEP_DAYS)
    while lead >= lead_in_from:
        run_days.append(lead)
        lead -= timedelta(days=LEAD_IN_STEP_DAYS)
    items = [(d, 0, ("run", d)) for d in run_days]
    items += [(w.sunday + timedelta(days=1), 2, ("report", w)) for w in report_weeks]
    month = date(first_monday.year, first_monday.month, 1)
    while month <= today:
        if month >= first_monday:
            items.append((month, 1, ("retrain", month)))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return sorted(items, key=lambda item: (item[0], item[1]))


def history_replay(*, weeks: int, today: date | None = None, seed: int = 7) -> HistorySummary:
    """Reset the operational history and replay `weeks` reported weeks (plus a lead-in) up to today."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    history_reset()
    defaults_install()
    policy = policy_in_force()
    if policy["control_share"] != DEMO_CONTROL_SHARE:
        policy_save(
            data={**policy, "control_share": DEMO_CONTROL_SHARE},
            comment="demo: a pilot's control group, big enough to measure the uplift within weeks",
        )
    horizon = policy_in_force()["horizon_days"]
    schedule = _schedule(weeks=weeks, today=today, horizon=horizon)
    sweep_log = logging.getLogger("interventions.services.sla")
    sweep_level = sweep_log.level
    sweep_log.setLevel(logging.WARNING)  # hundreds of replayed sweeps: their counts are in the summary instead
    try:
        return _replay(schedule, seed=seed, now=now)
    finally:
        sweep_log.setLevel(sweep_level)


def _replay(schedule, *, seed: int, now: datetime) -> HistorySummary:
    # The past weeks' SLA notifications are kept in the app (and in memory), not e-mailed.
    with threadpool_limits(1), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        try:
            initial_model(as_of=schedule[0][0])
        except TrainingError as exc:
            log.warning("no initial model (%s): the rules alone score the first runs", exc)
        replay = _Replay(seed=seed, now=now)
        for _, _, (kind, what) in schedule:
            getattr(replay, kind)(what)
        replay.advance_to(now)
    return replay.summary
