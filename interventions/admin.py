from django import forms
from django.contrib import admin

from churnops.core.business_time import validate_calendar

from .models import (
    Action,
    AgentProfile,
    BusinessCalendar,
    Notification,
    SlaPause,
    SlaSweep,
    WorkOrder,
    WorkOrderEvent,
)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "team_lead", "capacity", "leave_from", "leave_until", "calendar")
    raw_id_fields = ("user", "team_lead")


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    raw_id_fields = ("author",)


class WorkOrderEventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0
    readonly_fields = ("at", "actor", "field", "before", "after", "note")
    can_delete = False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "tier", "status", "assignee", "sla_due_at", "is_at_risk", "is_breached",
                    "breach_count", "outcome")
    list_filter = ("tier", "status", "is_at_risk", "is_breached", "outcome")
    search_fields = ("customer__external_id", "assignee__username")
    raw_id_fields = ("customer", "alert", "assignee")
    inlines = [ActionInline, WorkOrderEventInline]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "subject", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "work_order")


@admin.register(SlaSweep)
class SlaSweepAdmin(admin.ModelAdmin):
    list_display = ("id", "started_at", "finished_at", "at_risk", "breached", "escalated", "reassigned", "notified")
    readonly_fields = list_display


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone", "hours", "holidays"]

    def clean(self):
        data = super().clean()
        _cal, errors = validate_calendar(data.get("timezone"), data.get("hours"))
        for field, message in errors:
            self.add_error(field if field in self.fields else "hours", f"{field}: {message}")
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "timezone", "updated_at")


@admin.register(SlaPause)
class SlaPauseAdmin(admin.ModelAdmin):
    list_display = ("work_order", "started_at", "ended_at", "business_seconds", "started_by")
    raw_id_fields = ("work_order", "started_by")
