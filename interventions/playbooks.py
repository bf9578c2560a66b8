"""Which playbook fits a work order: pure matching on tier, segment and the customer's risk signals."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PlaybookChoice:
    """A playbook as of its current version: the version's id and its saved data (fields and steps)."""

    version_id: int
    data: dict


def signals_of(alert) -> set[str]:
    """The customer's risk signals: the rules that fired and the model's top factor (its feature name)."""
    if alert is None:
        return set()
    signals = {str(name) for name in (alert.rules_fired or [])}
    factors = alert.factors or []
    if factors and isinstance(factors[0], dict) and factors[0].get("feature"):
        signals.add(str(factors[0]["feature"]))
    return signals


def _specificity(data: dict, *, tier: int, segment: str, signals: set[str]) -> int | None:
    """None if the playbook does not apply; else how specific the match is (signal 4, segment 2, tier 1)."""
    tiers, segments, wanted = data.get("tiers") or [], data.get("segments") or [], data.get("signals") or []
    if tiers and tier not in tiers:
        return None
    if (segments and segment not in segments) or (wanted and not signals & set(wanted)):
        return None
    return 4 * bool(wanted) + 2 * bool(segments) + bool(tiers)


def playbook_pick(
    choices: list[PlaybookChoice], *, tier: int, segment: str, signals: set[str]
) -> PlaybookChoice | None:
    """The most specific applicable playbook; ties go to the earlier one in `choices` (position, then name)."""
    best, best_score = None, -1
    for choice in choices:
        if not choice.data.get("is_active", True):
            continue
        score = _specificity(choice.data, tier=tier, segment=segment, signals=signals)
        if score is not None and score > best_score:
            best, best_score = choice, score
    return best
