from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from .validation import endpoint_errors


class WebhookEndpointForm(forms.ModelForm):
    url = forms.CharField(max_length=500, label=gettext_lazy("URL"))
    events = forms.MultipleChoiceField(choices=[(e, e) for e in EVENT_TYPES], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "secret", "is_active", "is_slack_compatible", "allows_private", "owner"]

    def clean(self):
        data = super().clean()
        for field, message in endpoint_errors(
            name=data.get("name", ""),
            url=data.get("url", ""),
            events=data.get("events") or [],
            allows_private=bool(data.get("allows_private")),
        ):
            self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "is_slack_compatible", "failing_since", "disabled_at")
    list_filter = ("is_active",)
    raw_id_fields = ("owner",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "latency_ms",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("idempotency_key",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    show_full_result_count = False
