"""Scoring API: score runs, model versions (without the artifact), rules, policy and rule-set versions, previews."""

from django.utils.translation import gettext
from rest_framework import serializers

from churnops.core.api import StrictSerializer, UserSummarySerializer
from interventions.models import BusinessCalendar
from scoring.ml.catalog import FEATURE_NAMES
from scoring.ml.policy import (
    CALENDAR_NAME_MAX,
    CHURN_MODES,
    LIMITS,
    MAX_TIERS,
    NEW_CUSTOMER_LANES,
    ROLES,
    TIER_ACTION_MAX,
    TIER_LIMITS,
    TIER_MODES,
    TIER_NAME_MAX,
    Limit,
)
from scoring.ml.rules import OPERATORS, RULE_FIELDS
from scoring.models import ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreRun


class ScoreRunSerializer(serializers.ModelSerializer):
    policy_version_number = serializers.IntegerField(
        source="policy_version.number", read_only=True, allow_null=True, help_text="the policy version the run used"
    )
    ruleset_version_number = serializers.IntegerField(
        source="ruleset_version.number", read_only=True, allow_null=True, help_text="the rule-set version the run used"
    )

    class Meta:
        model = ScoreRun
        fields = [
            "id", "as_of", "status", "model_version", "policy_version", "policy_version_number", "ruleset_version",
            "ruleset_version_number", "chunks_total", "stats", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ModelVersionSerializer(serializers.ModelSerializer):
    """A trained model's metadata; the serialized pipeline (`artifact`) never leaves the server."""

    class Meta:
        model = ModelVersion
        fields = [
            "id", "created_at", "algorithm", "features", "horizon_days", "train_from", "train_to",
            "sklearn_version", "metrics", "is_active", "promoted_at", "note",
        ]  # fmt: skip
        read_only_fields = fields


# --- rules ----------------------------------------------------------------------------------------------------------


class RuleConditionSerializer(StrictSerializer):
    feature = serializers.ChoiceField(choices=list(FEATURE_NAMES), help_text="a feature of the catalog")
    op = serializers.ChoiceField(choices=list(OPERATORS))
    value = serializers.FloatField(help_text="within the feature's range (see the catalog)")


class RuleSerializer(serializers.ModelSerializer):
    conditions = RuleConditionSerializer(many=True, read_only=True, help_text="all must hold for the rule to fire")

    class Meta:
        model = Rule
        fields = ["id", *RULE_FIELDS, "updated_at"]
        read_only_fields = fields


class RuleSpecSerializer(StrictSerializer):
    """A rule as stored in a rule-set version, or as proposed for a preview."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    conditions = RuleConditionSerializer(
        many=True, allow_empty=False, max_length=12, help_text="all must hold for the rule to fire"
    )
    is_enabled = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False, default=0)


class RuleInputSerializer(RuleSpecSerializer):
    comment = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text="why, kept in the history"
    )


class RulesPreviewInputSerializer(StrictSerializer):
    rules = RuleSpecSerializer(many=True, max_length=200, help_text="the whole proposed rule set")
    exact = serializers.BooleanField(
        required=False,
        default=False,
        help_text="also compute the exact counts over every customer in the background; ask again to get them",
    )


# --- policy --------------------------------------------------------------------------------------------------------


def _number(limit: Limit, **kwargs) -> serializers.Field:
    """An API field whose bounds are the policy's own (ml.policy LIMITS / TIER_LIMITS)."""
    if limit.integer:
        return serializers.IntegerField(min_value=int(limit.lo), max_value=int(limit.hi), **kwargs)
    return serializers.FloatField(min_value=limit.lo, max_value=limit.hi, **kwargs)


class ChurnDefinitionSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=list(CHURN_MODES))
    inactive_days = _number(LIMITS["churn_definition.inactive_days"])


class PolicyTierSerializer(StrictSerializer):
    tier = serializers.IntegerField(
        min_value=1, max_value=MAX_TIERS, help_text="1 is the most urgent; numbered in order"
    )
    name = serializers.CharField(max_length=TIER_NAME_MAX)
    min_probability = _number(TIER_LIMITS["min_probability"])
    assignee_role = serializers.ChoiceField(choices=list(ROLES))
    escalation_role = serializers.ChoiceField(
        choices=list(ROLES), allow_blank=True, required=False, default="", help_text="blank: breaches are not escalated"
    )
    first_contact_hours = _number(TIER_LIMITS["first_contact_hours"], allow_null=True, required=False, default=None)
    resolution_hours = _number(TIER_LIMITS["resolution_hours"], allow_null=True, required=False, default=None)
    expected_cost = _number(TIER_LIMITS["expected_cost"])
    creates_work_order = serializers.BooleanField()
    action = serializers.CharField(max_length=TIER_ACTION_MAX, required=False, allow_blank=True, default="")
    top_share = _number(
        TIER_LIMITS["top_share"],
        required=False,
        help_text="rank-based tiers: this tier's share of the active scored population",
    )
    calendar = serializers.CharField(
        max_length=CALENDAR_NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="the working calendar of this tier's SLA clocks (blank: the team's)",
    )
    escalation_24x7 = serializers.BooleanField(required=False, help_text="escalations go out at any hour")

    def validate_calendar(self, value: str) -> str:
        if value and not BusinessCalendar.objects.filter(name=value).exists():
            raise serializers.ValidationError(gettext("no calendar named %(name)r") % {"name": value})
        return value


class NewCustomersSerializer(StrictSerializer):
    min_tenure_days = _number(LIMITS["new_customers.min_tenure_days"])
    lane = serializers.ChoiceField(
        choices=list(NEW_CUSTOMER_LANES), help_text="save: worked like everyone; automated: no person below the tenure"
    )


class PolicyDataSerializer(StrictSerializer):
    high_risk_min_rules = _number(
        LIMITS["high_risk_min_rules"], help_text="a customer firing at least this many rules is high risk"
    )
    rule_high_min_tier = _number(LIMITS["rule_high_min_tier"], help_text="high-risk customers get at least this tier")
    horizon_days = _number(LIMITS["horizon_days"])
    churn_definition = ChurnDefinitionSerializer()
    control_share = _number(LIMITS["control_share"])
    recontact_quiet_days = _number(LIMITS["recontact_quiet_days"])
    tiers = PolicyTierSerializer(
        many=True, allow_empty=False, max_length=MAX_TIERS, help_text="thresholds strictly decreasing from tier 1 down"
    )
    tier_mode = serializers.ChoiceField(
        choices=list(TIER_MODES),
        required=False,
        help_text="probability: the tiers' thresholds; rank: the tiers' top shares",
    )
    value_spend_days = _number(
        LIMITS["value_spend_days"],
        required=False,
        help_text="without a lifetime value, value = spend over this many days",
    )
    new_customers = NewCustomersSerializer(required=False)


class PolicyInputSerializer(StrictSerializer):
    data = PolicyDataSerializer()
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PolicyPreviewInputSerializer(StrictSerializer):
    data = PolicyDataSerializer(help_text="the whole proposed policy")
    exact = serializers.BooleanField(
        required=False,
        default=False,
        help_text="also compute the exact counts over every customer in the background; ask again to get them",
    )


class RollbackInputSerializer(StrictSerializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField(help_text="where the value changed, e.g. tiers[0].min_probability")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class PolicyVersionSerializer(serializers.ModelSerializer):
    data = PolicyDataSerializer(read_only=True)
    author = UserSummarySerializer(read_only=True, allow_null=True)
    diff = DiffEntrySerializer(many=True, read_only=True, help_text="changes against the previous version")

    class Meta:
        model = PolicyVersion
        fields = ["number", "data", "author", "comment", "diff", "created_at"]
        read_only_fields = fields


class RuleSetVersionSerializer(serializers.ModelSerializer):
    rules = RuleSpecSerializer(many=True, read_only=True)
    author = UserSummarySerializer(read_only=True, allow_null=True)
    diff = DiffEntrySerializer(many=True, read_only=True, help_text="changes against the previous version")

    class Meta:
        model = RuleSetVersion
        fields = ["number", "rules", "author", "comment", "diff", "created_at"]
        read_only_fields = fields


# --- preview -------------------------------------------------------------------------------------------------------


ESTIMATE = "estimated from the sample when `sampling.method` is stratified_sample; null: too few in the sample"


class NowProposedMarginSerializer(serializers.Serializer):
    now = serializers.IntegerField(help_text="95% margin of `now` (0: exact)")
    proposed = serializers.IntegerField()


class PreviewTierSerializer(serializers.Serializer):
    tier = serializers.IntegerField(allow_null=True, help_text="null: customers in no tier")
    name = serializers.CharField()
    now = serializers.IntegerField(allow_null=True, help_text=ESTIMATE)
    proposed = serializers.IntegerField(allow_null=True, help_text=ESTIMATE)
    margin = NowProposedMarginSerializer()


class NowProposedSerializer(serializers.Serializer):
    now = serializers.IntegerField(allow_null=True, help_text=ESTIMATE)
    proposed = serializers.IntegerField(allow_null=True, help_text=ESTIMATE)
    margin = NowProposedMarginSerializer()


class PreviewCustomerSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    probability = serializers.FloatField()
    tier_now = serializers.IntegerField(allow_null=True)
    tier_proposed = serializers.IntegerField(allow_null=True)
    rules_now = serializers.ListField(child=serializers.CharField())
    rules_proposed = serializers.ListField(child=serializers.CharField())


class PreviewTeamSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="the team: the role the tiers' work orders go to")
    tiers = serializers.ListField(child=serializers.IntegerField())
    flagged = serializers.IntegerField(
        allow_null=True, help_text="customers the proposed policy would put in these tiers; " + ESTIMATE
    )
    margin = serializers.IntegerField(help_text="95% margin of `flagged` (0: exact)")
    free_capacity = serializers.IntegerField(allow_null=True, help_text="members not on leave: capacity - open load")
    would_open = serializers.IntegerField(allow_null=True, help_text="work orders the capacity budget would open")
    over_capacity = serializers.IntegerField(allow_null=True, help_text="flagged customers left in the automated lane")


class PreviewStratumSerializer(serializers.Serializer):
    tier = serializers.IntegerField(allow_null=True, help_text="the customers' tier in the latest run (null: none)")
    scored = serializers.BooleanField(help_text="false: customers the latest run did not score (lapsed or new)")
    population = serializers.IntegerField()
    sample = serializers.IntegerField()


class PreviewSamplingSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=["exact", "stratified_sample"],
        help_text="exact: every customer scored; stratified_sample: counts scaled up from a sample",
    )
    sample = serializers.IntegerField(help_text="customers scored")
    population = serializers.IntegerField(help_text="customers the sample was drawn from (not churned)")
    confidence = serializers.FloatField(required=False, help_text="of each count's `margin`")
    strata = PreviewStratumSerializer(many=True, help_text="the sample by current tier (empty when exact)")


class PreviewMarginsSerializer(serializers.Serializer):
    moved_up = serializers.IntegerField()
    moved_down = serializers.IntegerField()
    entering_count = serializers.IntegerField()
    leaving_count = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    """The proposed configuration against the one in force, over the latest run's features; nothing is saved.

    Above a sample size the counts are estimated from a stratified sample (`sampling`) with 95% margins; the exact
    counts follow in the background when asked for (`exact_status`)."""

    as_of = serializers.DateField(help_text="the date of the latest score run, whose features are used")
    run_id = serializers.IntegerField()
    model_version = serializers.IntegerField(allow_null=True)
    customers = serializers.IntegerField(allow_null=True, help_text="customers in the snapshot; " + ESTIMATE)
    sampling = PreviewSamplingSerializer()
    exact_status = serializers.ChoiceField(
        choices=["exact", "ready", "running", "failed", "not_requested"],
        help_text="exact: this answer scored everyone; ready: this is the exact answer computed in the background; "
        "running: asked for and not ready yet (ask again); failed: see exact_error; not_requested: send exact=true",
    )
    exact_error = serializers.CharField(required=False, allow_blank=True)
    policy_version = serializers.IntegerField(help_text="the policy version in force ('now')")
    ruleset_version = serializers.IntegerField(help_text="the rule-set version in force ('now')")
    tiers = PreviewTierSerializer(many=True)
    high_risk = NowProposedSerializer()
    work_orders = NowProposedSerializer(help_text="customers in tiers that create work orders")
    active = NowProposedSerializer(help_text="customers scored for saving (not lapsed by the churn definition)")
    teams = PreviewTeamSerializer(many=True, help_text="per team: work orders the change would open vs capacity")
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="tiers that would flag more than their team can hold"
    )
    moved_up = serializers.IntegerField(allow_null=True, help_text="customers who would get a more urgent tier")
    moved_down = serializers.IntegerField(allow_null=True)
    entering_count = serializers.IntegerField(allow_null=True)
    leaving_count = serializers.IntegerField(allow_null=True)
    margins = PreviewMarginsSerializer(help_text="95% margins of the four counts above (0: exact)")
    entering = PreviewCustomerSerializer(
        many=True, help_text="first 50 entering the high-risk set, riskiest first (of the sample when sampled)"
    )
    leaving = PreviewCustomerSerializer(many=True, help_text="first 50 leaving the high-risk set, riskiest first")


class WinbackSerializer(serializers.Serializer):
    """A customer in the win-back lane: gone by the churn definition, never a save work order."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    segment = serializers.CharField()
    region = serializers.CharField()
    value = serializers.FloatField(help_text="what ranks the list")
    value_basis = serializers.ChoiceField(
        choices=["ltv", "spend", "frequency"], help_text="lifetime value, else lifetime spend, else number of purchases"
    )
    lifetime_value = serializers.FloatField()
    lifetime_spend = serializers.FloatField()
    purchases = serializers.IntegerField()
    last_activity = serializers.DateTimeField(allow_null=True)
    churned_at = serializers.DateTimeField(allow_null=True)
