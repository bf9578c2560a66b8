"""Input forms of the alert pages; they only validate, alerts/services.py writes."""

from django import forms

from .models import Alert


class SnoozeForm(forms.Form):
    until = forms.DateField(
        label="Snooze until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="no work order opens for this customer up to and including this day",
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AlertFilterForm(forms.Form):
    """GET filters of the alert list; unknown values are ignored rather than failing the page."""

    status = forms.ChoiceField(required=False, choices=[("", "Open and snoozed"), *Alert.Status.choices])
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "All tiers"), *[(t, f"Tier {t}") for t in range(1, 5)]],
    )
    group = forms.ChoiceField(
        required=False,
        choices=[("", "Everyone"), ("control", "Control group only"), ("worked", "Worked (not control)")],
    )
