"""Scoring API: score runs, model versions (without the artifact) and early-warning rules."""

from rest_framework import serializers

from scoring.ml.rules import OPERATORS
from scoring.models import ModelVersion, Rule, ScoreRun


class ScoreRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoreRun
        fields = [
            "id", "as_of", "status", "model_version", "policy_version", "ruleset_version", "chunks_total",
            "stats", "started_at", "finished_at",
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


class RuleConditionSerializer(serializers.Serializer):
    feature = serializers.CharField()
    op = serializers.ChoiceField(choices=list(OPERATORS))
    value = serializers.FloatField()


class RuleSerializer(serializers.ModelSerializer):
    conditions = RuleConditionSerializer(many=True, read_only=True, help_text="all must hold for the rule to fire")

    class Meta:
        model = Rule
        fields = ["id", "name", "description", "conditions", "is_enabled", "position", "updated_at"]
        read_only_fields = fields
