from django.contrib import admin

from .models import WeeklyReport


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ("week", "week_start", "built_at", "build_count", "emailed_at", "health_notified_at")
    readonly_fields = ("week", "week_start", "data", "model_version", "built_at", "build_count", "emailed_at",
                       "health_notified_at")
