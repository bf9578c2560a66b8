"""A nightly run in one sentence for people (the run page, the admins' e-mail), in the active language.

Worded from the run's status and stored counts, not from stored text, so it reads in whichever language the
reader uses; the run's `error` is what the failing code said and is shown as it is.
"""

from django.utils.translation import gettext, ngettext

from scoring.models import ScoreRun


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def run_summary(run: ScoreRun, *, chunks_done: int | None = None) -> str:
    """What the night did or where it stands: `The nightly run for 2026-11-29 is done: 12,000 customers scored, ...`."""
    stats = run.stats or {}
    values = {
        "day": run.as_of.isoformat(),
        "customers": _count(stats.get("customers")),
        "at_risk": _count(stats.get("at_risk")),
        "opened": _count(stats.get("work_orders_opened")),
        "closed": _count(stats.get("alerts_closed")),
        "done": _count(chunks_done),
        "total": _count(run.chunks_total),
    }
    if run.status == ScoreRun.Status.DONE:
        return (
            gettext(
                "The nightly run for %(day)s is done: %(customers)s customers scored, %(at_risk)s at risk, "
                "%(opened)s work orders opened, %(closed)s alerts closed."
            )
            % values
        )
    if run.status == ScoreRun.Status.FAILED:
        pending = stats.get("pending_chunks") or []
        if not pending:
            return gettext("The nightly run for %(day)s failed.") % values
        return ngettext(
            "The nightly run for %(day)s failed. %(count)s chunk was not done; a retry scores it again.",
            "The nightly run for %(day)s failed. %(count)s chunks were not done; a retry scores them again.",
            len(pending),
        ) % {**values, "count": len(pending)}
    if run.status == ScoreRun.Status.STALLED:
        return (
            gettext(
                "The nightly run for %(day)s stalled: no chunk made progress for a while; its pending chunks "
                "were sent again."
            )
            % values
        )
    if chunks_done is None:
        return gettext("The nightly run for %(day)s is running.") % values
    return gettext("The nightly run for %(day)s is running: %(done)s of %(total)s chunks done.") % values
