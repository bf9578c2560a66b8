"""Reads for scoring: the policy, rules and model in force, and score history."""

from .ml.rules import RuleSpec
from .models import CustomerScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreRun


def policy_current() -> PolicyVersion:
    return PolicyVersion.objects.order_by("-number").first()


def ruleset_current() -> RuleSetVersion:
    return RuleSetVersion.objects.order_by("-number").first()


def rule_specs(ruleset: RuleSetVersion) -> list[RuleSpec]:
    """The enabled rules of a rule-set version as evaluable specs."""
    return [
        RuleSpec(r["name"], tuple((c["feature"], c["op"], float(c["value"])) for c in r["conditions"]))
        for r in ruleset.rules
        if r.get("is_enabled", True)
    ]


def rule_list():
    return Rule.objects.all()


def model_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def score_history(*, customer, limit: int = 90):
    return CustomerScore.objects.filter(customer=customer).order_by("-as_of")[:limit]


def rule_specs_from(rules: list[dict]) -> list[RuleSpec]:
    """The enabled rules of a list of rule dicts (a proposed rule set) as evaluable specs."""
    return [
        RuleSpec(r["name"], tuple((c["feature"], c["op"], float(c["value"])) for c in r["conditions"]))
        for r in rules
        if r.get("is_enabled", True)
    ]


def rules_as_dicts() -> list[dict]:
    """The rules table as rule dicts, in evaluation order (the shape of a rule-set version)."""
    fields = ("name", "description", "conditions", "is_enabled", "position")
    return [{f: getattr(r, f) for f in fields} for r in Rule.objects.order_by("position", "id")]


def run_latest() -> ScoreRun | None:
    """The newest finished score run (or the newest run at all while none has finished)."""
    runs = ScoreRun.objects.select_related("model_version", "policy_version", "ruleset_version").order_by("-as_of")
    return runs.filter(status=ScoreRun.Status.DONE).first() or runs.first()


def policy_versions():
    return PolicyVersion.objects.select_related("author").order_by("-number")


def ruleset_versions():
    return RuleSetVersion.objects.select_related("author").order_by("-number")


def runs_by_version(field: str, version_ids) -> dict[int, list]:
    """Score-run dates per policy or rule-set version id (`field` is 'policy_version' or 'ruleset_version')."""
    out: dict[int, list] = {}
    rows = ScoreRun.objects.filter(**{f"{field}__in": list(version_ids)}).order_by("-as_of")
    for version_id, as_of in rows.values_list(f"{field}_id", "as_of"):
        out.setdefault(version_id, []).append(as_of)
    return out


def score_then_and_now(*, customer_id: int, probability: float, opened_at) -> dict:
    """The score a work order was opened on (its run date and when it was computed) and the latest score.

    `now` is given only when the latest run scored the customer differently (by a tenth of a point or more).
    """
    scores = (CustomerScore.objects.filter(customer_id=customer_id).select_related("run")
              .only("as_of", "probability", "tier", "run__finished_at", "run__started_at").order_by("-as_of"))
    then = scores.filter(as_of__lte=opened_at.date()).first()
    latest = scores.first()
    changed = latest is not None and then is not None and latest.pk != then.pk and \
        abs(latest.probability - probability) >= 0.001
    return {"then": then, "now": latest if changed else None}
