"""Calibration folds, model selection, purchase-history features and explanations an account manager can trust."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV

from scoring.features import compute_features
from scoring.ml import bgnbd
from scoring.ml import model as ml
from scoring.ml.explain import explain_rows
from scoring.ml.model import StratifiedKFold
from tests.factories import customer, events_on_days

from .builders import every

AS_OF = date(2025, 6, 30)


def _cutoff_blocks(seed: int = 0):
    """Rows concatenated cut-off by cut-off, as training builds them; the last cut-off behaves the other way."""
    rng = np.random.default_rng(seed)
    frames, labels = [], []
    for slope in (3.0, 3.0, -1.0):
        x = rng.normal(size=1500)
        frames.append(pd.DataFrame({"x": x, "noise": rng.normal(size=1500)}))
        labels.append((rng.random(1500) < 1 / (1 + np.exp(-slope * x))).astype(int))
    return pd.concat(frames, ignore_index=True), np.concatenate(labels)


def _sigmoid_slopes(estimator) -> list[float]:
    # sklearn's sigmoid is 1 / (1 + exp(a * f + b)): a < 0 means a higher score gives a higher probability.
    return [cc.calibrators[0].a_ for cc in estimator.calibrated_classifiers_]


def test_calibration_folds_are_shuffled_so_no_fold_calibrates_on_another_cut_off():
    # given: three cut-offs in a row, the last one with the opposite relation
    X, y = _cutoff_blocks()

    # when
    shuffled = ml.fit_one("logistic_regression", X, y).estimator
    unshuffled = CalibratedClassifierCV(
        ml.CANDIDATES["logistic_regression"](), method="sigmoid", cv=StratifiedKFold(3)
    ).fit(X, y)

    # then: every shuffled fold keeps the ranking; the old unshuffled folds invert one sigmoid
    assert all(a < 0 for a in _sigmoid_slopes(shuffled))
    assert any(a > 0 for a in _sigmoid_slopes(unshuffled))


def test_expected_calibration_error_weighs_each_bucket_by_its_size():
    # given: 10 rows at 0.15 of which 1 churned, 10 at 0.85 of which all churned
    y = np.array([1] + [0] * 9 + [1] * 10)
    p = np.array([0.15] * 10 + [0.85] * 10)

    # when / then: (10 * |0.1 - 0.15| + 10 * |1 - 0.85|) / 20
    assert ml.expected_calibration_error(y, p) == pytest.approx(0.1)


def _synthetic(n: int, seed: int):
    rng = np.random.default_rng(seed)
    recency = rng.exponential(40, n)
    visits = rng.poisson(6, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3 + recency / 25 - visits / 4)))).astype(int)
    return pd.DataFrame({"days_since_last_visit": recency, "visits_90d": visits}), y


def test_selection_records_mean_and_spread_over_validation_cut_offs():
    # given: three rolling folds
    folds = []
    for k in range(3):
        X_tr, y_tr = _synthetic(1500, 10 + k)
        X_val, y_val = _synthetic(800, 20 + k)
        folds.append((X_tr, y_tr, X_val, y_val))
    X_all, y_all = _synthetic(2000, 30)

    # when
    result = ml.select_and_fit(folds, X_all, y_all)

    # then: every candidate scored on all three folds, the winner has the best mean
    assert set(result.candidates) == {"logistic_regression", *ml.BOOSTING_GRID, "average"}
    for figures in result.candidates.values():
        assert len(figures["roc_auc_folds"]) == 3
        assert figures["roc_auc"] == pytest.approx(np.mean(figures["roc_auc_folds"]), abs=1e-4)
        assert figures["roc_auc_std"] == pytest.approx(np.std(figures["roc_auc_folds"]), abs=1e-4)
    assert result.metrics["roc_auc"] == max(c["roc_auc"] for c in result.candidates.values())


def test_constant_and_duplicate_columns_are_dropped_keeping_the_preferred_copy():
    X = pd.DataFrame(
        {
            "a": [1.0, 2, 3],
            "const": [5.0, 5, 5],
            "b": [1.0, 2, 3],
            "c": [np.nan, 1, np.nan],
            "d": [np.nan, 1, np.nan],
            "e": [3.0, 1, 2],
        }
    )

    assert ml.uninformative_columns(X, keep_first=("b",)) == {"const": "constant", "a": "same as b", "d": "same as c"}


@pytest.mark.django_db
def test_gap_statistics_only_from_two_gaps_on():
    # given: purchases every 10 days then a 30-day gap, 20 days ago; a one-time buyer; a two-purchase buyer
    regular = customer("REG")
    days = [AS_OF - timedelta(days=d) for d in (80, 70, 60, 50)]
    events_on_days(regular, "purchase", days, value=3.0)
    events_on_days(regular, "purchase", [AS_OF - timedelta(days=20)], value=6.0)
    once = customer("ONCE")
    events_on_days(once, "purchase", [AS_OF - timedelta(days=40)])
    twice = customer("TWICE")
    events_on_days(twice, "purchase", [AS_OF - timedelta(days=40), AS_OF - timedelta(days=30)])

    # when
    f = compute_features(as_of=AS_OF)

    # then: gaps 10, 10, 10, 30
    r = f.loc[regular.id]
    assert r["purchase_gap_mean"] == 15
    assert r["purchase_gap_median"] == 10
    assert r["purchase_gap_last"] == 30
    assert r["purchase_gap_cv"] == pytest.approx(np.std([10, 10, 10, 30]) / 15)
    # from the start of the last purchase day (UTC) to the cut-off (local midnight): about 21 days
    assert r["recency_typical_gap_ratio"] == pytest.approx(2.1, abs=0.02)
    assert r["items_per_purchase_90d"] == pytest.approx((4 * 3 + 6) / 5)
    for c in (once, twice):
        assert (
            f.loc[
                c.id,
                [
                    "purchase_gap_mean",
                    "purchase_gap_median",
                    "purchase_gap_last",
                    "purchase_gap_cv",
                    "recency_typical_gap_ratio",
                ],
            ]
            .isna()
            .all()
        )


def test_bgnbd_recovers_its_parameters_and_a_long_silence_lowers_p_alive():
    # given: customers simulated from the BG/NBD story (gamma purchase rates, beta drop-out after a purchase)
    rng = np.random.default_rng(3)
    n, T = 4000, 52.0
    lam = rng.gamma(shape=0.8, scale=1 / 4.0, size=n)  # r = 0.8, alpha = 4
    p = rng.beta(0.6, 3.0, size=n)  # a = 0.6, b = 3
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break

    # when
    params = bgnbd.fit(x, t_x, np.full(n, T))

    # then
    assert params.r == pytest.approx(0.8, rel=0.25)
    assert params.alpha == pytest.approx(4.0, rel=0.3)
    alive = bgnbd.p_alive(params, [5, 5, 0], [50, 10, 0], [52, 52, 52])
    assert alive[0] > 0.9 > alive[1]
    assert alive[2] == 1.0
    expected = bgnbd.expected_purchases(params, 13, [5, 5], [50, 10], [52, 52])
    assert expected[0] > expected[1] > 0


def _purchase_log(n: int, seed: int):
    """A purchase-only history: each customer buys at their own rhythm; a third stop some time before AS_OF."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        c = customer(f"P{i:03d}")
        gap = int(rng.integers(5, 40))
        start = AS_OF - timedelta(days=int(rng.integers(250, 500)))
        stop = AS_OF - timedelta(days=int(rng.integers(0, 200))) if i % 3 == 0 else AS_OF + timedelta(days=200)
        days = [d for d in every(start, AS_OF + timedelta(days=150), gap) if d < stop]
        events_on_days(c, "purchase", days or [start])
    once = customer("ONCE")
    events_on_days(once, "purchase", [AS_OF - timedelta(days=60)])
    return once


@pytest.mark.django_db
def test_explanations_on_a_purchase_only_log_repeat_nothing_and_never_cite_a_missing_value():
    # given: a model trained on a purchase-only log (most catalog columns are empty or copies there)
    from scoring.training import train

    once = _purchase_log(90, 1)
    result = train(as_of=AS_OF, horizon_days=60, active_days=None, n_cutoffs=4)
    X = compute_features(as_of=AS_OF, bgnbd_params=result.bgnbd_params)

    # when
    explained = explain_rows(result.estimator, X, result.features, result.reference)

    # then: one line per signal, no "not recorded", every share positive and the shares at most the whole
    assert "days_since_last_visit" in result.dropped_features
    assert any(explained)
    for factors in explained:
        texts = [f["text"] for f in factors]
        assert len(texts) == len(set(texts))
        assert len({f["feature"] for f in factors}) == len(factors)
        assert not any("not recorded" in t or "nan" in t for t in texts)
        assert all(f["weight"] > 0 for f in factors)
        assert sum(f["weight"] for f in factors) <= 1.0001
    # a one-time buyer is never told about their "usual gap"
    once_factors = explained[list(X.index).index(once.id)]
    assert not any("usual" in f["text"] for f in once_factors)
    assert all(
        f["text"].startswith("only one purchase ever") for f in once_factors if f["feature"].startswith("days_since")
    )


def test_a_risk_lowering_factor_is_never_listed_as_a_risk():
    # given: a model where recency raises and visits lower the risk; a customer who is quiet but visits a lot
    X, y = _synthetic(3000, 5)
    result = ml.fit_one("logistic_regression", X, y)
    row = pd.DataFrame({"days_since_last_visit": [150.0], "visits_90d": [25.0]})

    # when
    factors = explain_rows(result.estimator, row, list(X.columns), result.reference)[0]

    # then: the recency is the one reason, with all of the risk; the visits are not a reason
    assert [f["feature"] for f in factors] == ["days_since_last_visit"]
    assert factors[0]["weight"] == 1.0
    assert factors[0]["text"] == "no visit for 150 days: 100% of the risk"
