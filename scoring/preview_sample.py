"""The snapshot a preview scores: every customer, or above `PREVIEW_SAMPLE_SIZE` a stratified sample.

The strata are the customers' tiers in the latest run (tier 1, 2, ..., scored without a tier, and not scored: lapsed
or new since), so the rare urgent tiers are well represented; each stratum is drawn by a hash of the customer id
(`scoring.ml.sampling`), the same sample every time for the same run. The preview's counts are scaled back up per
stratum with a 95% interval, and the page and the API say so.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q

from customers.models import Customer

from .features import compute_features, cutoff_for
from .ml.sampling import HASH_MODULUS, HASH_MULTIPLIER, Strata, allocate, hash_threshold
from .models import ScoreRun
from .selectors import not_scored, score_tier_counts, score_tier_sample

# Customers a sampled preview scores. At 1M customers their features take ~1 s on the 2-core machine, busy, and
# the whole preview ~2 s (bench/README.md "Previews"); a count of ~1% of the population (about 100 customers of the
# sample) is then within about ±20%. The rare tiers are drawn at a higher rate (the floor below), so theirs are tighter.
PREVIEW_SAMPLE_SIZE = 10_000
# Every tier gets at least this many (or all of it), whatever its share of the population.
PREVIEW_STRATUM_FLOOR = 1_000
NOT_SCORED = -1  # the stratum of customers the latest run did not score


@dataclass
class Snapshot:
    """The features a preview scores, and how they were drawn (None: every customer, exact)."""

    features: pd.DataFrame
    strata: Strata | None
    population: int  # customers in the sampling frame (not churned before the cut-off)

    @property
    def is_exact(self) -> bool:
        return self.strata is None or self.strata.is_exact

    def weights(self) -> np.ndarray:
        return np.ones(len(self.features)) if self.strata is None else self.strata.weights()

    def sampling(self) -> dict:
        """What the preview's numbers are: exact over everyone, or estimated from a sample (for the page and API)."""
        if self.is_exact:
            return {"method": "exact", "sample": len(self.features), "population": len(self.features), "strata": []}
        strata = self.strata
        return {
            "method": "stratified_sample",
            "sample": sum(strata.drawn.values()),
            "population": self.population,
            "confidence": 0.95,
            "strata": [
                {"tier": None if k <= 0 else k, "scored": k != NOT_SCORED, "population": n, "sample": strata.drawn[k]}
                for k, n in sorted(strata.sizes.items(), key=lambda kv: (kv[0] <= 0, kv[0] == NOT_SCORED, kv[0]))
            ],
        }


def _sample_size() -> int:
    return int(getattr(settings, "PREVIEW_SAMPLE_SIZE", PREVIEW_SAMPLE_SIZE))


def _frame(run: ScoreRun):
    """Customers a snapshot can hold: not churned before the run's cut-off."""
    cutoff = cutoff_for(run.as_of)
    return Customer.objects.filter(Q(churned_at__isnull=True) | Q(churned_at__gte=cutoff))


def snapshot(*, run: ScoreRun, bgnbd_params: dict | None, exact: bool = False) -> Snapshot:
    """Features as of the run's date: of every customer when asked or when there are few, else of a sample."""
    frame = _frame(run).count()
    size = _sample_size()
    if exact or frame <= size:
        features = compute_features(as_of=run.as_of, bgnbd_params=bgnbd_params)
        return Snapshot(features=features, strata=None, population=len(features))
    sizes = score_tier_counts(run)
    sizes[NOT_SCORED] = max(frame - sum(sizes.values()), 0)
    rates = allocate(sizes, size, min(PREVIEW_STRATUM_FLOOR, size // 10))
    tiers = score_tier_sample(run, {k: hash_threshold(r) for k, r in rates.items() if k != NOT_SCORED})
    drawn = dict.fromkeys(sizes, 0)
    for tier in tiers.values():
        drawn[tier] = drawn.get(tier, 0) + 1
    # The not-scored stratum: the frame drawn at its rate, less those the run scored (drawn with their tier).
    hashed = ExpressionWrapper(F("id") * HASH_MULTIPLIER % HASH_MODULUS, output_field=BigIntegerField())
    drawn_frame = _frame(run).annotate(h=hashed).filter(h__lt=hash_threshold(rates[NOT_SCORED]))
    unscored = not_scored(drawn_frame, run) if rates[NOT_SCORED] else []
    drawn[NOT_SCORED] = len(unscored)
    # Scores and the frame are read a moment apart: a stratum never counts fewer customers than were drawn from it.
    sizes = {k: max(n, drawn.get(k, 0)) for k, n in sizes.items()}
    label = {**tiers, **dict.fromkeys(unscored, NOT_SCORED)}
    ids = sorted(label)
    features = compute_features(as_of=run.as_of, bgnbd_params=bgnbd_params, ids=ids)
    labels = np.array([label[int(c)] for c in features.index], dtype=np.int64)
    return Snapshot(features=features, strata=Strata(labels, sizes, drawn), population=frame)
