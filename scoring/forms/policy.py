"""The policy form: global settings and one row of fields per tier, bounds from the policy's own limits."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interventions.models import BusinessCalendar

from ..ml.policy import (
    CHURN_MODES,
    LIMITS,
    NEW_CUSTOMER_LANES,
    ROLES,
    TIER_LIMITS,
    Limit,
    Problem,
    setting,
    validate_policy,
)
from ..texts import ROLE_LABELS, problem_line, problem_message
from .rules import CHURN_MODE_LABELS, CommentForm

TIER_ATTRS = (
    "min_probability",
    "assignee_role",
    "escalation_role",
    "first_contact_hours",
    "resolution_hours",
    "expected_cost",
    "creates_work_order",
    "top_share",
    "calendar",
    "escalation_24x7",
)
# Optional tier settings: left out of the stored tier while they hold their default, so that saving the form
# changes nothing the admin did not change.
_OPTIONAL_TIER_DEFAULTS = {"calendar": "", "escalation_24x7": False}
TIER_MODE_LABELS = {
    "probability": gettext_lazy("By probability: each tier from its P(churn) threshold (the seeds' table)"),
    "rank": gettext_lazy("By rank: each tier a share of the active scored population (top 2%, next 5%, ...)"),
}
NEW_LANE_LABELS = {
    "save": gettext_lazy("Worked like everyone else"),
    "automated": gettext_lazy("Automated lane: no person until the tenure"),
}
# A problem's location in the policy document -> the form field that shows it (tier settings: tier_<n>_<attr>).
_TOP_FIELDS = {
    "churn_definition.mode": "churn_mode",
    "churn_definition.inactive_days": "inactive_days",
    "new_customers.min_tenure_days": "new_min_tenure_days",
    "new_customers.lane": "new_lane",
}


def _number_field(limit: Limit, label: str, **kwargs) -> forms.Field:
    """A form field whose bounds are the policy's own (ml.policy LIMITS / TIER_LIMITS)."""
    kind = forms.IntegerField if limit.integer else forms.FloatField
    lo, hi = (int(limit.lo), int(limit.hi)) if limit.integer else (limit.lo, limit.hi)
    return kind(min_value=lo, max_value=hi, label=label, **kwargs)


def _tier_fields(tier: int, calendars: list[str]) -> dict[str, forms.Field]:
    roles = [(r, ROLE_LABELS.get(r, r)) for r in ROLES]
    return {
        "min_probability": _number_field(
            TIER_LIMITS["min_probability"],
            _("Tier %(tier)s from P(churn)") % {"tier": tier},
            widget=forms.NumberInput(attrs={"step": "0.01"}),
        ),
        "assignee_role": forms.ChoiceField(choices=roles, label=_("Assignee role")),
        "escalation_role": forms.ChoiceField(
            choices=[("", _("No escalation")), *roles], required=False, label=_("Escalates to")
        ),
        "first_contact_hours": _number_field(
            TIER_LIMITS["first_contact_hours"], _(TIER_LIMITS["first_contact_hours"].label), required=False
        ),
        "resolution_hours": _number_field(
            TIER_LIMITS["resolution_hours"], _(TIER_LIMITS["resolution_hours"].label), required=False
        ),
        "expected_cost": _number_field(
            TIER_LIMITS["expected_cost"],
            _(TIER_LIMITS["expected_cost"].label),
            widget=forms.NumberInput(attrs={"step": "any"}),
        ),
        "creates_work_order": forms.BooleanField(required=False, label=_("Creates work orders")),
        "top_share": _number_field(
            TIER_LIMITS["top_share"],
            _("Tier %(tier)s rank share") % {"tier": tier},
            required=False,
            widget=forms.NumberInput(attrs={"step": "0.001"}),
        ),
        "calendar": forms.ChoiceField(
            choices=[("", _("Team's calendar")), *((n, n) for n in calendars)], required=False, label=_("SLA calendar")
        ),
        "escalation_24x7": forms.BooleanField(required=False, label=_("Escalates at any hour")),
    }


class PolicyForm(CommentForm):
    """The policy in force as a flat form: global settings, then one row of fields per tier."""

    high_risk_min_rules = _number_field(
        LIMITS["high_risk_min_rules"], gettext_lazy(LIMITS["high_risk_min_rules"].label)
    )
    rule_high_min_tier = forms.TypedChoiceField(coerce=int, label=gettext_lazy(LIMITS["rule_high_min_tier"].label))
    horizon_days = _number_field(LIMITS["horizon_days"], gettext_lazy(LIMITS["horizon_days"].label))
    churn_mode = forms.ChoiceField(
        choices=[(m, CHURN_MODE_LABELS[m]) for m in CHURN_MODES], label=gettext_lazy("A customer has churned when")
    )
    inactive_days = _number_field(
        LIMITS["churn_definition.inactive_days"], gettext_lazy(LIMITS["churn_definition.inactive_days"].label)
    )
    control_share = _number_field(
        LIMITS["control_share"],
        gettext_lazy(LIMITS["control_share"].label),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=gettext_lazy("Flagged customers who get no work order, to measure uplift."),
    )
    recontact_quiet_days = _number_field(
        LIMITS["recontact_quiet_days"], gettext_lazy(LIMITS["recontact_quiet_days"].label)
    )
    # The lanes' settings; left empty, a setting keeps the value it has (versions before them: the default).
    tier_mode = forms.ChoiceField(
        choices=list(TIER_MODE_LABELS.items()), required=False, label=gettext_lazy("Tiers are set")
    )
    value_spend_days = _number_field(
        LIMITS["value_spend_days"],
        gettext_lazy(LIMITS["value_spend_days"].label),
        required=False,
        help_text=gettext_lazy(
            "Used when a customer has no lifetime value; where events carry no "
            "amounts, the purchase frequency in the same window."
        ),
    )
    new_min_tenure_days = _number_field(
        LIMITS["new_customers.min_tenure_days"],
        gettext_lazy(LIMITS["new_customers.min_tenure_days"].label),
        required=False,
    )
    new_lane = forms.ChoiceField(
        choices=[(k, NEW_LANE_LABELS[k]) for k in NEW_CUSTOMER_LANES],
        required=False,
        label=gettext_lazy("New customers are"),
    )

    field_order = [
        "high_risk_min_rules",
        "rule_high_min_tier",
        "horizon_days",
        "churn_mode",
        "inactive_days",
        "control_share",
        "recontact_quiet_days",
        "tier_mode",
        "value_spend_days",
        "new_min_tenure_days",
        "new_lane",
    ]

    def __init__(self, *args, policy: dict, **kwargs):
        self.base_policy = policy
        self.tiers = [t["tier"] for t in policy["tiers"]]
        kwargs.setdefault("initial", self.initial_from(policy))
        super().__init__(*args, **kwargs)
        self.fields["rule_high_min_tier"].choices = [(t["tier"], f"{t['tier']} · {t['name']}") for t in policy["tiers"]]
        calendars = list(BusinessCalendar.objects.order_by("name").values_list("name", flat=True))
        for tier in self.tiers:
            for attr, field in _tier_fields(tier, calendars).items():
                self.fields[f"tier_{tier}_{attr}"] = field
        comment = self.fields.pop("comment")
        self.fields["comment"] = comment  # last, next to the buttons

    @staticmethod
    def initial_from(policy: dict) -> dict:
        initial = {
            k: policy[k]
            for k in (
                "high_risk_min_rules",
                "rule_high_min_tier",
                "horizon_days",
                "control_share",
                "recontact_quiet_days",
            )
        }
        initial["churn_mode"] = policy["churn_definition"]["mode"]
        initial["inactive_days"] = policy["churn_definition"]["inactive_days"]
        initial["tier_mode"] = setting(policy, "tier_mode")
        initial["value_spend_days"] = setting(policy, "value_spend_days")
        new = setting(policy, "new_customers")
        initial["new_min_tenure_days"], initial["new_lane"] = new["min_tenure_days"], new["lane"]
        for t in policy["tiers"]:
            for attr in TIER_ATTRS:
                initial[f"tier_{t['tier']}_{attr}"] = t.get(attr)
        return initial

    def tier_rows(self) -> list[tuple[dict, list]]:
        """(tier, bound fields in TIER_ATTRS order) per tier, for the tier table."""
        return [(t, [self[f"tier_{t['tier']}_{attr}"] for attr in TIER_ATTRS]) for t in self.base_policy["tiers"]]

    def clean(self):
        data = super().clean()
        self._check_order(data)
        if self.errors:
            return data
        for problem in validate_policy(self.policy()):
            self._add_policy_error(problem)
        return data

    def _check_order(self, data):
        previous = None
        for tier in self.tiers:
            p = data.get(f"tier_{tier}_min_probability")
            if p is not None and previous is not None and p >= previous[1]:
                self.add_error(
                    f"tier_{tier}_min_probability",
                    _("Must be lower than tier %(tier)s's %(threshold)s: thresholds fall strictly from tier 1 down.")
                    % {"tier": previous[0], "threshold": f"{previous[1]:g}"},
                )
            if p is not None:
                previous = (tier, p)

    def _add_policy_error(self, problem: Problem):
        """Show a problem beside the field it names (its location is data, not parsed from the message)."""
        message = problem_message(problem)
        # Translators: a policy problem shown beside its field, as a sentence.
        text = _("%(reason)s.") % {"reason": message[:1].upper() + message[1:]}
        if problem.tier_index is not None and problem.tier_index < len(self.tiers):
            name = f"tier_{self.tiers[problem.tier_index]}_{problem.attr}"
        else:
            name = _TOP_FIELDS.get(problem.path, problem.path)
        if name in self.fields:
            self.add_error(name, text)
        else:
            self.add_error(None, problem_line(problem))

    def policy(self) -> dict:
        """The edited policy: the policy the form started from with the form's values put in."""
        data = self.cleaned_data
        policy = {**self.base_policy}
        for key in (
            "high_risk_min_rules",
            "rule_high_min_tier",
            "horizon_days",
            "control_share",
            "recontact_quiet_days",
        ):
            policy[key] = data[key]
        policy["churn_definition"] = {
            **self.base_policy["churn_definition"],
            "mode": data["churn_mode"],
            "inactive_days": data["inactive_days"],
        }
        base = self.base_policy
        policy["tier_mode"] = data.get("tier_mode") or setting(base, "tier_mode")
        policy["value_spend_days"] = data.get("value_spend_days") or setting(base, "value_spend_days")
        new = setting(base, "new_customers")
        tenure = data.get("new_min_tenure_days")
        policy["new_customers"] = {
            "min_tenure_days": new["min_tenure_days"] if tenure is None else tenure,
            "lane": data.get("new_lane") or new["lane"],
        }
        tiers = []
        for t in self.base_policy["tiers"]:
            tier = {**t}
            for attr in TIER_ATTRS:
                tier[attr] = data[f"tier_{t['tier']}_{attr}"]
            tier["escalation_role"] = tier["escalation_role"] or ""
            if tier["top_share"] is None:
                tier.pop("top_share")
                if "top_share" in t:
                    tier["top_share"] = t["top_share"]
            for attr, default in _OPTIONAL_TIER_DEFAULTS.items():
                if (tier[attr] or default) == default and attr not in t:
                    del tier[attr]
            tiers.append(tier)
        policy["tiers"] = tiers
        return policy
