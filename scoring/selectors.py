"""Reads for scoring: the policy, rules and model in force, score history and the win-back lane."""

from datetime import date, timedelta

import numpy as np
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Max,
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
from .history import HISTORY_BLOCK, ScorePoint, Scores, block_range, history_unpack
from .ml.policy import Policy, active_days, default_policy
from .ml.rules import RULE_FIELDS, RuleSpec
from .ml.sampling import id_hash
from .models import LatestScore, ModelVersion, PolicyVersion, Rule, RuleSetVersion, ScoreDay, ScoreRun


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


HISTORY_COLUMNS = ("as_of", "block", "probability", "tier")


def score_latest(*, customer_id: int) -> LatestScore | None:
    """The customer's latest score (rules fired and, when tiered, factors), with its run.

    A calm customer no rule ever fired for has no stored row: their latest is the history's last night, returned
    as an unsaved LatestScore of that night's run (no rules, factors worked out on demand)."""
    stored = LatestScore.objects.select_related("run").filter(customer_id=customer_id).first()
    if stored is not None:
        return stored
    last = score_history(customer_id=customer_id, limit=1)
    run = ScoreRun.objects.filter(as_of=last[0].as_of).first() if last else None
    if run is None:
        return None
    point = last[0]
    return LatestScore(
        customer_id=customer_id,
        run=run,
        as_of=point.as_of,
        probability=point.probability,
        tier=point.tier,
        is_rule_high_risk=point.is_rule_high_risk,
    )


def score_history(*, customer_id: int, limit: int = 90) -> list[ScorePoint]:
    """The customer's nightly scores, newest first, from the packed history (one block row per night)."""
    block, slot = divmod(customer_id, HISTORY_BLOCK)
    rows = ScoreDay.objects.filter(block=block, part__lte=slot)  # a row holds the slots from its part on
    oldest = next(iter(ScoreRun.objects.order_by("-as_of").values_list("as_of", flat=True)[limit - 1 : limit]), None)
    if oldest is not None:
        rows = rows.filter(as_of__gte=oldest)
    decoded = history_unpack(rows.values_list(*HISTORY_COLUMNS))
    mine = decoded.customer_id == customer_id
    points = [
        ScorePoint(as_of=d, probability=float(p), tier=int(t) or None, is_rule_high_risk=bool(h))
        for d, p, t, h in zip(
            decoded.as_of[mine],
            decoded.probability[mine],
            decoded.tier[mine],
            decoded.is_rule_high_risk[mine],
            strict=True,
        )
    ]
    return sorted(points, key=lambda p: p.as_of, reverse=True)[:limit]


def scores_on(*, as_of: date, id_from: int | None = None, id_to: int | None = None) -> Scores:
    """Every score of one night (optionally of a customer-id range), decoded from the history."""
    rows = ScoreDay.objects.filter(as_of=as_of)
    if id_from is not None and id_to is not None:
        low, high = block_range(id_from, id_to)
        rows = rows.filter(block__gte=low, block__lte=high)
    scores = history_unpack(rows.values_list(*HISTORY_COLUMNS))
    if id_from is None or id_to is None:
        return scores
    keep = (scores.customer_id >= id_from) & (scores.customer_id < id_to)
    return Scores(*(getattr(scores, f)[keep] for f in Scores.__dataclass_fields__))


def scored_after(*, as_of: date, id_from: int, id_to: int) -> set[int]:
    """Customers of an id range scored by a run of a later date than `as_of` (the date fence)."""
    low, high = block_range(id_from, id_to)
    rows = ScoreDay.objects.filter(as_of__gt=as_of, block__gte=low, block__lte=high).values_list(*HISTORY_COLUMNS)
    ids = history_unpack(rows).customer_id
    return {int(c) for c in ids[(ids >= id_from) & (ids < id_to)]}


def scores_at(pairs) -> dict[tuple[int, date], ScorePoint]:
    """The scores of (customer id, night) pairs, e.g. each alert's first score; pairs without one are left out."""
    wanted = set(pairs)
    by_night: dict[date, set[int]] = {}
    for customer_id, as_of in wanted:
        by_night.setdefault(as_of, set()).add(customer_id // HISTORY_BLOCK)
    out = {}
    for as_of, blocks in by_night.items():
        rows = ScoreDay.objects.filter(as_of=as_of, block__in=sorted(blocks)).values_list(*HISTORY_COLUMNS)
        s = history_unpack(rows)
        for c, p, t, h in zip(s.customer_id, s.probability, s.tier, s.is_rule_high_risk, strict=True):
            if (int(c), as_of) in wanted:
                out[(int(c), as_of)] = ScorePoint(as_of, float(p), int(t) or None, bool(h))
    return out


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
    """The score a work order was opened on (its night and its run) and the latest nightly score.

    `now` is given only when the latest night scored the customer differently (by a tenth of a point or more).
    """
    history = score_history(customer_id=customer_id, limit=HISTORY_READ_LIMIT)
    then = next((p for p in history if p.as_of <= opened_at.date()), None)
    latest = history[0] if history else None
    changed = (
        latest is not None
        and then is not None
        and latest.as_of != then.as_of
        and abs(latest.probability - probability) >= 0.001
    )
    run = ScoreRun.objects.filter(as_of=then.as_of).first() if then else None
    return {"then": then, "then_run": run, "now": latest if changed else None}


# Nights read back for "the score then": a work order opened within this long still finds its night.
HISTORY_READ_LIMIT = 400


def score_tier_counts(run: ScoreRun) -> dict[int, int]:
    """Customers scored in a run per tier (0: scored, no tier): from a finished run's stats when it has them (no
    scan of a million scores), else counted from the night's history."""
    stats = run.stats or {}
    if run.status == ScoreRun.Status.DONE and isinstance(stats.get("tiers"), dict) and "customers" in stats:
        tiers = {int(k): int(v) for k, v in stats["tiers"].items() if int(k) > 0}
        tiers[0] = max(int(stats["customers"]) - sum(tiers.values()), 0)
        return tiers
    tiers, counts = np.unique(scores_on(as_of=run.as_of).tier, return_counts=True)
    return {int(t): int(n) for t, n in zip(tiers, counts, strict=True)}


def score_tier_sample(run: ScoreRun, thresholds: dict[int, int]) -> dict[int, int]:
    """Customer id -> tier (0: no tier) of a run's scores whose id hash (scoring.ml.sampling.id_hash) is below
    their tier's threshold. One decode of the night's packed history; a tier not given is not read."""
    scores = scores_on(as_of=run.as_of)
    limit = np.zeros(len(scores.tier), dtype=np.int64)
    for tier, threshold in thresholds.items():
        limit[scores.tier == tier] = threshold
    keep = id_hash(scores.customer_id) < limit
    return {int(c): int(t) for c, t in zip(scores.customer_id[keep], scores.tier[keep], strict=True)}


def not_scored(customers: QuerySet[Customer], run: ScoreRun) -> list[int]:
    """The ids of the customers of a (small, drawn) queryset that the run did not score (lapsed, or new since):
    one read of the ids, one of their blocks of the night's history."""
    ids = list(customers.values_list("id", flat=True))
    scored = {c for c, _ in scores_at([(i, run.as_of) for i in ids])}
    return [i for i in ids if i not in scored]
