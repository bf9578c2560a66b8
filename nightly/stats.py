"""A run's figures: seconds per stage of a chunk, and the chunks' stats added up."""

import time


class Laps:
    """Seconds per stage of a chunk (its stats; the run adds them up: where the night's time goes)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.spent[stage] = round(now - self._last, 3)
        self._last = now


def rolled_up(chunks) -> dict:
    """The chunks' stats added up (tier counts per tier)."""
    total: dict = {"tiers": {}}
    for c in chunks:
        for k, v in c.stats.items():
            if k == "error":
                continue
            if k in ("tiers", "seconds"):
                part = total.setdefault(k, {})
                for t, n in v.items():
                    part[t] = round(part.get(t, 0) + n, 3)
            else:
                total[k] = total.get(k, 0) + v
    return total
