"""Admin pages for the scoring configuration: rules (with backtest), policy, previews, history and rollback, and
the nightly run history (with a retry for a failed or stalled night).

Every page is for admins only (scoring.permissions). Edits are previewed on the same form ("Preview" button) and
saved through the services, which write a new version with author, comment and diff.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interventions.views import nav_context, user_roles

from .forms import CommentForm, PolicyForm, condition_text, rule_forms
from .ml.catalog import FEATURES
from .ml.policy import default_policy
from .models import PolicyVersion, Rule, RuleSetVersion, ScoreRun
from .permissions import can_edit_scoring
from .pipeline import RunInProgress
from .preview import PreviewUnavailable, preview_change, rules_after_edit, rules_backtest
from .selectors import policy_current, policy_versions, rule_list, ruleset_current, ruleset_versions, runs_by_version
from .services import policy_rollback, policy_save, rule_delete, rule_save, ruleset_rollback
from .tasks import nightly_run_task

HISTORY_LIMIT = 50  # versions shown per kind on the history page, newest first


def admin_page(view):
    """Signed in (else the login page) and an admin (else 403, and nothing is read or written)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not can_edit_scoring(request.user):
            raise PermissionDenied("only admins may view or change the scoring configuration")
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, template: str, active: str, context: dict, status: int = 200):
    roles = user_roles(request.user)
    return render(request, template, {**context, **nav_context(request.user, roles, active)}, status=status)


def _preview(**proposal) -> tuple[dict | None, str]:
    """The preview of a proposal, or None and why not."""
    try:
        return preview_change(**proposal), ""
    except PreviewUnavailable as exc:
        return None, str(exc)


def _service_errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return list(exc.messages)


# --- rules --------------------------------------------------------------------------------------------------------


@require_GET
@admin_page
def rules(request):
    """The rules in evaluation order with their conditions, on/off and backtested precision and recall."""
    policy = policy_current()
    backtest = rules_backtest()
    by_name = {row["rule"]: row for row in (backtest or {}).get("rules", [])}
    n = (policy.data if policy else default_policy())["high_risk_min_rules"]
    rows = [
        {"rule": r, "conditions": [condition_text(c) for c in r.conditions], "backtest": by_name.get(r.name)}
        for r in rule_list()
    ]
    context = {
        "rows": rows,
        "ruleset": ruleset_current(),
        "min_rules": n,
        "combination": by_name.get(f">= {n} rules"),
        "backtest": backtest,
    }
    return _page(request, "scoring/rule_list.html", "rules", context)


def _rule_editor(request, rule: Rule | None):
    form, conditions = rule_forms(request.POST if request.method == "POST" else None, rule=rule)
    context = {"rule": rule, "form": form, "conditions": conditions, "features": FEATURES}
    if request.method == "GET":
        return _page(request, "scoring/rule_form.html", "rules", context)
    form_ok, conditions_ok = form.is_valid(), conditions.is_valid()
    if not (form_ok and conditions_ok):
        return _page(request, "scoring/rule_form.html", "rules", context, status=400)
    fields = form.rule_fields(conditions.conditions())
    if "preview" in request.POST:
        proposal = rules_after_edit(rule_id=rule.pk if rule else None, fields=fields)
        context["preview"], context["preview_unavailable"] = _preview(rules=proposal)
        return _page(request, "scoring/rule_form.html", "rules", context)
    try:
        saved = rule_save(rule=rule, by=request.user, comment=form.cleaned_data["comment"], **fields)
    except ValidationError as exc:
        context["service_errors"] = _service_errors(exc)
        return _page(request, "scoring/rule_form.html", "rules", context, status=400)
    version = ruleset_current()
    messages.success(request, f"Rule “{saved.name}” saved: the rules are now version {version.number}.")
    return redirect("scoring:rules")


@require_http_methods(["GET", "POST"])
@admin_page
def rule_create(request):
    return _rule_editor(request, None)


@require_http_methods(["GET", "POST"])
@admin_page
def rule_edit(request, pk: int):
    return _rule_editor(request, get_object_or_404(Rule, pk=pk))


def _rule_confirm(request, rule: Rule, *, remove: bool):
    """Confirm page of a one-step change (enable/disable, delete): its preview, a comment, and the button."""
    fields = None if remove else {"is_enabled": not rule.is_enabled}
    verb = "Delete" if remove else ("Disable" if rule.is_enabled else "Enable")
    form = CommentForm(request.POST if request.method == "POST" else None)
    context = {"rule": rule, "verb": verb, "form": form, "conditions": [condition_text(c) for c in rule.conditions]}
    if request.method == "POST" and form.is_valid():
        comment = form.cleaned_data["comment"]
        if remove:
            rule_delete(rule=rule, by=request.user, comment=comment)
            done = "deleted"
        else:
            rule_save(rule=rule, by=request.user, comment=comment, **fields)
            done = "enabled" if rule.is_enabled else "disabled"
        messages.success(request, f"Rule “{rule.name}” {done}: the rules are now version {ruleset_current().number}.")
        return redirect("scoring:rules")
    proposal = rules_after_edit(rule_id=rule.pk, fields=fields, remove=remove)
    context["preview"], context["preview_unavailable"] = _preview(rules=proposal)
    return _page(request, "scoring/rule_confirm.html", "rules", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@admin_page
def rule_toggle(request, pk: int):
    return _rule_confirm(request, get_object_or_404(Rule, pk=pk), remove=False)


@require_http_methods(["GET", "POST"])
@admin_page
def rule_remove(request, pk: int):
    return _rule_confirm(request, get_object_or_404(Rule, pk=pk), remove=True)


# --- policy -------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_page
def policy(request):
    """Edit the policy in force; "Preview" shows the effect on the latest snapshot, "Save" makes a new version."""
    current = policy_current()
    base = current.data if current else default_policy()
    form = PolicyForm(request.POST if request.method == "POST" else None, policy=base,
                      saving="preview" not in request.POST)
    context = {"form": form, "version": current}
    if request.method == "GET":
        return _page(request, "scoring/policy_form.html", "policy", context)
    if not form.is_valid():
        return _page(request, "scoring/policy_form.html", "policy", context, status=400)
    if "preview" in request.POST:
        context["preview"], context["preview_unavailable"] = _preview(policy=form.policy())
        return _page(request, "scoring/policy_form.html", "policy", context)
    try:
        saved = policy_save(data=form.policy(), by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as exc:
        context["service_errors"] = _service_errors(exc)
        return _page(request, "scoring/policy_form.html", "policy", context, status=400)
    messages.success(request, f"Policy saved as version {saved.number}; the next scoring run uses it.")
    return redirect("scoring:policy")


# --- history and rollback -----------------------------------------------------------------------------------------


def _value_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and "conditions" in value:  # a whole rule (added or removed)
        state = "on" if value.get("is_enabled", True) else "off"
        return " AND ".join(condition_text(c) for c in value["conditions"]) + f" ({state})"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _version_rows(versions, field: str) -> list[dict]:
    versions = list(versions[:HISTORY_LIMIT])
    runs = runs_by_version(field, [v.pk for v in versions])
    return [
        {
            "version": v,
            "in_force": i == 0,
            "is_first": v.number == 1,
            "changes": [(d["path"], _value_text(d["before"]), _value_text(d["after"])) for d in v.diff],
            "runs": runs.get(v.pk, []),
        }
        for i, v in enumerate(versions)
    ]


@require_GET
@admin_page
def history(request):
    """Every policy and rule-set version: who, when, why, what changed, which runs used it; roll back to any."""
    context = {
        "policy_rows": _version_rows(policy_versions(), "policy_version"),
        "ruleset_rows": _version_rows(ruleset_versions(), "ruleset_version"),
        "limit": HISTORY_LIMIT,
    }
    return _page(request, "scoring/version_history.html", "history", context)


def _rollback(request, model, number: int, rollback, done: str):
    version = get_object_or_404(model, number=number)
    try:
        new = rollback(version=version, by=request.user, comment=request.POST.get("comment", "")[:1000])
    except ValidationError as exc:
        messages.error(request, "Not rolled back: " + " ".join(_service_errors(exc)))
    else:
        messages.success(request, done.format(old=version.number, new=new.number))
    return redirect("scoring:history")


@require_POST
@admin_page
def policy_version_rollback(request, number: int):
    return _rollback(request, PolicyVersion, number, policy_rollback,
                     "Policy v{old} is back in force as version {new}.")


@require_POST
@admin_page
def ruleset_version_rollback(request, number: int):
    return _rollback(request, RuleSetVersion, number, ruleset_rollback,
                     "Rules v{old} are back in force as version {new}.")


# --- run history --------------------------------------------------------------------------------------------------

RUNS_SHOWN = 60  # nights on the run-history page, newest first


@require_GET
@admin_page
def runs(request):
    """The nightly runs: date, status, chunks, duration, counts and error; failed or stalled ones can be retried."""
    rows = []
    for run in ScoreRun.objects.annotate(chunks_done=Count("chunks", filter=Q(chunks__done_at__isnull=False)))[
            :RUNS_SHOWN]:
        end = run.finished_at or (timezone.now() if run.status in ScoreRun.ACTIVE else None)
        rows.append({"run": run, "duration": end - run.started_at if end else None,
                     "retry": run.status in (ScoreRun.Status.FAILED, ScoreRun.Status.STALLED)})
    return _page(request, "scoring/scorerun_list.html", "runs", {"rows": rows, "limit": RUNS_SHOWN})


@require_POST
@admin_page
def run_retry(request, pk: int):
    """Re-run a failed or stalled night: its pending chunks are scored again (done chunks are kept)."""
    run = get_object_or_404(ScoreRun, pk=pk, status__in=[ScoreRun.Status.FAILED, ScoreRun.Status.STALLED])
    try:
        nightly_run_task.delay(run.as_of.isoformat())
    except RunInProgress as exc:
        messages.error(request, f"Not retried: {exc}.")
    else:
        messages.success(request, f"The run for {run.as_of} was sent again.")
    return redirect("scoring:runs")
