"""The risk policy, typed: its shape, each setting's range and default, validation and tier assignment.

One home for every fact about the policy. The policy is stored as a JSON document (versioned, diffed,
rolled back), so its type is a `TypedDict`: every reader gets the stored document as it is, typed, with
no conversion layer to keep in step. The ranges live once, in `LIMITS` and `TIER_LIMITS` (`Limit`
dataclasses); the validator, the admin form and the API serializer all read them, and a problem carries
its location as data (`Problem.path`), so forms put it beside the right field without parsing messages.
Pure Python: no Django import.
"""

import copy
from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

import numpy as np

from .text import Text, gettext_noop

ROLES = ("team_lead", "account_manager", "customer_service", "admin", "automated")
CHURN_MODES = ("explicit", "inactive", "explicit_or_inactive")
TIER_MODES = ("probability", "rank")
# What happens to an active customer whose tenure is below `new_customers.min_tenure_days`: scored and worked like
# everyone else ("save"), or scored with their alert kept in the automated lane, no person ("automated").
NEW_CUSTOMER_LANES = ("save", "automated")
MAX_TIERS = 9


class ChurnDefinition(TypedDict):
    mode: Literal["explicit", "inactive", "explicit_or_inactive"]
    inactive_days: int


class Tier(TypedDict):
    tier: int
    name: str
    min_probability: float
    assignee_role: str
    escalation_role: str
    first_contact_hours: int | None
    resolution_hours: int | None
    expected_cost: float
    creates_work_order: bool
    action: NotRequired[str]
    top_share: NotRequired[float]  # rank-based tiers: this tier's share of the active scored population
    # The working calendar its SLA clocks count on (a calendar's name; none: the assignee's team calendar).
    calendar: NotRequired[str]
    # Escalations of this tier go out at any hour, not only in working hours (the seeds: tier 1 to a lead).
    escalation_24x7: NotRequired[bool]


class NewCustomers(TypedDict):
    min_tenure_days: int
    lane: Literal["save", "automated"]


class Policy(TypedDict):
    high_risk_min_rules: int
    rule_high_min_tier: int
    horizon_days: int
    churn_definition: ChurnDefinition
    control_share: float
    recontact_quiet_days: int
    tiers: list[Tier]
    # Added with the three lanes; versions saved before them lack these keys, so read them with `setting`.
    tier_mode: NotRequired[Literal["probability", "rank"]]
    value_spend_days: NotRequired[int]
    new_customers: NotRequired[NewCustomers]


@dataclass(frozen=True)
class Limit:
    """The range of one numeric setting (inclusive), whether it is whole, and what it means."""

    lo: float
    hi: float
    integer: bool = False
    label: str = ""


# Top-level settings, by their path in the policy document. rule_high_min_tier's upper bound is the number
# of tiers of the policy itself (checked in validate_policy); MAX_TIERS here.
LIMITS: dict[str, Limit] = {
    "high_risk_min_rules": Limit(1, 50, True, gettext_noop("High risk when at least N rules fire")),
    "rule_high_min_tier": Limit(1, MAX_TIERS, True, gettext_noop("Rule-high customers are at least tier")),
    "horizon_days": Limit(7, 730, True, gettext_noop("Prediction horizon (days)")),
    "churn_definition.inactive_days": Limit(7, 3650, True, gettext_noop("N days without activity")),
    "control_share": Limit(0, 0.5, False, gettext_noop("Control-group share (0 to 0.5)")),
    "recontact_quiet_days": Limit(0, 365, True, gettext_noop("Re-contact quiet period (days)")),
    "value_spend_days": Limit(30, 3650, True, gettext_noop("Value without LTV: observed spend over the last N days")),
    "new_customers.min_tenure_days": Limit(0, 3650, True, gettext_noop("New customer: tenure below N days")),
}
TIER_LIMITS: dict[str, Limit] = {
    "min_probability": Limit(0, 1, False, gettext_noop("from P(churn)")),
    "first_contact_hours": Limit(1, 24 * 365, True, gettext_noop("First contact SLA (hours)")),
    "resolution_hours": Limit(1, 24 * 365, True, gettext_noop("Resolution SLA (hours)")),
    "expected_cost": Limit(0.01, 1e9, False, gettext_noop("Expected cost")),
    "top_share": Limit(0.001, 1, False, gettext_noop("Rank tier: share of the active population")),
}
TIER_NAME_MAX = 50
CALENDAR_NAME_MAX = 80
TIER_ACTION_MAX = 300

DEFAULT_POLICY: Policy = {
    "high_risk_min_rules": 2,
    "rule_high_min_tier": 2,
    "horizon_days": 60,
    "churn_definition": {"mode": "explicit_or_inactive", "inactive_days": 90},
    "control_share": 0.10,
    "recontact_quiet_days": 14,
    "tier_mode": "probability",
    "value_spend_days": 365,
    "new_customers": {"min_tenure_days": 30, "lane": "automated"},
    "tiers": [
        {
            "tier": 1,
            "name": "urgent",
            "min_probability": 0.8,
            "assignee_role": "team_lead",
            "escalation_role": "team_lead",
            "first_contact_hours": 24,
            "resolution_hours": 7 * 24,
            "expected_cost": 300.0,
            "creates_work_order": True,
            "action": "call + executive care + best offer",
            "top_share": 0.02,
        },
        {
            "tier": 2,
            "name": "important",
            "min_probability": 0.6,
            "assignee_role": "account_manager",
            "escalation_role": "team_lead",
            "first_contact_hours": 72,
            "resolution_hours": 14 * 24,
            "expected_cost": 120.0,
            "creates_work_order": True,
            "action": "call + targeted offer + event invite",
            "top_share": 0.05,
        },
        {
            "tier": 3,
            "name": "watch",
            "min_probability": 0.4,
            "assignee_role": "customer_service",
            "escalation_role": "team_lead",
            "first_contact_hours": 168,
            "resolution_hours": 30 * 24,
            "expected_cost": 30.0,
            "creates_work_order": True,
            "action": "message + app push + voucher",
            "top_share": 0.10,
        },
        {
            "tier": 4,
            "name": "monitor",
            "min_probability": 0.2,
            "assignee_role": "automated",
            "escalation_role": "",
            "first_contact_hours": None,
            "resolution_hours": None,
            "expected_cost": 2.0,
            "creates_work_order": False,
            "action": "routine reminder, no human work order",
            "top_share": 0.20,
        },
    ],
}


def default_policy() -> Policy:
    return copy.deepcopy(DEFAULT_POLICY)


def setting(policy: Policy, key: str):
    """A top-level setting, or its default for a policy version saved before the setting existed."""
    return policy.get(key, copy.deepcopy(DEFAULT_POLICY[key]))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a proposed policy: where (a path such as `tiers[0].min_probability`) and why."""

    path: str
    template: str  # marked for translation; `args` fill its placeholders
    tier_index: int | None = None  # for a tier's setting: its position in `tiers`
    attr: str = ""  # the setting's own name (`min_probability`; `inactive_days` for the churn definition)
    args: dict = field(default_factory=dict)

    @property
    def text(self) -> Text:
        return Text(self.template, self.args)

    @property
    def message(self) -> str:
        """The reason in English (the Django layer shows `text` in the reader's language)."""
        return str(self.text)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _check_number(errors, path, value, limit: Limit, *, hi=None, tier_index=None, attr=""):
    hi = limit.hi if hi is None else hi
    ok_type = isinstance(value, int) if limit.integer else isinstance(value, int | float)
    attr = attr or path.rsplit(".", 1)[-1]
    if isinstance(value, bool) or not ok_type:
        message = (
            gettext_noop("must be a whole number, got {value}")
            if limit.integer
            else gettext_noop("must be a number, got {value}")
        )
        errors.append(Problem(path, message, tier_index, attr, {"value": repr(value)}))
    elif not limit.lo <= value <= hi:
        lo_text, hi_text = (int(limit.lo), int(hi)) if limit.integer else (limit.lo, hi)
        message = gettext_noop("{value} is out of range ({lo} to {hi})")
        errors.append(
            Problem(path, message, tier_index, attr, {"value": str(value), "lo": str(lo_text), "hi": str(hi_text)})
        )


def _validate_tier(errors: list[Problem], tier: dict, i: int) -> None:
    where = f"tiers[{i}]"

    def problem(attr, message, **args):
        errors.append(Problem(f"{where}.{attr}", message, i, attr, args))

    if tier.get("tier") != i + 1:
        problem("tier", gettext_noop("must be {number} (tiers are numbered in order)"), number=i + 1)
    _check_number(
        errors, f"{where}.min_probability", tier.get("min_probability"), TIER_LIMITS["min_probability"], tier_index=i
    )
    if tier.get("assignee_role") not in ROLES:
        problem(
            "assignee_role",
            gettext_noop("unknown role {role} (one of {roles})"),
            role=repr(tier.get("assignee_role")),
            roles=", ".join(ROLES),
        )
    if tier.get("escalation_role") not in (*ROLES, ""):
        problem("escalation_role", gettext_noop("unknown role {role}"), role=repr(tier.get("escalation_role")))
    _validate_tier_clock(problem, tier)
    _check_number(
        errors, f"{where}.expected_cost", tier.get("expected_cost"), TIER_LIMITS["expected_cost"], tier_index=i
    )
    if "top_share" in tier:
        _check_number(errors, f"{where}.top_share", tier.get("top_share"), TIER_LIMITS["top_share"], tier_index=i)
    if tier.get("creates_work_order"):
        if tier.get("assignee_role") == "automated":
            problem("assignee_role", gettext_noop("a tier that creates work orders needs a human role"))
        for attr in ("first_contact_hours", "resolution_hours"):
            _check_number(errors, f"{where}.{attr}", tier.get(attr), TIER_LIMITS[attr], tier_index=i)
        first, resolution = tier.get("first_contact_hours"), tier.get("resolution_hours")
        if isinstance(first, int) and isinstance(resolution, int) and resolution < first:
            problem("resolution_hours", gettext_noop("must not be shorter than first_contact_hours"))


def _validate_tier_clock(problem, tier: dict) -> None:
    calendar = tier.get("calendar", "")
    if not isinstance(calendar, str) or len(calendar) > CALENDAR_NAME_MAX:
        problem("calendar", gettext_noop("must be a calendar's name (at most {max} characters)"), max=CALENDAR_NAME_MAX)
    if not isinstance(tier.get("escalation_24x7", False), bool):
        problem("escalation_24x7", gettext_noop("must be true or false"))


_ONE_OF = gettext_noop("must be one of {choices}")


def validate_policy(policy: dict) -> list[Problem]:
    """Each problem with its location and reason; empty when the policy is valid."""
    errors: list[Problem] = []
    for path in ("high_risk_min_rules", "horizon_days", "control_share", "recontact_quiet_days"):
        _check_number(errors, path, policy.get(path), LIMITS[path])
    churn = policy.get("churn_definition") or {}
    if churn.get("mode") not in CHURN_MODES:
        errors.append(Problem("churn_definition.mode", _ONE_OF, attr="mode", args={"choices": ", ".join(CHURN_MODES)}))
    _check_number(
        errors, "churn_definition.inactive_days", churn.get("inactive_days"), LIMITS["churn_definition.inactive_days"]
    )
    tiers = policy.get("tiers")
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        return [*errors, Problem("tiers", gettext_noop("must be a list of 1 to {max} tiers"), args={"max": MAX_TIERS})]
    for i, tier in enumerate(tiers):
        _validate_tier(errors, tier, i)
    probs = [t.get("min_probability") for t in tiers]
    if all(isinstance(p, int | float) for p in probs) and any(a <= b for a, b in zip(probs, probs[1:], strict=False)):
        errors.append(Problem("tiers", gettext_noop("min_probability must be strictly decreasing from tier 1 down")))
    _check_number(
        errors, "rule_high_min_tier", policy.get("rule_high_min_tier"), LIMITS["rule_high_min_tier"], hi=len(tiers)
    )
    _validate_lanes(errors, policy, tiers)
    return errors


def _validate_lanes(errors: list[Problem], policy: dict, tiers: list) -> None:
    """The settings of the three lanes: rank-based tiers, value without LTV, new customers (all optional)."""
    mode = policy.get("tier_mode", "probability")
    if mode not in TIER_MODES:
        errors.append(Problem("tier_mode", _ONE_OF, attr="tier_mode", args={"choices": ", ".join(TIER_MODES)}))
    if "value_spend_days" in policy:
        _check_number(errors, "value_spend_days", policy["value_spend_days"], LIMITS["value_spend_days"])
    if "new_customers" in policy:
        new = policy["new_customers"] if isinstance(policy["new_customers"], dict) else {}
        _check_number(
            errors, "new_customers.min_tenure_days", new.get("min_tenure_days"), LIMITS["new_customers.min_tenure_days"]
        )
        if new.get("lane") not in NEW_CUSTOMER_LANES:
            errors.append(
                Problem("new_customers.lane", _ONE_OF, attr="lane", args={"choices": ", ".join(NEW_CUSTOMER_LANES)})
            )
    if mode == "rank":
        shares = [t.get("top_share") for t in tiers]
        for i, share in enumerate(shares):
            if share is None:
                errors.append(
                    Problem(
                        f"tiers[{i}].top_share",
                        gettext_noop("rank-based tiers need a share for every tier"),
                        i,
                        "top_share",
                    )
                )
        if all(isinstance(x, int | float) for x in shares) and sum(shares) > 1:
            errors.append(
                Problem(
                    "tiers",
                    gettext_noop("the tiers' shares add up to {total:g}, more than the whole population (1)"),
                    args={"total": sum(shares)},
                )
            )


MIN_RISK = 1e-9
NOBODY = 2.0  # a threshold no probability reaches (JSON has no infinity, and the thresholds are stored with a run)


def rank_thresholds(policy: Policy, probability: np.ndarray) -> dict[int, float]:
    """Rank-based tiers as probability thresholds over a population: tier 1 from the top `top_share`, tier 2 the
    next share, and so on (ties at a boundary all go to the more urgent tier). Empty population: nobody tiers."""
    ranked = np.sort(np.asarray(probability, dtype=float))[::-1]
    out, covered = {}, 0.0
    for t in sorted(policy["tiers"], key=lambda t: t["tier"]):
        covered += t.get("top_share") or 0.0
        n = int(round(min(covered, 1.0) * len(ranked)))
        # A probability of 0 is no risk at any rank: a threshold never falls to it.
        out[t["tier"]] = max(float(ranked[n - 1]), MIN_RISK) if n > 0 else NOBODY
    return out


def tier_thresholds(policy: Policy, probability: np.ndarray, ranked: dict | None = None) -> dict[int, float]:
    """Each tier's lowest probability: the policy's table, or under rank-based tiers the thresholds `ranked`
    pinned for the run (else those of this population)."""
    if setting(policy, "tier_mode") != "rank":
        return {t["tier"]: t["min_probability"] for t in policy["tiers"]}
    if ranked:
        return {int(k): float(v) for k, v in ranked.items()}
    return rank_thresholds(policy, probability)


def assign_tiers(
    policy: Policy, probability: np.ndarray, is_rule_high: np.ndarray, ranked: dict | None = None
) -> np.ndarray:
    """Tier per customer (1 = most urgent, 0 = no tier): by probability (or rank), lifted by the rules."""
    tier = np.zeros(len(probability), dtype=np.int16)
    thresholds = tier_thresholds(policy, probability, ranked)
    for t in sorted(policy["tiers"], key=lambda t: -t["tier"]):
        tier[probability >= thresholds.get(t["tier"], NOBODY)] = t["tier"]
    lift = policy["rule_high_min_tier"]
    lifted = is_rule_high & ((tier == 0) | (tier > lift))
    tier[lifted] = lift
    return tier


def active_days(policy: Policy) -> int | None:
    """The active population's window: under an inactivity churn definition, customers silent longer than
    `inactive_days` have already left and are neither trained on nor scored for saving (None: everyone)."""
    churn = policy["churn_definition"]
    return churn["inactive_days"] if churn["mode"] != "explicit" else None


def new_customer_days(policy: Policy) -> int:
    """Tenure (days) below which a customer is new; 0 when new customers are worked like everyone else."""
    new = setting(policy, "new_customers")
    return new["min_tenure_days"] if new["lane"] == "automated" else 0


def tier_names(tiers: list[Tier]) -> dict[int, str]:
    return {t["tier"]: t["name"] for t in tiers}


def work_tiers(policy: Policy) -> set[int]:
    """The tiers whose alerts become work orders for people."""
    return {t["tier"] for t in policy["tiers"] if t["creates_work_order"]}
