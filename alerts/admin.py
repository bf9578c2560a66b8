from django.contrib import admin

from .models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("customer", "status", "tier", "probability", "is_rule_high_risk", "is_control", "last_run_as_of")
    list_filter = ("status", "tier", "is_control", "is_rule_high_risk")
    search_fields = ("customer__external_id",)
    raw_id_fields = ("customer", "snoozed_by")
    show_full_result_count = False
