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
)

FEATURES_BY_NAME = {f.name: f for f in FEATURES}
FEATURE_NAMES = tuple(f.name for f in FEATURES)
