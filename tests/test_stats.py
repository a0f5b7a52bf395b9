"""Tests for scorecard.stats: worked examples a reader can check by hand, then properties."""

import math
import time

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecard import stats
from scorecard.stats import (
    BAND_LABELS,
    HIGHER_IS_BETTER,
    IMPROVING,
    LOWER_IS_BETTER,
    NEGATIVE,
    NO_JUDGEMENT,
    NOT_COMPARABLE,
    POSITIVE,
    STATIC,
    WORSENING,
    Distribution,
    aggregate,
    band_counts,
    benchmark_table,
    category_counts,
    compare_with_england,
    direction,
    direction_of_travel,
    distribution,
    domain_position,
    overall_direction,
    percentile_rank,
    previous_comparable,
    quartile_band,
    rag_movement,
    rank_label,
    ranks,
    round_half_away,
    value_range,
)

# Illustrative percentages in the style of ASCOF 2D 2018-19 for the 14 West Midlands councils.
WM_2D = {
    "Birmingham": 87.0,
    "Coventry": 74.3,
    "Dudley": 91.2,
    "Herefordshire": 68.5,
    "Sandwell": 79.9,
    "Shropshire": 82.4,
    "Solihull": 95.1,
    "Staffordshire": 71.6,
    "Stoke-on-Trent": 88.7,
    "Telford and Wrekin": 93.0,
    "Walsall": 77.2,
    "Warwickshire": 84.6,
    "Wolverhampton": 80.8,
    "Worcestershire": 76.0,
}

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
maybe_missing = st.one_of(st.none(), finite)
# Published figures: distinct values on a 0.1 grid, as indicators are shown to 1 dp.
distinct_published = st.lists(
    st.integers(min_value=-100_000, max_value=100_000), min_size=4, max_size=200, unique=True
).map(lambda ints: [i / 10 for i in ints])
judged = st.sampled_from([HIGHER_IS_BETTER, LOWER_IS_BETTER])


def keyed(values):
    return {f"c{i}": v for i, v in enumerate(values)}


# Distribution


def test_quartiles_match_excel_quartile_inc_for_one_to_eight():
    assert distribution([1, 2, 3, 4, 5, 6, 7, 8]) == Distribution(
        n=8, p25=2.75, median=4.5, p75=6.25, min=1.0, max=8.0
    )


def test_west_midlands_2d_quartiles_match_hand_working_and_pandas():
    dist = distribution(WM_2D.values())
    series = pd.Series(WM_2D)
    # Sorted, position 0.25 × 13 = 3.25 lies between 76.0 and 77.2; 9.75 between 87.0 and 88.7.
    assert dist.n == 14
    assert dist.p25 == pytest.approx(76.3)
    assert dist.median == pytest.approx(81.6)
    assert dist.p75 == pytest.approx(88.275)
    assert (dist.min, dist.max) == (68.5, 95.1)
    assert dist.median == series.median()
    assert [dist.p25, dist.median, dist.p75] == series.quantile([0.25, 0.5, 0.75]).tolist()


def test_missing_values_are_left_out_of_the_distribution():
    assert distribution([3, None, 1, float("nan"), 2, 4]) == distribution([1, 2, 3, 4])


def test_no_values_give_an_empty_distribution():
    empty = Distribution(n=0, p25=None, median=None, p75=None, min=None, max=None)
    assert distribution([]) == empty
    assert distribution([None, None]) == empty


@given(st.lists(maybe_missing, max_size=60))
def test_quartiles_equal_pandas_default_quantile(values):
    dist = distribution(values)
    series = pd.Series(values, dtype=float)
    assert dist.n == series.count()
    if dist.n:
        assert [dist.p25, dist.median, dist.p75] == series.quantile([0.25, 0.5, 0.75]).tolist()
        assert dist.median == pytest.approx(series.median(), rel=1e-12, abs=1e-9)
        assert (dist.min, dist.max) == (series.min(), series.max())


# Quartile bands


def test_band_labels_run_from_upper_to_lower():
    assert BAND_LABELS == {1: "Upper", 2: "Upper middle", 3: "Lower middle", 4: "Lower"}


def test_west_midlands_2d_bands_split_four_three_three_four():
    table = benchmark_table(WM_2D, HIGHER_IS_BETTER)
    bands = {name: row.band for name, row in table.rows.items()}
    assert [name for name, band in bands.items() if band == 1] == [
        "Dudley",
        "Solihull",
        "Stoke-on-Trent",
        "Telford and Wrekin",
    ]
    assert band_counts(bands.values()) == {1: 4, 2: 3, 3: 3, 4: 4, None: 0}


@pytest.mark.parametrize(
    ("value", "higher_band", "lower_band"),
    [
        (1, 4, 1),
        (2, 4, 1),  # p25 is 2.5: 2 is below it
        (2.5, 3, 1),  # equal to p25
        (3, 3, 2),
        (4, 2, 2),  # equal to the median
        (5, 2, 3),
        (5.5, 1, 3),  # equal to p75
        (6, 1, 4),
        (7, 1, 4),
    ],
)
def test_a_value_equal_to_a_cut_off_goes_to_the_better_band(value, higher_band, lower_band):
    dist = distribution([1, 2, 3, 4, 5, 6, 7])  # p25 2.5, median 4, p75 5.5
    assert (dist.p25, dist.median, dist.p75) == (2.5, 4, 5.5)
    assert quartile_band(value, dist, HIGHER_IS_BETTER) == higher_band
    assert quartile_band(value, dist, LOWER_IS_BETTER) == lower_band


def test_fewer_than_four_values_give_no_band():
    dist = distribution([1, 2, 3, None])
    assert quartile_band(3, dist, HIGHER_IS_BETTER) is None
    assert all(
        row.band is None
        for row in benchmark_table(keyed([1, 2, 3]), HIGHER_IS_BETTER).rows.values()
    )


def test_a_missing_value_or_no_judgement_gives_no_band():
    dist = distribution([1, 2, 3, 4])
    assert quartile_band(None, dist, HIGHER_IS_BETTER) is None
    assert quartile_band(4, dist, NO_JUDGEMENT) is None


def test_an_unknown_polarity_is_rejected():
    with pytest.raises(ValueError, match="unknown polarity"):
        quartile_band(1, distribution([1, 2, 3, 4]), "higher")


def test_england_can_be_banded_against_the_councils():
    assert quartile_band(79.6, distribution(WM_2D.values()), HIGHER_IS_BETTER) == 3


# Ranks and labels


def test_ties_share_the_best_rank_and_the_next_rank_is_skipped():
    values = {"a": 10, "b": 20, "c": 20, "d": 5, "e": None}
    assert ranks(values, HIGHER_IS_BETTER) == {"b": 1, "c": 1, "a": 3, "d": 4, "e": None}
    assert ranks(values, LOWER_IS_BETTER) == {"d": 1, "a": 2, "b": 3, "c": 3, "e": None}


def test_no_judgement_measures_are_not_ranked():
    assert ranks({"a": 1, "b": 2}, NO_JUDGEMENT) == {"a": None, "b": None}


@pytest.mark.parametrize(
    ("rank", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (152, "152nd"),
    ],
)
def test_rank_labels_use_english_ordinals(rank, text):
    assert rank_label(rank, 152, tied=False) == f"{text} of 152"


def test_a_tied_rank_label_starts_with_equals():
    assert rank_label(4, 152, tied=True) == "=4th of 152"


def test_the_table_marks_ties_for_the_label():
    rows = benchmark_table({"a": 10, "b": 20, "c": 20, "d": 5}, HIGHER_IS_BETTER).rows
    assert [rank_label(r.rank, r.n, r.tied) for r in rows.values()] == [
        "3rd of 4",
        "=1st of 4",
        "=1st of 4",
        "4th of 4",
    ]


# Percentile rank


def test_the_best_rank_is_percentile_one_and_the_worst_zero():
    assert percentile_rank(1, 152) == 1.0
    assert percentile_rank(152, 152) == 0.0
    assert percentile_rank(4, 7) == 0.5


def test_percentile_rank_needs_two_values_and_a_rank():
    assert percentile_rank(1, 1) is None
    assert percentile_rank(None, 10) is None
    assert benchmark_table({"a": 5, "b": None}, HIGHER_IS_BETTER).rows["a"].percentile is None


# Rounding and aggregates


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.125, 2, 0.13),
        (-0.125, 2, -0.13),
        (2.675, 2, 2.68),  # the binary float is 2.67499999..., Python's round gives 2.67
        (-2.5, 0, -3.0),
        (2.5, 0, 3.0),
        (0.5, 0, 1.0),
        (27.85, 1, 27.9),
        (27.84, 1, 27.8),
        (535.129797727046, 1, 535.1),
        (1250, -2, 1300.0),
        (7, 1, 7.0),
    ],
)
def test_rounding_is_half_away_from_zero_on_the_written_value(x, decimals, expected):
    assert round_half_away(x, decimals) == expected


def test_wm_2020_21_direct_payments_aggregate_is_27_9_percent():
    members = [(5120, 18044), (3407, 12989), (3384, 11687)]  # illustrative split of the region
    result = aggregate(members, multiplier=100, decimals=1)
    assert result == stats.Aggregate(
        value=27.9,
        numerator_sum=11911,
        denominator_sum=42720,
        n_members=3,
        n_missing=0,
        complete=True,
    )


def test_wm_2020_21_admissions_65_plus_aggregate_is_535_1_per_100000():
    result = aggregate([(5956, 1113001)], multiplier=100_000, decimals=1)
    assert result.value == 535.1


def test_an_aggregate_rounds_an_exact_half_away_from_zero():
    # 57 / 200 × 100 is 28.5 exactly, but 28.499999999999996 in binary floating point.
    assert aggregate([(57, 200)], 100, 0).value == 29.0
    assert aggregate([(1, 8)], 100, 0).value == 13.0


def test_an_incomplete_aggregate_is_flagged_and_hides_its_sums():
    result = aggregate([(10, 100), (None, 50), (5, None), (20, 100)], 100, 1)
    assert result.value == 15.0
    assert result.complete is False
    assert (result.n_members, result.n_missing) == (4, 2)
    assert result.numerator_sum is None
    assert result.denominator_sum is None


def test_a_zero_denominator_gives_no_aggregate_value():
    assert aggregate([(0, 0)], 100, 1).value is None
    assert aggregate([(None, None)], 100, 1).value is None
    assert aggregate([], 100, 1).value is None


# Comparison with England


@pytest.mark.parametrize(
    ("england", "higher", "lower"),
    [
        (78.0, "similar", "similar"),  # lower end of 80 ± 2, inclusive
        (82.0, "similar", "similar"),  # upper end
        (77.9, "better", "worse"),  # council interval entirely above England
        (82.1, "worse", "better"),  # entirely below
    ],
)
def test_england_comparison_allows_for_the_margin_of_error(england, higher, lower):
    assert compare_with_england(80.0, 2.0, england, HIGHER_IS_BETTER) == higher
    assert compare_with_england(80.0, 2.0, england, LOWER_IS_BETTER) == lower


def test_england_at_the_end_of_the_interval_is_similar_despite_binary_floats():
    # In binary floating point 27.9 + 1.2 is 29.099999999999998.
    assert compare_with_england(27.9, 1.2, 29.1, HIGHER_IS_BETTER) == "similar"


def test_england_comparison_needs_every_input_and_a_judgement():
    assert compare_with_england(None, 2, 80, HIGHER_IS_BETTER) is None
    assert compare_with_england(80, None, 80, HIGHER_IS_BETTER) is None
    assert compare_with_england(80, 2, None, HIGHER_IS_BETTER) is None
    assert compare_with_england(80, 2, 70, NO_JUDGEMENT) is None


# Direction of travel


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "expected"),
    [
        (30, 25, HIGHER_IS_BETTER, IMPROVING),
        (20, 25, HIGHER_IS_BETTER, WORSENING),
        (20, 25, LOWER_IS_BETTER, IMPROVING),
        (30, 25, LOWER_IS_BETTER, WORSENING),
        (25, 25, HIGHER_IS_BETTER, STATIC),
        (30, 25, NO_JUDGEMENT, NOT_COMPARABLE),
        (None, 25, HIGHER_IS_BETTER, NOT_COMPARABLE),
        (30, None, HIGHER_IS_BETTER, NOT_COMPARABLE),
    ],
)
def test_direction_follows_polarity(current, previous, polarity, expected):
    assert direction(current, previous, polarity) == expected


def test_a_change_exactly_equal_to_the_tolerance_is_static():
    # 0.4 − 0.3 is 0.10000000000000003 in binary floating point.
    assert direction(0.4, 0.3, HIGHER_IS_BETTER, tolerance=0.1) == STATIC
    assert direction(0.3, 0.4, HIGHER_IS_BETTER, tolerance=0.1) == STATIC
    assert direction(0.41, 0.3, HIGHER_IS_BETTER, tolerance=0.1) == IMPROVING
    assert direction(0.41, 0.3, LOWER_IS_BETTER, tolerance=0.1) == WORSENING


def test_the_previous_year_is_compared_when_there_is_no_break():
    series = {2020: 70.1, 2021: 71.0, 2022: 72.5}
    assert previous_comparable(series, 2022) == 2021
    assert direction_of_travel(series, 2022, HIGHER_IS_BETTER) == IMPROVING


def test_a_break_between_the_periods_makes_them_not_comparable():
    series = {2020: 70.1, 2021: 71.0, 2022: 72.5}
    assert previous_comparable(series, 2022, breaks={2021}) == 2021  # 2021 onwards comparable
    assert previous_comparable({2019: 1.0, 2021: 2.0}, 2021, breaks={2020}) is None


def test_a_break_at_the_current_year_makes_it_not_comparable():
    series = {2020: 70.1, 2021: 71.0, 2022: 72.5}
    assert previous_comparable(series, 2022, breaks={2022}) is None
    assert direction_of_travel(series, 2022, HIGHER_IS_BETTER, breaks={2022}) == NOT_COMPARABLE


def test_a_missing_previous_year_is_skipped_so_biennial_surveys_compare_two_years_back():
    assert previous_comparable({2018: 60.2, 2020: 61.0, 2022: 63.4}, 2022) == 2020
    assert previous_comparable({2019: 60.2, 2020: None, 2021: 63.4}, 2021) == 2019


def test_a_break_after_the_skipped_year_still_blocks_the_comparison():
    assert previous_comparable({2019: 60.2, 2020: None, 2021: 63.4}, 2021, breaks={2020}) is None


def test_nothing_earlier_means_not_comparable():
    assert previous_comparable({2022: 1.0}, 2022) is None
    assert previous_comparable({2021: None, 2022: 1.0}, 2022) is None
    assert direction_of_travel({2022: 1.0}, 2022, HIGHER_IS_BETTER) == NOT_COMPARABLE


def test_a_missing_current_value_is_not_comparable():
    series = {2021: 71.0, 2022: None}
    assert direction_of_travel(series, 2022, HIGHER_IS_BETTER) == NOT_COMPARABLE
    assert direction_of_travel(series, 2023, HIGHER_IS_BETTER) == NOT_COMPARABLE


def test_quarterly_keys_compare_with_the_previous_quarter_or_the_same_quarter_a_year_earlier():
    series = {
        (2023, 1): 5.0,
        (2023, 2): 5.5,
        (2023, 3): 6.0,
        (2023, 4): 6.1,
        (2024, 1): 6.3,
        (2024, 2): 6.2,
    }
    same_quarter = {key: v for key, v in series.items() if key[1] == 2}
    assert previous_comparable(series, (2024, 2)) == (2024, 1)
    assert previous_comparable(same_quarter, (2024, 2)) == (2023, 2)
    assert previous_comparable(series, (2024, 2), breaks={(2024, 1)}) == (2024, 1)
    assert previous_comparable(same_quarter, (2024, 2), breaks={(2024, 1)}) is None


# Overall direction


@pytest.mark.parametrize(
    ("rise", "expected"),
    [
        (0.02, STATIC),
        (-0.02, STATIC),
        (0.021, POSITIVE),
        (-0.021, NEGATIVE),
        (0.0, STATIC),
    ],
)
def test_overall_direction_needs_a_change_of_more_than_0_02(rise, expected):
    start = {"1A": 0.5, "2B": 0.6}
    end = {m: round(p + rise, 3) for m, p in start.items()}
    assert overall_direction(start, end).direction == expected


def test_overall_direction_uses_only_measures_present_at_both_ends():
    start = {"1A": 0.25, "1B": 0.5, "2A": None, "3A": 0.9}
    end = {"1A": 0.5, "1B": 0.75, "2A": 0.4, "4A": 0.1}
    result = overall_direction(start, end)
    assert result == stats.OverallDirection(
        direction=POSITIVE, measures=["1A", "1B"], mean_start=0.375, mean_end=0.625, change=0.25
    )


def test_overall_direction_with_no_common_measures_is_not_comparable():
    result = overall_direction({"1A": 0.5}, {"1B": 0.5})
    assert result.direction == NOT_COMPARABLE
    assert result.measures == []
    assert result.change is None


# Domain position


@pytest.mark.parametrize(
    ("ps", "mean", "band"),
    [
        ([0.75], 0.75, 1),
        ([0.7, 0.8], 0.75, 1),
        ([0.5, None], 0.5, 2),
        ([0.25], 0.25, 3),
        ([0.2, 0.29], 0.245, 4),
        ([1.0, 0.0, 0.5], 0.5, 2),
    ],
)
def test_domain_position_bands_the_mean_percentile_rank(ps, mean, band):
    assert domain_position(ps) == (mean, band)


def test_a_domain_with_no_ranks_has_no_position():
    assert domain_position([]) == (None, None)
    assert domain_position([None]) == (None, None)


# Roll-ups


def test_band_counts_include_every_band_and_no_band():
    assert band_counts([1, 1, 4, None, 2]) == {1: 2, 2: 1, 3: 0, 4: 1, None: 1}


def test_value_range_names_every_council_at_each_end():
    result = value_range({"Dudley": 5.0, "Sandwell": 9.0, "Walsall": 5.0, "Coventry": None})
    assert result == stats.ValueRange(
        min=5.0, at_min=["Dudley", "Walsall"], max=9.0, at_max=["Sandwell"]
    )
    assert value_range({"Dudley": None}) == stats.ValueRange(None, [], None, [])


def test_category_counts_follow_the_given_order_and_reject_strangers():
    order = ["Outstanding", "Good", "Requires improvement", "Inadequate", None]
    counts = category_counts(["Good", None, "Good", "Inadequate"], order)
    assert list(counts.items()) == [
        ("Outstanding", 0),
        ("Good", 2),
        ("Requires improvement", 0),
        ("Inadequate", 1),
        (None, 1),
    ]
    with pytest.raises(ValueError):
        category_counts(["good"], order)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ("red", "amber", IMPROVING),
        ("amber", "green", IMPROVING),
        ("red", "green", IMPROVING),
        ("green", "amber", WORSENING),
        ("amber", "red", WORSENING),
        ("amber", "amber", STATIC),
        ("Green", "GREEN", STATIC),
        (None, "green", NOT_COMPARABLE),
        ("red", None, NOT_COMPARABLE),
    ],
)
def test_rag_movement_orders_red_amber_green(previous, current, expected):
    assert rag_movement(previous, current) == expected


def test_an_unknown_rag_rating_is_rejected():
    with pytest.raises(ValueError):
        rag_movement("blue", "red")


# Benchmark table


def test_the_table_gives_missing_councils_a_row_without_standing():
    table = benchmark_table({"a": 3.0, "b": None, "c": 1.0, "d": 2.0, "e": 4.0}, HIGHER_IS_BETTER)
    assert table.distribution.n == 4
    assert table.rows["b"] == stats.Benchmark(None, None, False, 4, None, None)
    assert table.rows["e"] == stats.Benchmark(4.0, 1, False, 4, 1, 1.0)


def test_a_no_judgement_table_gives_only_the_distribution():
    table = benchmark_table(keyed([1, 2, 3, 4]), NO_JUDGEMENT)
    assert table.distribution.median == 2.5
    assert {(r.rank, r.band, r.percentile) for r in table.rows.values()} == {(None, None, None)}


def test_benchmarking_25000_values_takes_well_under_300_ms():
    groups = [
        {f"council{c}": (None if c % 17 == 0 else ((g * 31 + c * 7) % 997) / 10) for c in range(84)}
        for g in range(300)
    ]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        for values in groups:
            benchmark_table(values, HIGHER_IS_BETTER)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.3


# Properties


@given(st.lists(maybe_missing, max_size=40), st.sampled_from(stats.POLARITIES))
def test_the_table_applies_the_single_value_rules(values, polarity):
    table = benchmark_table(keyed(values), polarity)
    assert table.distribution == distribution(values)
    for key, value in keyed(values).items():
        row = table.rows[key]
        assert row.band == quartile_band(value, table.distribution, polarity)
        assert row.percentile == percentile_rank(row.rank, row.n)


@given(st.lists(maybe_missing, max_size=40), judged)
def test_each_rank_is_one_plus_the_number_of_strictly_better_values(values, polarity):
    present = [v for v in values if v is not None]
    sign = 1 if polarity == HIGHER_IS_BETTER else -1
    got = ranks(keyed(values), polarity)
    for key, value in keyed(values).items():
        expected = None if value is None else 1 + sum(sign * (v - value) > 0 for v in present)
        assert got[key] == expected


@given(st.lists(finite, min_size=1, max_size=40))
def test_ranks_agree_with_pandas_min_ranking(values):
    expected = pd.Series(values).rank(method="min", ascending=False).astype(int).tolist()
    assert list(ranks(keyed(values), HIGHER_IS_BETTER).values()) == expected


@given(st.lists(finite, min_size=1, max_size=40))
def test_flipping_polarity_reverses_ranks(values):
    # In general rank_hi + rank_lo = n + 2 − (number of values equal to it, itself included),
    # which for distinct values is n + 1.
    hi = ranks(keyed(values), HIGHER_IS_BETTER)
    lo = ranks(keyed(values), LOWER_IS_BETTER)
    for key, value in keyed(values).items():
        assert hi[key] + lo[key] == len(values) + 2 - values.count(value)


@given(distinct_published)
def test_flipping_polarity_reverses_ranks_of_distinct_values(values):
    hi = ranks(keyed(values), HIGHER_IS_BETTER)
    lo = ranks(keyed(values), LOWER_IS_BETTER)
    assert all(hi[key] + lo[key] == len(values) + 1 for key in hi)


@given(st.lists(finite, min_size=4, max_size=40), finite)
def test_flipping_polarity_swaps_bands_except_at_a_cut_off(values, extra):
    # band_hi + band_lo = 5 − (number of cut-offs equal to the value): away from the cut-offs
    # bands swap 1↔4 and 2↔3; a value on a cut-off is given the better band under both
    # polarities, so at one cut-off the sum is 4 (p75: 1 and 3; median: 2 and 2; p25: 3 and 1).
    dist = distribution(values)
    for value in [*values, extra]:
        on_cut_offs = [dist.p25, dist.median, dist.p75].count(value)
        hi = quartile_band(value, dist, HIGHER_IS_BETTER)
        lo = quartile_band(value, dist, LOWER_IS_BETTER)
        assert hi + lo == 5 - on_cut_offs


@given(distinct_published, judged)
def test_band_sizes_of_distinct_values_follow_from_the_cut_off_positions(values, polarity):
    # With distinct values the q cut-off sits at sorted position q × (n − 1), so, best band
    # first, the bands hold n − ⌈¾(n − 1)⌉, ⌈¾(n − 1)⌉ − ⌈½(n − 1)⌉, ⌈½(n − 1)⌉ − ⌈¼(n − 1)⌉
    # and ⌈¼(n − 1)⌉ values under either polarity (⌈m − x⌉ = m − ⌊x⌋ mirrors the positions).
    # Each band is therefore within one of n / 4.
    n = len(values)
    edge = [math.ceil(q * (n - 1)) for q in (0.25, 0.5, 0.75)]
    expected = [n - edge[2], edge[2] - edge[1], edge[1] - edge[0], edge[0]]
    table = benchmark_table(keyed(values), polarity)
    counts = band_counts(row.band for row in table.rows.values())
    assert [counts[band] for band in (1, 2, 3, 4)] == expected
    assert all(abs(counts[band] - n / 4) <= 1 for band in (1, 2, 3, 4))


@given(st.lists(finite, min_size=2, max_size=40), judged)
def test_percentile_ranks_run_from_one_for_the_best_to_zero_for_a_sole_worst(values, polarity):
    # Ties share the best rank, so k values tied for worst get rank n − k + 1 and
    # p = (k − 1) / (n − 1): only a sole worst value reaches 0.
    n = len(values)
    worst = min(values) if polarity == HIGHER_IS_BETTER else max(values)
    rows = benchmark_table(keyed(values), polarity).rows.values()
    assert all(0.0 <= row.percentile <= 1.0 for row in rows)
    assert max(row.percentile for row in rows) == 1.0
    assert min(row.percentile for row in rows) == (values.count(worst) - 1) / (n - 1)
