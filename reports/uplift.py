"""Did the work keep customers? Churn of treated vs control customers, the uplift with its interval, and a
return figure that is stated only when the uplift's interval is above zero. Pure functions, no Django: the
sentences are `Text`s, stored in English (`text`) with their parts (`text_parts`) for the page to translate.

Churn follows the policy's churn definition: a recorded churn date, or (``lapsed_at``) the moment a customer
had gone the policy's N days without any activity.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from scoring.ml.text import Text, gettext_noop

from .windows import in_window, share, utc

# Below this many customers in the worked or the control group the uplift is "too small to tell".
UPLIFT_MIN_GROUP = 30
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class FlagFacts:
    """A customer first flagged in the uplift window: control draw, work done and churn after the flag."""

    customer_id: int
    flagged_at: datetime
    is_control: bool
    reached_work_tier: bool  # the alert reached a tier that gets a work order
    worked_at: datetime | None  # first work order opened at or after the flag, inside the window
    churned_at: datetime | None
    lapsed_at: datetime | None = None  # last activity + the policy's inactive days, when that is before the end
    tier: int | None = None  # the most urgent tier the alert reached
    lifetime_value: float = 0.0

    @property
    def left_at(self) -> datetime | None:
        """When the customer left by the policy's definition (the earlier of the two), or None."""
        moments = [t for t in (self.churned_at, self.lapsed_at) if t is not None]
        return min(moments, key=utc) if moments else None


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion k / n."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, z: float = Z_95) -> tuple[float, float, float] | None:
    """Difference p2 - p1 with Newcombe's hybrid score interval (method 10), from the two Wilson intervals."""
    if not n1 or not n2:
        return None
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    d = p2 - p1
    return d, d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def flagged_group(flag: FlagFacts) -> str:
    """worked: got a work order; control: drawn into the control group at a tier that would have got one;
    flagged_other: monitor-only tiers, snoozed or unassignable alerts."""
    if flag.is_control:
        return "control" if flag.reached_work_tier else "flagged_other"
    return "worked" if flag.worked_at is not None else "flagged_other"


def has_left(flag: FlagFacts, end: datetime) -> bool:
    """Left (by the policy's definition) after the flag and before `end`."""
    return in_window(flag.left_at, flag.flagged_at, end)


def cohort_counts(flags: list[FlagFacts], end: datetime, not_flagged: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """(customers, churned) per group; a flagged customer counts as churned if they left after the flag."""
    counts = {"worked": [0, 0], "control": [0, 0], "flagged_other": [0, 0]}
    for flag in flags:
        group = counts[flagged_group(flag)]
        group[0] += 1
        group[1] += int(has_left(flag, end))
    return {**{g: (n, k) for g, (n, k) in counts.items()}, "not_flagged": not_flagged}


def _group(n: int, churned: int) -> dict:
    interval = wilson_interval(churned, n)
    return {
        "n": n,
        "churned": churned,
        "rate": share(churned, n),
        "low": interval[0] if interval else None,
        "high": interval[1] if interval else None,
    }


def _rates(worked: dict, control: dict) -> Text:
    return Text(
        gettext_noop(
            "{worked_churned} of {worked_n} treated ({worked_rate:.1%}) vs "
            "{control_churned} of {control_n} in the control ({control_rate:.1%})"
        ),
        {
            "worked_churned": worked["churned"],
            "worked_n": worked["n"],
            "worked_rate": worked["rate"],
            "control_churned": control["churned"],
            "control_n": control["n"],
            "control_rate": control["rate"],
        },
    )


def uplift_verdict(worked: dict, control: dict, interval, min_group: int) -> tuple[str, Text]:
    """A code and a plain sentence for leadership: what the data shows, never more."""
    if interval is None or worked["n"] < min_group or control["n"] < min_group:
        return "too_small", Text(
            gettext_noop(
                "Too small to tell yet: each group needs at least {min_group} customers "
                "(worked {worked_n}, control {control_n})."
            ),
            {"min_group": min_group, "worked_n": worked["n"], "control_n": control["n"]},
        )
    d, low, high = interval
    # xgettext:no-python-format
    span = Text(gettext_noop("95% interval {low:+.1f} to {high:+.1f} points"), {"low": low * 100, "high": high * 100})
    args = {"span": span, "rates": _rates(worked, control)}
    if low > 0:
        return "fewer_churned", Text(
            gettext_noop("Working the cases cut churn by {points:.1f} points against the control group ({span})."),
            {"points": abs(d) * 100, "span": span},
        )
    if high < 0:
        return "more_churned", Text(
            gettext_noop("Treated customers churned more than the control: {rates}; no evidence of benefit ({span})."),
            args,
        )
    if d < 0:
        return "no_difference", Text(
            gettext_noop(
                "Treated customers churned more than the control: {rates}; too early to tell, "
                "no evidence of benefit ({span})."
            ),
            args,
        )
    if d == 0:
        return "no_difference", Text(
            gettext_noop(
                "Treated customers churned as much as the control: {rates}; too early to tell, "
                "no evidence of benefit ({span})."
            ),
            args,
        )
    return "no_difference", Text(
        gettext_noop(
            "Treated customers churned less than the control: {rates}; but the {span} includes zero: too early to tell."
        ),
        args,
    )


def _uplift(w: dict, c: dict, min_group: int) -> dict:
    interval = newcombe_interval(w["churned"], w["n"], c["churned"], c["n"])
    verdict, text = uplift_verdict(w, c, interval, min_group)
    uplift = {
        "difference": None,
        "low": None,
        "high": None,
        "verdict": verdict,
        "text": str(text),
        "text_parts": text.as_json(),
        "min_group": min_group,
        "is_supported": verdict == "fewer_churned",
    }
    if interval:
        uplift.update(difference=interval[0], low=interval[1], high=interval[2])
    return uplift


def cohort_figures(counts: dict[str, tuple[int, int]], *, min_group: int = UPLIFT_MIN_GROUP) -> dict:
    """Churn rate per group (with Wilson intervals) and the uplift = control rate - worked rate, with
    Newcombe's interval; "too small to tell" while either group has fewer than `min_group` customers."""
    groups = {g: _group(*counts[g]) for g in ("worked", "control", "flagged_other", "not_flagged")}
    return {**groups, "uplift": _uplift(groups["worked"], groups["control"], min_group)}


def return_figures(uplift: dict, treated: list[FlagFacts], *, costs: dict[int, float]) -> dict:
    """The return on the work: customers kept because of it (uplift x treated customers), their LTV, against
    the policy's cost of the work. Stated only when the uplift's interval lies above zero; otherwise the
    uplift's own sentence stands in its place."""
    n = len(treated)
    cost = sum(costs.get(f.tier, 0.0) for f in treated)
    out = {
        "is_shown": False,
        "ratio": None,
        "ratio_low": None,
        "customers_kept": None,
        "customers_kept_low": None,
        "value_kept": None,
        "work_cost": round(cost, 2),
        "treated": n,
    }
    if not uplift.get("is_supported") or not n or not cost:
        text = Text(gettext_noop("No return figure: {uplift}"), {"uplift": _stored(uplift)})
        return {**out, "text": str(text), "text_parts": text.as_json()}
    mean_ltv = sum(f.lifetime_value for f in treated) / n
    kept, kept_low = uplift["difference"] * n, uplift["low"] * n
    value, value_low = kept * mean_ltv, kept_low * mean_ltv
    ratio, ratio_low = round(value / cost, 1), round(value_low / cost, 1)  # one rounding for page and text
    kept, kept_low = round(kept, 1), round(kept_low, 1)
    text = Text(
        gettext_noop(
            "The work kept about {kept:g} of {treated} treated customers who would otherwise have left "
            "(at least {kept_low:g} at the interval's lower bound): {ratio:g}x the cost of the work "
            "(at least {ratio_low:g}x)."
        ),
        {"kept": kept, "treated": n, "kept_low": kept_low, "ratio": ratio, "ratio_low": ratio_low},
    )
    return {
        **out,
        "is_shown": True,
        "ratio": ratio,
        "ratio_low": ratio_low,
        "customers_kept": kept,
        "customers_kept_low": kept_low,
        "value_kept": round(value, 2),
        "text": str(text),
        "text_parts": text.as_json(),
    }


def _stored(figure: dict) -> Text | str:
    """A stored figure's sentence: from its parts, else (a report stored before them) its English."""
    parts = figure.get("text_parts")
    return Text.from_json(parts) if isinstance(parts, dict) else figure.get("text", "")


def tier_uplift(flags: list[FlagFacts], end: datetime, *, tiers: list[int], min_group: int = UPLIFT_MIN_GROUP) -> dict:
    """Per work tier: treated and control churn and the uplift, "too small to tell" below `min_group` each."""
    out = {}
    for tier in tiers:
        counts = cohort_counts([f for f in flags if f.tier == tier], end, (0, 0))
        w, c = _group(*counts["worked"]), _group(*counts["control"])
        out[str(tier)] = {"worked": w, "control": c, "uplift": _uplift(w, c, min_group)}
    return out
