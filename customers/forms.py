"""GET filters of the customer list; unknown values are ignored rather than failing the page."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=120,
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, external id, contact, phone or e-mail")}
        ),
    )
    segment = forms.ChoiceField(required=False, label=_("Segment"))
    tier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Tier"))
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Owner"))

    def __init__(
        self, *args, segments: list[str], tiers: list[tuple[int, str]], owners: list[tuple[int, str]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("All segments")), *((s, s) for s in segments)]
        self.fields["tier"].choices = [("", _("All tiers")), *tiers]
        self.fields["owner"].choices = [("", _("All owners")), *owners]
