"""Scoring API: score runs, model versions (without the artifact), rules, policy and rule-set versions, previews."""

from collections.abc import Mapping

from rest_framework import serializers

from customers.api.serializers import UserSummarySerializer
from scoring.ml.catalog import FEATURE_NAMES
from scoring.ml.policy import CHURN_MODES, ROLES
from scoring.ml.rules import OPERATORS
from scoring.models import ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreRun


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not know, at every nesting level, so a typo is an error instead of being ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
            if unknown:
                raise serializers.ValidationError({str(name): ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


class ScoreRunSerializer(serializers.ModelSerializer):
    policy_version_number = serializers.IntegerField(source="policy_version.number", read_only=True,
                                                     allow_null=True, help_text="the policy version the run used")
    ruleset_version_number = serializers.IntegerField(source="ruleset_version.number", read_only=True,
                                                      allow_null=True, help_text="the rule-set version the run used")

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


class RuleConditionSerializer(StrictInputSerializer):
    feature = serializers.ChoiceField(choices=list(FEATURE_NAMES), help_text="a feature of the catalog")
    op = serializers.ChoiceField(choices=list(OPERATORS))
    value = serializers.FloatField(help_text="within the feature's range (see the catalog)")


class RuleSerializer(serializers.ModelSerializer):
    conditions = RuleConditionSerializer(many=True, read_only=True, help_text="all must hold for the rule to fire")

    class Meta:
        model = Rule
        fields = ["id", "name", "description", "conditions", "is_enabled", "position", "updated_at"]
        read_only_fields = fields


class RuleSpecSerializer(StrictInputSerializer):
    """A rule as stored in a rule-set version, or as proposed for a preview."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    conditions = RuleConditionSerializer(many=True, allow_empty=False, max_length=12,
                                         help_text="all must hold for the rule to fire")
    is_enabled = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False, default=0)


class RuleInputSerializer(RuleSpecSerializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                    help_text="why, kept in the history")


class RulesPreviewInputSerializer(StrictInputSerializer):
    rules = RuleSpecSerializer(many=True, max_length=200, help_text="the whole proposed rule set")


# --- policy --------------------------------------------------------------------------------------------------------


class ChurnDefinitionSerializer(StrictInputSerializer):
    mode = serializers.ChoiceField(choices=list(CHURN_MODES))
    inactive_days = serializers.IntegerField(min_value=7, max_value=3650)


class PolicyTierSerializer(StrictInputSerializer):
    tier = serializers.IntegerField(min_value=1, max_value=9, help_text="1 is the most urgent; numbered in order")
    name = serializers.CharField(max_length=50)
    min_probability = serializers.FloatField(min_value=0, max_value=1)
    assignee_role = serializers.ChoiceField(choices=list(ROLES))
    escalation_role = serializers.ChoiceField(choices=list(ROLES), allow_blank=True, required=False, default="",
                                              help_text="blank: breaches are not escalated")
    first_contact_hours = serializers.IntegerField(min_value=1, max_value=24 * 365, allow_null=True, required=False,
                                                   default=None)
    resolution_hours = serializers.IntegerField(min_value=1, max_value=24 * 365, allow_null=True, required=False,
                                                default=None)
    expected_cost = serializers.FloatField(min_value=0.01, max_value=1e9)
    creates_work_order = serializers.BooleanField()
    action = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PolicyDataSerializer(StrictInputSerializer):
    high_risk_min_rules = serializers.IntegerField(min_value=1, max_value=50,
                                                   help_text="a customer firing at least this many rules is high risk")
    rule_high_min_tier = serializers.IntegerField(min_value=1, max_value=9,
                                                  help_text="high-risk customers get at least this tier")
    horizon_days = serializers.IntegerField(min_value=7, max_value=730)
    churn_definition = ChurnDefinitionSerializer()
    control_share = serializers.FloatField(min_value=0, max_value=0.5)
    recontact_quiet_days = serializers.IntegerField(min_value=0, max_value=365)
    tiers = PolicyTierSerializer(many=True, allow_empty=False, max_length=9,
                                 help_text="thresholds strictly decreasing from tier 1 down")


class PolicyInputSerializer(StrictInputSerializer):
    data = PolicyDataSerializer()
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PolicyPreviewInputSerializer(StrictInputSerializer):
    data = PolicyDataSerializer(help_text="the whole proposed policy")


class RollbackInputSerializer(StrictInputSerializer):
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


class PreviewTierSerializer(serializers.Serializer):
    tier = serializers.IntegerField(allow_null=True, help_text="null: customers in no tier")
    name = serializers.CharField()
    now = serializers.IntegerField()
    proposed = serializers.IntegerField()


class NowProposedSerializer(serializers.Serializer):
    now = serializers.IntegerField()
    proposed = serializers.IntegerField()


class PreviewCustomerSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    probability = serializers.FloatField()
    tier_now = serializers.IntegerField(allow_null=True)
    tier_proposed = serializers.IntegerField(allow_null=True)
    rules_now = serializers.ListField(child=serializers.CharField())
    rules_proposed = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    """The proposed configuration against the one in force, over the latest run's features; nothing is saved."""

    as_of = serializers.DateField(help_text="the date of the latest score run, whose features are used")
    run_id = serializers.IntegerField()
    model_version = serializers.IntegerField(allow_null=True)
    customers = serializers.IntegerField()
    policy_version = serializers.IntegerField(help_text="the policy version in force ('now')")
    ruleset_version = serializers.IntegerField(help_text="the rule-set version in force ('now')")
    tiers = PreviewTierSerializer(many=True)
    high_risk = NowProposedSerializer()
    work_orders = NowProposedSerializer(help_text="customers in tiers that create work orders")
    moved_up = serializers.IntegerField(help_text="customers who would get a more urgent tier")
    moved_down = serializers.IntegerField()
    entering_count = serializers.IntegerField()
    leaving_count = serializers.IntegerField()
    entering = PreviewCustomerSerializer(many=True, help_text="first 50 entering the high-risk set, riskiest first")
    leaving = PreviewCustomerSerializer(many=True, help_text="first 50 leaving the high-risk set, riskiest first")
