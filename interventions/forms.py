"""Input forms of the work order pages; they only validate, the services in services.py write."""

from django import forms

from .choices import ActionKind, Outcome, Reason, WorkOrderStatus


class LogActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label="Action")
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose outcome…"), *Outcome.choices])
    reason = forms.ChoiceField(choices=[("", "Choose reason…"), *Reason.choices])
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class SetStatusForm(forms.Form):
    status = forms.ChoiceField(choices=WorkOrderStatus.choices)
    note = forms.CharField(required=False, max_length=300)


class QueueFilterForm(forms.Form):
    """GET filters of the queue; unknown values are ignored rather than failing the page."""

    tier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(required=False)

    def __init__(self, *args, tiers: list[tuple[int, str]], statuses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", "All tiers"), *tiers]
        self.fields["status"].choices = [("", "All open statuses"), *statuses]


def form_errors(form: forms.Form) -> str:
    """All of a bound form's errors as one line for a flash message."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return "; ".join(parts)
