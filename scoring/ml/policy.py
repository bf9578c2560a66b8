"""The risk policy: its default (from the seeds), validation and tier assignment. Pure Python."""

import copy

import numpy as np

ROLES = ("team_lead", "account_manager", "customer_service", "admin", "automated")

DEFAULT_POLICY = {
    "high_risk_min_rules": 2,
    "rule_high_min_tier": 2,
    "horizon_days": 60,
    "churn_definition": {"mode": "explicit_or_inactive", "inactive_days": 90},
    "control_share": 0.10,
    "recontact_quiet_days": 14,
    "tiers": [
        {"tier": 1, "name": "urgent", "min_probability": 0.8, "assignee_role": "team_lead",
         "escalation_role": "team_lead", "first_contact_hours": 24, "resolution_hours": 7 * 24,
         "expected_cost": 300.0, "creates_work_order": True,
         "action": "call + executive care + best offer"},
        {"tier": 2, "name": "important", "min_probability": 0.6, "assignee_role": "account_manager",
         "escalation_role": "team_lead", "first_contact_hours": 72, "resolution_hours": 14 * 24,
         "expected_cost": 120.0, "creates_work_order": True,
         "action": "call + targeted offer + event invite"},
        {"tier": 3, "name": "watch", "min_probability": 0.4, "assignee_role": "customer_service",
         "escalation_role": "team_lead", "first_contact_hours": 168, "resolution_hours": 30 * 24,
         "expected_cost": 30.0, "creates_work_order": True,
         "action": "message + app push + voucher"},
        {"tier": 4, "name": "monitor", "min_probability": 0.2, "assignee_role": "automated",
         "escalation_role": "", "first_contact_hours": None, "resolution_hours": None,
         "expected_cost": 2.0, "creates_work_order": False,
         "action": "routine reminder, no human work order"},
    ],
}

CHURN_MODES = ("explicit", "inactive", "explicit_or_inactive")


def default_policy() -> dict:
    return copy.deepcopy(DEFAULT_POLICY)


def _check_number(errors, where, value, lo, hi, integer=False):
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        errors.append(f"{where}: must be {'a whole number' if integer else 'a number'}, got {value!r}")
    elif not lo <= value <= hi:
        errors.append(f"{where}: {value} is out of range ({lo} to {hi})")


def _validate_tier(errors, tier, i):
    where = f"tiers[{i}]"
    if tier.get("tier") != i + 1:
        errors.append(f"{where}.tier: must be {i + 1} (tiers are numbered in order)")
    _check_number(errors, f"{where}.min_probability", tier.get("min_probability"), 0, 1)
    if tier.get("assignee_role") not in ROLES:
        errors.append(f"{where}.assignee_role: unknown role {tier.get('assignee_role')!r} (one of {', '.join(ROLES)})")
    if tier.get("escalation_role") not in (*ROLES, ""):
        errors.append(f"{where}.escalation_role: unknown role {tier.get('escalation_role')!r}")
    _check_number(errors, f"{where}.expected_cost", tier.get("expected_cost"), 0.01, 1e9)
    if tier.get("creates_work_order"):
        if tier.get("assignee_role") == "automated":
            errors.append(f"{where}.assignee_role: a tier that creates work orders needs a human role")
        _check_number(errors, f"{where}.first_contact_hours", tier.get("first_contact_hours"), 1, 24 * 365, True)
        _check_number(errors, f"{where}.resolution_hours", tier.get("resolution_hours"), 1, 24 * 365, True)
        first, resolution = tier.get("first_contact_hours"), tier.get("resolution_hours")
        if isinstance(first, int) and isinstance(resolution, int) and resolution < first:
            errors.append(f"{where}.resolution_hours: must not be shorter than first_contact_hours")


def validate_policy(policy: dict) -> list[str]:
    """Messages naming each problem (field path and reason); empty when the policy is valid."""
    errors: list[str] = []
    _check_number(errors, "high_risk_min_rules", policy.get("high_risk_min_rules"), 1, 50, True)
    _check_number(errors, "horizon_days", policy.get("horizon_days"), 7, 730, True)
    _check_number(errors, "control_share", policy.get("control_share"), 0, 0.5)
    _check_number(errors, "recontact_quiet_days", policy.get("recontact_quiet_days"), 0, 365, True)
    churn = policy.get("churn_definition") or {}
    if churn.get("mode") not in CHURN_MODES:
        errors.append(f"churn_definition.mode: must be one of {', '.join(CHURN_MODES)}")
    _check_number(errors, "churn_definition.inactive_days", churn.get("inactive_days"), 7, 3650, True)
    tiers = policy.get("tiers")
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= 9:
        return [*errors, "tiers: must be a list of 1 to 9 tiers"]
    for i, tier in enumerate(tiers):
        _validate_tier(errors, tier, i)
    probs = [t.get("min_probability") for t in tiers]
    if all(isinstance(p, int | float) for p in probs) and any(a <= b for a, b in zip(probs, probs[1:], strict=False)):
        errors.append("tiers: min_probability must be strictly decreasing from tier 1 down")
    _check_number(errors, "rule_high_min_tier", policy.get("rule_high_min_tier"), 1, len(tiers), True)
    return errors


def assign_tiers(policy: dict, probability: np.ndarray, is_rule_high: np.ndarray) -> np.ndarray:
    """Tier per customer (1 = most urgent, 0 = no tier): by probability, lifted by the rules."""
    tier = np.zeros(len(probability), dtype=np.int16)
    for t in sorted(policy["tiers"], key=lambda t: -t["tier"]):
        tier[probability >= t["min_probability"]] = t["tier"]
    lift = policy["rule_high_min_tier"]
    lifted = is_rule_high & ((tier == 0) | (tier > lift))
    tier[lifted] = lift
    return tier


def tier_config(policy: dict, tier: int) -> dict:
    return next(t for t in policy["tiers"] if t["tier"] == tier)
