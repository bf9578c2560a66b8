"""Who is scored for saving, and what a customer is worth: the scoring floor's part of the three lanes.

Active customers are scored; lapsed ones (gone by the churn definition) are not, and go to the win-back lane;
new ones (tenure below the policy's minimum) are scored but, if the policy says so, kept from people. The value
of a customer is the lifetime value when there is one, else the spend observed in the policy's window, else the
purchase frequency in that window (for logs whose events carry no amounts): never 0 for an active customer.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from customers.models import Customer

from .features import _frame, _param, active_only, cutoff_for
from .ml.policy import Policy, active_days, new_customer_days, setting

VALUE_BASES = ("ltv", "spend", "frequency")
NEW_CUSTOMER = "new customer"


@dataclass(frozen=True)
class Population:
    """A feature frame split into the lanes' populations."""

    active: pd.DataFrame  # scored for saving (the new among them included)
    lapsed: pd.Index  # silent longer than the churn definition allows: win-back, never a save work order
    new: pd.Index  # active, tenure below the policy's minimum, kept from people (empty when the policy works them)


def split_population(features: pd.DataFrame, policy: Policy) -> Population:
    active = active_only(features, active_days(policy))
    lapsed = features.index.difference(active.index)
    days = new_customer_days(policy)
    new = active.index[active["tenure_days"] < days] if days and len(active) else pd.Index([], dtype=np.int64)
    return Population(active=active, lapsed=lapsed, new=new)


VALUE_SQL = """
SELECT c.id, c.lifetime_value,
  COALESCE(SUM(e.amount) FILTER (WHERE e.kind = 'purchase'), 0) AS spend,
  COUNT(e.id) FILTER (WHERE e.kind = 'purchase') AS purchases,
  COUNT(e.id) AS activity
FROM customers_customer c
LEFT JOIN customers_event e ON e.customer_id = c.id AND e.occurred_at >= %(since)s AND e.occurred_at < %(cutoff)s
WHERE c.id >= %(id_from)s AND c.id < %(id_to)s
GROUP BY c.id, c.lifetime_value
"""


def customer_values(*, as_of: date, policy: Policy, ids, id_from: int = 0, id_to: int = 2**62) -> pd.DataFrame:
    """Per customer id in `ids`: `value` (> 0) and `value_basis` (one of VALUE_BASES), in one query over the range.

    Frequency counts purchases in the window, or any activity where there were none (a customer scored active
    has at least one event), so an active customer's value, and with it the work order's priority, is never 0.
    """
    cutoff = cutoff_for(as_of)
    params = {
        "since": _param(cutoff - timedelta(days=setting(policy, "value_spend_days"))),
        "cutoff": _param(cutoff),
        "id_from": id_from,
        "id_to": id_to,
    }
    raw = _frame(VALUE_SQL, params, ["customer_id", "lifetime_value", "spend", "purchases", "activity"])
    return values_of(raw, ids)


def values_of(raw: pd.DataFrame, ids) -> pd.DataFrame:
    """`customer_values` from its inputs per customer id: lifetime_value, spend, purchases, activity (the nightly
    chunk takes them from its feature aggregate: scoring.features.compute_features_and_values)."""
    raw = raw.reindex(pd.Index(ids, dtype=np.int64)).astype(float).fillna(0.0)
    frequency = np.maximum(np.where(raw["purchases"] > 0, raw["purchases"], raw["activity"]), 1.0)
    has_ltv, has_spend = raw["lifetime_value"] > 0, raw["spend"] > 0
    return pd.DataFrame(
        {
            "value": np.select([has_ltv, has_spend], [raw["lifetime_value"], raw["spend"]], frequency),
            "value_basis": np.select([has_ltv, has_spend], ["ltv", "spend"], "frequency"),
        },
        index=raw.index,
    )


def churned_count(*, as_of: date, id_from: int = 0, id_to: int = 2**62) -> int:
    """Customers in the id range with an explicit churn date by the cut-off: lapsed too (features leave them out)."""
    return Customer.objects.filter(id__gte=id_from, id__lt=id_to, churned_at__lt=cutoff_for(as_of)).count()
