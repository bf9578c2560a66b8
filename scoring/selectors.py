"""Reads for scoring: the policy, rules and model in force, and score history."""

from .ml.rules import RuleSpec
from .models import CustomerScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion


def policy_current() -> PolicyVersion:
    return PolicyVersion.objects.order_by("-number").first()


def ruleset_current() -> RuleSetVersion:
    return RuleSetVersion.objects.order_by("-number").first()


def rule_specs(ruleset: RuleSetVersion) -> list[RuleSpec]:
    """The enabled rules of a rule-set version as evaluable specs."""
    return [
        RuleSpec(r["name"], tuple((c["feature"], c["op"], float(c["value"])) for c in r["conditions"]))
        for r in ruleset.rules
        if r.get("is_enabled", True)
    ]


def rule_list():
    return Rule.objects.all()


def model_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def score_history(*, customer, limit: int = 90):
    return CustomerScore.objects.filter(customer=customer).order_by("-as_of")[:limit]
