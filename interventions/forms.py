"""Input forms of the work order pages; they only validate, the services in services.py write."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from .choices import ActionKind, Outcome, Reason, WorkOrderStatus
from .models import Offer
from .selectors import QUEUE_ORDER


class LogActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label="Action")
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.filter(is_active=True),
        required=False,
        empty_label="— no offer —",
        label="Offer (for an offer action)",
    )
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class OfferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(required=False, max_length=300)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose outcome…"), *Outcome.choices])
    reason = forms.ChoiceField(choices=[("", "Choose reason…"), *Reason.choices])
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class SetStatusForm(forms.Form):
    status = forms.ChoiceField(choices=WorkOrderStatus.choices)
    note = forms.CharField(required=False, max_length=300)


# The queue's orders: the SLA order (the default, served straight from the queue index) and a few others a
# person sorts by when planning the day; each ends with the id so that pages never overlap.
QUEUE_SORTS = {
    "sla": ("SLA (breached first, then due soonest)", QUEUE_ORDER),
    "priority": ("Priority, highest first", ("-priority", "id")),
    "probability": ("P(churn), highest first", ("-probability", "id")),
    "ltv": ("Lifetime value, highest first", ("-customer__lifetime_value", "id")),
    "opened": ("Newest first", ("-opened_at", "-id")),
}


class PlainSelect(forms.Select):
    """A select built in Python, the same HTML as Django's: its template renders an include per option, which was
    a fifth of the team queue's time (four filters, a dozen people)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((v, " selected" if str(v) in chosen else "", label) for v, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class QueueFilterForm(forms.Form):
    """GET filters and order of the queue; unknown values are ignored rather than failing the page."""

    tier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=PlainSelect)
    status = forms.ChoiceField(required=False, widget=PlainSelect)
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Person", widget=PlainSelect)
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, label) for k, (label, _) in QUEUE_SORTS.items()],
        label="Sort by",
        widget=PlainSelect,
    )

    def __init__(
        self,
        *args,
        tiers: list[tuple[int, str]],
        statuses: list[tuple[str, str]],
        people: list[tuple[int, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", "All tiers"), *tiers]
        self.fields["status"].choices = [("", "All open statuses"), *statuses]
        if people is None:
            del self.fields["assignee"]  # only the team queue filters by person
        else:
            self.fields["assignee"].choices = [("", "Everyone"), *people]

    def order(self) -> tuple[str, ...]:
        return QUEUE_SORTS[self.cleaned_data.get("sort") or "sla"][1]


class IdListField(forms.Field):
    """Ids posted as repeated values (the queue's checkboxes), cleaned to a sorted list of distinct ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError("Select work orders from the list.") from None


class BulkReassignForm(forms.Form):
    work_orders = IdListField(error_messages={"required": "Select at least one work order."})
    assignee = forms.ModelChoiceField(queryset=None, empty_label="Choose a person…", label="Reassign to")
    note = forms.CharField(required=False, max_length=300)
    next = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class AgentForm(forms.Form):
    capacity = forms.IntegerField(min_value=0, max_value=10_000, help_text="most open work orders at a time")
    leave_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    leave_until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="last day of leave; empty for an open-ended leave",
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("leave_from"), data.get("leave_until")
        if end and not start:
            self.add_error("leave_from", "A leave needs its first day.")
        elif start and end and end < start:
            self.add_error("leave_until", "The leave cannot end before it starts.")
        return data
