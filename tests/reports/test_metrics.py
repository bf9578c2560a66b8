"""The report's pure functions: intervals, uplift verdicts, percentiles, PSI, ISO weeks."""

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from reports.metrics import cohort_figures, median, newcombe_interval, percentile_nearest_rank, wilson_interval
from reports.weeks import IsoWeek
from scoring.ml.drift import bin_shares, psi, quantile_edges


@pytest.mark.parametrize(
    ("k", "n", "low", "high"), [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 10, 0.0, 0.2775)]
)
def test_wilson_interval_matches_newcombe_1998(k, n, low, high):
    # when
    lo, hi = wilson_interval(k, n)

    # then
    assert (round(lo, 4), round(hi, 4)) == (low, high)


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "low", "high"), [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)]
)
def test_newcombe_difference_interval_matches_the_published_examples(k1, n1, k2, n2, low, high):
    # given: Newcombe (1998) Table II, method 10, for p1 - p2; ours is p2 - p1
    # when
    d, lo, hi = newcombe_interval(k1, n1, k2, n2)

    # then
    assert d == pytest.approx(k2 / n2 - k1 / n1)
    assert (round(-hi, 4), round(-lo, 4)) == (low, high)


def test_uplift_is_too_small_to_tell_below_the_minimum_group():
    # when
    figures = cohort_figures({"worked": (29, 3), "control": (40, 20), "flagged_other": (0, 0), "not_flagged": (100, 5)})

    # then
    assert figures["uplift"]["verdict"] == "too_small"
    assert figures["uplift"]["text"] == (
        "Too small to tell yet: each group needs at least 30 customers (worked 29, control 40)."
    )
    assert figures["flagged_other"] == {"n": 0, "churned": 0, "rate": None, "low": None, "high": None}


def test_uplift_fewer_churned_when_the_interval_clears_zero():
    # when: 8 of 40 worked customers churned, 20 of 40 in the control group
    uplift = cohort_figures({"worked": (40, 8), "control": (40, 20), "flagged_other": (0, 0), "not_flagged": (0, 0)})[
        "uplift"
    ]

    # then
    assert uplift["difference"] == pytest.approx(0.30)
    assert 0 < uplift["low"] < 0.30 < uplift["high"]
    assert uplift["verdict"] == "fewer_churned"
    assert uplift["text"].startswith(
        "Working the cases cut churn by 30.0 points against the control group (95% interval +"
    )


@pytest.mark.parametrize(
    ("worked", "control", "verdict"), [((40, 10), (40, 12), "no_difference"), ((40, 30), (40, 5), "more_churned")]
)
def test_uplift_no_difference_and_more_churned(worked, control, verdict):
    # when
    uplift = cohort_figures({"worked": worked, "control": control, "flagged_other": (0, 0), "not_flagged": (0, 0)})[
        "uplift"
    ]

    # then
    assert uplift["verdict"] == verdict


def test_percentiles_take_an_observed_value():
    # then
    assert percentile_nearest_rank([146, 0.5, 6, 2, 25, 96], 90) == 146
    assert percentile_nearest_rank(list(range(1, 11)), 90) == 9
    assert percentile_nearest_rank([], 90) is None
    assert median([0.5, 2, 6, 25, 96, 146]) == 15.5


def test_psi_of_equal_distributions_is_zero_and_of_a_shift_is_the_formula():
    # given: ten reference values 0..9, one per decile bin
    edges = quantile_edges(np.arange(10.0))
    expected = bin_shares(np.arange(10.0), edges)

    # when: everyone moves to the lowest bin
    shifted = bin_shares(np.zeros(20), edges)

    # then
    assert expected == [0.1] * 10 + [0.0]
    assert shifted == [1.0] + [0.0] * 10
    assert psi(expected, expected) == 0.0
    by_hand = (1.0 - 0.1) * math.log(1.0 / 0.1) + 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert psi(expected, shifted) == pytest.approx(by_hand)


def test_missing_values_have_their_own_bin():
    # when
    shares = bin_shares(np.array([0.0, 0.0, 1.0, np.nan]), [0.5])

    # then
    assert shares == [0.5, 0.25, 0.25]


def test_iso_week_parsing_and_the_last_completed_week():
    # then
    assert str(IsoWeek.parse("2026-W01")) == "2026-W01"
    assert IsoWeek.parse("2026-W01").monday.isoformat() == "2025-12-29"
    assert str(IsoWeek.last_completed(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))) == "2026-W47"  # Monday 06:00 CET
    assert [str(w) for w in IsoWeek(2026, 2).previous(3)] == ["2025-W52", "2026-W01", "2026-W02"]
    with pytest.raises(ValueError, match="is not an ISO week"):
        IsoWeek.parse("2026-47")
    with pytest.raises(ValueError, match="2025 has no week 53"):
        IsoWeek.parse("2025-W53")
