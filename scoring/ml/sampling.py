"""Stratified sampling for previews: which share of each stratum to draw, and counts scaled back up with an interval.

Pure numpy. A stratum is a group of customers (in the preview: the customers of one current tier). Each stratum is
drawn by a deterministic hash of the customer id (a Bernoulli sample at the stratum's rate), so the same population
gives the same sample on every preview and every machine. A count over the sample is scaled back to the population
per stratum (Horvitz-Thompson with the realised stratum sample size) with a 95% interval from the stratified
variance; a stratum drawn whole contributes exactly.
"""

from dataclasses import dataclass

import numpy as np

from .policy import MIN_RISK, NOBODY

# Knuth's multiplicative hash, modulo a prime above 2^32: ids up to ~3.5e9 stay inside a signed 64-bit product in SQL.
HASH_MULTIPLIER = 2654435761
HASH_MODULUS = 4294967311
Z95 = 1.959964
# A count is withheld ("too few in the sample to say") when it rests on fewer sampled customers than this alone (no
# stratum drawn whole behind it) and its interval is wider than half the estimate: the normal interval fails there.
MIN_SAMPLED = 10


def id_hash(ids: np.ndarray) -> np.ndarray:
    """The hash SQL computes as `(id * HASH_MULTIPLIER) % HASH_MODULUS` (for checks and tests)."""
    return (np.asarray(ids, dtype=np.int64) * HASH_MULTIPLIER) % HASH_MODULUS


def hash_threshold(rate: float) -> int:
    """Ids whose hash is below this are drawn: a share `rate` of them."""
    return int(round(min(max(rate, 0.0), 1.0) * HASH_MODULUS))


def allocate(sizes: dict[int, int], sample_size: int, floor: int) -> dict[int, float]:
    """Sampling rate per stratum for about `sample_size` customers in all: every stratum gets at least `floor`
    (all of it when smaller), so the rare tiers are well represented; what is left is spread in proportion to size.

    A stratum whose share reaches 1 is drawn whole (exact).
    """
    fixed: dict[int, float] = {}  # stratum -> customers drawn, settled
    while True:
        rest = {k: n for k, n in sizes.items() if n > 0 and k not in fixed}
        if not rest:
            break
        budget, total = max(sample_size - sum(fixed.values()), 0), sum(rest.values())
        share = {k: budget * n / total for k, n in rest.items()}
        settled = {k: float(n) for k, n in rest.items() if share[k] >= n}
        settled.update({k: float(min(floor, n)) for k, n in rest.items() if share[k] < min(floor, n)})
        if not settled:
            fixed.update(share)
            break
        fixed.update(settled)
    return {k: min(fixed.get(k, 0.0) / n, 1.0) if n > 0 else 0.0 for k, n in sizes.items()}


@dataclass(frozen=True)
class Count:
    """A count over the population: exact, or estimated from the sample with a 95% margin, or withheld."""

    value: int | None  # None: withheld, too few in the sample to say
    margin: int  # half-width of the 95% interval; 0 when exact
    sampled: int  # customers of the sample behind it (all strata)

    @property
    def is_exact(self) -> bool:
        return self.margin == 0 and self.value is not None


class Strata:
    """The sample's rows, labelled by stratum, with each stratum's population and realised sample size."""

    def __init__(self, labels: np.ndarray, sizes: dict[int, int], drawn: dict[int, int]):
        self.labels = np.asarray(labels)
        self.sizes = {k: int(n) for k, n in sizes.items()}
        self.drawn = {k: int(n) for k, n in drawn.items()}
        for k, n in self.drawn.items():
            if n > self.sizes.get(k, 0):
                raise ValueError(f"stratum {k}: {n} drawn out of {self.sizes.get(k, 0)}")

    @property
    def is_exact(self) -> bool:
        return all(self.drawn.get(k, 0) >= n for k, n in self.sizes.items())

    def weights(self) -> np.ndarray:
        """Customers each sampled row stands for."""
        out = np.ones(len(self.labels))
        for k, n in self.sizes.items():
            drawn = self.drawn.get(k, 0)
            if drawn:
                out[self.labels == k] = n / drawn
        return out

    def count(self, mask) -> Count:
        """The population count of the rows where `mask` holds (rows outside the population count as False)."""
        mask = np.asarray(mask, dtype=bool)
        value, variance, estimated_hits, known = 0.0, 0.0, 0, 0
        for k, size in self.sizes.items():
            drawn = self.drawn.get(k, 0)
            if not size:
                continue
            hits = int(mask[self.labels == k].sum())
            if drawn >= size:
                value += hits
                known += hits
                continue
            if not drawn:  # nothing drawn from a non-empty stratum: nothing can be said about it
                return Count(None, 0, int(mask.sum()))
            value += hits * size / drawn
            estimated_hits += hits
            # Agresti-Coull: a stratum with 0 (or all) hits still has an interval.
            p = (hits + 2) / (drawn + 4)
            variance += size**2 * (1 - drawn / size) * p * (1 - p) / drawn
        margin = Z95 * variance**0.5
        # Withheld only when the count rests on a few sampled customers alone; with strata drawn whole behind it,
        # what they hold is known exactly and the margin says how many more the sample may have missed.
        if variance and not known and estimated_hits < MIN_SAMPLED and margin > value / 2:
            return Count(None, int(np.ceil(margin)), int(mask.sum()))
        return Count(int(round(value)), int(np.ceil(margin)) if variance else 0, int(mask.sum()))


def weighted_rank_thresholds(shares: list[tuple[int, float]], probability, weights) -> dict[int, float]:
    """Rank-based tier thresholds over a weighted sample: tier t starts at the probability where the cumulative
    weight, riskiest first, reaches the tiers' cumulative share (the sample's stand-in for ranking everyone)."""
    probability = np.asarray(probability, dtype=float)
    order = np.argsort(-probability, kind="stable")
    ranked, cumulative = probability[order], np.cumsum(np.asarray(weights, dtype=float)[order])
    total = cumulative[-1] if len(cumulative) else 0.0
    out, covered = {}, 0.0
    for tier, share in sorted(shares):
        covered += share or 0.0
        if total <= 0 or covered <= 0:
            out[tier] = NOBODY
            continue
        position = int(np.searchsorted(cumulative, min(covered, 1.0) * total - 1e-9))
        # As in policy.rank_thresholds: a probability of 0 is no risk at any rank.
        out[tier] = max(float(ranked[min(position, len(ranked) - 1)]), MIN_RISK)
    return out
