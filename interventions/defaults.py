"""The default playbooks and offer kit of a fresh installation, from the seeds' tier actions, the 8-week plan for
the most valuable at-risk customers, the talk tracks per churn reason and the kit of retention offers."""

from churnops.core.roles import Role

LISTEN = (
    "Open: 'I'm calling because you matter to us and I noticed we haven't seen you lately — how are things?' "
    "Then listen: what changed, what disappointed you, what would make it right? Write down their words."
)
ANSWER = (
    "Recap the problem in their words, say what we did about it and by when it is fixed; "
    "ask 'does that solve it for you?'"
)
VALUE = "Show what they got from us in the last quarter and one thing they are not using yet that fits their goal."
SERVICE_RECOVERY = (
    "Apologise for the specific experience, without excuses. Ask what the ideal fix looks like. "
    "Commit to one concrete fix with a date, and call back on that date."
)
VALUE_COMPARISON = (
    "Ask what the other offer promises. Compare total value, not price: service, support, "
    "what they would lose on switching. Offer to match what matters to them, not everything."
)

TIER_1_EIGHT_WEEKS = {
    "name": "Tier 1 · 8-week save plan",
    "description": "Urgent: call + executive care + best offer, then the seeds' 8-week plan for valuable customers.",
    "tiers": [1],
    "position": 10,
    "steps": [
        {
            "title": "Week 1: call and listen",
            "channel": "call",
            "due_offset_days": 0,
            "talk_track": LISTEN,
            "instruction": "Call the main contact within 24 hours. Listen; do not sell. Log what they said.",
        },
        {
            "title": "Week 1: executive care visit",
            "channel": "visit",
            "due_offset_days": 3,
            "instruction": "A manager visits or calls the customer's decision maker to show they matter.",
        },
        {
            "title": "Week 1: best offer",
            "channel": "offer",
            "due_offset_days": 5,
            "instruction": "Give the best offer of the kit that answers what they told you.",
        },
        {
            "title": "Week 2: answer the problem within 7 days",
            "channel": "call",
            "due_offset_days": 7,
            "talk_track": ANSWER,
            "instruction": "Come back with the fix for the problem they named.",
        },
        {
            "title": "Weeks 3–4: deliver value",
            "channel": "email",
            "due_offset_days": 14,
            "talk_track": VALUE,
            "instruction": "Send a short summary of the value they get, and one tip that fits their goal.",
        },
        {
            "title": "Weeks 3–4: check the value landed",
            "channel": "call",
            "due_offset_days": 21,
            "instruction": "Ask whether the fix and the tip worked; note anything new.",
        },
        {
            "title": "Weeks 5–8: light follow-up",
            "channel": "message",
            "due_offset_days": 35,
            "instruction": "A short, personal check-in message.",
        },
        {
            "title": "Weeks 5–8: light follow-up",
            "channel": "message",
            "due_offset_days": 49,
            "instruction": "A last check-in; resolve the work order with the outcome.",
        },
    ],
}

TIER_2 = {
    "name": "Tier 2 · call, targeted offer, event invite",
    "description": "Important: the account manager calls, makes a targeted offer and invites to an event.",
    "tiers": [2],
    "position": 20,
    "steps": [
        {
            "title": "Call and listen",
            "channel": "call",
            "due_offset_days": 0,
            "talk_track": LISTEN,
            "instruction": "Reach the main contact within 3 days; find the reason behind the drop.",
        },
        {
            "title": "Targeted offer",
            "channel": "offer",
            "due_offset_days": 3,
            "instruction": "Pick the offer of the kit that answers the reason they gave.",
        },
        {
            "title": "Invite to an event",
            "channel": "email",
            "due_offset_days": 7,
            "instruction": "Invite them to the next customer event or webinar.",
        },
        {
            "title": "Follow-up call",
            "channel": "call",
            "due_offset_days": 14,
            "instruction": "Check the offer was used and the problem is gone.",
        },
    ],
}

TIER_3 = {
    "name": "Tier 3 · message, app push, voucher",
    "description": "Watch: customer service sends a message and a voucher.",
    "tiers": [3],
    "position": 30,
    "steps": [
        {
            "title": "Personal message",
            "channel": "message",
            "due_offset_days": 0,
            "instruction": "A short personal message: we noticed you have been away; is anything wrong?",
        },
        {
            "title": "Voucher",
            "channel": "offer",
            "due_offset_days": 2,
            "instruction": "Send the small voucher of the kit.",
        },
        {
            "title": "Check back",
            "channel": "message",
            "due_offset_days": 7,
            "instruction": "Did they come back? If not, log a note and resolve.",
        },
    ],
}

SERVICE_RECOVERY_PLAY = {
    "name": "Service recovery (satisfaction dropped)",
    "description": "The customer's satisfaction fell: fix the experience before offering anything.",
    "tiers": [2, 3],
    "signals": ["Satisfaction dropped", "satisfaction_drop", "satisfaction_latest"],
    "position": 5,
    "steps": [
        {
            "title": "Call: apologise and ask",
            "channel": "call",
            "due_offset_days": 0,
            "talk_track": SERVICE_RECOVERY,
            "instruction": "Call about the bad experience they reported.",
        },
        {
            "title": "Fix delivered",
            "channel": "email",
            "due_offset_days": 5,
            "talk_track": ANSWER,
            "instruction": "Confirm in writing what was fixed.",
        },
        {
            "title": "Goodwill gesture",
            "channel": "offer",
            "due_offset_days": 7,
            "instruction": "A goodwill offer once the fix is confirmed.",
        },
    ],
}

VALUE_COMPARISON_PLAY = {
    "name": "Value comparison (competitor signal)",
    "description": "A competitor is courting the customer: compare value, not price.",
    "tiers": [2, 3],
    "signals": ["Competitor signal", "competitor_signals_30d"],
    "position": 6,
    "steps": [
        {
            "title": "Call: what are they offered?",
            "channel": "call",
            "due_offset_days": 0,
            "talk_track": VALUE_COMPARISON,
            "instruction": "Find out what the competitor offers and what matters.",
        },
        {
            "title": "Value comparison",
            "channel": "email",
            "due_offset_days": 2,
            "talk_track": VALUE,
            "instruction": "Send a side-by-side of what they keep by staying.",
        },
        {
            "title": "Match what matters",
            "channel": "offer",
            "due_offset_days": 4,
            "instruction": "An offer that matches the one thing they care about.",
        },
    ],
}

DEFAULT_PLAYBOOKS = [TIER_1_EIGHT_WEEKS, TIER_2, TIER_3, SERVICE_RECOVERY_PLAY, VALUE_COMPARISON_PLAY]

# Offers of the kit and the highest cost each role gives without a lead's approval.
DEFAULT_OFFERS = [
    {
        "name": "Voucher 20",
        "cost": 20.0,
        "description": "A 20 voucher on the next purchase.",
        "approval_limits": {Role.CUSTOMER_SERVICE: 20, Role.ACCOUNT_MANAGER: 200, Role.TEAM_LEAD: 1000},
    },
    {
        "name": "Free service month",
        "cost": 150.0,
        "description": "One month of service free of charge.",
        "approval_limits": {Role.CUSTOMER_SERVICE: 20, Role.ACCOUNT_MANAGER: 200, Role.TEAM_LEAD: 1000},
    },
    {
        "name": "Loyalty discount 10% for a year",
        "cost": 600.0,
        "description": "10% off all purchases for 12 months.",
        "approval_limits": {Role.CUSTOMER_SERVICE: 20, Role.ACCOUNT_MANAGER: 200, Role.TEAM_LEAD: 1000},
    },
    {
        "name": "Executive care package",
        "cost": 1500.0,
        "description": "A dedicated senior contact, priority support and an on-site review.",
        "approval_limits": {Role.CUSTOMER_SERVICE: 20, Role.ACCOUNT_MANAGER: 200, Role.TEAM_LEAD: 1000},
    },
]
