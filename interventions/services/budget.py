"""The capacity budget of a nightly run: which at-risk alerts a person gets, and why the rest do not.

Runs once per run, after every chunk is scored (the run's finish step holds the run's row lock), so the budget
is the whole population's, not a chunk's. Each alert of the run ends in a lane: `save` (an open work order) or
`automated` (no person, no SLA) with the reason visible: over capacity, control group, snoozed, new customer,
recently contacted, or a tier without work orders. Over-capacity alerts are reconsidered the next night.
"""

from datetime import date

from django.utils.translation import gettext_noop

from alerts.models import Alert
from customers.models import Customer
from scoring.lanes import NEW_CUSTOMER
from scoring.ml.policy import work_tiers

from .assignment import team_capacity
from .opening import work_orders_open_within_capacity

# Stored on the alert in English (the API shows them as they are); pages translate them when shown.
OVER_CAPACITY = gettext_noop("over capacity")
CONTROL_GROUP = gettext_noop("control group")
SNOOZED = gettext_noop("snoozed")
RECENTLY_CONTACTED = gettext_noop("recently contacted")
# Alert ids per UPDATE … WHERE id IN (…): well under SQLite's bound on query parameters.
LANE_BATCH = 5000


def _set_lane(ids, lane: str, reason: str) -> None:
    ids = list(ids)
    for i in range(0, len(ids), LANE_BATCH):
        Alert.objects.filter(customer_id__in=ids[i : i + LANE_BATCH], open_key__isnull=False).exclude(
            lane=lane, lane_reason=reason
        ).update(lane=lane, lane_reason=reason)  # an alert already in its lane is not rewritten


def work_orders_allocate(*, as_of: date, policy: dict) -> dict:
    """Put every open alert of the run's date in its lane and open work orders within the tier teams' capacity.

    Returns the figures for the run's summary: opened, over capacity, per role the free capacity before and the
    work orders opened, and a note when no team has any room at all.
    """
    tiers = {t["tier"]: t for t in policy["tiers"]}
    worked = work_tiers(policy)
    roles = sorted({tiers[t]["assignee_role"] for t in worked})
    budget = team_capacity(roles, as_of)
    # The run's at-risk alerts: an alert the night left unchanged keeps the date it last changed (no write), so
    # "of this run" is an open alert not newer than the run whose customer's latest score has a tier.
    run_alerts = Alert.objects.filter(
        open_key__isnull=False, last_run_as_of__lte=as_of, customer__latest_score__tier__isnull=False
    )
    for tier in set(tiers) - worked:
        reason = f"tier {tier} ({tiers[tier]['name']}): no work orders"
        run_alerts.filter(tier=tier).exclude(lane=Alert.Lane.AUTOMATED, lane_reason=reason).update(
            lane=Alert.Lane.AUTOMATED, lane_reason=reason
        )
    in_work_tiers = run_alerts.filter(tier__in=worked)
    automated = Alert.Lane.AUTOMATED
    in_work_tiers.filter(is_control=True).exclude(lane=automated, lane_reason=CONTROL_GROUP).update(
        lane=automated, lane_reason=CONTROL_GROUP
    )
    in_work_tiers.filter(lane_reason=NEW_CUSTOMER).exclude(lane=automated).update(lane=automated)
    snoozed = in_work_tiers.filter(status=Alert.Status.SNOOZED, snoozed_until__gte=as_of)
    snoozed.exclude(lane=automated, lane_reason=SNOOZED).update(lane=automated, lane_reason=SNOOZED)
    eligible = list(
        in_work_tiers.filter(is_control=False)
        .exclude(lane_reason=NEW_CUSTOMER)
        .exclude(status=Alert.Status.SNOOZED, snoozed_until__gte=as_of)
    )
    customers = Customer.objects.select_related("owner__agent").in_bulk([a.customer_id for a in eligible])
    candidates = [
        {
            "customer": customers[a.customer_id],
            "alert": a,
            "tier": a.tier,
            "probability": a.probability,
            "value": a.value,
            "value_basis": a.value_basis,
        }
        for a in eligible
    ]
    opening = work_orders_open_within_capacity(as_of=as_of, candidates=candidates, policy=policy)
    _set_lane(opening.worked, Alert.Lane.SAVE, "")
    _set_lane(opening.over_capacity, Alert.Lane.AUTOMATED, OVER_CAPACITY)
    _set_lane(opening.quiet, Alert.Lane.AUTOMATED, RECENTLY_CONTACTED)
    opened_by_role: dict[str, int] = {}
    by_customer = {c["customer"].id: tiers[c["tier"]]["assignee_role"] for c in candidates}
    new_ids = set(opening.worked[len(opening.worked) - opening.opened :])
    for cid in new_ids:
        opened_by_role[by_customer[cid]] = opened_by_role.get(by_customer[cid], 0) + 1
    summary = {
        "work_orders_opened": opening.opened,
        "over_capacity": len(opening.over_capacity),
        "capacity": {
            role: {
                "free": b["free"],
                "available": b["available"],
                "members": b["members"],
                "opened": opened_by_role.get(role, 0),
            }
            for role, b in budget.items()
        },
    }
    if roles and all(b["free"] == 0 for b in budget.values()):
        summary["note"] = (
            "no human work orders: no team has free capacity (capacity 0, everyone on leave or "
            "full); the at-risk customers stay in the automated lane"
        )
    return summary
