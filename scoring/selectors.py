"""Reads for scoring: the policy, rules and model in force, score history and the win-back lane."""

from datetime import date, timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from customers.models import Customer

from .features import cutoff_for
from .ml.policy import Policy, active_days, default_policy
from .ml.rules import RULE_FIELDS, RuleSpec
from .ml.sampling import HASH_MODULUS, HASH_MULTIPLIER
from .models import CustomerScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreRun


def policy_current() -> PolicyVersion | None:
    """The latest policy version (None before the first one is installed)."""
    return PolicyVersion.objects.order_by("-number").first()


def policy_in_force() -> Policy:
    """The policy in force: the latest version's, or the default before the first nightly run installs one.

    The one reader of "the policy in force"; every other module asks it.
    """
    # Only the data column: every queue page reads it, and the version's diff can be much larger.
    data = PolicyVersion.objects.order_by("-number").values_list("data", flat=True).first()
    return data if data is not None else default_policy()


def policy_tiers() -> list[dict]:
    """Tiers of the policy in force."""
    return policy_in_force()["tiers"]


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


def rule_as_dict(rule: Rule) -> dict:
    """A rule as it is stored in a rule-set version."""
    return {f: getattr(rule, f) for f in RULE_FIELDS}


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


def winback_list(*, as_of: date | None = None) -> QuerySet[Customer]:
    """The win-back lane: customers gone by the churn definition in force as of a date (default: the latest run's),
    ranked by value (lifetime value, else lifetime spend, else purchases), with their last activity before then.

    The same rule as scoring's active population (`active_days`): silent longer than the inactive days, or churned.
    """
    if as_of is None:
        latest = run_latest()
        as_of = latest.as_of if latest else timezone.localdate()
    cutoff = cutoff_for(as_of)
    before = Q(events__occurred_at__lt=cutoff)
    purchases = before & Q(events__kind="purchase")
    qs = Customer.objects.select_related("owner").annotate(
        last_activity=Max("events__occurred_at", filter=before),
        lifetime_spend=Coalesce(Sum("events__amount", filter=purchases), Value(0.0)),
        purchases=Count("events", filter=purchases),
    )
    gone = Q(churned_at__lt=cutoff)
    days = active_days(policy_in_force())
    if days:
        gone |= Q(last_activity__lt=cutoff - timedelta(days=days))
    value = Case(
        When(lifetime_value__gt=0, then=F("lifetime_value")),
        When(lifetime_spend__gt=0, then=F("lifetime_spend")),
        default=Cast(F("purchases"), FloatField()),
        output_field=FloatField(),
    )
    basis = Case(
        When(lifetime_value__gt=0, then=Value("ltv")),
        When(lifetime_spend__gt=0, then=Value("spend")),
        default=Value("frequency"),
        output_field=CharField(),
    )
    return qs.filter(gone).annotate(value=value, value_basis=basis).order_by("-value", "id")


def score_then_and_now(*, customer_id: int, probability: float, opened_at) -> dict:
    """The score a work order was opened on (its run date and when it was computed) and the latest score.

    `now` is given only when the latest run scored the customer differently (by a tenth of a point or more).
    """
    scores = (
        CustomerScore.objects.filter(customer_id=customer_id)
        .select_related("run")
        .only("as_of", "probability", "tier", "run__finished_at", "run__started_at")
        .order_by("-as_of")
    )
    then = scores.filter(as_of__lte=opened_at.date()).first()
    latest = scores.first()
    changed = (
        latest is not None
        and then is not None
        and latest.pk != then.pk
        and abs(latest.probability - probability) >= 0.001
    )
    return {"then": then, "now": latest if changed else None}


def _id_hash():
    # Deterministic pseudo-random order of customer ids (scoring.ml.sampling.id_hash), computed in the database.
    return ExpressionWrapper(F("customer_id") * HASH_MULTIPLIER % HASH_MODULUS, output_field=BigIntegerField())


def score_tier_counts(run: ScoreRun) -> dict[int, int]:
    """Customers scored in a run per tier (0: scored, no tier): from a finished run's stats when it has them (no
    scan of a million scores), else counted."""
    stats = run.stats or {}
    if run.status == ScoreRun.Status.DONE and isinstance(stats.get("tiers"), dict) and "customers" in stats:
        tiers = {int(k): int(v) for k, v in stats["tiers"].items() if int(k) > 0}
        tiers[0] = max(int(stats["customers"]) - sum(tiers.values()), 0)
        return tiers
    rows = CustomerScore.objects.filter(run=run).values("tier").annotate(n=Count("id")).order_by()
    return {int(r["tier"] or 0): int(r["n"]) for r in rows}


def score_tier_sample(run: ScoreRun, thresholds: dict[int, int]) -> dict[int, int]:
    """Customer id -> tier (0: no tier) of a run's scores whose id hash is below their tier's threshold.

    One pass over the run's scores; a tier at `HASH_MODULUS` or above is read whole, a tier not given is not read.
    """
    limit = Case(
        When(tier__isnull=True, then=Value(thresholds.get(0, 0))),
        *[When(tier=t, then=Value(v)) for t, v in thresholds.items() if t],
        default=Value(0),
        output_field=BigIntegerField(),
    )
    rows = CustomerScore.objects.filter(run=run).annotate(h=_id_hash(), limit=limit).filter(h__lt=F("limit"))
    return {int(c): int(t or 0) for c, t in rows.values_list("customer_id", "tier")}


def not_scored(customers: QuerySet[Customer], run: ScoreRun) -> QuerySet[Customer]:
    """The customers of a queryset that the run did not score (lapsed, or new since)."""
    return customers.exclude(Exists(CustomerScore.objects.filter(run=run, customer=OuterRef("pk"))))
