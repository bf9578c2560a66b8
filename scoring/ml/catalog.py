"""The feature catalog: every feature the rules and the model can use, with what admins see."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    unit: str
    minimum: float
    maximum: float
    # Format for an account manager; gets the customer's feature row as keyword arguments.
    phrase: str


_D = 36_500.0  # upper bound for day counts (100 years)
_N = 1e9  # upper bound for counts and money

FEATURES: tuple[Feature, ...] = (
    Feature("days_since_last_visit", "Days since the last service visit", "days", 0, _D,
            "last visit {days_since_last_visit:.0f} days ago"),
    Feature("days_since_last_login", "Days since the last login / app use", "days", 0, _D,
            "last login {days_since_last_login:.0f} days ago"),
    Feature("days_since_last_purchase", "Days since the last purchase", "days", 0, _D,
            "last purchase {days_since_last_purchase:.0f} days ago"),
    Feature("days_since_last_activity", "Days since any activity", "days", 0, _D,
            "no activity for {days_since_last_activity:.0f} days"),
    Feature("visits_30d", "Service visits in the last 30 days", "visits", 0, _N,
            "visits last 30 days: {visits_30d:.0f}"),
    Feature("visits_90d", "Service visits in the last 90 days", "visits", 0, _N,
            "visits last 90 days: {visits_90d:.0f} (was {visits_prev_90d:.0f} the 90 days before)"),
    Feature("visits_prev_90d", "Service visits 91-180 days ago", "visits", 0, _N,
            "visits 91-180 days ago: {visits_prev_90d:.0f}"),
    Feature("visits_365d", "Service visits in the last 365 days", "visits", 0, _N,
            "visits last 12 months: {visits_365d:.0f}"),
    Feature("visits_prior_12m", "Service visits in the 12 months before the last 90 days", "visits", 0, _N,
            "visits in the 12 months before the last quarter: {visits_prior_12m:.0f}"),
    Feature("visit_change_ratio", "Change in visits, last 90 days vs the 90 before (-1 = stopped)", "ratio", -1, 1e6,
            "visits {visit_change_pct}"),
    Feature("logins_30d", "Logins in the last 30 days", "logins", 0, _N,
            "logins last 30 days: {logins_30d:.0f}"),
    Feature("logins_90d", "Logins in the last 90 days", "logins", 0, _N,
            "logins last 90 days: {logins_90d:.0f} (was {logins_prev_90d:.0f} the 90 days before)"),
    Feature("logins_prev_90d", "Logins 91-180 days ago", "logins", 0, _N,
            "logins 91-180 days ago: {logins_prev_90d:.0f}"),
    Feature("logins_per_week_before", "Logins per week in the 90 days before the last 60", "logins/week", 0, _N,
            "used to log in {logins_per_week_before:.1f} times a week"),
    Feature("login_change_ratio", "Change in logins, last 90 days vs the 90 before", "ratio", -1, 1e6,
            "logins {login_change_pct}"),
    Feature("purchases_30d", "Purchases in the last 30 days", "purchases", 0, _N,
            "purchases last 30 days: {purchases_30d:.0f}"),
    Feature("purchases_90d", "Purchases in the last 90 days", "purchases", 0, _N,
            "purchases last 90 days: {purchases_90d:.0f} (was {purchases_prev_90d:.0f} the 90 days before)"),
    Feature("purchases_prev_90d", "Purchases 91-180 days ago", "purchases", 0, _N,
            "purchases 91-180 days ago: {purchases_prev_90d:.0f}"),
    Feature("purchases_365d", "Purchases in the last 365 days", "purchases", 0, _N,
            "purchases last 12 months: {purchases_365d:.0f}"),
    Feature("purchase_change_ratio", "Change in purchases, last 90 days vs the 90 before", "ratio", -1, 1e6,
            "purchases {purchase_change_pct}"),
    Feature("spend_90d", "Spend in the last 90 days", "currency", 0, _N,
            "spend last 90 days: {spend_90d:,.0f} (was {spend_prev_90d:,.0f} the 90 days before)"),
    Feature("spend_prev_90d", "Spend 91-180 days ago", "currency", 0, _N,
            "spend 91-180 days ago: {spend_prev_90d:,.0f}"),
    Feature("spend_365d", "Spend in the last 365 days", "currency", 0, _N,
            "spend last 12 months: {spend_365d:,.0f}"),
    Feature("spend_change_ratio", "Change in spend, last 90 days vs the 90 before", "ratio", -1, 1e6,
            "spend {spend_change_pct}"),
    Feature("activity_30d", "All activities in the last 30 days", "events", 0, _N,
            "activities last 30 days: {activity_30d:.0f}"),
    Feature("activity_90d", "All activities in the last 90 days", "events", 0, _N,
            "activities last 90 days: {activity_90d:.0f} (was {activity_prev_90d:.0f} the 90 days before)"),
    Feature("activity_prev_90d", "All activities 91-180 days ago", "events", 0, _N,
            "activities 91-180 days ago: {activity_prev_90d:.0f}"),
    Feature("activity_365d", "All activities in the last 365 days", "events", 0, _N,
            "activities last 12 months: {activity_365d:.0f}"),
    Feature("activity_total", "All activities ever", "events", 0, _N,
            "activities ever: {activity_total:.0f}"),
    Feature("activity_change_ratio", "Change in all activity, last 90 days vs the 90 before", "ratio", -1, 1e6,
            "activity {activity_change_pct}"),
    Feature("activity_gap_days", "Average days between active days over the customer's history", "days", 0, _D,
            "usually active every {activity_gap_days:.0f} days"),
    Feature("recency_gap_ratio", "Days since last activity divided by the usual gap between activities",
            "ratio", 0, 1e6,
            "quiet for {recency_gap_ratio:.1f}x the usual gap between activities"),
    Feature("satisfaction_latest", "Latest satisfaction / NPS score (0-10)", "score", 0, 10,
            "latest satisfaction {satisfaction_latest:.0f}/10 (average before {satisfaction_mean_before:.1f})"),
    Feature("satisfaction_mean_before", "Average satisfaction of earlier surveys (0-10)", "score", 0, 10,
            "earlier satisfaction averaged {satisfaction_mean_before:.1f}/10"),
    Feature("satisfaction_drop", "Earlier average satisfaction minus the latest score", "points", -10, 10,
            "satisfaction dropped {satisfaction_drop:.1f} points to {satisfaction_latest:.0f}/10"),
    Feature("tenure_days", "Days since the customer started", "days", 0, _D,
            "customer for {tenure_days:.0f} days"),
    Feature("lifecycle_stage", "0 new (<90 days), 1 developing (<1 year), 2 mature (<3 years), 3 loyal", "stage", 0, 3,
            "lifecycle stage {lifecycle_stage:.0f}"),
    Feature("days_to_contract_end", "Days until the contract ends (negative = ended)", "days", -_D, _D,
            "contract ends in {days_to_contract_end:.0f} days"),
    Feature("renewals_90d", "Renewals recorded in the last 90 days", "renewals", 0, _N,
            "renewals last 90 days: {renewals_90d:.0f}"),
    Feature("competitor_signals_30d", "Competitor signals in the last 30 days", "signals", 0, _N,
            "{competitor_signals_30d:.0f} competitor signal(s) in the last 30 days"),
    Feature("competitor_signals_90d", "Competitor signals in the last 90 days", "signals", 0, _N,
            "{competitor_signals_90d:.0f} competitor signal(s) in the last 90 days"),
    Feature("tickets_90d", "Support tickets opened in the last 90 days", "tickets", 0, _N,
            "{tickets_90d:.0f} support tickets in the last 90 days"),
    Feature("open_tickets", "Support tickets opened and not yet closed", "tickets", 0, _N,
            "{open_tickets:.0f} open support tickets"),
    Feature("campaigns_90d", "Campaigns / events attended in the last 90 days", "events", 0, _N,
            "attended {campaigns_90d:.0f} campaigns in the last 90 days"),
    Feature("lifetime_value", "Customer lifetime value", "currency", 0, 1e12,
            "lifetime value {lifetime_value:,.0f}"),
    Feature("purchase_gap_mean", "Average days between purchase days (only with 2 or more gaps)", "days", 0, _D,
            "buys on average every {purchase_gap_mean:.0f} days"),
    Feature("purchase_gap_median", "Typical (median) days between purchase days (only with 2 or more gaps)",
            "days", 0, _D, "usually buys every {purchase_gap_median:.0f} days"),
    Feature("purchase_gap_last", "Days between the last two purchase days (only with 2 or more gaps)", "days", 0,
            _D, "the last gap between purchases was {purchase_gap_last:.0f} days"),
    Feature("purchase_gap_cv", "How irregular the gaps between purchases are (standard deviation / mean)",
            "ratio", 0, 1e6, "irregular buyer (gaps vary by {purchase_gap_cv:.1f}x their mean)"),
    Feature("recency_typical_gap_ratio", "Days since the last purchase divided by the customer's typical gap",
            "ratio", 0, 1e6, "no purchase for {days_since_last_purchase:.0f} days, "
            "{recency_typical_gap_ratio:.1f}x their usual gap"),
    Feature("bgnbd_p_alive", "Probability the customer is still buying, from their purchase rhythm (BG/NBD model)",
            "probability", 0, 1, "purchase rhythm says {bgnbd_p_alive:.0%} likely still a customer"),
    Feature("bgnbd_expected_purchases", "Purchase days expected in the next 13 weeks (BG/NBD model)", "purchases",
            0, _N, "expected to buy on {bgnbd_expected_purchases:.1f} days in the next quarter"),
    Feature("items_per_purchase_90d", "Average items (event value) per purchase in the last 90 days", "items", 0,
            _N, "{items_per_purchase_90d:.1f} items per purchase in the last 90 days "
            "(year average {items_per_purchase_365d:.1f})"),
    Feature("items_per_purchase_365d", "Average items (event value) per purchase in the last 365 days", "items", 0,
            _N, "{items_per_purchase_365d:.1f} items per purchase over the last 12 months"),
)

FEATURES_BY_NAME = {f.name: f for f in FEATURES}
FEATURE_NAMES = tuple(f.name for f in FEATURES)

# Features that measure the same underlying thing, so that an explanation names each signal once (collinear
# copies can take opposite signs in a model; grouped, they are switched on and off together).
SIGNALS: dict[str, tuple[str, ...]] = {
    # Recency only means something against the customer's own rhythm (and for a one-time buyer the "usual gap"
    # is their tenure): one signal, phrased as "no purchase for 94 days — 3× their usual gap".
    "recency": ("days_since_last_purchase", "days_since_last_visit", "days_since_last_login",
                "days_since_last_activity", "recency_typical_gap_ratio", "recency_gap_ratio", "bgnbd_p_alive",
                "purchase_gap_median", "purchase_gap_mean", "purchase_gap_last", "purchase_gap_cv",
                "activity_gap_days"),
    "frequency": ("purchases_90d", "purchase_change_ratio", "purchases_30d", "purchases_prev_90d", "purchases_365d",
                  "visits_90d", "visit_change_ratio", "visits_30d", "visits_prev_90d", "visits_365d",
                  "visits_prior_12m", "logins_90d", "login_change_ratio", "logins_30d", "logins_prev_90d",
                  "logins_per_week_before", "activity_90d", "activity_change_ratio", "activity_30d",
                  "activity_prev_90d", "activity_365d", "activity_total", "bgnbd_expected_purchases"),
    "basket": ("items_per_purchase_90d", "items_per_purchase_365d", "spend_90d", "spend_change_ratio",
               "spend_prev_90d", "spend_365d"),
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
