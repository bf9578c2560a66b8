"""Bulk feature computation in the database: one aggregate query per customer-id range (or a sample of ids)."""

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from .ml.bgnbd import BgNbdParams
from .ml.derive import derive_features, purchase_history_features

DAY = timedelta(days=1)


def cutoff_for(as_of: date) -> datetime:
    """The first instant after `as_of` in the configured time zone: features see events before it."""
    return timezone.make_aware(datetime.combine(as_of + DAY, time.min))


def _epoch_sql(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {expr})::float8"
    return f"((julianday({expr}) - 2440587.5) * 86400.0)"


def _param(ts: datetime):
    # SQLite stores UTC text without offset; compare with the same shape.
    if connection.vendor == "sqlite":
        return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return ts


def _only(sql: str, ids) -> str:
    """Restrict a range query to a set of customer ids (a preview's sample), inlined as integers."""
    if ids is None:
        return sql
    listed = ",".join(str(int(i)) for i in ids)
    pg = connection.vendor == "postgresql"
    test = f" = ANY('{{{listed}}}'::bigint[])" if pg else f" IN ({listed or 'NULL'})"
    return re.sub(r"\b(customer_id|id) < %\(id_to\)s", lambda m: f"{m.group(0)} AND {m.group(1)}{test}", sql)


def _windows(cutoff: datetime) -> dict:
    """Literal window bounds computed once in Python (not per row in SQL: see PERF_NOTES)."""
    days = {"t30": 30, "t60": 60, "t90": 90, "t150": 150, "t180": 180, "t365": 365, "t455": 455}
    bounds = {k: _param(cutoff - timedelta(days=d)) for k, d in days.items()}
    bounds["cutoff"] = _param(cutoff)
    return bounds


def _count(kind: str | None, lo: str | None = None, hi: str | None = None, what: str = "1") -> str:
    cond = []
    if kind:
        cond.append(f"kind = '{kind}'")
    if lo:
        cond.append(f"occurred_at >= %({lo})s")
    if hi:
        cond.append(f"occurred_at < %({hi})s")
    where = " AND ".join(cond) or "TRUE"
    if what == "1":
        return f"COUNT(*) FILTER (WHERE {where})"
    return f"SUM({what}) FILTER (WHERE {where})"


VALUE_COLUMNS = ["value_spend", "value_purchases", "value_activity"]


def _aggregate_sql(*, with_value: bool = False) -> str:
    amount = "CAST(amount AS DOUBLE PRECISION)" if connection.vendor == "postgresql" else "amount"
    cols = {
        "activity_total": "COUNT(*)",
        "first_at": _epoch_sql("MIN(occurred_at)"),
        "last_at": _epoch_sql("MAX(occurred_at)"),
        "activity_30d": _count(None, "t30"),
        "activity_90d": _count(None, "t90"),
        "activity_prev_90d": _count(None, "t180", "t90"),
        "activity_365d": _count(None, "t365"),
        "visits_prior_12m": _count("visit", "t455", "t90"),
        "logins_before_60d": _count("login", "t150", "t60"),
        "spend_90d": _count("purchase", "t90", what=amount),
        "spend_prev_90d": _count("purchase", "t180", "t90", what=amount),
        "spend_365d": _count("purchase", "t365", what=amount),
        "survey_count": _count("survey"),
        "survey_sum": _count("survey", what="value"),
        "renewals_90d": _count("renewal", "t90"),
        "competitor_30d": _count("competitor", "t30"),
        "competitor_90d": _count("competitor", "t90"),
        "tickets_90d": _count("ticket_opened", "t90"),
        "tickets_opened": _count("ticket_opened"),
        "tickets_closed": _count("ticket_closed"),
        "campaigns_90d": _count("campaign", "t90"),
        "items_avg_90d": "AVG(value) FILTER (WHERE kind = 'purchase' AND occurred_at >= %(t90)s)",
        "items_avg_365d": "AVG(value) FILTER (WHERE kind = 'purchase' AND occurred_at >= %(t365)s)",
    }
    for kind, plural in (("visit", "visits"), ("login", "logins"), ("purchase", "purchases")):
        cols[f"{kind}_last_at"] = _epoch_sql(f"MAX(occurred_at) FILTER (WHERE kind = '{kind}')")
        cols[f"{plural}_30d"] = _count(kind, "t30")
        cols[f"{plural}_90d"] = _count(kind, "t90")
        cols[f"{plural}_prev_90d"] = _count(kind, "t180", "t90")
        cols[f"{plural}_365d"] = _count(kind, "t365")
    if with_value:
        # A customer's value without a lifetime value (scoring.lanes): spend, purchases and activity in the
        # policy's value window, from the same pass rather than a second one over the chunk's events.
        cols["value_spend"] = _count("purchase", "tvalue", what=amount)
        cols["value_purchases"] = _count("purchase", "tvalue")
        cols["value_activity"] = _count(None, "tvalue")
    if connection.vendor == "postgresql":
        # One pass: the latest survey per customer rides along in the same aggregate.
        cols["survey_latest"] = (
            "(ARRAY_AGG(value ORDER BY occurred_at DESC, id DESC) FILTER (WHERE kind = 'survey'))[1]"
        )
    select = ",\n  ".join(f"{expr} AS {name}" for name, expr in cols.items())
    return (
        f"SELECT customer_id,\n  {select}\nFROM customers_event\n"
        "WHERE occurred_at < %(cutoff)s AND customer_id >= %(id_from)s AND customer_id < %(id_to)s\n"
        "GROUP BY customer_id"
    ), list(cols)


SURVEY_SQL = """
SELECT customer_id, value FROM (
  SELECT customer_id, value,
         ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY occurred_at DESC, id DESC) AS rn
  FROM customers_event
  WHERE kind = 'survey' AND occurred_at < %(cutoff)s AND customer_id >= %(id_from)s AND customer_id < %(id_to)s
) latest WHERE rn = 1
"""


def _purchases_sql() -> str:
    return (
        f"SELECT customer_id, {_epoch_sql('occurred_at')} AS epoch FROM customers_event "
        "WHERE kind = 'purchase' AND occurred_at < %(cutoff)s AND customer_id >= %(id_from)s "
        "AND customer_id < %(id_to)s"
    )


def _customers_sql() -> str:
    return (
        "SELECT id, lifetime_value, "
        f"{_epoch_sql('contract_start')} AS contract_start_epoch, {_epoch_sql('contract_end')} AS contract_end_epoch "
        "FROM customers_customer WHERE id >= %(id_from)s AND id < %(id_to)s "
        "AND (churned_at IS NULL OR churned_at >= %(cutoff)s)"
    )


ATTRIBUTE_SQL = """
SELECT customer_id, field, value FROM customers_customerattributechange
WHERE changed_at < %(cutoff)s AND customer_id >= %(id_from)s AND customer_id < %(id_to)s
  AND field IN ('lifetime_value', 'contract_start', 'contract_end')
ORDER BY customer_id, field, changed_at, id
"""


def _attributes_as_of(customers: pd.DataFrame, params: dict, ids=None) -> pd.DataFrame:
    """Lifetime value and contract dates as recorded before the cut-off, never today's values.

    A customer with a recorded history gets the last value set before the cut-off (missing if none was set
    yet). Only an attribute with no history at all (a row written around the services) keeps its stored value.
    """
    with connection.cursor() as cursor:
        cursor.execute(_only(ATTRIBUTE_SQL, ids), params)
        changes = pd.DataFrame.from_records(cursor.fetchall(), columns=["customer_id", "field", "value"])
    with connection.cursor() as cursor:
        cursor.execute(
            _only(
                "SELECT DISTINCT customer_id, field FROM customers_customerattributechange "
                "WHERE customer_id >= %(id_from)s AND customer_id < %(id_to)s",
                ids,
            ),
            params,
        )
        tracked = pd.DataFrame.from_records(cursor.fetchall(), columns=["customer_id", "field"])
    out = customers.copy()
    latest = (
        changes.groupby(["customer_id", "field"])["value"].last().unstack()
        if len(changes)
        else pd.DataFrame(index=pd.Index([], dtype=np.int64))
    )
    for field, column in (
        ("lifetime_value", "lifetime_value"),
        ("contract_start", "contract_start_epoch"),
        ("contract_end", "contract_end_epoch"),
    ):
        has_history = out.index.isin(tracked.loc[tracked["field"] == field, "customer_id"])
        if not has_history.any():
            continue
        text = latest[field].reindex(out.index) if field in latest.columns else pd.Series(np.nan, index=out.index)
        text = text.replace("", np.nan)
        if field == "lifetime_value":
            value = pd.to_numeric(text, errors="coerce")
        else:
            value = (pd.to_datetime(text, utc=True, errors="coerce") - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(
                seconds=1
            )
        out[column] = np.where(has_history, value, out[column])
    return out


def _frame(sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """Run a query whose columns are all numeric into a frame indexed by the first column."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The aggregate spills to disk with the default 4 MB work_mem (PERF_NOTES).
            cursor.execute("SET work_mem = '256MB'")
            # The rows as one CSV text value, parsed in C: COPY TO or fetchall cost the client ~7 µs a row (one
            # protocol message each; 140k a chunk), one value costs one message.
            names = [f"c{i}" for i in range(len(columns))]
            fields = ", ".join(f"COALESCE({n}::text, '')" for n in names)
            cursor.execute(
                f"SELECT string_agg(concat_ws(',', {fields}), E'\\n') FROM ({sql}) AS q({', '.join(names)})", params
            )
            text = cursor.fetchone()[0]
            frame = (
                pd.read_csv(io.StringIO(text), names=columns, header=None, dtype=float)
                if text
                else pd.DataFrame(columns=columns, dtype=float)
            )
        else:
            cursor.execute(sql, params)
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    frame[columns[0]] = frame[columns[0]].astype(np.int64)
    return frame.set_index(columns[0])


def raw_aggregates(
    *, as_of: date, id_from: int = 0, id_to: int = 2**62, ids=None, value_days: int | None = None
) -> pd.DataFrame:
    """Raw per-customer aggregates of events before the cut-off, one row per not-yet-churned customer (in `ids`
    when given).

    With `value_days`, also VALUE_COLUMNS over that window and `stored_lifetime_value` (today's, not as of)."""
    cutoff = cutoff_for(as_of)
    params = {**_windows(cutoff), "id_from": id_from, "id_to": id_to}
    if value_days:
        params["tvalue"] = _param(cutoff - timedelta(days=value_days))
    customers = _frame(
        _only(_customers_sql(), ids),
        params,
        ["customer_id", "lifetime_value", "contract_start_epoch", "contract_end_epoch"],
    ).astype(float)
    stored_ltv = customers["lifetime_value"]
    customers = _attributes_as_of(customers, params, ids)
    if value_days:
        customers["stored_lifetime_value"] = stored_ltv
    agg_sql, agg_cols = _aggregate_sql(with_value=bool(value_days))
    events = _frame(_only(agg_sql, ids), params, ["customer_id", *agg_cols])
    raw = customers.join(events, how="left")
    if "survey_latest" not in raw.columns:
        raw = raw.join(_frame(_only(SURVEY_SQL, ids), params, ["customer_id", "survey_latest"]), how="left")
    raw = raw.astype(float)
    # SQLite's julianday arithmetic is off by microseconds; whole milliseconds agree across databases.
    epochs = [c for c in raw.columns if c.endswith(("_at", "_epoch"))]
    raw[epochs] = raw[epochs].round(3)
    return raw


def purchase_history(
    *, as_of: date, id_from: int = 0, id_to: int = 2**62, bgnbd_params: BgNbdParams | None = None, ids=None
) -> tuple[pd.DataFrame, BgNbdParams | None]:
    """Gap statistics and BG/NBD figures per customer (see `scoring.ml.derive.purchase_history_features`)."""
    cutoff = cutoff_for(as_of)
    params = {"cutoff": _param(cutoff), "id_from": id_from, "id_to": id_to}
    # COPY out and parsed in C (`_frame`): the chunk's purchases are tens of thousands of rows.
    purchases = _frame(_only(_purchases_sql(), ids), params, ["customer_id", "epoch"]).reset_index()
    return purchase_history_features(purchases, cutoff.timestamp(), bgnbd_params)


def compute_features(
    *,
    as_of: date,
    id_from: int = 0,
    id_to: int = 2**62,
    active_only: bool = True,
    bgnbd_params: dict | None = None,
    ids=None,
) -> pd.DataFrame:
    """Feature matrix (index customer_id, columns = the catalog) as of the end of `as_of`.

    With `active_only`, customers with no event before the cut-off (not yet customers) are left out.
    BG/NBD is fitted on the customers in range unless `bgnbd_params` (stored with a model) are given; the
    parameters used are in `frame.attrs["bgnbd_params"]`. `ids` restricts the range to those customers.
    """
    return compute_features_and_values(
        as_of=as_of, id_from=id_from, id_to=id_to, active_only=active_only, bgnbd_params=bgnbd_params, ids=ids
    )[0]


def compute_features_and_values(
    *,
    as_of: date,
    id_from: int = 0,
    id_to: int = 2**62,
    active_only: bool = True,
    bgnbd_params: dict | None = None,
    value_days: int | None = None,
    ids=None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """`compute_features`, and with `value_days` the inputs of each customer's value (scoring.lanes) from the
    same aggregate pass: lifetime value, spend, purchases and activity in the window (else None)."""
    raw = raw_aggregates(as_of=as_of, id_from=id_from, id_to=id_to, ids=ids, value_days=value_days)
    if active_only:
        raw = raw[raw["activity_total"].fillna(0) > 0]
    values = None
    if value_days:
        values = raw[["stored_lifetime_value", *VALUE_COLUMNS]].fillna(0.0)
        raw = raw.drop(columns=["stored_lifetime_value", *VALUE_COLUMNS])
    given = BgNbdParams(**bgnbd_params) if bgnbd_params else None
    history, fitted = purchase_history(as_of=as_of, id_from=id_from, id_to=id_to, bgnbd_params=given, ids=ids)
    raw = raw.join(history, how="left")
    cutoff_epoch = cutoff_for(as_of).timestamp()
    day_epoch = datetime.combine(as_of, time.min, tzinfo=UTC).timestamp()
    features = derive_features(raw, cutoff_epoch, day_epoch)
    features.index = features.index.astype(np.int64)
    # In customer-id order whatever order the database aggregated in (PostgreSQL's hash aggregate follows the
    # tables' physical order, which updates change): training, its folds and the nightly run see the same rows in
    # the same order on every database and every run.
    features = features.sort_index()
    features.attrs["bgnbd_params"] = fitted.as_dict() if fitted else None
    if values is not None:
        values = values.sort_index()
    return features, values


def active_only(X: pd.DataFrame, days: int | None) -> pd.DataFrame:
    """The rows of customers active within the last `days` (all rows when `days` is None)."""
    return X[X["days_since_last_activity"] <= days] if days else X
