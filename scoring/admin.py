from django.contrib import admin

from .models import CustomerScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreRun


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "is_enabled", "position", "updated_at")


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(admin.ModelAdmin):
    list_display = ("number", "author", "comment", "created_at")
    readonly_fields = ("number", "rules", "author", "comment", "diff", "created_at")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("number", "author", "comment", "created_at")
    readonly_fields = ("number", "data", "author", "comment", "diff", "created_at")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "algorithm", "is_active", "horizon_days", "train_to", "created_at", "promoted_at")
    exclude = ("artifact",)
    readonly_fields = ("algorithm", "features", "horizon_days", "train_from", "train_to", "sklearn_version", "metrics")


@admin.register(ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "model_version", "policy_version", "ruleset_version", "finished_at")
    readonly_fields = ("stats",)


@admin.register(CustomerScore)
class CustomerScoreAdmin(admin.ModelAdmin):
    list_display = ("customer", "as_of", "probability", "tier", "is_rule_high_risk")
    list_filter = ("tier", "as_of")
    raw_id_fields = ("customer", "run")
    show_full_result_count = False
