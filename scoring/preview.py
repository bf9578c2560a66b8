"""Dry runs of configuration changes: what a policy or rule edit would do, and how the rules did in the past.

Nothing here writes. A preview scores the latest feature snapshot (the features as of the latest score run)
twice, with the versions in force and with the proposed ones, using that run's model. Above a sample size the
snapshot is a stratified sample (`scoring.preview_sample`) and the counts are estimates with a 95% margin; the exact
counts over everyone can be computed in the background (`scoring.tasks.preview_exact_task`).
"""

from datetime import timedelta

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from churnops.core.errors import Conflict
from customers.models import Customer

from .backtest import backtest_rules
from .lanes import split_population
from .ml import model as ml
from .ml.policy import active_days, assign_tiers, setting, validate_policy
from .ml.sampling import Count, weighted_rank_thresholds
from .models import Rule
from .preview_sample import snapshot
from .scorer import model_bundle, score_frame
from .selectors import policy_current, rule_as_dict, rule_specs, rule_specs_from, ruleset_current, run_latest
from .services import rules_validate
from .texts import ROLE_LABELS, problem_line

# Customers listed as entering / leaving the high-risk set; the counts are always complete.
PREVIEW_LIST_LIMIT = 50
# A backtest reads the whole history once; its result only changes with the rules, the policy or a new run.
BACKTEST_CACHE_SECONDS = 24 * 3600


class PreviewUnavailable(Conflict):
    """There is no score run yet, so there is no feature snapshot to preview against."""

    code = "no_snapshot"


class _KnownProbabilities:
    """Stands in for the model: its probabilities do not depend on the policy or the rules, so predict once."""

    def __init__(self, probability: np.ndarray):
        self.probability = probability

    def predict_proba(self, X):
        return np.column_stack([1 - self.probability, self.probability])


def rules_after_edit(*, rule_id: int | None = None, fields: dict | None = None, remove: bool = False) -> list[dict]:
    """The rule set as it would be after one edit: a new rule (no id), a changed rule, or a removed one."""
    rules = []
    for rule in Rule.objects.order_by("position", "id"):
        if rule.pk == rule_id:
            if remove:
                continue
            rules.append({**rule_as_dict(rule), **(fields or {})})
        else:
            rules.append(rule_as_dict(rule))
    if rule_id is None and fields is not None:
        rules.append({"description": "", "is_enabled": True, "position": len(rules), **fields})
    return sorted(rules, key=lambda r: r.get("position", 0))


def _customer_rows(ids, now: pd.DataFrame, proposed: pd.DataFrame) -> list[dict]:
    names = Customer.objects.in_bulk(list(ids))
    return [
        {
            "customer_id": int(cid),
            "external_id": names[cid].external_id if cid in names else "",
            "name": names[cid].name if cid in names else "",
            "probability": round(float(proposed.at[cid, "probability"]), 4),
            "tier_now": int(now.at[cid, "tier"]) or None,
            "tier_proposed": int(proposed.at[cid, "tier"]) or None,
            "rules_now": list(now.at[cid, "rules_fired"]),
            "rules_proposed": list(proposed.at[cid, "rules_fired"]),
        }
        for cid in ids
    ]


def _movers(mask: pd.Series, order: pd.Series) -> list[int]:
    """Ids where mask holds, riskiest first (then by id, so the list is stable)."""
    picked = pd.DataFrame({"p": order[mask]})
    picked["id"] = picked.index
    return [int(i) for i in picked.sort_values(["p", "id"], ascending=[False, True]).index[:PREVIEW_LIST_LIMIT]]


def _exact_count(mask) -> Count:
    return Count(int(np.asarray(mask, dtype=bool).sum()), 0, int(np.asarray(mask, dtype=bool).sum()))


def _pair(count, mask_now, mask_proposed) -> dict:
    now, proposed = count(mask_now), count(mask_proposed)
    return {"now": now.value, "proposed": proposed.value, "margin": {"now": now.margin, "proposed": proposed.margin}}


def _tier_rows(policy_now: dict, policy_proposed: dict, now: pd.DataFrame, proposed: pd.DataFrame, count) -> list:
    names = {t["tier"]: t["name"] for t in policy_now["tiers"]}
    names.update({t["tier"]: t["name"] for t in policy_proposed["tiers"]})
    tier_now, tier_proposed = now["tier"].to_numpy(), proposed["tier"].to_numpy()
    rows = [{"tier": t, "name": names[t], **_pair(count, tier_now == t, tier_proposed == t)} for t in sorted(names)]
    rows.append({"tier": None, "name": "no tier", **_pair(count, tier_now == 0, tier_proposed == 0)})
    return rows


def _work_tiers(policy: dict, scored: pd.DataFrame) -> np.ndarray:
    tiers = [t["tier"] for t in policy["tiers"] if t.get("creates_work_order")]
    return scored["tier"].isin(tiers).to_numpy()


def _score(features: pd.DataFrame, policy: dict, rules, bundle, weights=None) -> tuple[pd.DataFrame, pd.Index]:
    """Score the snapshot under a policy: tiers for its active population only (ranked among them under rank-based
    tiers, each sampled customer standing for its weight), no tier for the lapsed. Returns the scores and the new
    customers kept from people."""
    scored = score_frame(features=features, policy=policy, rules=rules, model_bundle=bundle)
    population = split_population(features, policy)
    active = features.index.isin(population.active.index)
    probability = scored["probability"].to_numpy()[active]
    ranked = None
    if weights is not None and setting(policy, "tier_mode") == "rank":
        shares = [(t["tier"], t.get("top_share") or 0.0) for t in policy["tiers"]]
        ranked = weighted_rank_thresholds(shares, probability, weights[active])
    tiers = np.zeros(len(features), dtype=np.int16)
    tiers[active] = assign_tiers(policy, probability, scored["is_rule_high_risk"].to_numpy()[active], ranked)
    scored["tier"] = tiers
    scored["is_active"] = active
    return scored, population.new


def _team_rows(policy: dict, scored: pd.DataFrame, new: pd.Index, capacity: dict | None, count) -> list[dict]:
    """Per team (the role a work tier goes to): how many customers the policy would put in front of it, against the
    free capacity it has (members not on leave: capacity minus open load). Over capacity, the rest stay automated."""
    kept = ~scored.index.isin(new)
    rows = []
    for role in dict.fromkeys(t["assignee_role"] for t in policy["tiers"] if t.get("creates_work_order")):
        tiers = [t["tier"] for t in policy["tiers"] if t.get("creates_work_order") and t["assignee_role"] == role]
        flagged = count(kept & scored["tier"].isin(tiers).to_numpy())
        free = None if capacity is None else int(capacity.get(role, 0))
        known = flagged.value is not None
        opened = flagged.value if free is None or not known else min(flagged.value, free)
        rows.append(
            {
                "role": role,
                "tiers": tiers,
                "flagged": flagged.value,
                "margin": flagged.margin,
                "free_capacity": free,
                "would_open": opened,
                "over_capacity": flagged.value - opened if known else None,
            }
        )
    return rows


def _about(count: int, margin: int) -> str:
    if not margin:
        return f"{count:,}"
    return gettext("about %(count)s (±%(margin)s)") % {"count": f"{count:,}", "margin": f"{margin:,}"}


def _warnings(policy: dict, teams: list[dict]) -> list[str]:
    names = {t["tier"]: t["name"] for t in policy["tiers"]}
    return [
        gettext(
            "tiers %(tiers)s would flag %(flagged)s customers for %(role)s, who can take %(free)s more: "
            "%(over)s would stay in the automated lane, over capacity"
        )
        % {
            "tiers": ", ".join(f"{t} ({names[t]})" for t in row["tiers"]),
            "flagged": _about(row["flagged"], row["margin"]),
            "role": str(ROLE_LABELS.get(row["role"], row["role"].replace("_", " "))).lower(),
            "free": f"{row['free_capacity']:,}",
            "over": f"{row['over_capacity']:,}",
        }
        for row in teams
        if row["over_capacity"]
    ]


def versions_in_force():
    """The latest run and the policy and rule-set versions in force; PreviewUnavailable before there are any."""
    run = run_latest()
    if run is None:
        raise PreviewUnavailable(gettext("there is no score run yet: run the nightly pipeline once to have a snapshot"))
    policy_version, ruleset_version = policy_current(), ruleset_current()
    if policy_version is None or ruleset_version is None:
        raise PreviewUnavailable(
            gettext("there is no policy or rule set in force yet: the first scoring run installs them")
        )
    return run, policy_version, ruleset_version


def preview_change(
    *,
    policy: dict | None = None,
    rules: list[dict] | None = None,
    capacity: dict[str, int] | None = None,
    exact: bool = False,
) -> dict:
    """What the proposed policy and/or rule set would do to the latest snapshot, against the versions in force.

    `capacity`: free capacity per role (the caller asks the workflow floor), to show per team how many work orders
    the change would open against what the team can hold, and warn when a tier would flag more. Above
    `PREVIEW_SAMPLE_SIZE` customers the counts are estimated from a stratified sample (`sampling` says so, each
    count has a 95% `margin`, and a count the sample is too small for is None) unless `exact`.

    Raises ValidationError for an invalid proposal and PreviewUnavailable before the first score run.
    """
    if policy is not None and (errors := validate_policy(policy)):
        raise ValidationError({"policy": [problem_line(e) for e in errors]})
    if rules is not None:
        rules_validate(rules)
    run, policy_version, ruleset_version = versions_in_force()
    policy_now, rules_now = policy_version.data, rule_specs(ruleset_version)
    policy_new = policy if policy is not None else policy_now
    rules_new = rule_specs_from(rules) if rules is not None else rules_now

    bundle = model_bundle(run)
    snap = snapshot(run=run, bgnbd_params=bundle.get("bgnbd_params") if bundle else None, exact=exact)
    features = snap.features
    if bundle and len(features):
        probability = ml.predict(bundle["estimator"], features[bundle["features"]])
        bundle = {**bundle, "estimator": _KnownProbabilities(probability)}
    weights = None if snap.is_exact else snap.weights()
    count = _exact_count if snap.is_exact else snap.strata.count
    now, _ = _score(features, policy_now, rules_now, bundle, weights)
    new, new_customers = _score(features, policy_new, rules_new, bundle, weights)
    teams = _team_rows(policy_new, new, new_customers, capacity, count)

    entering = new["is_rule_high_risk"] & ~now["is_rule_high_risk"]
    leaving = now["is_rule_high_risk"] & ~new["is_rule_high_risk"]
    tier_now = now["tier"].replace(0, 99)  # no tier sorts after the least urgent tier
    tier_new = new["tier"].replace(0, 99)
    moves = {
        "moved_up": count(tier_new < tier_now),
        "moved_down": count(tier_new > tier_now),
        "entering_count": count(entering),
        "leaving_count": count(leaving),
    }
    return {
        "as_of": run.as_of,
        "run_id": run.pk,
        "model_version": run.model_version_id,
        "customers": count(np.ones(len(features), dtype=bool)).value,
        "sampling": snap.sampling(),
        "policy_version": policy_version.number,
        "ruleset_version": ruleset_version.number,
        "tiers": _tier_rows(policy_now, policy_new, now, new, count),
        "high_risk": _pair(count, now["is_rule_high_risk"], new["is_rule_high_risk"]),
        "work_orders": _pair(count, _work_tiers(policy_now, now), _work_tiers(policy_new, new)),
        "active": _pair(count, now["is_active"], new["is_active"]),
        "teams": teams,
        "warnings": _warnings(policy_new, teams),
        **{name: c.value for name, c in moves.items()},
        "margins": {name: c.margin for name, c in moves.items()},
        "entering": _customer_rows(_movers(entering, new["probability"]), now, new),
        "leaving": _customer_rows(_movers(leaving, now["probability"]), now, new),
    }


def rules_backtest() -> dict | None:
    """Precision and recall of the enabled rules in force, as of one horizon before the latest run.

    Cached per (rule-set version, policy version, run); None when there is no run or not enough history.
    """
    run = run_latest()
    policy, ruleset = policy_current(), ruleset_current()
    if run is None or policy is None or ruleset is None:
        return None
    horizon = policy.data["horizon_days"]
    as_of = run.as_of - timedelta(days=horizon)
    key = (
        f"scoring:backtest:{ruleset.pk}:{ruleset.created_at.timestamp()}:{policy.pk}:"
        f"{policy.created_at.timestamp()}:{run.pk}:{run.as_of}:{run.finished_at}"
    )
    result = cache.get(key)
    if result is None:
        result = backtest_rules(as_of=as_of, horizon_days=horizon, active_days=active_days(policy.data))
        if not result["customers"]:
            result = {**result, "rules": []}
        cache.set(key, result, BACKTEST_CACHE_SECONDS)
    return result
