"""BG/NBD ("buy till you die") model: P(alive) and expected purchases from each customer's own history.

Written here with numpy/scipy rather than taken from the `lifetimes` package: that package is unmaintained
(no release since 2020, breaks on current numpy/pandas) and we need only the likelihood, P(alive) and the
conditional expectation, all vectorised over every customer of a cut-off at once.
Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2).

Inputs per customer, in weeks: x = repeat purchase days, t_x = time from first to last purchase day,
T = time from first purchase day to the cut-off.
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

# Below this many customers with a purchase the four parameters are not identified: no BG/NBD features.
MIN_CUSTOMERS = 30


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict:
        return asdict(self)


def _log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdParams | None:
    """Maximum-likelihood parameters (optimised on the log scale), or None with too few customers."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) < MIN_CUSTOMERS or not (x > 0).any():
        return None

    def loss(log_params):
        params = np.exp(log_params)
        # A tiny penalty keeps the optimiser away from the degenerate a, b -> infinity ridge.
        return -_log_likelihood(params, x, t_x, T).mean() + 1e-4 * np.sum(log_params**2)

    start = np.log([1.0, max(float(T.mean()), 1.0), 1.0, 1.0])
    found = minimize(loss, start, method="L-BFGS-B", bounds=[(-8, 8)] * 4)
    r, alpha, a, b = np.exp(found.x)
    return BgNbdParams(float(r), float(alpha), float(a), float(b))


def p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """Probability the customer has not silently left by the cut-off (1 for customers with no repeat yet)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-9) * np.exp(np.minimum(log_ratio, 700)), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected repeat purchase days in the next `t` weeks, given the customer's history."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a <= 1.0:
        a = 1.0 + 1e-6  # the closed form needs a > 1; the fitted a is above 1 on any realistic log
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-9) * np.exp(np.minimum(log_ratio, 700)), 0.0)
    return np.clip(head / (1.0 + odds), 0.0, None)
