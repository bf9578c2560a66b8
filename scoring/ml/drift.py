"""Distribution drift: decile bins of a reference sample and the population stability index (PSI). Pure numpy."""

import numpy as np

PSI_EPSILON = 1e-4  # floor for empty bins so that ln(a / e) stays finite
PSI_BINS = 10


def quantile_edges(values: np.ndarray, bins: int = PSI_BINS) -> list[float]:
    """Inner bin edges at the quantiles of the reference values (duplicates dropped, NaN ignored)."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return []
    qs = np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])
    return [float(x) for x in np.unique(qs)]


def bin_shares(values: np.ndarray, edges: list[float]) -> list[float]:
    """Share of values per bin: len(edges) + 1 bins of (edge_i-1, edge_i], then one bin for missing values."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return [0.0] * (len(edges) + 2)
    missing = np.isnan(values)
    idx = np.searchsorted(np.asarray(edges, dtype=float), values[~missing], side="left")
    counts = np.bincount(idx, minlength=len(edges) + 1).tolist() + [int(missing.sum())]
    return [c / values.size for c in counts]


def psi(expected: list[float], actual: list[float], eps: float = PSI_EPSILON) -> float:
    """Population stability index: sum of (a - e) * ln(a / e) over bins, empty bins floored at eps."""
    e = np.maximum(np.asarray(expected, dtype=float), eps)
    a = np.maximum(np.asarray(actual, dtype=float), eps)
    return float(np.sum((a - e) * np.log(a / e)))
