"""Admin pages for the scoring configuration: rules (with backtest), policy, previews, history and rollback, and
the win-back lane.

Every page is for admins only (scoring.permissions). Edits are previewed on the same form ("Preview" button) and
saved through the services, which write a new version with author, comment and diff.
"""

import csv
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from churnops.core.pages import nav_context, page
from churnops.core.roles import user_roles
from interventions.services import ASSIGNMENT_ORDER, free_capacity_by_role

from .forms import CommentForm, PolicyForm, condition_text, rule_forms
from .ml.catalog import FEATURES
from .ml.policy import LIMITS, TIER_LIMITS
from .models import PolicyVersion, Rule, RuleSetVersion
from .permissions import can_edit_scoring, can_view_score_runs
from .preview import PreviewUnavailable, rules_after_edit, rules_backtest
from .preview_exact import preview_answer
from .selectors import (
    policy_current,
    policy_in_force,
    policy_versions,
    rule_list,
    ruleset_current,
    ruleset_versions,
    runs_by_version,
    winback_list,
)
from .services import diff_of, policy_rollback, policy_save, rule_delete, rule_save, rules_by_name, ruleset_rollback

HISTORY_LIMIT = 50  # versions shown per kind on the history page, newest first
WINBACK_PAGE = 100  # win-back rows on the page; the CSV export has them all
WINBACK_CSV = (
    "external_id",
    "name",
    "segment",
    "region",
    "value",
    "value_basis",
    "lifetime_value",
    "lifetime_spend",
    "purchases",
    "last_activity",
    "churned_at",
)


# Every page here is for admins only: others get 403, and nothing is read or written.
admin_page = page(can_edit_scoring, message=gettext_lazy("only admins may view or change the scoring configuration"))


def _page(request, template: str, active: str, context: dict, status: int = 200):
    roles = user_roles(request.user)
    return render(request, template, {**context, **nav_context(request.user, roles, active)}, status=status)


def _preview(*, exact: bool = False, **proposal) -> tuple[dict | None, str]:
    """The preview of a proposal (sampled above the sample size; `exact` asks for the exact counts in the
    background), or None and why not."""
    try:
        return preview_answer(**proposal, capacity=free_capacity_by_role(timezone.localdate()), exact=exact), ""
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
    backtest = rules_backtest()
    by_name = {row["rule"]: row for row in (backtest or {}).get("rules", [])}
    n = policy_in_force()["high_risk_min_rules"]
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
        exact = request.POST["preview"] == "exact"
        context["preview"], context["preview_unavailable"] = _preview(rules=proposal, exact=exact)
        return _page(request, "scoring/rule_form.html", "rules", context)
    try:
        saved = rule_save(rule=rule, by=request.user, comment=form.cleaned_data["comment"], **fields)
    except ValidationError as exc:
        context["service_errors"] = _service_errors(exc)
        return _page(request, "scoring/rule_form.html", "rules", context, status=400)
    version = ruleset_current()
    messages.success(
        request,
        _("Rule “%(name)s” saved: the rules are now version %(version)s.")
        % {"name": saved.name, "version": version.number},
    )
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
    verb = _("Delete") if remove else (_("Disable") if rule.is_enabled else _("Enable"))
    form = CommentForm(request.POST if request.method == "POST" else None)
    context = {"rule": rule, "verb": verb, "form": form, "conditions": [condition_text(c) for c in rule.conditions]}
    if request.method == "POST" and form.is_valid():
        comment = form.cleaned_data["comment"]
        if remove:
            rule_delete(rule=rule, by=request.user, comment=comment)
            done = _("Rule “%(name)s” deleted: the rules are now version %(version)s.")
        else:
            rule_save(rule=rule, by=request.user, comment=comment, **fields)
            done = (
                _("Rule “%(name)s” enabled: the rules are now version %(version)s.")
                if rule.is_enabled
                else _("Rule “%(name)s” disabled: the rules are now version %(version)s.")
            )
        messages.success(request, done % {"name": rule.name, "version": ruleset_current().number})
        return redirect("scoring:rules")
    proposal = rules_after_edit(rule_id=rule.pk, fields=fields, remove=remove)
    exact = request.GET.get("exact") == "1"
    context["preview"], context["preview_unavailable"] = _preview(rules=proposal, exact=exact)
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
    base = policy_in_force()
    form = PolicyForm(
        request.POST if request.method == "POST" else None, policy=base, saving="preview" not in request.POST
    )
    context = {"form": form, "version": current, "assignment_order": ASSIGNMENT_ORDER}
    if request.method == "GET":
        return _page(request, "scoring/policy_form.html", "policy", context)
    if not form.is_valid():
        return _page(request, "scoring/policy_form.html", "policy", context, status=400)
    if "preview" in request.POST:
        exact = request.POST["preview"] == "exact"
        context["preview"], context["preview_unavailable"] = _preview(policy=form.policy(), exact=exact)
        return _page(request, "scoring/policy_form.html", "policy", context)
    try:
        saved = policy_save(data=form.policy(), by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as exc:
        context["service_errors"] = _service_errors(exc)
        return _page(request, "scoring/policy_form.html", "policy", context, status=400)
    messages.success(
        request, _("Policy saved as version %(version)s; the next scoring run uses it.") % {"version": saved.number}
    )
    return redirect("scoring:policy")


# --- history and rollback -----------------------------------------------------------------------------------------


def _value_text(value) -> str:
    """A changed value as an admin reads it: a rule as its conditions, a condition as a sentence, no JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict) and "conditions" in value:  # a whole rule (added or removed)
        state = _("on") if value.get("is_enabled", True) else _("off")
        return _(" AND ").join(condition_text(c) for c in value["conditions"]) + f" ({state})"
    if isinstance(value, dict) and "feature" in value and "op" in value:  # one condition
        return condition_text(value)
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value_text(v) for v in value) or "—"
    return str(value)


_PATH_PART = re.compile(r"^(\w+)\[(\d+)\]$")
_LABELS = {
    **{k.rsplit(".", 1)[-1]: v.label for k, v in LIMITS.items()},
    **{k: v.label for k, v in TIER_LIMITS.items()},
}


def _words(key: str) -> str:
    return _(_LABELS[key]) if key in _LABELS else key.replace("_", " ").capitalize()


def _path_text(path: str) -> str:
    """A changed setting's place in words: `tiers[0].min_probability` -> `Tier 1 · from P(churn)`."""
    parts = []
    for part in path.split("."):
        if m := _PATH_PART.match(part):
            name, index = m[1], int(m[2]) + 1
            if name == "tiers":
                parts.append(_("Tier %(number)s") % {"number": index})
            elif name == "conditions":
                parts.append(_("condition %(number)s") % {"number": index})
            else:
                parts.append(f"{name} {index}")
        elif part in ("value", "op", "feature"):
            parts.append({"value": _("value"), "op": _("comparison"), "feature": _("feature")}[part])
        else:
            parts.append(_words(part) if "_" in part or part in _LABELS else part)
    return " · ".join(parts)


def _version_rows(versions, field: str) -> list[dict]:
    versions = list(versions[:HISTORY_LIMIT])
    runs = runs_by_version(field, [v.pk for v in versions])
    return [
        {
            "version": v,
            "in_force": i == 0,
            "is_first": v.number == 1,
            "changes": [(_path_text(d["path"]), _value_text(d["before"]), _value_text(d["after"])) for d in v.diff],
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


def _rollback(request, model, number: int, rollback, done: str, kind: str):
    """GET: what rolling back would change, and a button to confirm. POST: roll back (a new version)."""
    version = get_object_or_404(model, number=number)
    if request.method == "GET":
        current = model.objects.order_by("-number").first()
        before = current.data if kind == "policy" else rules_by_name(current.rules)
        after = version.data if kind == "policy" else rules_by_name(version.rules)
        changes = [
            (_path_text(d["path"]), _value_text(d["before"]), _value_text(d["after"])) for d in diff_of(before, after)
        ]
        context = {"version": version, "current": current, "kind": kind, "changes": changes}
        return _page(request, "scoring/rollback_confirm.html", "history", context)
    try:
        new = rollback(version=version, by=request.user, comment=request.POST.get("comment", "")[:1000])
    except ValidationError as exc:
        messages.error(request, _("Not rolled back: %(reasons)s") % {"reasons": " ".join(_service_errors(exc))})
    else:
        messages.success(request, _(done) % {"old": version.number, "new": new.number})
    return redirect("scoring:history")


@require_http_methods(["GET", "POST"])
@admin_page
def policy_version_rollback(request, number: int):
    return _rollback(
        request,
        PolicyVersion,
        number,
        policy_rollback,
        gettext_noop("Policy v%(old)s is back in force as version %(new)s."),
        "policy",
    )


@require_http_methods(["GET", "POST"])
@admin_page
def ruleset_version_rollback(request, number: int):
    return _rollback(
        request,
        RuleSetVersion,
        number,
        ruleset_rollback,
        gettext_noop("Rules v%(old)s are back in force as version %(new)s."),
        "rules",
    )


# --- win-back lane ------------------------------------------------------------------------------------------------


@require_GET
@page(can_view_score_runs, message=gettext_lazy("only admins and team leads may view the win-back lane"))
def winback(request):
    """Customers already gone (the churn definition in force): no save work order, a win-back list by value.

    `?format=csv` exports the whole list for a marketing tool.
    """
    rows = winback_list()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="win-back.csv"'
        out = csv.writer(response)
        out.writerow(WINBACK_CSV)
        for c in rows.iterator(chunk_size=2000):
            out.writerow([_csv_cell(getattr(c, f)) for f in WINBACK_CSV])
        return response
    context = {"rows": rows[:WINBACK_PAGE], "total": rows.count(), "limit": WINBACK_PAGE}
    return _page(request, "scoring/winback_list.html", "winback", context)


def _csv_cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    return value
