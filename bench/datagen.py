"""Synthetic customers and events written to PostgreSQL with COPY (not the ORM), in customer order.

Events per customer ~ Poisson(M) over the 540 days before the as-of date; ~12% of customers decline
(activity concentrated in the past, a competitor signal and a poor survey late), like the seeds describe.
"""

import io
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

KINDS = np.array(["visit", "login", "purchase", "ticket_opened", "ticket_closed", "survey", "campaign", "competitor"])
KIND_P = np.array([0.26, 0.42, 0.18, 0.03, 0.02, 0.05, 0.03, 0.01])
SEGMENTS = np.array(["retail", "smb", "enterprise", "premium"])
REGIONS = np.array(["north", "south", "east", "west"])
HISTORY_DAYS = 540
BLOCK = 25_000  # customers per COPY block: ~0.5M event rows (~60 MB of CSV) in memory at a time


def _iso(seconds: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC")


def copy_customers(conn, *, n: int, owner_ids: list[int], as_of: date, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).isoformat()
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY customers_customer (id, external_id, name, segment, region, owner_id, lifetime_value, "
            "contract_start, contract_end, churned_at, attributes, created_at, updated_at) FROM STDIN WITH (FORMAT csv)"
        ) as copy,
    ):
        for lo in range(0, n, BLOCK):
            ids = np.arange(lo + 1, min(n, lo + BLOCK) + 1)
            k = len(ids)
            start = np.datetime64(as_of) - rng.integers(200, 1800, k).astype("timedelta64[D]")
            has_contract = rng.random(k) < 0.5
            end = np.datetime64(as_of) + rng.integers(-20, 365, k).astype("timedelta64[D]")
            frame = pd.DataFrame(
                {
                    "id": ids,
                    "external_id": [f"B{i:08d}" for i in ids],
                    "name": [f"Customer {i}" for i in ids],
                    "segment": SEGMENTS[rng.integers(0, 4, k)],
                    "region": REGIONS[rng.integers(0, 4, k)],
                    "owner_id": np.array(owner_ids)[rng.integers(0, len(owner_ids), k)],
                    "lifetime_value": np.round(rng.lognormal(7, 1, k), 2),
                    "contract_start": start.astype(str),
                    "contract_end": np.where(has_contract, end.astype(str), ""),
                    "churned_at": "",
                    "attributes": "{}",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            buf = io.StringIO()
            frame.to_csv(buf, header=False, index=False)
            copy.write(buf.getvalue())
    with conn.cursor() as cur:
        cur.execute("SELECT setval('customers_customer_id_seq', %s)", [n])


def copy_events(conn, *, n: int, per_customer: int, as_of: date, seed: int = 11) -> int:
    """Write ~n * per_customer events in customer order; returns the number written."""
    rng = np.random.default_rng(seed)
    end = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC).timestamp()
    total = 0
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY customers_event (customer_id, kind, occurred_at, amount, value, external_id) FROM STDIN "
            "WITH (FORMAT csv)"
        ) as copy,
    ):
        for lo in range(0, n, BLOCK):
            ids = np.arange(lo + 1, min(n, lo + BLOCK) + 1)
            counts = rng.poisson(per_customer, len(ids))
            declining = rng.random(len(ids)) < 0.12
            cust = np.repeat(ids, counts)
            dec = np.repeat(declining, counts)
            u = rng.random(len(cust))
            u = np.where(dec, u**2.5, u)  # decliners: activity piles up in the past
            seconds = end - (1 - u) * HISTORY_DAYS * 86400
            order = np.lexsort((seconds, cust))
            cust, dec, seconds = cust[order], dec[order], seconds[order]
            kind = KINDS[rng.choice(len(KINDS), len(cust), p=KIND_P)]
            late = dec & (seconds > end - 30 * 86400)
            kind = np.where(late & (rng.random(len(cust)) < 0.3), "competitor", kind)
            amount = np.where(kind == "purchase", np.round(rng.lognormal(3.5, 0.8, len(cust)), 2), np.nan)
            score = np.clip(np.round(rng.normal(np.where(dec, 5.5, 8.6), 1.2)), 0, 10)
            value = np.where(kind == "survey", score, np.nan)
            frame = pd.DataFrame(
                {
                    "customer_id": cust,
                    "kind": kind,
                    "occurred_at": _iso(seconds),
                    "amount": amount,
                    "value": value,
                    "external_id": np.arange(total, total + len(cust)).astype(str),
                }
            )
            buf = io.StringIO()
            frame.to_csv(buf, header=False, index=False)
            copy.write(buf.getvalue())
            total += len(cust)
    return total


def without_indexes(conn, table: str):
    """Drop a table's secondary indexes and constraints for a bulk load; returns the DDL that restores them."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    return [d for _, d in indexes] + [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in constraints]


def restore(conn, ddl: list[str]) -> None:
    with conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        for statement in ddl:
            cur.execute(statement)


def copy_day_events(conn, *, n: int, per_customer: int, day: date, seed: int) -> int:
    """Append one day of traffic: each customer's events of that day (the history's daily rate), written in
    arrival order (by time, not by customer) as real traffic arrives; returns the number written."""
    rng = np.random.default_rng(seed)
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp()
    counts = rng.poisson(per_customer / HISTORY_DAYS, n)
    cust = np.repeat(np.arange(1, n + 1), counts)
    seconds = start + rng.random(len(cust)) * 86400
    order = np.argsort(seconds)
    cust, seconds = cust[order], seconds[order]
    kind = KINDS[rng.choice(len(KINDS), len(cust), p=KIND_P)]
    amount = np.where(kind == "purchase", np.round(rng.lognormal(3.5, 0.8, len(cust)), 2), np.nan)
    value = np.where(kind == "survey", np.clip(np.round(rng.normal(8.6, 1.2, len(cust))), 0, 10), np.nan)
    frame = pd.DataFrame(
        {
            "customer_id": cust,
            "kind": kind,
            "occurred_at": _iso(seconds),
            "amount": amount,
            "value": value,
            "external_id": [f"{day:%Y%m%d}-{i}" for i in range(len(cust))],
        }
    )
    buf = io.StringIO()
    frame.to_csv(buf, header=False, index=False)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY customers_event (customer_id, kind, occurred_at, amount, value, external_id) FROM STDIN "
            "WITH (FORMAT csv)"
        ) as copy,
    ):
        copy.write(buf.getvalue())
    return len(cust)
