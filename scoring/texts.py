"""scoring/ml's sentences (feature descriptions, explanations, policy and rule problems) in the reader's language.

scoring/ml marks them with a no-op and builds them as `Text`s; here, in the Django layer, they are translated
with the active language when shown.
"""

from django.utils.translation import gettext, gettext_lazy

from .ml.feature import Feature
from .ml.policy import Problem
from .ml.text import Text

# The policy's roles (scoring.ml.policy.ROLES) as people read them.
ROLE_LABELS = {
    "team_lead": gettext_lazy("Team lead"),
    "account_manager": gettext_lazy("Account manager"),
    "customer_service": gettext_lazy("Customer service"),
    "admin": gettext_lazy("Admin"),
    "automated": gettext_lazy("Automated (no person)"),
}


def say(text: Text | str) -> str:
    """A Text (or a marked plain string) in the active language."""
    return text.render(gettext) if isinstance(text, Text) else gettext(text)


def feature_description(feature: Feature) -> str:
    return gettext(feature.description)


def problem_message(problem: Problem) -> str:
    """Why a policy setting is wrong, without its location (a form shows it beside the field)."""
    return say(problem.text)


def problem_line(problem: Problem) -> str:
    """Where and why, for a list of problems (the API, a service's refusal): `tiers[0].min_probability: ...`."""
    return f"{problem.path}: {say(problem.text)}"
