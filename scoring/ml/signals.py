"""Signals: the catalog's features grouped by the underlying thing they measure (explanations name each once)."""

from .catalog import FEATURE_NAMES

# Features that measure the same underlying thing, so that an explanation names each signal once (collinear
# copies can take opposite signs in a model; grouped, they are switched on and off together).
SIGNALS: dict[str, tuple[str, ...]] = {
    # Recency only means something against the customer's own rhythm (and for a one-time buyer the "usual gap"
    # is their tenure): one signal, phrased as "no purchase for 94 days — 3× their usual gap".
    "recency": (
        "days_since_last_purchase",
        "days_since_last_visit",
        "days_since_last_login",
        "days_since_last_activity",
        "recency_typical_gap_ratio",
        "recency_gap_ratio",
        "bgnbd_p_alive",
        "purchase_gap_median",
        "purchase_gap_mean",
        "purchase_gap_last",
        "purchase_gap_cv",
        "activity_gap_days",
    ),
    "frequency": (
        "purchases_90d",
        "purchase_change_ratio",
        "purchases_30d",
        "purchases_prev_90d",
        "purchases_365d",
        "visits_90d",
        "visit_change_ratio",
        "visits_30d",
        "visits_prev_90d",
        "visits_365d",
        "visits_prior_12m",
        "logins_90d",
        "login_change_ratio",
        "logins_30d",
        "logins_prev_90d",
        "logins_per_week_before",
        "activity_90d",
        "activity_change_ratio",
        "activity_30d",
        "activity_prev_90d",
        "activity_365d",
        "activity_total",
        "bgnbd_expected_purchases",
    ),
    "basket": (
        "items_per_purchase_90d",
        "items_per_purchase_365d",
        "spend_90d",
        "spend_change_ratio",
        "spend_prev_90d",
        "spend_365d",
    ),
    "satisfaction": ("satisfaction_drop", "satisfaction_latest", "satisfaction_mean_before"),
    "contract": ("days_to_contract_end", "renewals_90d"),
    "support": ("open_tickets", "tickets_90d"),
    "competitor": ("competitor_signals_30d", "competitor_signals_90d"),
    "engagement": ("campaigns_90d",),
    "tenure": ("tenure_days", "lifecycle_stage"),
    "value": ("lifetime_value",),
}
SIGNAL_OF = {name: signal for signal, names in SIGNALS.items() for name in names}
assert set(SIGNAL_OF) == set(FEATURE_NAMES), "every catalog feature belongs to exactly one signal"
