"""Input forms of the work order pages; they only validate, the services in services.py write."""

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .choices import ActionKind, Outcome, Reason, WorkOrderStatus
from .models import Offer, validate_timezone_name
from .selectors import QUEUE_ORDER


class LogActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label=_("Action"))
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.filter(is_active=True),
        required=False,
        empty_label=_("— no offer —"),
        label=_("Offer (for an offer action)"),
    )
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"))


class OfferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))], label=_("Decision"))
    note = forms.CharField(required=False, max_length=300, label=_("Note"))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", _("Choose outcome…")), *Outcome.choices], label=_("Outcome"))
    reason = forms.ChoiceField(choices=[("", _("Choose reason…")), *Reason.choices], label=_("Reason"))
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"))


class SetStatusForm(forms.Form):
    status = forms.ChoiceField(choices=WorkOrderStatus.choices, label=_("Status"))
    note = forms.CharField(required=False, max_length=300, label=_("Note"))


# The queue's orders: the SLA order (the default, served straight from the queue index) and a few others a
# person sorts by when planning the day; each ends with the id so that pages never overlap.
QUEUE_SORTS = {
    "sla": (_("SLA (breached first, then due soonest)"), QUEUE_ORDER),
    "priority": (_("Priority, highest first"), ("-priority", "id")),
    "probability": (_("P(churn), highest first"), ("-probability", "id")),
    "ltv": (_("Lifetime value, highest first"), ("-customer__lifetime_value", "id")),
    "opened": (_("Newest first"), ("-opened_at", "-id")),
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

    tier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Tier"), widget=PlainSelect)
    status = forms.ChoiceField(required=False, label=_("Status"), widget=PlainSelect)
    assignee = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Person"), widget=PlainSelect
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, label) for k, (label, _order) in QUEUE_SORTS.items()],
        label=_("Sort by"),
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
        self.fields["tier"].choices = [("", _("All tiers")), *tiers]
        self.fields["status"].choices = [("", _("All open statuses")), *statuses]
        if people is None:
            del self.fields["assignee"]  # only the team queue filters by person
        else:
            self.fields["assignee"].choices = [("", _("Everyone")), *people]

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
            raise forms.ValidationError(_("Select work orders from the list.")) from None


class BulkReassignForm(forms.Form):
    work_orders = IdListField(error_messages={"required": _("Select at least one work order.")}, label=_("Work orders"))
    assignee = forms.ModelChoiceField(queryset=None, empty_label=_("Choose a person…"), label=_("Reassign to"))
    note = forms.CharField(required=False, max_length=300, label=_("Note"))
    next = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class AgentForm(forms.Form):
    capacity = forms.IntegerField(
        min_value=0, max_value=10_000, label=_("Capacity"), help_text=_("most open work orders at a time")
    )
    leave_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Leave from"))
    leave_until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Leave until"),
        help_text=_("last day of leave; empty for an open-ended leave"),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("leave_from"), data.get("leave_until")
        if end and not start:
            self.add_error("leave_from", _("A leave needs its first day."))
        elif start and end and end < start:
            self.add_error("leave_until", _("The leave cannot end before it starts."))
        return data


class PreferencesForm(forms.Form):
    """A person's own language and time zone; blank follows the browser and the installation."""

    language = forms.ChoiceField(required=False, label=_("Language"))
    timezone = forms.CharField(
        required=False,
        max_length=64,
        label=_("Time zone"),
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
    )

    def __init__(self, *args, installation_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Follow the browser")), *settings.LANGUAGES]
        self.fields["timezone"].help_text = _("empty: the installation's time zone, %(zone)s") % {
            "zone": installation_zone
        }

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        validate_timezone_name(value)
        return value
