from django.contrib import admin

from .alarms import alarm_settings_save
from .models import AlarmSettings, WeeklyReport


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ("week", "week_start", "built_at", "build_count", "emailed_at", "health_notified_at")
    readonly_fields = (
        "week",
        "week_start",
        "data",
        "model_version",
        "built_at",
        "build_count",
        "emailed_at",
        "health_notified_at",
    )


@admin.register(AlarmSettings)
class AlarmSettingsAdmin(admin.ModelAdmin):
    """One row: the form's clean() (the model's) names the bad field; the save goes through the service."""

    list_display = ("__str__", "updated_at", "updated_by")
    fields = ("psi_warning", "psi_alarm", "drift_weeks")

    def has_add_permission(self, request):
        return not AlarmSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        saved = alarm_settings_save(
            psi_warning=obj.psi_warning, psi_alarm=obj.psi_alarm, drift_weeks=obj.drift_weeks, by=request.user
        )
        obj.pk = saved.pk
