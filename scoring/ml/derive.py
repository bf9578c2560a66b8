"""Turn raw per-customer aggregates into the catalog's features (vectorised, no Django)."""

import numpy as np
import pandas as pd

from . import bgnbd
from .catalog import FEATURE_NAMES

DAY = 86_400.0


def _change_ratio(recent: pd.Series, before: pd.Series) -> pd.Series:
    """recent/before - 1; 0 when both are zero and 1 (= new activity) when only `before` is zero."""
    before_f = before.astype(float)
    ratio = np.where(before_f > 0, recent / before_f.where(before_f > 0, 1.0) - 1.0, np.where(recent > 0, 1.0, 0.0))
    return pd.Series(ratio, index=recent.index)


def derive_features(raw: pd.DataFrame, cutoff_epoch: float, as_of_day_epoch: float) -> pd.DataFrame:
    """Features per customer from the raw aggregate frame (see scoring.features.raw_aggregates).

    `cutoff_epoch` is the first instant *not* included (features see only what came before it);
    `as_of_day_epoch` is the as-of date at UTC midnight, for date-valued columns (contract dates).
    """
    f = pd.DataFrame(index=raw.index)
    counts = raw.fillna(
        {
            c: 0
            for c in raw.columns
            if c.endswith(("_30d", "_60d", "_90d", "_365d", "_12m", "_total", "_count", "_sum", "_opened", "_closed"))
        }
    )

    first_at = raw["first_at"]
    # Contract dates are UTC midnights; shift them onto the cut-off's clock.
    start_epoch = raw["contract_start_epoch"] + (cutoff_epoch - as_of_day_epoch - DAY)
    start_epoch = start_epoch.where(start_epoch < cutoff_epoch)
    started = pd.concat([first_at, start_epoch], axis=1).min(axis=1)
    tenure = ((cutoff_epoch - started) / DAY).clip(lower=0).fillna(0)
    f["tenure_days"] = tenure
    f["lifecycle_stage"] = np.select([tenure < 90, tenure < 365, tenure < 1095], [0, 1, 2], 3).astype(float)

    for kind, last_col in (
        ("visit", "visit_last_at"),
        ("login", "login_last_at"),
        ("purchase", "purchase_last_at"),
        ("activity", "last_at"),
    ):
        f[f"days_since_last_{kind}"] = ((cutoff_epoch - raw[last_col]) / DAY).fillna(tenure)

    for plural in ("visits", "logins", "purchases"):
        for w in ("30d", "90d", "prev_90d", "365d"):
            if f"{plural}_{w}" in FEATURE_NAMES:
                f[f"{plural}_{w}"] = counts[f"{plural}_{w}"]
    f["visits_prior_12m"] = counts["visits_prior_12m"]
    f["visit_change_ratio"] = _change_ratio(counts["visits_90d"], counts["visits_prev_90d"])
    f["logins_per_week_before"] = counts["logins_before_60d"] / (90 / 7)
    f["login_change_ratio"] = _change_ratio(counts["logins_90d"], counts["logins_prev_90d"])
    f["purchase_change_ratio"] = _change_ratio(counts["purchases_90d"], counts["purchases_prev_90d"])
    for w in ("90d", "prev_90d", "365d"):
        f[f"spend_{w}"] = counts[f"spend_{w}"]
    f["spend_change_ratio"] = _change_ratio(counts["spend_90d"], counts["spend_prev_90d"])
    for w in ("30d", "90d", "prev_90d", "365d", "total"):
        f[f"activity_{w}"] = counts[f"activity_{w}"]
    f["activity_change_ratio"] = _change_ratio(counts["activity_90d"], counts["activity_prev_90d"])

    span_days = ((raw["last_at"] - first_at) / DAY).fillna(0)
    gaps = (counts["activity_total"] - 1).clip(lower=1)
    # One event only: no gap observed yet, so treat the customer's whole tenure as the gap.
    gap = np.where(counts["activity_total"] > 1, span_days / gaps, np.maximum(tenure, 1.0))
    f["activity_gap_days"] = np.maximum(gap, 1.0)
    f["recency_gap_ratio"] = f["days_since_last_activity"] / f["activity_gap_days"]

    latest = raw["survey_latest"]
    earlier_n = counts["survey_count"] - 1
    f["satisfaction_latest"] = latest
    f["satisfaction_mean_before"] = ((counts["survey_sum"] - latest) / earlier_n).where(earlier_n > 0)
    f["satisfaction_drop"] = f["satisfaction_mean_before"] - latest

    f["days_to_contract_end"] = (raw["contract_end_epoch"] - as_of_day_epoch) / DAY
    f["renewals_90d"] = counts["renewals_90d"]
    f["competitor_signals_30d"] = counts["competitor_30d"]
    f["competitor_signals_90d"] = counts["competitor_90d"]
    f["tickets_90d"] = counts["tickets_90d"]
    f["open_tickets"] = (counts["tickets_opened"] - counts["tickets_closed"]).clip(lower=0)
    f["campaigns_90d"] = counts["campaigns_90d"]
    f["lifetime_value"] = raw["lifetime_value"].fillna(0)
    for name in HISTORY_COLUMNS:
        f[name] = raw[name] if name in raw.columns else np.nan
    for w in ("90d", "365d"):
        f[f"items_per_purchase_{w}"] = raw[f"items_avg_{w}"] if f"items_avg_{w}" in raw.columns else np.nan
    return f[list(FEATURE_NAMES)].astype(float)


WEEK = 7 * DAY
# Expected purchases are counted over this many weeks ahead (about a quarter, the usual horizon).
EXPECTED_WEEKS = 13.0
HISTORY_COLUMNS = (
    "purchase_gap_mean",
    "purchase_gap_median",
    "purchase_gap_last",
    "purchase_gap_cv",
    "recency_typical_gap_ratio",
    "bgnbd_p_alive",
    "bgnbd_expected_purchases",
)


def purchase_history_features(
    purchases: pd.DataFrame, cutoff_epoch: float, bgnbd_params: bgnbd.BgNbdParams | None = None
) -> tuple[pd.DataFrame, bgnbd.BgNbdParams | None]:
    """Inter-purchase gaps and BG/NBD figures per customer from purchase times before the cut-off.

    `purchases` has columns customer_id and epoch (seconds). Gaps are between distinct purchase days; the gap
    statistics exist only where a customer has at least two gaps (one gap says nothing about a habit). BG/NBD is
    fitted on this cut-off's customers unless parameters are given (scoring with a stored model).
    """
    days = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].to_numpy(dtype=np.int64),
            "day": np.floor(purchases["epoch"].to_numpy(dtype=float) / DAY),
        }
    )
    days = days.drop_duplicates().sort_values(["customer_id", "day"])
    days["gap"] = days.groupby("customer_id")["day"].diff()
    by = days.groupby("customer_id")
    first, last, n_days = by["day"].min(), by["day"].max(), by["day"].size()
    gaps = days.dropna(subset=["gap"]).groupby("customer_id")["gap"]
    out = pd.DataFrame(index=first.index)
    n_gaps = (n_days - 1).reindex(out.index)
    habit = n_gaps >= 2
    out["purchase_gap_mean"] = gaps.mean().reindex(out.index).where(habit)
    out["purchase_gap_median"] = gaps.median().reindex(out.index).where(habit)
    out["purchase_gap_last"] = gaps.last().reindex(out.index).where(habit)
    out["purchase_gap_cv"] = (gaps.std(ddof=0) / gaps.mean()).reindex(out.index).where(habit)
    recency_days = cutoff_epoch / DAY - last
    out["recency_typical_gap_ratio"] = recency_days / out["purchase_gap_median"].clip(lower=1.0)
    x = (n_days - 1).to_numpy(dtype=float)
    t_x = ((last - first) * DAY / WEEK).to_numpy(dtype=float)
    T = ((cutoff_epoch / DAY - first) * DAY / WEEK).to_numpy(dtype=float)
    params = bgnbd_params if bgnbd_params is not None else bgnbd.fit(x, t_x, T)
    if params is None:
        out["bgnbd_p_alive"] = np.nan
        out["bgnbd_expected_purchases"] = np.nan
    else:
        out["bgnbd_p_alive"] = bgnbd.p_alive(params, x, t_x, T)
        out["bgnbd_expected_purchases"] = bgnbd.expected_purchases(params, EXPECTED_WEEKS, x, t_x, T)
    return out[list(HISTORY_COLUMNS)], params
