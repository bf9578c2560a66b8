"""Churn model: candidate pipelines, time-split selection, calibration, metrics, explanations."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

TOP_FACTORS = 5


def _signed_log(x):
    return np.sign(x) * np.log1p(np.abs(x))


def _logistic() -> Pipeline:
    return Pipeline([
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
        ("log", FunctionTransformer(_signed_log, feature_names_out="one-to-one")),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000)),
    ])


def _boosting() -> Pipeline:
    return Pipeline([
        ("clf", HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            class_weight="balanced", early_stopping=True, validation_fraction=0.15, random_state=0)),
    ])


CANDIDATES = {"logistic_regression": _logistic, "hist_gradient_boosting": _boosting}


def _calibrated(name: str, n_positive: int) -> CalibratedClassifierCV:
    # Platt scaling keeps the ranking and needs few positives; 3 folds when the data allows it.
    folds = 3 if n_positive >= 6 else 2
    return CalibratedClassifierCV(CANDIDATES[name](), method="sigmoid", cv=folds)


def evaluate_scores(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float] | None = None) -> dict:
    """ROC AUC, PR AUC, Brier, n, churn rate, top-decile lift and precision/recall at thresholds."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n = len(y)
    rate = float(y.mean()) if n else 0.0
    both = n > 0 and 0 < y.sum() < n
    out = {
        "n": n,
        "churn_rate": rate,
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)) if n else None,
    }
    if n and rate > 0:
        top = np.argsort(-p, kind="stable")[: max(1, n // 10)]
        out["lift_top_decile"] = float(y[top].mean() / rate)
    else:
        out["lift_top_decile"] = None
    for label, t in (thresholds or {}).items():
        flagged = p >= t
        tp = int((flagged & (y == 1)).sum())
        out[f"precision_at_{label}"] = float(tp / flagged.sum()) if flagged.sum() else None
        out[f"recall_at_{label}"] = float(tp / y.sum()) if y.sum() else None
    return out


@dataclass
class TrainResult:
    algorithm: str
    estimator: CalibratedClassifierCV
    features: list[str]
    metrics: dict
    candidates: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    sklearn_version: str = sklearn.__version__


def _reference_values(X: pd.DataFrame) -> dict:
    medians = X.median(numeric_only=True)
    return {c: (None if pd.isna(v) else float(v)) for c, v in medians.items()}


def train_and_select(
    X_train: pd.DataFrame, y_train: np.ndarray, X_val: pd.DataFrame, y_val: np.ndarray,
    thresholds: dict[str, float] | None = None, candidates: tuple[str, ...] = tuple(CANDIDATES),
) -> TrainResult:
    """Fit each candidate on the earlier cut-offs, keep the best by validation PR AUC, refit on all."""
    features = list(X_train.columns)
    scored = {}
    for name in candidates:
        est = _calibrated(name, int(y_train.sum())).fit(X_train, y_train)
        scored[name] = evaluate_scores(y_val, est.predict_proba(X_val[features])[:, 1], thresholds)
    best = max(scored, key=lambda k: (scored[k]["pr_auc"] or 0.0, scored[k]["roc_auc"] or 0.0))
    X_all = pd.concat([X_train, X_val[features]])
    y_all = np.concatenate([y_train, y_val])
    final = _calibrated(best, int(y_all.sum())).fit(X_all, y_all)
    return TrainResult(best, final, features, scored[best], scored, _reference_values(X_all))


def fit_one(name: str, X: pd.DataFrame, y: np.ndarray) -> TrainResult:
    """Fit a single calibrated candidate on all rows (no validation)."""
    est = _calibrated(name, int(y.sum())).fit(X, y)
    return TrainResult(name, est, list(X.columns), {}, {}, _reference_values(X))


def predict(estimator, X: pd.DataFrame) -> np.ndarray:
    return estimator.predict_proba(X)[:, 1]


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _linear_contributions(estimator: CalibratedClassifierCV, X: pd.DataFrame) -> np.ndarray:
    """Per-feature log-odds contributions coef * standardised value, averaged over the calibration folds."""
    n_features = X.shape[1]
    total = np.zeros(X.shape, dtype=float)
    for cc in estimator.calibrated_classifiers_:
        pipe = cc.estimator
        z = pipe[:-1].transform(X)
        contrib = z * pipe[-1].coef_[0]
        # Missing-value indicator columns follow the features: fold them back onto their feature.
        folded = contrib[:, :n_features].copy()
        indicator = pipe.named_steps["impute"].indicator_
        if indicator is not None:
            for k, j in enumerate(indicator.features_):
                folded[:, j] += contrib[:, n_features + k]
        total += folded
    return total / len(estimator.calibrated_classifiers_)


def _occlusion_contributions(estimator, X: pd.DataFrame, reference: dict) -> np.ndarray:
    """How much each feature moves the log-odds versus the training median (one re-prediction per feature)."""
    base = _logit(predict(estimator, X))
    out = np.zeros(X.shape, dtype=float)
    for j, name in enumerate(X.columns):
        ref = reference.get(name)
        moved = X.copy()
        moved[name] = np.nan if ref is None else ref
        out[:, j] = base - _logit(predict(estimator, moved))
    return out


def contributions(result_algorithm: str, estimator, X: pd.DataFrame, reference: dict) -> np.ndarray:
    """Signed per-feature contributions to the churn log-odds, rows x features."""
    if result_algorithm == "logistic_regression":
        return _linear_contributions(estimator, X)
    return _occlusion_contributions(estimator, X, reference)


def top_factors(contrib: np.ndarray, columns: list[str], k: int = TOP_FACTORS) -> list[list[tuple[str, float]]]:
    """The k features pushing each row's risk up the most (largest positive contributions first)."""
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    return [[(columns[j], float(contrib[i, j])) for j in order[i]] for i in range(contrib.shape[0])]
