"""Issue 16: segment and region fairness, with the smallest groups marked "too few to tell"."""

import pytest

from reports.fairness import GroupFacts, fairness_figures, roc_auc
from reports.services import weekly_report_build

from .conftest import W43


def test_roc_auc_counts_ties_half():
    # then: churners 0.9, 0.5; stayers 0.5, 0.1: 3 pairs right, 1 tie
    assert roc_auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(3.5 / 4)
    assert roc_auc([0.2, 0.3], [0, 0]) is None


def test_fairness_table_withholds_figures_of_small_groups():
    # given: retail is big enough for everything; premium has 12 active customers, 2 churners, 4 resolved cases
    retail = GroupFacts(
        name="retail",
        active=400,
        flagged=40,
        scores=(0.9,) * 10 + (0.1,) * 30,
        labels=(1,) * 8 + (0,) * 2 + (0,) * 30,
        retained=12,
        lost=8,
    )
    premium = GroupFacts(
        name="premium", active=12, flagged=3, scores=(0.8, 0.7, 0.2, 0.1), labels=(1, 1, 0, 0), retained=3, lost=1
    )

    # when
    table = fairness_figures({"segment": [premium, retail], "region": []})

    # then: largest first; retail's figures are shown
    big, small = table["segment"]
    assert (big["group"], big["flag_rate"], big["save_rate"], big["is_small"]) == ("retail", 0.1, 0.6, False)
    assert big["auc"] == pytest.approx((8 * 30 + 2 * 30 * 0 + 2 * 0 + 8 * 2 * 0.5) / (8 * 32))
    assert big["auc_low"] < big["auc"] < big["auc_high"]
    # premium: every figure withheld and marked
    assert (small["group"], small["flag_rate"], small["auc"], small["auc_low"], small["save_rate"]) == (
        "premium",
        None,
        None,
        None,
        None,
    )
    assert small["too_few"] == {"flag_rate": True, "auc": True, "save_rate": True}
    assert small["is_small"] is True
    assert table["region"] == []
    assert table["rules"]["text"].endswith('are marked "too few to tell".')


def test_the_stored_report_has_the_fairness_table_with_small_groups_marked(week43):
    # when
    fairness = weekly_report_build(week=W43, notify=False)[0].data["fairness"]

    # then: the fixture's few customers make every group too small to tell
    assert [r["group"] for r in fairness["segment"]] == ["(none)"]
    assert fairness["segment"][0]["too_few"] == {"flag_rate": True, "auc": True, "save_rate": True}
    assert (fairness["segment"][0]["flag_rate"], fairness["segment"][0]["save_rate"]) == (None, None)
    assert fairness["segment"][0]["flagged"] == 5  # A1..A5 first alerted in the week
