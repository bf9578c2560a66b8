"""GET filters of the customer list; unknown values are ignored rather than failing the page."""

from django import forms


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=120,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, external id, contact, phone or e-mail"}),
    )
    segment = forms.ChoiceField(required=False)
    tier = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args, segments: list[str], tiers: list[tuple[int, str]], owners: list[tuple[int, str]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "All segments"), *((s, s) for s in segments)]
        self.fields["tier"].choices = [("", "All tiers"), *tiers]
        self.fields["owner"].choices = [("", "All owners"), *owners]
