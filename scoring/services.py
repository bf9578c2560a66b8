"""Writes for scoring configuration: rules, rule-set versions and policy versions.

A change made by a person (`by` set) is refused unless scoring.permissions allows it; `by=None` is the system.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .defaults import DEFAULT_RULES
from .ml.policy import default_policy, validate_policy
from .ml.rules import RULE_FIELDS, validate_conditions
from .models import PolicyVersion, Rule, RuleSetVersion
from .permissions import require_scoring_editor
from .selectors import rule_as_dict
from .texts import problem_line, say


def diff_of(before, after, path="") -> list[dict]:
    """Flat list of {path, before, after} between two JSON-like values."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            out += diff_of(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += diff_of(b, a, f"{path}[{i}]")
        return out
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def rules_by_name(rules: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in rules}


def rulesdiff_of(before: list[dict], after: list[dict]) -> list[dict]:
    return diff_of(rules_by_name(before), rules_by_name(after))


def ruleset_snapshot(*, by=None, comment: str = "") -> RuleSetVersion:
    """Record the current rules as a new rule-set version (with a diff against the previous one)."""
    rules = [rule_as_dict(r) for r in Rule.objects.select_for_update().order_by("position", "id")]
    previous = RuleSetVersion.objects.order_by("-number").first()
    number = (previous.number + 1) if previous else 1
    diff = rulesdiff_of(previous.rules if previous else [], rules)
    return RuleSetVersion.objects.create(number=number, rules=rules, author=by, comment=comment, diff=diff)


def rule_validate(*, name: str, conditions) -> None:
    errors = [say(p) for p in validate_conditions(conditions)]
    if not name or not str(name).strip():
        errors.insert(0, _("name: a rule needs a name"))
    if errors:
        raise ValidationError({"conditions": errors})


@transaction.atomic
def rule_save(*, rule: Rule | None = None, by=None, comment: str = "", **fields) -> Rule:
    """Create or update a rule after validating it, and snapshot the rule set."""
    require_scoring_editor(by)
    rule = rule or Rule()
    for key, value in fields.items():
        if key not in RULE_FIELDS:
            raise ValidationError({key: _("unknown rule field")})
        setattr(rule, key, value)
    rule_validate(name=rule.name, conditions=rule.conditions)
    rule.full_clean()
    rule.save()
    ruleset_snapshot(by=by, comment=comment)
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, by=None, comment: str = "") -> None:
    require_scoring_editor(by)
    rule.delete()
    ruleset_snapshot(by=by, comment=comment)


@transaction.atomic
def policy_save(*, data: dict, by=None, comment: str = "") -> PolicyVersion:
    """Validate and store a new policy version; it is in force from the next run on."""
    require_scoring_editor(by)
    errors = validate_policy(data)
    if errors:
        raise ValidationError({"policy": [problem_line(e) for e in errors]})
    previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
    number = (previous.number + 1) if previous else 1
    diff = diff_of(previous.data if previous else {}, data)
    return PolicyVersion.objects.create(number=number, data=data, author=by, comment=comment, diff=diff)


@transaction.atomic
def policy_rollback(*, version: PolicyVersion, by=None, comment: str = "") -> PolicyVersion:
    """Put an earlier policy back in force as a new version (history is never rewritten)."""
    require_scoring_editor(by)
    current = PolicyVersion.objects.select_for_update().order_by("-number").first()
    if current is not None and current.data == version.data:
        raise ValidationError(
            {
                "version": _("policy v%(old)s is the same as the policy in force (v%(current)s): nothing to roll back")
                % {"old": version.number, "current": current.number}
            }
        )
    return policy_save(data=version.data, by=by, comment=comment or f"rollback to policy v{version.number}")


def rules_validate(rules) -> None:
    """Raise ValidationError({'rules': [...]}) naming every problem of a whole rule set (e.g. a proposed one)."""
    if not isinstance(rules, list):
        raise ValidationError({"rules": [_("must be a list of rules")]})
    errors = []
    names = [str(r.get("name", "")).strip() if isinstance(r, dict) else "" for r in rules]
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        errors.append(_("rule '%(name)s': two rules have this name") % {"name": name})
    for i, spec in enumerate(rules, start=1):
        if not isinstance(spec, dict):
            errors.append(_("rule %(number)s: must be an object") % {"number": i})
            continue
        label = (
            _("rule '%(name)s'") % {"name": spec["name"]} if spec.get("name") else _("rule %(number)s") % {"number": i}
        )
        if not str(spec.get("name", "")).strip():
            errors.append(_("%(rule)s: a rule needs a name") % {"rule": label})
        errors += [f"{label}: {say(p)}" for p in validate_conditions(spec.get("conditions"))]
    if errors:
        raise ValidationError({"rules": errors})


@transaction.atomic
def ruleset_rollback(*, version: RuleSetVersion, by=None, comment: str = "") -> RuleSetVersion:
    """Make the rules equal to an earlier rule-set version again and record that as a new version.

    Rules are matched by name, so a rule that survives keeps its id; rules not in the old version are deleted.
    """
    require_scoring_editor(by)
    current = RuleSetVersion.objects.select_for_update().order_by("-number").first()
    if current is not None and current.rules == version.rules:
        raise ValidationError(
            {
                "version": _("rules v%(old)s are the same as the rules in force (v%(current)s): nothing to roll back")
                % {"old": version.number, "current": current.number}
            }
        )
    rules_validate(version.rules)
    existing = {r.name: r for r in Rule.objects.select_for_update()}
    wanted = {spec["name"] for spec in version.rules}
    Rule.objects.filter(pk__in=[r.pk for name, r in existing.items() if name not in wanted]).delete()
    for spec in version.rules:
        rule = existing.get(spec["name"]) or Rule()
        for key in RULE_FIELDS:
            if key in spec:
                setattr(rule, key, spec[key])
        rule.save()
    return ruleset_snapshot(by=by, comment=comment or f"rollback to rules v{version.number}")


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
