"""A preview's exact counts over every customer, computed in the background when the admin asks.

A sampled preview answers in seconds; the exact one scores every customer (minutes at 1M). It runs as a Celery task
(in-process on the embedded default, where it is done by the time the answer is rendered) and is kept in the cache
under a key of the proposal and the versions it was computed against, so asking again shows it once it is ready.
"""

import hashlib
import json

from django.core.cache import cache

from .preview import preview_change, versions_in_force

# How long an exact preview stays shown: a new run, policy or rule set changes the key anyway.
EXACT_CACHE_SECONDS = 6 * 3600
# A task that never reported (a worker lost) is asked again after this long.
EXACT_RUNNING_SECONDS = 45 * 60


def exact_key(*, policy: dict | None, rules: list | None, capacity: dict | None) -> str:
    """The proposal and the versions it is weighed against: the same key means the same exact answer."""
    run, policy_version, ruleset_version = versions_in_force()
    material = {
        "run": [run.pk, str(run.as_of), str(run.finished_at)],
        "versions": [policy_version.pk, ruleset_version.pk],
        "policy": policy,
        "rules": rules,
        "capacity": capacity,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()
    return f"scoring:preview:exact:{digest[:40]}"


def exact_compute(*, key: str, policy: dict | None, rules: list | None, capacity: dict | None) -> None:
    """Score every customer under the proposal and keep the answer (or why it failed) under `key`."""
    try:
        preview = preview_change(policy=policy, rules=rules, capacity=capacity, exact=True)
    except Exception as exc:  # the page shows that it failed; the admin may ask again
        cache.set(key, {"status": "failed", "error": str(exc)}, EXACT_CACHE_SECONDS)
        raise
    cache.set(key, {"status": "ready", "preview": preview}, EXACT_CACHE_SECONDS)


def preview_answer(
    *, policy: dict | None = None, rules: list | None = None, capacity: dict | None = None, exact: bool = False
) -> dict:
    """The preview to show: the exact one when it is ready, else the (sampled) preview, and with `exact` the exact
    counts asked for in the background. `exact_status` says which: exact, ready (computed in the background),
    running, failed or not_requested.

    Raises what preview_change raises.
    """
    key = exact_key(policy=policy, rules=rules, capacity=capacity)
    state = cache.get(key)
    if exact and (state is None or state["status"] == "failed"):
        from .tasks import preview_exact_task  # the task module imports this one

        cache.set(key, {"status": "running"}, EXACT_RUNNING_SECONDS)
        try:
            preview_exact_task.delay(key, policy, rules, capacity)
        except Exception as exc:  # eager: the computation failed (exact_compute kept why); else no broker
            if (cache.get(key) or {}).get("status") != "failed":
                cache.set(key, {"status": "failed", "error": f"could not start: {exc}"}, EXACT_CACHE_SECONDS)
        state = cache.get(key)
    if state and state["status"] == "ready":
        return {**state["preview"], "exact_status": "ready"}
    preview = preview_change(policy=policy, rules=rules, capacity=capacity)
    if preview["sampling"]["method"] == "exact":
        return {**preview, "exact_status": "exact"}
    status = state["status"] if state else "not_requested"
    return {**preview, "exact_status": status, "exact_error": state.get("error", "") if state else ""}
