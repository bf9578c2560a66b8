"""Forms of the scoring pages: rules with their conditions, and the policy."""

from .policy import TIER_ATTRS, PolicyForm
from .rules import OPERATOR_LABELS, CommentForm, ConditionForm, RuleForm, condition_text, rule_forms

__all__ = [
    "OPERATOR_LABELS",
    "TIER_ATTRS",
    "CommentForm",
    "ConditionForm",
    "PolicyForm",
    "RuleForm",
    "condition_text",
    "rule_forms",
]
