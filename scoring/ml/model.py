"""Churn model: candidate pipelines, time-split selection, calibration, metrics, explanations."""

from dataclasses import dataclass, field
from functools import partial
from inspect import signature

import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

TOP_FACTORS = 5


def _signed_log(x):
    return np.sign(x) * np.log1p(np.abs(x))


def _logistic() -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("log", FunctionTransformer(_signed_log, feature_names_out="one-to-one")),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000)),
        ]
    )


def _boosting(
    max_leaf_nodes: int = 15, min_samples_leaf: int = 40, learning_rate: float = 0.05, early_stopping: bool = True
) -> Pipeline:
    return Pipeline(
        [
            (
                "clf",
                HistGradientBoostingClassifier(
                    learning_rate=learning_rate,
                    max_iter=300 if early_stopping else 100,
                    max_leaf_nodes=max_leaf_nodes,
                    min_samples_leaf=min_samples_leaf,
                    l2_regularization=1.0,
                    class_weight="balanced",
                    early_stopping=early_stopping,
                    validation_fraction=0.15,
                    random_state=0,
                ),
            )
        ]
    )


CANDIDATES = {"logistic_regression": _logistic, "hist_gradient_boosting": _boosting}
# The small boosting grid tried at every training run: shallow-and-smooth to the historical default.
BOOSTING_GRID = {
    "hist_gradient_boosting_small": partial(_boosting, max_leaf_nodes=4, min_samples_leaf=80, learning_rate=0.05),
    "hist_gradient_boosting": _boosting,
    "hist_gradient_boosting_slow": partial(_boosting, max_leaf_nodes=8, min_samples_leaf=40, learning_rate=0.03),
}
AVERAGE = "average"
# Selection folds larger than this are subsampled (the final refit uses every row): the choice between
# candidates needs a fair comparison, not every row, and keeps training at 25,000 customers within minutes.
SELECTION_MAX_ROWS = 25_000


def _builder(name: str):
    return CANDIDATES.get(name) or BOOSTING_GRID[name]


# Boosting's early stopping holds out a stratified 15%: below this many of the rarer class it may hold out none.
EARLY_STOPPING_MIN_CLASS = 40


def _calibrated(name: str, n_minority: int) -> CalibratedClassifierCV:
    # Platt scaling keeps the ranking and needs few positives; 3 folds when the data allows it. The folds are
    # shuffled: training rows come concatenated cut-off by cut-off, and unshuffled folds would calibrate each
    # model on other cut-offs than it learnt from (one such fold came out with an inverted sigmoid).
    folds = 3 if n_minority >= 6 else 2
    small = name in BOOSTING_GRID and n_minority < EARLY_STOPPING_MIN_CLASS
    base = _builder(name)(early_stopping=False) if small else _builder(name)()
    return CalibratedClassifierCV(base, method="sigmoid", cv=StratifiedKFold(folds, shuffle=True, random_state=0))


def _minority(y: np.ndarray) -> int:
    return int(min(y.sum(), len(y) - y.sum()))


class AverageEnsemble:
    """The mean of calibrated members' probabilities (a plain object so stored pickles stay simple)."""

    def __init__(self, members: dict):
        self.members = members
        self.classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = np.mean([m.predict_proba(X)[:, 1] for m in self.members.values()], axis=0)
        return np.column_stack([1 - p, p])


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean prediction| over 10 equal-width probability buckets, weighted by bucket size."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    bucket = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(bucket):
        inside = bucket == b
        total += inside.sum() * abs(y[inside].mean() - p[inside].mean())
    return float(total / len(y))


def evaluate_scores(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float] | None = None) -> dict:
    """ROC AUC, PR AUC, Brier, ECE, n, churn rate, top-decile lift and precision/recall at thresholds."""
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
        "ece": expected_calibration_error(y, p) if n else None,
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
    estimator: object
    features: list[str]
    metrics: dict
    candidates: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    sklearn_version: str = sklearn.__version__
    dropped_features: dict = field(default_factory=dict)
    bgnbd_params: dict | None = None
    # The refit's rows (not stored with the model): lets an evaluation fit references on the same data.
    training_data: tuple | None = field(default=None, repr=False)
    training_weights: np.ndarray | None = field(default=None, repr=False)
    # The chosen candidate on the newest validation fold, as (row index, labels, probabilities): trained only on
    # cut-offs whose labels end before that fold, so it can be compared with another model on the same rows.
    holdout: tuple | None = field(default=None, repr=False)


def _reference_values(X: pd.DataFrame) -> dict:
    medians = X.median(numeric_only=True)
    return {c: (None if pd.isna(v) else float(v)) for c, v in medians.items()}


def uninformative_columns(X: pd.DataFrame, keep_first: tuple[str, ...] = ()) -> dict[str, str]:
    """Columns that are constant, or exact copies of another column, on this data: name -> why.

    Of a set of copies the one listed in `keep_first` (else the earliest column) stays.
    """
    dropped: dict[str, str] = {}
    for name in X.columns:
        if X[name].nunique(dropna=False) <= 1:
            dropped[name] = "constant"
    order = [c for c in keep_first if c in X.columns] + [c for c in X.columns if c not in keep_first]
    seen: dict[int, list[str]] = {}
    for name in order:
        if name in dropped:
            continue
        column = X[name]
        key = int(pd.util.hash_pandas_object(column, index=False).sum())
        for other in seen.get(key, []):
            if column.equals(X[other]):
                dropped[name] = f"same as {other}"
                break
        else:
            seen.setdefault(key, []).append(name)
    return dropped


def _fold_sample(X: pd.DataFrame, y: np.ndarray, max_rows: int, w: np.ndarray | None = None):
    if len(y) <= max_rows:
        return X, y, w
    keep = np.sort(np.random.default_rng(0).choice(len(y), max_rows, replace=False))
    return X.iloc[keep], y[keep], None if w is None else w[keep]


def _summary(per_fold: list[dict]) -> dict:
    """Mean of each metric over the validation folds, with the spread of the ranking metrics."""
    out: dict = {}
    for key in per_fold[0]:
        values = [f[key] for f in per_fold if f.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
    for key in ("roc_auc", "pr_auc", "brier"):
        values = [f[key] for f in per_fold if f.get(key) is not None]
        out[f"{key}_std"] = float(np.std(values)) if len(values) > 1 else 0.0
        out[f"{key}_folds"] = [round(v, 4) for v in values]
    return out


def _weighted(calibrated: CalibratedClassifierCV) -> CalibratedClassifierCV:
    """Ask every step of the pipeline that can take row weights for them (scikit-learn's metadata routing)."""
    for _, step in calibrated.estimator.steps:
        if "sample_weight" in signature(step.fit).parameters:
            step.set_fit_request(sample_weight=True)
    return calibrated


def _fit(name: str, X: pd.DataFrame, y: np.ndarray, parts: tuple[str, ...] = (), w: np.ndarray | None = None):
    if w is None:
        if name == AVERAGE:
            return AverageEnsemble({p: _calibrated(p, _minority(y)).fit(X, y) for p in parts})
        return _calibrated(name, _minority(y)).fit(X, y)
    # Row weights reach the scaler, the classifier and the Platt calibration: routed explicitly, as scikit-learn
    # routes fit parameters through a pipeline only when asked to.
    with sklearn.config_context(enable_metadata_routing=True):
        if name == AVERAGE:
            return AverageEnsemble(
                {p: _weighted(_calibrated(p, _minority(y))).fit(X, y, sample_weight=w) for p in parts}
            )
        return _weighted(_calibrated(name, _minority(y))).fit(X, y, sample_weight=w)


def select_and_fit(
    folds: list[tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]],
    X_all: pd.DataFrame,
    y_all: np.ndarray,
    thresholds: dict[str, float] | None = None,
    candidates: tuple[str, ...] = ("logistic_regression", *BOOSTING_GRID),
    max_rows: int = SELECTION_MAX_ROWS,
    w_all: np.ndarray | None = None,
) -> TrainResult:
    """Score every candidate on rolling validation folds, keep the best mean ROC AUC, refit it on all rows.

    Candidates: logistic regression, each point of the boosting grid, and the average of logistic regression
    with the best boosting point. Folds are (train X, train y, validation X, validation y); a fold whose
    validation labels are all one class is skipped. A fold may carry training row weights as a fifth element,
    and `w_all` weighs the refit's rows.
    """
    features = list(X_all.columns)
    scores: dict[str, list[dict]] = {name: [] for name in candidates}
    boosting = [c for c in candidates if c in BOOSTING_GRID]
    fold_predictions, fold_index = [], []
    for X_tr, y_tr, X_val, y_val, *w_tr in folds:
        if not 0 < y_val.sum() < len(y_val) or min(y_tr.sum(), len(y_tr) - y_tr.sum()) < 3:
            continue  # nothing to validate on, or too few of a class to train and calibrate
        X_fit, y_fit, w_fit = _fold_sample(X_tr[features], y_tr, max_rows, w_tr[0] if w_tr else None)
        preds = {name: _fit(name, X_fit, y_fit, w=w_fit).predict_proba(X_val[features])[:, 1] for name in candidates}
        fold_predictions.append((y_val, preds))
        fold_index.append(X_val.index)
        for name, p in preds.items():
            scores[name].append(evaluate_scores(y_val, p, thresholds))
    if not fold_predictions:
        raise ValueError("no validation cut-off has both churners and stayers")
    summary = {name: _summary(per_fold) for name, per_fold in scores.items()}
    parts: tuple[str, ...] = ()
    if "logistic_regression" in candidates and boosting:
        best_boost = max(boosting, key=lambda k: summary[k]["roc_auc"] or 0.0)
        parts = ("logistic_regression", best_boost)
        summary[AVERAGE] = _summary(
            [
                evaluate_scores(y_val, (preds[parts[0]] + preds[parts[1]]) / 2, thresholds)
                for y_val, preds in fold_predictions
            ]
        )
        summary[AVERAGE]["members"] = list(parts)
    best = max(summary, key=lambda k: (summary[k]["roc_auc"] or 0.0, summary[k]["pr_auc"] or 0.0))
    final = _fit(best, X_all[features], y_all, parts, w=w_all)
    y_first, preds_first = fold_predictions[0]
    p_first = (preds_first[parts[0]] + preds_first[parts[1]]) / 2 if best == AVERAGE else preds_first[best]
    result = TrainResult(best, final, features, summary[best], summary, _reference_values(X_all))
    result.holdout = (fold_index[0], y_first, p_first)
    return result


def train_and_select(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_val: pd.DataFrame,
    y_val: np.ndarray,
    thresholds: dict[str, float] | None = None,
    candidates: tuple[str, ...] = ("logistic_regression", "hist_gradient_boosting"),
) -> TrainResult:
    """One validation cut-off: fit each candidate on the earlier cut-offs, keep the best, refit on all."""
    X_all = pd.concat([X_train, X_val[list(X_train.columns)]])
    y_all = np.concatenate([y_train, y_val])
    return select_and_fit([(X_train, y_train, X_val, y_val)], X_all, y_all, thresholds, candidates)


def fit_one(name: str, X: pd.DataFrame, y: np.ndarray) -> TrainResult:
    """Fit a single calibrated candidate on all rows (no validation)."""
    est = _calibrated(name, _minority(y)).fit(X, y)
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
