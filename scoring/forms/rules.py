"""Forms of the rule pages. They offer only catalog features, valid operators and known roles, and put every
problem next to the field it concerns; the services in services.py validate again and write.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..ml.catalog import FEATURES, FEATURES_BY_NAME
from ..ml.rules import OPERATORS
from ..models import Rule
from ..texts import feature_description

_OPERATOR_WORDS = {
    "<": gettext_lazy("less than"),
    "<=": gettext_lazy("at most"),
    ">": gettext_lazy("more than"),
    ">=": gettext_lazy("at least"),
    "==": gettext_lazy("equal to"),
    "!=": gettext_lazy("not equal to"),
}
OPERATOR_SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


# Exactly the operators the rule engine knows, in its order.
def _operator_label(op: str) -> str:
    return f"{OPERATOR_SYMBOLS.get(op, op)} {_OPERATOR_WORDS.get(op, '')}".strip()


OPERATOR_LABELS = {op: lazy(_operator_label, str)(op) for op in OPERATORS}
CHURN_MODE_LABELS = {
    "explicit": gettext_lazy("Only an explicit churn date"),
    "inactive": gettext_lazy("N days without any activity"),
    "explicit_or_inactive": gettext_lazy("An explicit churn date, or N days without any activity"),
}
# Rows of the condition editor: a rule rarely needs more than four conditions; two blank rows to add more.
EXTRA_CONDITION_ROWS = 2
MAX_CONDITIONS = 12


def _feature_choices():
    return [("", _("Choose a feature…")), *((f.name, f"{feature_description(f)} ({f.unit})") for f in FEATURES)]


def condition_text(condition: dict) -> str:
    """A condition in words: 'Days since the last service visit ≥ 90 days'."""
    feature = FEATURES_BY_NAME.get(condition.get("feature"))
    symbol = OPERATOR_SYMBOLS.get(condition.get("op"), condition.get("op"))
    value = condition.get("value")
    value_text = f"{value:g}" if isinstance(value, int | float) else str(value)
    if feature is None:
        return f"{condition.get('feature')} {symbol} {value_text}"
    return f"{feature_description(feature)} {symbol} {value_text} {feature.unit}"


class CommentForm(forms.Form):
    """Saving needs a comment (it is the 'why' of the history); a preview does not."""

    comment = forms.CharField(
        max_length=1000, label=gettext_lazy("Why (kept in the history)"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. fewer false alarms in tier 3")}),
    )  # fmt: skip

    def __init__(self, *args, saving: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = saving


class ConditionForm(forms.Form):
    """One `feature operator value` row; a row left blank is ignored."""

    feature = forms.ChoiceField(choices=_feature_choices, required=False, label=gettext_lazy("Feature"))
    op = forms.ChoiceField(
        choices=[("", "…"), *OPERATOR_LABELS.items()], required=False, label=gettext_lazy("Operator")
    )
    value = forms.FloatField(
        required=False, label=pgettext_lazy("rule condition", "Value"), widget=forms.NumberInput(attrs={"step": "any"})
    )

    def clean(self):
        data = super().clean()
        feature, op, value = data.get("feature"), data.get("op"), data.get("value")
        if not feature and not op and value is None and not self.errors:
            return {}
        for name, given in (("feature", feature), ("op", op), ("value", value)):
            if (given is None or given == "") and name not in self.errors:
                self.add_error(name, _("Fill this in too, or clear the whole row."))
        spec = FEATURES_BY_NAME.get(feature)
        if spec is not None and value is not None and not spec.minimum <= value <= spec.maximum:
            self.add_error(
                "value",
                _("Must be between %(lo)s and %(hi)s %(unit)s for this feature.")
                % {"lo": f"{spec.minimum:g}", "hi": f"{spec.maximum:g}", "unit": spec.unit},
            )
        return data

    def condition(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("feature"):
            return None
        value = data["value"]
        return {"feature": data["feature"], "op": data["op"], "value": int(value) if value.is_integer() else value}


class BaseConditionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.conditions():
            raise ValidationError(_("A rule needs at least one condition."))

    def conditions(self) -> list[dict]:
        return [c for form in self.forms if (c := form.condition()) is not None]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=EXTRA_CONDITION_ROWS, max_num=MAX_CONDITIONS,
    validate_max=True, absolute_max=MAX_CONDITIONS,
)  # fmt: skip


class RuleForm(CommentForm):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    description = forms.CharField(
        required=False,
        max_length=2000,
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What an account manager reads when the rule fires."),
    )
    is_enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Enabled"))
    position = forms.IntegerField(
        min_value=0,
        max_value=10_000,
        initial=0,
        label=gettext_lazy("Position"),
        help_text=gettext_lazy("Rules are listed and evaluated in this order."),
    )

    field_order = ["name", "description", "is_enabled", "position", "comment"]

    def __init__(self, *args, rule: Rule | None = None, **kwargs):
        self.rule = rule
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("A rule needs a name."))
        others = Rule.objects.exclude(pk=self.rule.pk) if self.rule else Rule.objects.all()
        if others.filter(name=name).exists():
            raise ValidationError(_("Another rule already has this name."))
        return name

    def rule_fields(self, conditions: list[dict]) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "is_enabled": data["is_enabled"],
            "position": data["position"],
            "conditions": conditions,
        }


def rule_forms(data=None, *, rule: Rule | None = None) -> tuple[RuleForm, ConditionFormSet]:
    """The rule form and its condition rows, bound to POST data or filled from the rule."""
    if data is not None:
        return RuleForm(data, rule=rule, saving="preview" not in data), ConditionFormSet(data, prefix="cond")
    if rule is None:
        return RuleForm(rule=None), ConditionFormSet(prefix="cond")
    initial = {
        "name": rule.name,
        "description": rule.description,
        "is_enabled": rule.is_enabled,
        "position": rule.position,
    }
    return RuleForm(initial=initial, rule=rule), ConditionFormSet(initial=rule.conditions, prefix="cond")


# --- policy --------------------------------------------------------------------------------------------------------
