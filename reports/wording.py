"""A stored report's sentences in the reader's language.

A report is frozen in English when it is built. Its sentences are shown again in the active language at display
time: those stored with their parts (`text_parts`: the uplift, the return, the fairness rule) are rendered from
them; the drift and realised-performance sentences are worded again from the figures stored beside them (the same
English as reports.health, which a test holds); fixed sentences (flow definitions, status labels, "too few to
tell") are their own msgid. A report stored before any of this still shows, in English where nothing matches.
"""

import contextlib
import copy
import re

from django.utils.translation import gettext, gettext_noop

from scoring.ml.text import Text

from .fairness import TOO_FEW

# reports.health's sentences without figures, stored as they are and translated as their own msgid.
FIXED_SENTENCES = (
    gettext_noop("No model in force: the rules alone scored customers."),
    gettext_noop("Scores came from the rules alone: no validation figure to compare with."),
)


def _say_parts(value) -> None:
    """Every dict with `text_parts` below `value` gets its `text` in the active language (in place)."""
    if isinstance(value, dict):
        parts = value.get("text_parts")
        if isinstance(parts, dict):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                value["text"] = Text.from_json(parts).render(gettext)
        for item in value.values():
            _say_parts(item)
    elif isinstance(value, list):
        for item in value:
            _say_parts(item)


def drift_text(drift: dict) -> str:
    """The drift sentence, from the drift figures stored with the report."""
    if drift.get("available") is False or "warning" not in drift:
        return gettext(drift.get("text") or "")
    features, warning, alarm, weeks = drift.get("features", []), drift["warning"], drift["alarm"], drift["weeks"]
    alarms = [f["name"] for f in features if f.get("is_alarm")]
    if alarms:
        return gettext("%(count)s feature(s) above PSI %(alarm)s for %(weeks)s week(s) in a row: %(names)s.") % {
            "count": len(alarms),
            "alarm": f"{alarm:g}",
            "weeks": weeks,
            "names": ", ".join(alarms),
        }
    pending = [f["name"] for f in features if f.get("level") == "alarm"]
    warnings = [f["name"] for f in features if f.get("level") == "warning"]
    parts = []
    if pending:
        parts.append(
            gettext("Above PSI %(alarm)s this week, no alarm until %(weeks)s weeks in a row: %(names)s.")
            % {"alarm": f"{alarm:g}", "weeks": weeks, "names": ", ".join(pending)}
        )
    if warnings:
        parts.append(
            gettext("Warning (PSI %(warning)s to %(alarm)s): %(names)s.")
            % {"warning": f"{warning:g}", "alarm": f"{alarm:g}", "names": ", ".join(warnings)}
        )
    return " ".join(parts) or gettext("No feature drifted past PSI %(warning)s.") % {"warning": f"{warning:g}"}


def _compared_text(p: dict) -> str:
    if "auc_margin" not in p:  # scored by the rules alone
        return gettext(p.get("text") or "")
    values = {"auc": f"{p['roc_auc']:.3f}"}
    if p.get("validation_roc_auc") is not None:
        values["validation_auc"] = f"{p['validation_roc_auc']:.3f}"
        text = gettext("Realised ROC AUC %(auc)s vs %(validation_auc)s at validation") % values
    else:
        text = gettext("Realised ROC AUC %(auc)s") % values
    if p.get("precision") is not None and p.get("validation_precision") is not None:
        text += gettext("; high-risk precision %(precision)s vs %(validation_precision)s") % {
            "precision": f"{p['precision']:.0%}",
            "validation_precision": f"{p['validation_precision']:.0%}",
        }
    if p.get("is_degraded"):
        return text + gettext(". Below validation by more than the margin: retrain the model.")
    if p.get("was_degraded"):
        return text + gettext(
            ". Below validation by more than the margin, but model #%(model)s that made these scores is no longer "
            "in force: nothing to retrain on its account."
        ) % {"model": p.get("model_version")}
    return text + gettext(". Within the margin of validation.")


def performance_text(p: dict) -> str:
    """The realised-performance sentence, from the figures stored with the report."""
    if "run_as_of" not in p:
        return gettext("No scores are %(days)s days old yet: nothing to measure against.") % {
            "days": p.get("horizon_days")
        }
    if not p.get("available") or p.get("roc_auc") is None:
        return gettext("Too few churners (%(churned)s) among the scores of %(day)s to measure.") % {
            "churned": p.get("churned"),
            "day": p["run_as_of"],
        }
    return _compared_text(p)


SET_NAMES = {"training": gettext_noop("training"), "validation": gettext_noop("validation")}
HOLDOUT = r"on the same holdout \(cut-off (?P<cutoff>[^,]+), (?P<n>\d+) customers, (?P<churners>\d+) churned\)$"
# A retraining's reason as scoring.training stores it (English), and how to word it again: (pattern, msgid).
RETRAIN_REASONS = (
    (re.compile(r"^promoted$"), gettext_noop("promoted")),
    (re.compile(r"^not promoted \(asked not to\)$"), gettext_noop("not promoted (asked not to)")),
    (
        re.compile(
            r"^not promoted: validation (?P<metric>\S+) (?P<new>\S+) < active model #(?P<model>\d+) (?P<active>\S+)$"
        ),
        gettext_noop("not promoted: validation %(metric)s %(new)s < active model #%(model)s %(active)s"),
    ),
    (
        re.compile(
            r"^not promoted: (?P<metric>PR AUC|ROC AUC) (?P<new>\S+) < active model #(?P<model>\d+) (?P<active>\S+) "
            + HOLDOUT
        ),
        gettext_noop(
            "not promoted: %(metric)s %(new)s < active model #%(model)s %(active)s on the same holdout "
            "(cut-off %(cutoff)s, %(n)s customers, %(churners)s churned)"
        ),
    ),
    (
        re.compile(r"^promoted: PR AUC (?P<new>\S+) >= active model #(?P<model>\d+) (?P<active>\S+) " + HOLDOUT),
        gettext_noop(
            "promoted: PR AUC %(new)s >= active model #%(model)s %(active)s on the same holdout "
            "(cut-off %(cutoff)s, %(n)s customers, %(churners)s churned)"
        ),
    ),
    (
        re.compile(r"^(?P<set>\w+) set has (?P<n>\d+) examples with (?P<churners>\d+) churners: not enough history$"),
        gettext_noop("%(set)s set has %(n)s examples with %(churners)s churners: not enough history"),
    ),
    (
        re.compile(r"^no validation cut-off has enough earlier history to train on$"),
        gettext_noop("no validation cut-off has enough earlier history to train on"),
    ),
)


def retrain_reason(reason: str) -> str:
    """A stored retraining reason in the active language; one worded otherwise stays as it was stored."""
    for pattern, msgid in RETRAIN_REASONS:
        if match := pattern.match(reason or ""):
            values = {k: gettext(SET_NAMES.get(v, v)) if k == "set" else v for k, v in match.groupdict().items()}
            return gettext(msgid) % values if values else gettext(msgid)
    return reason


def localized(data: dict) -> dict:
    """A copy of a stored report's data with its sentences in the active language (the stored row is unchanged)."""
    data = copy.deepcopy(data)
    _say_parts(data)
    health = data.get("health") or {}
    if isinstance(health.get("drift"), dict):
        health["drift"]["text"] = drift_text(health["drift"])
    if isinstance(health.get("performance"), dict):
        health["performance"]["text"] = performance_text(health["performance"])
    for run in [*(health.get("retraining") or []), health.get("latest_retraining")]:
        if isinstance(run, dict) and run.get("status_text"):
            run["status_text"] = gettext(run["status_text"])
        if isinstance(run, dict) and run.get("reason"):
            run["reason"] = retrain_reason(run["reason"])
    flow = data.get("flow") or {}
    if isinstance(flow.get("definitions"), dict):
        flow["definitions"] = {k: gettext(v) for k, v in flow["definitions"].items()}
    return data


def too_few() -> str:
    return gettext(TOO_FEW)
