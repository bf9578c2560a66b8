"""Writes for alerts: the per-chunk upsert from a score run, snoozing, closing."""

from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from churnops.core.bulk import model_upsert
from churnops.core.errors import Refusal
from scoring.lanes import NEW_CUSTOMER
from scoring.score_writes import SCORE_EPSILON
from webhooks.services import webhook_emit_many

from .models import Alert
from .permissions import can_snooze

ALERT_UPDATE_FIELDS = [
    "status",
    "probability",
    "tier",
    "max_tier",
    "rules_fired",
    "is_rule_high_risk",
    "factors",
    "last_run_as_of",
    "updated_at",
    "lane",
    "lane_reason",
    "value",
    "value_basis",
]
MAX_SNOOZE_DAYS = 365


class AlertError(Refusal):
    """A refused change to an alert (no reason, a date in the past, not the user's alert)."""

    code = "alert_refused"


def control_draw(customer_ids: np.ndarray, as_of: date) -> np.ndarray:
    """A reproducible uniform [0, 1) draw per (customer, first flag date): splitmix64 of both."""
    with np.errstate(over="ignore"):
        x = customer_ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(as_of.toordinal())
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


class Upserted(dict):
    """Alerts by customer id, and how many rows the upsert wrote (`written`)."""

    written = 0


# What an alert is compared on: read for every at-risk customer of a chunk, without the explanation.
COMPARED = (
    "id", "customer_id", "status", "probability", "tier", "max_tier", "rules_fired", "is_rule_high_risk",
    "lane_reason", "value", "value_basis", "snoozed_until", "last_run_as_of",
)  # fmt: skip


def _is_unchanged(alert: Alert | None, r: dict, as_of: date) -> bool:
    """The night's verdict is the alert's: within SCORE_EPSILON, same tier, rules, value and new-customer hold, and
    no snooze ran out. Lanes are the budget's (run_finish) and are not compared; factors follow the probability."""
    if alert is None:
        return False
    snooze_over = alert.status == Alert.Status.SNOOZED and (alert.snoozed_until is None or alert.snoozed_until < as_of)
    return (
        not snooze_over
        and abs(alert.probability - r["probability"]) < SCORE_EPSILON
        and alert.tier == r["tier"]
        and alert.is_rule_high_risk == r["is_rule_high_risk"]
        and list(alert.rules_fired) == list(r["rules_fired"])
        and (alert.lane_reason == NEW_CUSTOMER) == (r.get("lane_reason", "") == NEW_CUSTOMER)
        and alert.value == r.get("value", alert.value)
        and alert.value_basis == r.get("value_basis", alert.value_basis)
    )


def alerts_upsert(*, as_of: date, rows: list[dict], control_share: float) -> Upserted:
    """Create or update the one open alert of each scored at-risk customer; returns alerts by customer id.

    An alert whose verdict did not change is not written at all (no new row version, no dead tuple): its
    `last_run_as_of` stays the night it last changed.

    `rows` have customer_id, probability, tier, rules_fired, is_rule_high_risk, factors (None: keep the alert's),
    and optionally value, value_basis and lane_reason (the lane waits for the run's capacity budget: automated
    until then). New alerts are drawn into the control group with probability `control_share`; existing ones keep
    their draw.
    """
    wanted = {r["customer_id"] for r in rows}
    # By key range, not a list of thousands of ids (whose placeholders cost more to send than the extra rows).
    in_range = (
        Alert.objects.filter(open_key__gte=min(wanted), open_key__lte=max(wanted)).only(*COMPARED) if wanted else []
    )
    existing = {a.customer_id: a for a in in_range if a.customer_id in wanted}
    # The date fence: an alert last written by a later run is newer than this verdict and stays as it is.
    rows = [r for r in rows if r["customer_id"] not in existing or existing[r["customer_id"]].last_run_as_of <= as_of]
    ids = [r["customer_id"] for r in rows]
    now = timezone.now()
    draws = dict(zip(ids, control_draw(np.array(ids, dtype=np.int64), as_of), strict=True)) if ids else {}
    unchanged = [existing[r["customer_id"]] for r in rows if _is_unchanged(existing.get(r["customer_id"]), r, as_of)]
    rows = [r for r in rows if not _is_unchanged(existing.get(r["customer_id"]), r, as_of)]
    # Only the alerts that change are read whole (their explanations are the bulk of a row).
    full = Alert.objects.in_bulk([existing[r["customer_id"]].pk for r in rows if r["customer_id"] in existing])
    to_create, to_update, escalated = [], [], []
    for r in rows:
        alert = full[existing[r["customer_id"]].pk] if r["customer_id"] in existing else None
        if alert is None:
            to_create.append(
                Alert(
                    customer_id=r["customer_id"],
                    open_key=r["customer_id"],
                    status=Alert.Status.OPEN,
                    probability=r["probability"],
                    tier=r["tier"],
                    max_tier=r["tier"],
                    rules_fired=r["rules_fired"],
                    is_rule_high_risk=r["is_rule_high_risk"],
                    factors=r.get("factors") or [],
                    is_control=bool(draws[r["customer_id"]] < control_share),
                    first_raised_at=now,
                    first_run_as_of=as_of,
                    last_run_as_of=as_of,
                    lane=Alert.Lane.AUTOMATED,
                    lane_reason=r.get("lane_reason", ""),
                    value=r.get("value", 0.0),
                    value_basis=r.get("value_basis", ""),
                )
            )
            continue
        if r["tier"] < alert.max_tier:
            escalated.append(alert)
        alert.probability, alert.tier = r["probability"], r["tier"]
        alert.max_tier = min(alert.max_tier, r["tier"])
        alert.rules_fired = r["rules_fired"]
        if r.get("factors") is not None:  # None: the night did not explain again, the alert keeps its explanation
            alert.factors = r["factors"]
        alert.is_rule_high_risk = r["is_rule_high_risk"]
        alert.last_run_as_of, alert.updated_at = as_of, now
        alert.lane, alert.lane_reason = Alert.Lane.AUTOMATED, r.get("lane_reason", "")
        alert.value, alert.value_basis = r.get("value", alert.value), r.get("value_basis", alert.value_basis)
        if alert.status == Alert.Status.SNOOZED and (alert.snoozed_until is None or alert.snoozed_until < as_of):
            alert.status = Alert.Status.OPEN  # the snooze is over; its reason and date stay for the record
        to_update.append(alert)
    # One upsert on the open key for new and re-scored rows alike: COPY on PostgreSQL, INSERT … ON CONFLICT
    # elsewhere; several times faster than bulk_update's CASE WHEN per field (PERF_NOTES).
    alerts = to_create + to_update
    model_upsert(model=Alert, objs=alerts, unique_fields=("open_key",), update_fields=ALERT_UPDATE_FIELDS, set_pks=True)
    _announce(to_create, escalated)
    out = Upserted((a.customer_id, a) for a in [*unchanged, *alerts])
    out.written = len(alerts)
    return out


def _alert_payload(alert: Alert) -> dict:
    return {
        "alert_id": alert.pk,
        "customer_id": alert.customer_id,
        "tier": alert.tier,
        "probability": round(alert.probability, 4),
        "rules_fired": alert.rules_fired,
        "is_control": alert.is_control,
        "summary": f"Customer {alert.customer_id} at risk: tier {alert.tier}, P(churn) {alert.probability:.0%}",
    }


def _announce(opened: list[Alert], escalated: list[Alert]) -> None:
    """alert.opened once per alert, alert.escalated once per alert and newly reached tier (webhooks)."""
    webhook_emit_many(event_type="alert.opened", events=[(f"alert.opened:{a.pk}", _alert_payload(a)) for a in opened])
    webhook_emit_many(
        event_type="alert.escalated",
        events=[(f"alert.escalated:{a.pk}:{a.tier}", _alert_payload(a)) for a in escalated],
    )


def alerts_close_cleared(
    *, keep_customer_ids, id_from: int, id_to: int, reason: str, only_customer_ids=None, as_of: date | None = None
) -> int:
    """Close open alerts in the id range whose customer is no longer at risk and has no open work order
    (with `only_customer_ids`, only theirs: the lapsed, whose alerts give way to the win-back lane).

    With `as_of` (the run's date), only alerts last written by a run of that date or earlier: an older run never
    closes what a newer one raised.
    """
    qs = Alert.objects.filter(
        open_key__gte=id_from, open_key__lt=id_to, status__in=[Alert.Status.OPEN, Alert.Status.SNOOZED]
    )
    if only_customer_ids is not None:
        qs = qs.filter(customer_id__in=list(only_customer_ids))
    if as_of is not None:
        qs = qs.filter(last_run_as_of__lte=as_of)
    qs = qs.exclude(customer_id__in=keep_customer_ids).exclude(customer__work_orders__open_key__isnull=False)
    return qs.update(status=Alert.Status.CLOSED, open_key=None, closed_at=timezone.now(), close_reason=reason)


@transaction.atomic
def alert_snooze(*, alert: Alert, until: date, reason: str, by) -> Alert:
    """Snooze an open alert until a date (inclusive) with a reason: no work order opens for it meanwhile.

    A work order already open stays open; the snooze keeps the nightly run from opening the next one.
    """
    if by is not None and not can_snooze(by, alert):
        raise AlertError(_("you may not snooze this alert"))
    if not reason.strip():
        raise AlertError(_("a snooze needs a reason"))
    today = timezone.localdate()
    if until < today:
        raise AlertError(_("the snooze must end today or later"))
    if until > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise AlertError(_("a snooze lasts at most %(days)s days") % {"days": MAX_SNOOZE_DAYS})
    claimed = Alert.objects.filter(pk=alert.pk, status__in=[Alert.Status.OPEN, Alert.Status.SNOOZED]).update(
        status=Alert.Status.SNOOZED,
        snoozed_until=until,
        snooze_reason=reason.strip(),
        snoozed_by=by,
        updated_at=timezone.now(),
    )
    if not claimed:
        raise AlertError(_("this alert is closed"))
    alert.refresh_from_db()
    return alert


@transaction.atomic
def alert_unsnooze(*, alert: Alert, by) -> Alert:
    """End a snooze early: the next nightly run treats the alert as open again."""
    if by is not None and not can_snooze(by, alert):
        raise AlertError(_("you may not change this alert"))
    if not Alert.objects.filter(pk=alert.pk, status=Alert.Status.SNOOZED).update(
        status=Alert.Status.OPEN, updated_at=timezone.now()
    ):
        raise AlertError(_("this alert is not snoozed"))
    alert.refresh_from_db()
    return alert
