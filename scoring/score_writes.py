"""Writes of scores: one night's scores into the packed history and the changed ones into the latest scores; the
history's monthly partitions and its retention (scoring/history.py says why it is stored this way)."""

import json
import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from churnops.core.bulk import frame_insert, frame_upsert

from .history import Packed, history_frame, history_pack, is_postgresql
from .models import LatestScore, ScoreDay, ScoreRun

log = logging.getLogger(__name__)

# A score that moved less than this (with the same tier and rules) is not rewritten: half a percentage point is
# below what the page shows (whole percents) and what a priority can tell apart. The history keeps every night.
SCORE_EPSILON = 0.005
LATEST_UPDATE = ("run", "as_of", "probability", "tier", "rules_fired", "is_rule_high_risk", "factors")
HISTORY_TABLE = ScoreDay._meta.db_table


@dataclass(frozen=True)
class LatestChanges:
    """Which customers' latest scores a night rewrites (`changed`), and which have one already (`known`)."""

    changed: pd.Index
    known: set


def latest_changes(*, run: ScoreRun, scored: pd.DataFrame, id_from=None, id_to=None) -> LatestChanges:
    """The customers of `scored` whose latest score changes tonight (the chunk explains only the tiered among
    them). With an id range (a chunk), the latest scores are read by range rather than by id list."""
    tier = scored["tier"].fillna(0).to_numpy(dtype=np.int64)
    changed, known = _latest_changed(run, scored, tier, id_from, id_to)
    return LatestChanges(changed=changed, known=known)


def scores_record(
    *,
    run: ScoreRun,
    scored: pd.DataFrame,
    factors: dict,
    id_from=None,
    id_to=None,
    changes: LatestChanges | None = None,
) -> dict:
    """Write one night's scores (index: customer id; probability, tier (0 or NA: none), rules_fired,
    is_rule_high_risk) into the history, and into the latest scores where they changed (`changes`, else worked
    out here). `factors`: the explanations of the tiered customers among the changed. Returns what was written:
    history rows and latest scores.
    """
    if scored.empty:
        return {"history_rows": 0, "scores_written": 0}
    tier = scored["tier"].fillna(0).to_numpy(dtype=np.int64)
    packed = history_pack(
        scored.index.to_numpy(),
        scored["probability"].to_numpy(dtype=float),
        tier,
        scored["is_rule_high_risk"].to_numpy(dtype=bool),
    )
    _history_write(run.as_of, packed)
    changes = changes or latest_changes(run=run, scored=scored, id_from=id_from, id_to=id_to)
    _latest_write(run, scored.loc[changes.changed], factors, changes.known)
    return {"history_rows": len(packed.block), "scores_written": int(len(changes.changed))}


def _history_write(as_of: date, packed: Packed) -> None:
    if is_postgresql():
        history_partition_ensure(as_of=as_of, months_ahead=0)  # the nightly run made it already: a lookup
        frame_upsert(
            model=ScoreDay,
            frame=history_frame(as_of=as_of, packed=packed),
            unique_fields=("as_of", "block", "part"),
            update_fields=("probability", "tier"),
        )
        return
    ScoreDay.objects.bulk_create(
        [
            ScoreDay(as_of=as_of, block=int(b), part=int(p), probability=pb, tier=tb)
            for b, p, pb, tb in zip(packed.block, packed.part, packed.probability, packed.tier, strict=True)
        ],
        update_conflicts=True,
        unique_fields=("as_of", "block", "part"),
        update_fields=("probability", "tier"),
    )


def _latest_changed(run: ScoreRun, scored: pd.DataFrame, tier: np.ndarray, id_from, id_to) -> tuple[pd.Index, set]:
    """Customers whose latest score must be written: new, moved by SCORE_EPSILON, or another tier, rules or
    rule verdict; and the customers that already have one. A latest score written by a later night stays (the
    date fence)."""
    rows = LatestScore.objects.all()
    if id_from is not None and id_to is not None:
        rows = rows.filter(customer_id__gte=id_from, customer_id__lt=id_to)
    else:
        rows = rows.filter(customer_id__in=[int(c) for c in scored.index])
    # Rules as JSON text, compared with the new rules' text (decoding 25k JSON values costs more than the read).
    columns = ["customer_id", "as_of", "probability", "tier", "rules_text", "is_rule_high_risk"]
    rows = rows.annotate(rules_text=Cast("rules_fired", TextField()))
    old = pd.DataFrame(list(rows.values_list(*columns)), columns=columns).set_index("customer_id")
    known_ids = set(old.index.tolist())
    old = old.reindex(scored.index)
    known = old["as_of"].notna().to_numpy()
    newer = known & np.array([d is not None and d == d and d > run.as_of for d in old["as_of"]], dtype=bool)
    moved = ~known | (
        np.abs(old["probability"].to_numpy(dtype=float) - scored["probability"].to_numpy(dtype=float)) >= SCORE_EPSILON
    )
    other_tier = pd.to_numeric(old["tier"], errors="coerce").fillna(0).to_numpy(dtype=np.int64) != tier
    old_verdict = old["is_rule_high_risk"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    other_verdict = old_verdict != scored["is_rule_high_risk"].to_numpy(dtype=bool)
    other_rules = np.array(
        [
            o != o or (o != json.dumps(list(n)) and json.loads(o) != list(n))
            for o, n in zip(old["rules_text"], scored["rules_fired"], strict=True)
        ],
        dtype=bool,
    )
    # A calm customer no rule fired for has nothing to keep beyond the history's night: no row until it has.
    worth = known | (tier > 0) | np.array([len(r) > 0 for r in scored["rules_fired"]], dtype=bool)
    return scored.index[(moved | other_tier | other_verdict | other_rules) & ~newer & worth], known_ids


def _latest_write(run: ScoreRun, changed: pd.DataFrame, factors: dict, known: set) -> None:
    """Customers without a latest score get theirs by plain COPY (a first night: all of them); the others by
    upsert."""
    if changed.empty:
        return
    tier = changed["tier"].fillna(0).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "customer_id": changed.index.astype(np.int64),
            "run_id": run.id,
            "as_of": run.as_of.isoformat(),
            "probability": changed["probability"].to_numpy(dtype=float),
            "tier": pd.array(np.where(tier > 0, tier, 0), dtype="Int64"),
            "rules_fired": [json.dumps(list(f)) for f in changed["rules_fired"]],
            "is_rule_high_risk": changed["is_rule_high_risk"].to_numpy(dtype=bool),
            "factors": [json.dumps(factors.get(c, [])) for c in changed.index],
        }
    )
    frame.loc[frame["tier"] == 0, "tier"] = pd.NA
    is_new = ~frame["customer_id"].isin(known).to_numpy()
    frame_insert(model=LatestScore, frame=frame[is_new], json_fields=("rules_fired", "factors"))
    frame_upsert(
        model=LatestScore,
        frame=frame[~is_new],
        unique_fields=("customer",),
        update_fields=LATEST_UPDATE,
        json_fields=("rules_fired", "factors"),
    )


# --- monthly partitions (PostgreSQL) ---------------------------------------------------------------------------


def _month(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{HISTORY_TABLE}_p{month:%Y%m}"


def history_partition_ensure(*, as_of: date, months_ahead: int = 1) -> list[str]:
    """Create the history partitions of `as_of`'s month and the next `months_ahead` ones where missing (PostgreSQL;
    elsewhere the table is plain). Returns the partitions created.

    Called before a night's chunks (the DDL locks the parent table, which chunks writing in parallel must not
    wait on); a chunk only checks that its month exists.
    """
    if not is_postgresql():
        return []
    created, month = [], _month(as_of)
    with connection.cursor() as cursor:
        for _ in range(months_ahead + 1):
            name = partition_name(month)
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {connection.ops.quote_name(name)} PARTITION OF "
                    f"{connection.ops.quote_name(HISTORY_TABLE)} FOR VALUES FROM (%s) TO (%s)",
                    [month.isoformat(), _next_month(month).isoformat()],
                )
                created.append(name)
            month = _next_month(month)
    return created


def _months_before(today: date, months: int) -> date:
    """The day `months` calendar months before `today` (clamped to the month's length)."""
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    first = date(year, month + 1, 1)
    last_day = (_next_month(first) - first).days
    return first.replace(day=min(today.day, last_day))


def history_prune(*, today: date, months: int | None = None) -> dict:
    """Drop the history older than the retention (SCORE_HISTORY_MONTHS, default 13): on PostgreSQL whole monthly
    partitions that end before the cut-off (no row-by-row delete, no dead tuples); elsewhere the same months' rows.

    A month is dropped only once all of it is older than the cut-off, so a night inside the window is never lost.
    """
    months = settings.SCORE_HISTORY_MONTHS if months is None else months
    cutoff = _months_before(today, months)
    keep_from = _month(cutoff)  # months ending on or before this day are wholly older than the cut-off
    if not is_postgresql():
        deleted, _ = ScoreDay.objects.filter(as_of__lt=keep_from).delete()
        return {"cutoff": cutoff.isoformat(), "rows_deleted": deleted, "partitions_dropped": []}
    dropped = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [HISTORY_TABLE],
        )
        for (name,) in cursor.fetchall():
            month = _partition_month(name)
            if month is not None and _next_month(month) <= keep_from:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
                dropped.append(name)
    if dropped:
        log.info("score history: dropped %s (cut-off %s)", ", ".join(dropped), cutoff)
    return {"cutoff": cutoff.isoformat(), "rows_deleted": 0, "partitions_dropped": dropped}


def _partition_month(name: str) -> date | None:
    suffix = name.removeprefix(f"{HISTORY_TABLE}_p")
    if len(suffix) != 6 or not suffix.isdigit():
        return None
    return date(int(suffix[:4]), int(suffix[4:]), 1)
