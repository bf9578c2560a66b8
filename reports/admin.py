from django.contrib import admin

from .models import DriftBaseline, RetrainRun, WeeklyReport


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ("week", "week_start", "built_at", "build_count", "emailed_at", "health_notified_at")
    readonly_fields = ("week", "week_start", "data", "model_version", "built_at", "build_count", "emailed_at",
                       "health_notified_at")


@admin.register(DriftBaseline)
class DriftBaselineAdmin(admin.ModelAdmin):
    list_display = ("model_version", "rows", "built_at")
    readonly_fields = ("model_version", "bins", "rows", "cutoffs", "built_at")


@admin.register(RetrainRun)
class RetrainRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "candidate", "active_before", "started_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("as_of", "status", "started_at", "finished_at", "candidate", "active_before", "reason",
                       "metrics")
