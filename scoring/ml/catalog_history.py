"""Purchase-history features: gaps between purchases, items per purchase, and BG/NBD 'still alive'."""

from .feature import MAX_COUNT, MAX_DAYS, Feature
from .text import gettext_noop

HISTORY_FEATURES: tuple[Feature, ...] = (
    Feature(
        "purchase_gap_mean",
        gettext_noop("Average days between purchase days (only with 2 or more gaps)"),
        "days",
        0,
        MAX_DAYS,
        gettext_noop("buys on average every {purchase_gap_mean:.0f} days"),
    ),
    Feature(
        "purchase_gap_median",
        gettext_noop("Typical (median) days between purchase days (only with 2 or more gaps)"),
        "days",
        0,
        MAX_DAYS,
        gettext_noop("usually buys every {purchase_gap_median:.0f} days"),
    ),
    Feature(
        "purchase_gap_last",
        gettext_noop("Days between the last two purchase days (only with 2 or more gaps)"),
        "days",
        0,
        MAX_DAYS,
        gettext_noop("the last gap between purchases was {purchase_gap_last:.0f} days"),
    ),
    Feature(
        "purchase_gap_cv",
        gettext_noop("How irregular the gaps between purchases are (standard deviation / mean)"),
        "ratio",
        0,
        1e6,
        gettext_noop("irregular buyer (gaps vary by {purchase_gap_cv:.1f}x their mean)"),
    ),
    Feature(
        "recency_typical_gap_ratio",
        gettext_noop("Days since the last purchase divided by the customer's typical gap"),
        "ratio",
        0,
        1e6,
        gettext_noop(
            "no purchase for {days_since_last_purchase:.0f} days, {recency_typical_gap_ratio:.1f}x their usual gap"
        ),
    ),
    Feature(
        "bgnbd_p_alive",
        gettext_noop("Probability the customer is still buying, from their purchase rhythm (BG/NBD model)"),
        "probability",
        0,
        1,
        gettext_noop("purchase rhythm says {bgnbd_p_alive:.0%} likely still a customer"),
    ),
    Feature(
        "bgnbd_expected_purchases",
        gettext_noop("Purchase days expected in the next 13 weeks (BG/NBD model)"),
        "purchases",
        0,
        MAX_COUNT,
        gettext_noop("expected to buy on {bgnbd_expected_purchases:.1f} days in the next quarter"),
    ),
    Feature(
        "items_per_purchase_90d",
        gettext_noop("Average items (event value) per purchase in the last 90 days"),
        "items",
        0,
        MAX_COUNT,
        gettext_noop(
            "{items_per_purchase_90d:.1f} items per purchase in the last 90 days "
            "(year average {items_per_purchase_365d:.1f})"
        ),
    ),
    Feature(
        "items_per_purchase_365d",
        gettext_noop("Average items (event value) per purchase in the last 365 days"),
        "items",
        0,
        MAX_COUNT,
        gettext_noop("{items_per_purchase_365d:.1f} items per purchase over the last 12 months"),
    ),
)
