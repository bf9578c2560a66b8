"""Input forms of the alert pages; they only validate, alerts/services.py writes."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Alert


class SnoozeForm(forms.Form):
    until = forms.DateField(
        label=_("Snooze until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("no work order opens for this customer up to and including this day"),
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason"))


class AlertFilterForm(forms.Form):
    """GET filters of the alert list; unknown values are ignored rather than failing the page."""

    status = forms.ChoiceField(
        required=False, choices=[("", _("Open and snoozed")), *Alert.Status.choices], label=_("Status")
    )
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All tiers")), *[(t, format_lazy(_("Tier {}"), t)) for t in range(1, 5)]],
        label=_("Tier"),
    )
    group = forms.ChoiceField(
        required=False,
        choices=[("", _("Everyone")), ("control", _("Control group only")), ("worked", _("Worked (not control)"))],
        label=_("Group"),
    )
