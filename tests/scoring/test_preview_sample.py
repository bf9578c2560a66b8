"""Previews above the sample size: a stratified sample by current tier, counts scaled up with a 95% interval,
withheld where the sample is too small to say, and the exact counts computed in the background when asked."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.cache import cache

from scoring.features import compute_features
from scoring.ml.sampling import MIN_SAMPLED, Count, Strata, allocate, hash_threshold, id_hash, weighted_rank_thresholds
from scoring.preview import preview_change
from scoring.preview_exact import preview_answer
from scoring.preview_sample import NOT_SCORED, snapshot
from scoring.score_writes import scores_record
from scoring.selectors import run_latest, score_tier_counts
from scoring.templatetags.scoring_tags import estimate
from tests.factories import customer, events_on_days

from .builders import every
from .test_admin_pages import policy_post
from .test_preview import AS_OF, competitor, snapshot_run, visits_stopped, with_changes

TWO_RULES, CALM = 12, 48


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


# --- the estimator (pure) -------------------------------------------------------------------------------------------


def test_allocation_gives_every_tier_its_floor_and_draws_small_ones_whole():
    # given a rare tier, a middling one and a large rest
    sizes = {1: 50, 2: 3_000, 0: 97_000, NOT_SCORED: 0}

    # when 2,000 are to be drawn with a floor of 500 a stratum
    rates = allocate(sizes, 2_000, 500)

    # then the rare tier is drawn whole, the middling one gets its floor, the rest what is left
    assert rates[1] == 1.0
    assert rates[2] == pytest.approx(500 / 3_000)
    assert rates[0] == pytest.approx((2_000 - 50 - 500) / 97_000)
    assert rates[NOT_SCORED] == 0.0


def test_a_stratum_drawn_whole_counts_exactly_and_a_sampled_one_is_scaled_with_a_margin():
    # given tier 1 drawn whole (10 of 10) and the rest sampled 100 of 10,000
    labels = np.array([1] * 10 + [0] * 100)
    strata = Strata(labels, {1: 10, 0: 10_000}, {1: 10, 0: 100})
    mask = np.zeros(110, dtype=bool)

    # when 4 of tier 1 and 40 of the sampled rest hold
    mask[:4] = True
    mask[10:50] = True
    count = strata.count(mask)

    # then: 4 + 40 × 100, and the margin is the sampled stratum's 95% interval (Agresti-Coull, finite population)
    p = 42 / 104
    margin = 1.959964 * (10_000**2 * (1 - 100 / 10_000) * p * (1 - p) / 100) ** 0.5
    assert (count.value, count.margin) == (4_004, int(np.ceil(margin)))
    assert Strata(labels[:10], {1: 10}, {1: 10}).count(mask[:10]) == Count(4, 0, 4)


def test_a_count_the_sample_is_too_small_for_is_withheld():
    # given the rest sampled 100 of 10,000
    labels = np.array([0] * 100)
    strata = Strata(labels, {0: 10_000}, {0: 100})

    # when fewer than MIN_SAMPLED sampled customers hold, or none
    few = strata.count(np.arange(100) < MIN_SAMPLED - 1)
    none = strata.count(np.zeros(100, dtype=bool))
    enough = strata.count(np.arange(100) < 30)

    # then the first two are withheld (value None) with the margin they would have had; 30 hits are shown
    assert few.value is None
    assert few.margin > 0
    assert none.value is None
    assert none.margin > 0
    assert enough.value == 3_000
    assert enough.margin > 0


def test_a_count_with_a_stratum_drawn_whole_behind_it_is_shown_with_the_margin_of_the_sampled_rest():
    # given tier 1 drawn whole (5 of 5) and the rest sampled 100 of 10,000, where nobody sampled holds
    strata = Strata(np.array([1] * 5 + [0] * 100), {1: 5, 0: 10_000}, {1: 5, 0: 100})

    # when the 5 of tier 1 hold
    count = strata.count(np.arange(105) < 5)

    # then 5 are known, and the margin is what the sample may have missed among the rest
    assert count.value == 5
    assert count.margin > 5


def test_the_id_hash_threshold_draws_about_its_share_and_always_the_same_ids():
    ids = np.arange(1, 100_001)
    drawn = ids[id_hash(ids) < hash_threshold(0.05)]
    assert 4_700 < len(drawn) < 5_300
    assert np.array_equal(drawn, ids[id_hash(ids) < hash_threshold(0.05)])


def test_weighted_rank_thresholds_rank_each_customer_by_the_customers_it_stands_for():
    # given 4 sampled customers; the two low-risk ones stand for 9 customers each
    probability, weights = [0.9, 0.8, 0.2, 0.1], [1, 1, 9, 9]

    # when tier 1 is the top 10% (2 of 20) and tier 2 the next 45% (to 11 of 20)
    thresholds = weighted_rank_thresholds([(1, 0.1), (2, 0.45)], probability, weights)

    # then tier 1 starts at the second customer, tier 2 at the third (who stands for the 3rd to 11th)
    assert thresholds == {1: 0.8, 2: 0.2}


# --- the preview over a sampled snapshot (SQLite) ----------------------------------------------------------------


def scored_population() -> dict[str, list]:
    """12 customers firing two rules (tier 2 in the run) and 48 calm ones (scored, no tier)."""
    made = {"two": [], "calm": []}
    for i in range(TWO_RULES):
        c = customer(f"TWO-{i:02d}")
        visits_stopped(c)
        competitor(c)
        made["two"].append(c)
    for i in range(CALM):
        c = customer(f"CALM-{i:02d}")
        events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 30))
        made["calm"].append(c)
    run = snapshot_run()
    scores_record(  # as the nightly run writes them: the night's history and the latest scores that changed
        run=run,
        scored=pd.DataFrame(
            {
                "probability": [0.4] * TWO_RULES + [0.0] * CALM,
                "tier": [2] * TWO_RULES + [0] * CALM,
                "is_rule_high_risk": [False] * (TWO_RULES + CALM),
                "rules_fired": [[] for _ in range(TWO_RULES + CALM)],
            },
            index=pd.Index([c.pk for c in made["two"] + made["calm"]], name="customer_id"),
        ),
        factors={},
    )
    return made


@pytest.mark.django_db
def test_features_of_a_sample_of_ids_are_those_of_the_full_snapshot():
    made = scored_population()
    full = compute_features(as_of=AS_OF)
    ids = [c.id for c in made["two"][:3] + made["calm"][:5]]

    part = compute_features(as_of=AS_OF, ids=ids, bgnbd_params=full.attrs["bgnbd_params"])

    assert sorted(part.index) == sorted(ids)
    assert part.equals(full.loc[part.index, part.columns])


@pytest.mark.django_db
def test_above_the_sample_size_the_preview_says_it_is_estimated_and_withholds_what_it_cannot_tell(settings):
    # given 60 customers and a sample size of 20 (at least 2 a tier)
    scored_population()
    settings.PREVIEW_SAMPLE_SIZE = 20

    # when the high-risk threshold goes from 2 rules to 3 (the two-rule customers leave the high-risk set)
    preview = preview_change(policy=with_changes(high_risk_min_rules=3))

    # then: a sample of both tiers, stated; every count behind fewer than 10 sampled customers is withheld
    sampling = preview["sampling"]
    assert (sampling["method"], sampling["population"]) == ("stratified_sample", TWO_RULES + CALM)
    strata = {s["tier"]: (s["population"], s["sample"]) for s in sampling["strata"] if s["scored"]}
    assert strata[2][0] == TWO_RULES
    assert strata[None][0] == CALM
    assert 0 < strata[2][1] < TWO_RULES
    assert 0 < strata[None][1] < CALM
    assert sampling["sample"] == strata[2][1] + strata[None][1] < TWO_RULES + CALM
    assert preview["high_risk"]["now"] is None  # fewer than 10 sampled two-rule customers
    assert preview["leaving_count"] is None
    assert preview["margins"]["leaving_count"] > 0
    # and the same sample every time
    assert preview_change(policy=with_changes(high_risk_min_rules=3)) == preview


@pytest.mark.django_db
def test_with_enough_in_the_sample_the_estimate_is_shown_with_its_interval(settings):
    # given the same population with a sample size that draws most of it
    scored_population()
    settings.PREVIEW_SAMPLE_SIZE = 50

    # when
    preview = preview_change(policy=with_changes(high_risk_min_rules=3))

    # then the calm customers' "no tier" count is estimated (not withheld) and its interval holds the truth
    no_tier = next(r for r in preview["tiers"] if r["tier"] is None)
    assert preview["sampling"]["method"] == "stratified_sample"
    assert no_tier["now"] is not None
    assert no_tier["margin"]["now"] > 0
    assert no_tier["now"] - no_tier["margin"]["now"] <= CALM <= no_tier["now"] + no_tier["margin"]["now"]


@pytest.mark.django_db
def test_below_the_sample_size_the_preview_is_exact(settings):
    scored_population()
    settings.PREVIEW_SAMPLE_SIZE = 1_000

    preview = preview_answer(policy=with_changes(high_risk_min_rules=3))

    assert (preview["sampling"]["method"], preview["exact_status"]) == ("exact", "exact")
    assert preview["high_risk"] == {"now": TWO_RULES, "proposed": 0, "margin": {"now": 0, "proposed": 0}}


@pytest.mark.django_db
def test_the_exact_counts_are_computed_in_the_background_when_asked_and_shown_when_ready(settings):
    # given a sampled preview
    scored_population()
    settings.PREVIEW_SAMPLE_SIZE = 20
    proposal = with_changes(high_risk_min_rules=3)
    sampled = preview_answer(policy=proposal)

    # when the admin asks for the exact counts (the task runs in-process on the embedded default)
    asked = preview_answer(policy=proposal, exact=True)
    again = preview_answer(policy=proposal)

    # then the sampled one said they were not asked for; afterwards the exact answer is shown
    assert sampled["exact_status"] == "not_requested"
    assert (asked["exact_status"], asked["sampling"]["method"]) == ("ready", "exact")
    assert asked["high_risk"] == {"now": TWO_RULES, "proposed": 0, "margin": {"now": 0, "proposed": 0}}
    assert (asked["leaving_count"], asked["customers"]) == (TWO_RULES, TWO_RULES + CALM)
    assert again == asked
    # another proposal has no exact answer yet
    assert preview_answer(policy=with_changes(high_risk_min_rules=1))["exact_status"] == "not_requested"


@pytest.mark.django_db
def test_the_snapshot_samples_customers_the_run_did_not_score_as_their_own_stratum(settings):
    # given the population, and 30 more customers the run did not score
    scored_population()
    for i in range(30):
        c = customer(f"NEW-{i:02d}")
        events_on_days(c, "visit", [AS_OF - timedelta(days=3)])
    settings.PREVIEW_SAMPLE_SIZE = 40

    # when
    snap = snapshot(run=run_latest(), bgnbd_params=None)

    # then three strata, the unscored counted as the frame less the scored
    assert snap.strata.sizes == {2: TWO_RULES, 0: CALM, NOT_SCORED: 30}
    assert 0 < snap.strata.drawn[NOT_SCORED] < 30
    assert len(snap.features) == sum(snap.strata.drawn.values())


@pytest.mark.django_db
def test_the_policy_page_says_estimated_or_exact_and_asks_for_the_exact_counts(client, admin_user, settings):
    # given a sampled population and an admin on the policy page
    scored_population()
    settings.PREVIEW_SAMPLE_SIZE = 20
    client.force_login(admin_user)
    form = policy_post(high_risk_min_rules=3)

    # when the admin previews, then asks for the exact counts
    sampled = client.post("/scoring/policy/", {**form, "preview": "1"}).content.decode()
    exact = client.post("/scoring/policy/", {**form, "preview": "exact"}).content.decode()

    # then the first says it is estimated from a sample, withholds what it cannot tell and offers the exact count
    assert 'data-sampling="sample"' in sampled
    assert f"of {TWO_RULES + CALM} customers" in sampled
    assert "too few sampled" in sampled
    assert 'name="preview" value="exact"' in sampled
    # and the second shows the exact counts, computed in the background
    assert 'data-sampling="exact"' in exact
    assert "computed in the background" in exact
    assert "too few sampled" not in exact


@pytest.mark.django_db
def test_a_finished_run_s_tier_counts_come_from_its_stats_without_reading_the_scores(django_assert_num_queries):
    run = snapshot_run(stats={"customers": 10, "tiers": {"1": 2, "3": 5}})

    with django_assert_num_queries(0):
        counts = score_tier_counts(run)

    assert counts == {1: 2, 3: 5, 0: 3}


@pytest.mark.parametrize(
    ("value", "margin", "shown"),
    [
        (1234, 0, "1,234"),
        (1234, 56, "≈ 1,234 ± 56"),
        (90, 500, "≈ 90, up to 590"),
        (None, 300, "too few sampled"),
    ],
)
def test_a_preview_count_reads_as_exact_estimated_or_withheld(value, margin, shown):
    assert estimate(value, margin) == shown
