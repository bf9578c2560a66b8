from django.contrib import admin
from django.utils.translation import gettext_lazy

from .models import (
    DriftBaseline,
    LatestScore,
    ModelVersion,
    PolicyVersion,
    RetrainRun,
    Rule,
    RuleSetVersion,
    ScoreRun,
)


class VersionedReadOnlyAdmin(admin.ModelAdmin):
    """Rules and policy change only on the Rules / Policy pages, which version, audit and preview every change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(VersionedReadOnlyAdmin):
    list_display = ("name", "is_enabled", "position", "updated_at")


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(VersionedReadOnlyAdmin):
    list_display = ("number", "author", "comment", "created_at")
    readonly_fields = ("number", "rules", "author", "comment", "diff", "created_at")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(VersionedReadOnlyAdmin):
    list_display = ("number", "author", "comment", "created_at")
    readonly_fields = ("number", "data", "author", "comment", "diff", "created_at")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "algorithm", "is_active", "horizon_days", "train_to", "created_at", "promoted_at")
    exclude = ("artifact",)
    readonly_fields = (
        "algorithm",
        "features",
        "dropped_features",
        "horizon_days",
        "train_from",
        "train_to",
        "sklearn_version",
        "metrics",
    )

    @admin.display(description=gettext_lazy("Dropped features (constant or duplicate on the training data)"))
    def dropped_features(self, obj) -> str:
        dropped = (obj.metrics or {}).get("dropped_features") or {}
        return "; ".join(f"{name} ({why})" for name, why in dropped.items()) or "none"


@admin.register(ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "model_version", "policy_version", "ruleset_version", "finished_at")
    readonly_fields = ("stats",)


@admin.register(LatestScore)
class LatestScoreAdmin(admin.ModelAdmin):
    """Each customer's latest score; the nightly history is packed (scoring/history.py) and read by the pages."""

    list_display = ("customer", "as_of", "probability", "tier", "is_rule_high_risk")
    list_filter = ("tier", "as_of")
    raw_id_fields = ("customer", "run")
    show_full_result_count = False


@admin.register(DriftBaseline)
class DriftBaselineAdmin(admin.ModelAdmin):
    list_display = ("model_version", "rows", "built_at")
    readonly_fields = ("model_version", "bins", "rows", "cutoffs", "built_at")


@admin.register(RetrainRun)
class RetrainRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "candidate", "active_before", "started_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = (
        "as_of",
        "status",
        "started_at",
        "finished_at",
        "candidate",
        "active_before",
        "reason",
        "metrics",
    )
