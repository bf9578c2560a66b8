"""The five seed rules, the default rule set of a fresh installation."""

DEFAULT_RULES = [
    {
        "name": "Visits stopped",
        "description": "No service visit in 90 days while the customer made at least 4 visits in the prior 12 months.",
        "conditions": [
            {"feature": "days_since_last_visit", "op": ">=", "value": 90},
            {"feature": "visits_prior_12m", "op": ">=", "value": 4},
        ],
    },
    {
        "name": "App gone quiet",
        "description": "No login in 60 days while the customer used to log in at least twice a week.",
        "conditions": [
            {"feature": "days_since_last_login", "op": ">=", "value": 60},
            {"feature": "logins_per_week_before", "op": ">=", "value": 2},
        ],
    },
    {
        "name": "Satisfaction dropped",
        "description": "Latest satisfaction score 6 or lower while the historical average was 8 or higher.",
        "conditions": [
            {"feature": "satisfaction_latest", "op": "<=", "value": 6},
            {"feature": "satisfaction_mean_before", "op": ">=", "value": 8},
        ],
    },
    {
        "name": "Renewal at risk",
        "description": "Contract ends within 30 days, not renewed, and the customer is younger than 3 years.",
        "conditions": [
            {"feature": "days_to_contract_end", "op": "<=", "value": 30},
            {"feature": "days_to_contract_end", "op": ">=", "value": 0},
            {"feature": "renewals_90d", "op": "==", "value": 0},
            {"feature": "tenure_days", "op": "<", "value": 1095},
        ],
    },
    {
        "name": "Competitor signal",
        "description": "A competitor signal was recorded in the last 30 days.",
        "conditions": [{"feature": "competitor_signals_30d", "op": ">=", "value": 1}],
    },
]
