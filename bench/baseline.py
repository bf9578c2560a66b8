"""The plain baseline: one process, pandas + scikit-learn, no Django, no Celery, no writes.

Reads the event rows out of PostgreSQL with COPY, aggregates them per customer with pandas/numpy,
derives the same catalog features, fires the same rules and predicts with the same stored model.
Prints its timings and writes customer ids, probabilities and rule counts to an .npz for comparison.
"""

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's queue module (psycopg imports it): run from the project root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import joblib
import numpy as np
import pandas as pd
import psycopg

from scoring.ml.bgnbd import BgNbdParams
from scoring.ml.derive import derive_features, purchase_history_features  # pure pandas, no Django
from scoring.ml.rules import RuleSpec, evaluate

DAY = 86_400.0


def _copy_frame(conn, sql: str, names: list[str]) -> pd.DataFrame:
    buf = io.BytesIO()
    with conn.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buf.write(block)
    buf.seek(0)
    return pd.read_csv(buf, names=names, header=None)


def aggregate(events: pd.DataFrame, ids: np.ndarray, cutoff_dt: datetime) -> pd.DataFrame:
    """The raw per-customer aggregates (same columns as scoring.features.raw_aggregates).

    Windows are calendar days on the local clock ("90 days ago" keeps the wall-clock time across DST).
    """
    pos = np.searchsorted(ids, events["customer_id"].to_numpy())
    n = len(ids)
    t = events["t"].to_numpy()
    kind = events["kind"].to_numpy()
    amount = np.nan_to_num(events["amount"].to_numpy())
    value = np.nan_to_num(events["value"].to_numpy())
    since = {d: t >= (cutoff_dt - timedelta(days=d)).timestamp() for d in (30, 60, 90, 150, 180, 365, 455)}
    is_kind = {
        k: kind == k
        for k in (
            "visit",
            "login",
            "purchase",
            "survey",
            "renewal",
            "competitor",
            "ticket_opened",
            "ticket_closed",
            "campaign",
        )
    }

    def count(mask, weights=None):
        w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(pos, weights=w, minlength=n)

    everything = np.ones(len(t), dtype=bool)
    raw = {
        "activity_total": count(everything),
        "activity_30d": count(since[30]),
        "activity_90d": count(since[90]),
        "activity_prev_90d": count(since[180] & ~since[90]),
        "activity_365d": count(since[365]),
        "visits_prior_12m": count(is_kind["visit"] & since[455] & ~since[90]),
        "logins_before_60d": count(is_kind["login"] & since[150] & ~since[60]),
        "spend_90d": count(is_kind["purchase"] & since[90], amount),
        "spend_prev_90d": count(is_kind["purchase"] & since[180] & ~since[90], amount),
        "spend_365d": count(is_kind["purchase"] & since[365], amount),
        "survey_count": count(is_kind["survey"]),
        "survey_sum": count(is_kind["survey"], value),
        "renewals_90d": count(is_kind["renewal"] & since[90]),
        "competitor_30d": count(is_kind["competitor"] & since[30]),
        "competitor_90d": count(is_kind["competitor"] & since[90]),
        "tickets_90d": count(is_kind["ticket_opened"] & since[90]),
        "tickets_opened": count(is_kind["ticket_opened"]),
        "tickets_closed": count(is_kind["ticket_closed"]),
        "campaigns_90d": count(is_kind["campaign"] & since[90]),
    }
    for k, plural in (("visit", "visits"), ("login", "logins"), ("purchase", "purchases")):
        raw[f"{plural}_30d"] = count(is_kind[k] & since[30])
        raw[f"{plural}_90d"] = count(is_kind[k] & since[90])
        raw[f"{plural}_prev_90d"] = count(is_kind[k] & since[180] & ~since[90])
        raw[f"{plural}_365d"] = count(is_kind[k] & since[365])
    frame = pd.DataFrame(raw, index=ids)
    g = pd.Series(t).groupby(pos)
    frame["first_at"] = pd.Series(g.min().to_numpy(), index=ids[g.min().index])
    frame["last_at"] = pd.Series(g.max().to_numpy(), index=ids[g.max().index])
    for k in ("visit", "login", "purchase"):
        m = is_kind[k]
        last = pd.Series(t[m]).groupby(pos[m]).max()
        frame[f"{k}_last_at"] = pd.Series(last.to_numpy(), index=ids[last.index])
    raw_value = events["value"].to_numpy()
    for d in (90, 365):
        m = is_kind["purchase"] & since[d] & ~np.isnan(raw_value)
        n_items = np.bincount(pos[m], minlength=n)
        frame[f"items_avg_{d}d"] = np.where(
            n_items > 0, np.bincount(pos[m], weights=raw_value[m], minlength=n) / np.maximum(n_items, 1), np.nan
        )
    m = is_kind["survey"]
    surveys = pd.DataFrame({"pos": pos[m], "t": t[m], "v": value[m]}).sort_values(["pos", "t"], kind="stable")
    latest = surveys.drop_duplicates("pos", keep="last")
    frame["survey_latest"] = pd.Series(latest["v"].to_numpy(), index=ids[latest["pos"].to_numpy()])
    return frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--time-zone", default="Europe/Berlin")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    cutoff_dt = datetime.combine(args.as_of + timedelta(days=1), dtime.min, tzinfo=ZoneInfo(args.time_zone))
    cutoff = cutoff_dt.timestamp()
    day_epoch = datetime.combine(args.as_of, dtime.min, tzinfo=UTC).timestamp()
    with psycopg.connect(args.dsn) as conn:
        customers = _copy_frame(
            conn,
            "SELECT id, lifetime_value, EXTRACT(EPOCH FROM contract_start)::float8, "
            "EXTRACT(EPOCH FROM contract_end)::float8 FROM customers_customer "
            f"WHERE churned_at IS NULL OR churned_at >= '{cutoff_dt.isoformat()}' ORDER BY id",
            ["id", "lifetime_value", "contract_start_epoch", "contract_end_epoch"],
        )
        events = _copy_frame(
            conn,
            "SELECT customer_id, kind, EXTRACT(EPOCH FROM occurred_at)::float8, amount, value FROM customers_event "
            f"WHERE occurred_at < '{cutoff_dt.isoformat()}'",
            ["customer_id", "kind", "t", "amount", "value"],
        )
        model_row = conn.execute("SELECT artifact, features FROM scoring_modelversion WHERE is_active").fetchone()
        policy = conn.execute("SELECT data FROM scoring_policyversion ORDER BY number DESC LIMIT 1").fetchone()[0]
        rules = conn.execute("SELECT rules FROM scoring_rulesetversion ORDER BY number DESC LIMIT 1").fetchone()[0]
    read_s = time.perf_counter() - started
    ids = customers["id"].to_numpy()
    events = events[np.isin(events["customer_id"].to_numpy(), ids)]
    bundle = joblib.load(io.BytesIO(bytes(model_row[0])))
    raw = customers.set_index("id").join(aggregate(events, ids, cutoff_dt))
    purchases = events.loc[events["kind"].to_numpy() == "purchase", ["customer_id", "t"]].rename(columns={"t": "epoch"})
    params = bundle.get("bgnbd_params")
    history, _ = purchase_history_features(purchases, cutoff, BgNbdParams(**params) if params else None)
    raw = raw.join(history)
    raw = raw[raw["activity_total"] > 0].astype(float)
    epochs = [c for c in raw.columns if c.endswith(("_at", "_epoch"))]
    raw[epochs] = raw[epochs].round(3)
    features = derive_features(raw, cutoff, day_epoch)
    specs = [
        RuleSpec(r["name"], tuple((c["feature"], c["op"], float(c["value"])) for c in r["conditions"]))
        for r in rules
        if r.get("is_enabled", True)
    ]
    fired = evaluate(specs, features).sum(axis=1)
    probability = bundle["estimator"].predict_proba(features[model_row[1]])[:, 1]
    total_s = time.perf_counter() - started
    np.savez(
        args.out,
        ids=features.index.to_numpy(),
        probability=probability,
        rules=fired,
        high=fired >= policy["high_risk_min_rules"],
    )
    print(
        json.dumps(
            {
                "baseline_s": round(total_s, 2),
                "read_s": round(read_s, 2),
                "customers": len(features),
                "events": len(events),
            }
        )
    )


if __name__ == "__main__":
    main()
