from django.contrib import admin

from .models import Customer, Event


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "segment", "region", "owner", "lifetime_value", "contract_end", "churned_at")
    list_filter = ("segment", "region")
    search_fields = ("external_id", "name")
    raw_id_fields = ("owner",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "occurred_at", "amount", "value", "external_id")
    list_filter = ("kind",)
    search_fields = ("customer__external_id", "external_id")
    raw_id_fields = ("customer",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False
