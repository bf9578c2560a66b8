"""Issue 16: the uplift and the return are stated only as far as the evidence goes."""

from datetime import timedelta

import pytest

from reports.uplift import FlagFacts, cohort_figures, has_left, return_figures, tier_uplift

from .builders import local

END = local(2025, 10, 27)
FLAG = local(2025, 9, 1)
COSTS = {1: 300.0, 2: 120.0, 3: 30.0}


def treated(n: int, *, tier: int = 2, ltv: float = 5_000.0) -> list[FlagFacts]:
    return [
        FlagFacts(
            customer_id=i,
            flagged_at=FLAG,
            is_control=False,
            reached_work_tier=True,
            worked_at=FLAG,
            churned_at=None,
            tier=tier,
            lifetime_value=ltv,
        )
        for i in range(n)
    ]


def uplift_of(worked: tuple[int, int], control: tuple[int, int]) -> dict:
    return cohort_figures({"worked": worked, "control": control, "flagged_other": (0, 0), "not_flagged": (0, 0)})[
        "uplift"
    ]


@pytest.mark.parametrize(
    ("worked", "control", "verdict", "sentence"),
    [
        # treated churned more than the control: negative uplift, interval includes 0
        (
            (400, 31),
            (380, 28),
            "no_difference",
            "Treated customers churned more than the control: 31 of 400 treated (7.8%) vs 28 of 380 in the control "
            "(7.4%); too early to tell, no evidence of benefit (95% interval ",
        ),
        # fewer treated churned, but the interval includes 0
        (
            (60, 10),
            (60, 15),
            "no_difference",
            "Treated customers churned less than the control: 10 of 60 treated (16.7%) vs 15 of 60 in the control "
            "(25.0%); but the 95% interval ",
        ),
        # treated churned clearly more: the whole interval below 0
        (
            (40, 30),
            (40, 5),
            "more_churned",
            "Treated customers churned more than the control: 30 of 40 treated (75.0%) vs 5 of 40 in the control "
            "(12.5%); no evidence of benefit (95% interval ",
        ),
        ((29, 3), (40, 20), "too_small", "Too small to tell yet: each group needs at least 30 customers"),
    ],
)
def test_no_return_figure_unless_the_uplift_interval_is_above_zero(worked, control, verdict, sentence):
    # when
    uplift = uplift_of(worked, control)
    figure = return_figures(uplift, treated(worked[0]), costs=COSTS)

    # then: no ratio, and the sentence saying what the data shows stands in its place
    assert uplift["verdict"] == verdict
    assert uplift["is_supported"] is False
    assert uplift["text"].startswith(sentence)
    assert (figure["is_shown"], figure["ratio"], figure["ratio_low"], figure["value_kept"]) == (False, None, None, None)
    assert figure["text"] == f"No return figure: {uplift['text']}"


def test_the_return_figure_when_the_interval_clears_zero():
    # given: 8 of 40 treated churned, 20 of 40 in the control: uplift 30 points, interval above 0
    uplift = uplift_of((40, 8), (40, 20))

    # when
    figure = return_figures(uplift, treated(40), costs=COSTS)

    # then: 0.30 x 40 = 12 customers kept, x 5,000 LTV = 60,000 against 40 x 120 = 4,800 of work
    assert uplift["is_supported"] is True
    assert figure["is_shown"] is True
    assert figure["customers_kept"] == 12.0
    assert figure["ratio"] == pytest.approx(12.5)
    assert 0 < figure["ratio_low"] < figure["ratio"]
    assert figure["customers_kept_low"] == pytest.approx(round(uplift["low"] * 40, 1))
    assert figure["text"].startswith("The work kept about 12 of 40 treated customers who would otherwise have left")


def test_churn_by_inactivity_counts_after_the_flag_only():
    # given: one recorded churn after the flag, one lapsed (policy inactivity) after it, one lapsed before it
    base = {"flagged_at": FLAG, "is_control": True, "reached_work_tier": True, "worked_at": None}
    recorded = FlagFacts(customer_id=1, churned_at=FLAG + timedelta(days=3), **base)
    lapsed = FlagFacts(customer_id=2, churned_at=None, lapsed_at=FLAG + timedelta(days=10), **base)
    gone_before = FlagFacts(customer_id=3, churned_at=None, lapsed_at=FLAG - timedelta(days=1), **base)

    # then
    assert [has_left(f, END) for f in (recorded, lapsed, gone_before)] == [True, True, False]


def test_uplift_per_tier_only_where_both_groups_are_big_enough():
    # given: tier 1 has 35 treated and 32 control customers, tier 2 has 35 treated and 5 control
    def control(n, tier, churned):
        return [
            FlagFacts(
                customer_id=1000 + tier * 100 + i,
                flagged_at=FLAG,
                is_control=True,
                reached_work_tier=True,
                worked_at=None,
                churned_at=FLAG + timedelta(days=5) if i < churned else None,
                tier=tier,
            )
            for i in range(n)
        ]

    flags = treated(35, tier=1) + control(32, 1, 16) + treated(35, tier=2) + control(5, 2, 2)

    # when
    by_tier = tier_uplift(flags, END, tiers=[1, 2, 3])

    # then
    assert (by_tier["1"]["worked"]["n"], by_tier["1"]["control"]["n"], by_tier["1"]["control"]["churned"]) == (
        35,
        32,
        16,
    )
    assert by_tier["1"]["uplift"]["verdict"] == "fewer_churned"
    assert by_tier["2"]["uplift"]["verdict"] == "too_small"
    assert by_tier["3"]["uplift"]["text"] == (
        "Too small to tell yet: each group needs at least 30 customers (worked 0, control 0)."
    )
