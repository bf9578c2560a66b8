"""Rule validation and vectorised evaluation over a feature matrix."""

import math
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import FEATURES_BY_NAME
from .text import Text, gettext_noop

# The fields of a rule that a rule-set version records (and a rollback restores).
RULE_FIELDS = ("name", "description", "conditions", "is_enabled", "position")

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class RuleSpec:
    name: str
    conditions: tuple[tuple[str, str, float], ...]


def validate_conditions(conditions) -> list[Text]:
    """Return a message per problem in a rule's conditions (English with `str()`); an empty list means valid."""
    if not isinstance(conditions, list) or not conditions:
        return [Text(gettext_noop("a rule needs at least one condition"))]
    errors = []
    for i, cond in enumerate(conditions, start=1):
        if not isinstance(cond, dict) or set(cond) != {"feature", "op", "value"}:
            errors.append(Text(gettext_noop("condition {n}: must have exactly the keys feature, op, value"), {"n": i}))
            continue
        feature = FEATURES_BY_NAME.get(cond["feature"])
        if feature is None:
            errors.append(
                Text(gettext_noop("condition {n}: unknown feature '{feature}'"), {"n": i, "feature": cond["feature"]})
            )
        if cond["op"] not in OPERATORS:
            errors.append(
                Text(
                    gettext_noop("condition {n}: unknown operator '{op}' (use one of {ops})"),
                    {"n": i, "op": cond["op"], "ops": " ".join(OPERATORS)},
                )
            )
        value = cond["value"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(
                Text(
                    gettext_noop("condition {n}: value must be a finite number, got {value}"),
                    {"n": i, "value": repr(value)},
                )
            )
        elif feature is not None and not feature.minimum <= value <= feature.maximum:
            errors.append(
                Text(
                    gettext_noop(
                        "condition {n}: value {value:g} is out of range for {feature} ({lo:g} to {hi:g} {unit})"
                    ),
                    {
                        "n": i,
                        "value": value,
                        "feature": feature.name,
                        "lo": feature.minimum,
                        "hi": feature.maximum,
                        "unit": feature.unit,
                    },
                )
            )
    return errors


def evaluate(rules: list[RuleSpec], features: pd.DataFrame) -> np.ndarray:
    """Boolean matrix (customers x rules): True where every condition of the rule holds.

    Missing feature values (NaN) never satisfy a condition.
    """
    fired = np.zeros((len(features), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        mask = np.ones(len(features), dtype=bool)
        for feature, op, value in rule.conditions:
            column = features[feature].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                mask &= OPERATORS[op](column, value) & ~np.isnan(column)
        fired[:, j] = mask
    return fired
