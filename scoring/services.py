"""Writes for scoring configuration: rules, rule-set versions and policy versions."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .defaults import DEFAULT_RULES
from .ml.policy import default_policy, validate_policy
from .ml.rules import validate_conditions
from .models import PolicyVersion, Rule, RuleSetVersion

RULE_FIELDS = ("name", "description", "conditions", "is_enabled", "position")


def _rule_dict(rule: Rule) -> dict:
    return {f: getattr(rule, f) for f in RULE_FIELDS}


def _diff(before, after, path="") -> list[dict]:
    """Flat list of {path, before, after} between two JSON-like values."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            out += _diff(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += _diff(b, a, f"{path}[{i}]")
        return out
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def rules_diff(before: list[dict], after: list[dict]) -> list[dict]:
    b = {r["name"]: r for r in before}
    a = {r["name"]: r for r in after}
    return _diff(b, a)


def ruleset_snapshot(*, by=None, comment: str = "") -> RuleSetVersion:
    """Record the current rules as a new rule-set version (with a diff against the previous one)."""
    rules = [_rule_dict(r) for r in Rule.objects.select_for_update().order_by("position", "id")]
    previous = RuleSetVersion.objects.order_by("-number").first()
    number = (previous.number + 1) if previous else 1
    diff = rules_diff(previous.rules if previous else [], rules)
    return RuleSetVersion.objects.create(number=number, rules=rules, author=by, comment=comment, diff=diff)


def rule_validate(*, name: str, conditions) -> None:
    errors = validate_conditions(conditions)
    if not name or not str(name).strip():
        errors.insert(0, "name: a rule needs a name")
    if errors:
        raise ValidationError({"conditions": errors})


@transaction.atomic
def rule_save(*, rule: Rule | None = None, by=None, comment: str = "", **fields) -> Rule:
    """Create or update a rule after validating it, and snapshot the rule set."""
    rule = rule or Rule()
    for key, value in fields.items():
        if key not in RULE_FIELDS:
            raise ValidationError({key: "unknown rule field"})
        setattr(rule, key, value)
    rule_validate(name=rule.name, conditions=rule.conditions)
    rule.full_clean()
    rule.save()
    ruleset_snapshot(by=by, comment=comment)
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, by=None, comment: str = "") -> None:
    rule.delete()
    ruleset_snapshot(by=by, comment=comment)


@transaction.atomic
def policy_save(*, data: dict, by=None, comment: str = "") -> PolicyVersion:
    """Validate and store a new policy version; it is in force from the next run on."""
    errors = validate_policy(data)
    if errors:
        raise ValidationError({"policy": errors})
    previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
    number = (previous.number + 1) if previous else 1
    diff = _diff(previous.data if previous else {}, data)
    return PolicyVersion.objects.create(number=number, data=data, author=by, comment=comment, diff=diff)


@transaction.atomic
def defaults_install() -> None:
    """Install the seed rules and the default policy on an empty installation (idempotent)."""
    if not Rule.objects.exists() and not RuleSetVersion.objects.exists():
        for position, spec in enumerate(DEFAULT_RULES):
            rule_validate(name=spec["name"], conditions=spec["conditions"])
            Rule.objects.create(position=position, **spec)
        ruleset_snapshot(comment="default seed rules")
    if not PolicyVersion.objects.exists():
        policy_save(data=default_policy(), comment="default policy")
