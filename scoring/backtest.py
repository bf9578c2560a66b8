"""Rule backtest: of the customers each rule flagged as of a date, how many churned in the horizon after it."""

from datetime import date

import numpy as np

from .ml.rules import evaluate
from .selectors import policy_in_force, rule_specs, ruleset_current
from .training import examples_at


def _row(name: str, flagged: np.ndarray, y: np.ndarray) -> dict:
    n_flagged = int(flagged.sum())
    caught = int((flagged & (y == 1)).sum())
    churners = int(y.sum())
    return {
        "rule": name,
        "flagged": n_flagged,
        "churned": caught,
        "precision": caught / n_flagged if n_flagged else None,
        "recall": caught / churners if churners else None,
    }


def backtest_rules(
    *, as_of: date, horizon_days: int, rules=None, min_rules: int | None = None, active_days: int | None = None
) -> dict:
    """Per rule and for the '>= N rules' combination: flagged, churned among them, precision, recall."""
    policy = policy_in_force()
    rules = rules if rules is not None else rule_specs(ruleset_current())
    n = min_rules or policy["high_risk_min_rules"]
    X, y = examples_at(
        as_of=as_of, horizon_days=horizon_days, churn_definition=policy["churn_definition"], active_days=active_days
    )
    fired = evaluate(rules, X)
    rows = [_row(rule.name, fired[:, j], y) for j, rule in enumerate(rules)]
    rows.append(_row(f">= {n} rules", fired.sum(axis=1) >= n, y))
    return {
        "as_of": str(as_of),
        "horizon_days": horizon_days,
        "customers": int(len(y)),
        "churners": int(y.sum()),
        "rules": rows,
    }
