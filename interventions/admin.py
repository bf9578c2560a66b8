from django.contrib import admin

from .models import Action, AgentProfile, Notification, SlaSweep, WorkOrder, WorkOrderEvent


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "team_lead", "capacity", "leave_from", "leave_until")
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
