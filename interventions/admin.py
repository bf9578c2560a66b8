from django import forms
from django.contrib import admin

from churnops.core.business_time import validate_calendar

from .models import (
    Action,
    AgentProfile,
    BusinessCalendar,
    Notification,
    Offer,
    OfferApproval,
    Playbook,
    PlaybookStep,
    PlaybookVersion,
    SlaPause,
    SlaSweep,
    WorkOrder,
    WorkOrderEvent,
)
from .services.playbooks import playbook_snapshot


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "team_lead", "capacity", "leave_from", "leave_until", "calendar", "wants_daily_digest")
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
    list_display = (
        "id",
        "customer",
        "tier",
        "status",
        "assignee",
        "sla_due_at",
        "is_at_risk",
        "is_breached",
        "breach_count",
        "outcome",
    )
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


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1
    fields = ("position", "title", "channel", "due_offset_days", "instruction", "talk_track")


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    """Admins edit playbooks here; every save is recorded as a new version (who, when, the diff) after the steps
    are saved, like the rules and policy pages record theirs. Open work orders keep the steps they opened with."""

    list_display = ("name", "is_active", "tiers", "segments", "signals", "position", "version", "updated_at")
    list_filter = ("is_active",)
    inlines = [PlaybookStepInline]
    readonly_fields = ("version",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        playbook_snapshot(playbook=form.instance, by=request.user, comment="edited in the admin")


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "number", "author", "comment", "created_at")
    readonly_fields = ("playbook", "name", "number", "data", "author", "comment", "diff", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("name", "cost", "approval_limits", "is_active", "updated_at")
    list_filter = ("is_active",)


@admin.register(OfferApproval)
class OfferApprovalAdmin(admin.ModelAdmin):
    list_display = ("work_order", "offer", "requested_by", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("work_order", "requested_by", "decided_by", "action")
