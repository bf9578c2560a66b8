"""Score storage: each customer's latest score, and a compact nightly history packed by blocks of customers.

Latest (`LatestScore`): one row per customer, written only when the score moved by SCORE_EPSILON or more, or its
tier or rules changed: an unchanged night leaves no new row version (no dead tuple).

History (`ScoreDay`): per night and block of HISTORY_BLOCK consecutive customer ids, the probabilities as int16 and
the tiers as one byte each, about 3.5 bytes per customer per night. A row per customer and night would cost ~70 on
PostgreSQL (24-byte tuple header, 4-byte line pointer, key and values padded to 8, an index entry) for the
four bytes the chart and the report read. No factors in the history: nothing reads old explanations (the latest
score keeps them, for tiered customers). The table is partitioned by month on PostgreSQL; the nightly run creates
the month's partition ahead of its chunks and old months are dropped whole (`history_prune`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection

HISTORY_BLOCK = 64  # customers per packed row: 64 × 3 bytes, about the size of the row's own overhead
PROBABILITY_SCALE = 10_000  # int16 hundredths of a percent: 1e-4 resolution, the chart's and the AUC's need
NOT_SCORED = -1
RULE_HIGH = 0x80
TIER_MASK = 0x7F


@dataclass(frozen=True)
class Packed:
    """One night's scores as ScoreDay column values, one entry per row."""

    block: np.ndarray
    part: np.ndarray
    probability: list[bytes]
    tier: list[bytes]


@dataclass(frozen=True)
class Scores:
    """Scores decoded from the history: parallel arrays, sorted by customer id (and date)."""

    customer_id: np.ndarray
    as_of: np.ndarray
    probability: np.ndarray
    tier: np.ndarray  # 0: no tier
    is_rule_high_risk: np.ndarray


@dataclass(frozen=True)
class ScorePoint:
    """A customer's score on one night, as the chart and the work order read it."""

    as_of: date
    probability: float
    tier: int | None
    is_rule_high_risk: bool


def history_pack(customer_ids, probability, tier, rule_high) -> Packed:
    """Pack one night's scores (any order, one per customer) into rows of HISTORY_BLOCK slots."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    if not len(ids):
        return Packed(np.empty(0, np.int64), np.empty(0, np.int64), [], [])
    blocks, slots = np.divmod(ids, HISTORY_BLOCK)
    unique, row = np.unique(blocks, return_inverse=True)
    prob = np.full((len(unique), HISTORY_BLOCK), NOT_SCORED, dtype="<i2")
    prob[row, slots] = np.rint(np.clip(np.asarray(probability, dtype=float), 0.0, 1.0) * PROBABILITY_SCALE)
    flags = np.zeros((len(unique), HISTORY_BLOCK), dtype=np.uint8)
    tiers = np.nan_to_num(np.asarray(tier, dtype=float), nan=0.0).astype(np.uint8) & TIER_MASK
    flags[row, slots] = tiers | np.where(np.asarray(rule_high, dtype=bool), RULE_HIGH, 0).astype(np.uint8)
    part = np.full(len(unique), HISTORY_BLOCK, dtype=np.int64)
    np.minimum.at(part, row, slots)
    return Packed(unique, part, [r.tobytes() for r in prob], [r.tobytes() for r in flags])


def history_unpack(rows: Iterable[tuple]) -> Scores:
    """Decode (as_of, block, probability bytes, tier bytes) rows into one entry per scored customer and date."""
    rows = list(rows)
    if not rows:
        empty = np.empty(0)
        return Scores(empty.astype(np.int64), empty.astype(object), empty, empty.astype(np.int64), empty.astype(bool))
    as_of = np.array([r[0] for r in rows], dtype=object)
    block = np.array([r[1] for r in rows], dtype=np.int64)
    prob = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype="<i2").reshape(len(rows), HISTORY_BLOCK)
    flags = np.frombuffer(b"".join(bytes(r[3]) for r in rows), dtype=np.uint8).reshape(len(rows), HISTORY_BLOCK)
    row, slot = np.nonzero(prob >= 0)
    ids = block[row] * HISTORY_BLOCK + slot
    order = np.lexsort((as_of[row].astype("datetime64[D]"), ids))
    row, slot, ids = row[order], slot[order], ids[order]
    f = flags[row, slot]
    return Scores(
        customer_id=ids,
        as_of=as_of[row],
        probability=prob[row, slot].astype(float) / PROBABILITY_SCALE,
        tier=(f & TIER_MASK).astype(np.int64),
        is_rule_high_risk=(f & RULE_HIGH) > 0,
    )


def history_frame(*, as_of: date, packed: Packed) -> pd.DataFrame:
    """Packed rows as ScoreDay columns (bytea as COPY text: \\x hex)."""
    return pd.DataFrame(
        {
            "as_of": as_of.isoformat(),
            "block": packed.block,
            "part": packed.part,
            "probability": ["\\x" + b.hex() for b in packed.probability],
            "tier": ["\\x" + b.hex() for b in packed.tier],
        }
    )


def block_range(id_from: int, id_to: int) -> tuple[int, int]:
    """The blocks (inclusive bounds) holding customer ids [id_from, id_to)."""
    return id_from // HISTORY_BLOCK, (id_to - 1) // HISTORY_BLOCK


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
