"""Tests for scorecard.stats' fidelity rules: which years compare, whether a change is more
than the uncertainty of both years, how a value compares with England on the same basis, and
which bases are too small to rank. Pure: no database."""

import csv
import functools
import math
from pathlib import Path
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from scorecard import stats
from scorecard.stats import (
    BELOW_MINIMUM_BASE,
    BETTER,
    HIGHER_IS_BETTER,
    IMPROVING,
    LOWER_IS_BETTER,
    NO_JUDGEMENT,
    NOT_AVAILABLE,
    NOT_COMPARABLE,
    NOT_SIGNIFICANT,
    NOT_TESTED,
    RANKED,
    SIGNIFICANT,
    SIMILAR,
    STATIC,
    WORSE,
    WORSENING,
    Change,
    base_standing,
    combined_margin,
    comparable,
    compared_periods,
    direction_of_travel,
    england_comparison,
    judged_change,
    newcombe_wilson_interval,
    previous_comparable,
    survey_change_significant,
    wilson_interval,
)

YEARS = range(2015, 2025)


def every_year(value: float = 50.0, years=YEARS) -> dict[int, float]:
    return dict.fromkeys(years, value)


# Comparability


def test_a_year_compares_with_the_year_before_when_nothing_stands_between():
    assert previous_comparable(every_year(), 2019) == 2018


def test_a_break_blocks_every_comparison_across_it():
    series = every_year()

    assert previous_comparable(series, 2020, breaks={2020}) is None
    assert previous_comparable(series, 2021, breaks={2020}) == 2020
    assert not comparable(2017, 2022, breaks={2020})


def test_a_partial_year_is_skipped_without_blocking_so_2021_22_compares_with_2019_20():
    assert previous_comparable(every_year(), 2021, partial={2020}) == 2019


def test_a_partial_year_is_never_the_later_end_of_a_comparison():
    assert previous_comparable(every_year(), 2020, partial={2020}) is None


def test_a_partial_year_is_never_the_earlier_end_of_a_comparison():
    assert not comparable(2020, 2021, partial={2020})


def test_a_partial_first_year_leaves_the_next_year_with_nothing_to_compare_with():
    series = every_year()

    assert previous_comparable(series, 2016, partial={2015}) is None
    assert previous_comparable(series, 2017, partial={2015}) == 2016


def test_a_partial_last_year_compares_with_nothing_and_the_year_before_is_unaffected():
    series = every_year()

    assert previous_comparable(series, 2024, partial={2024}) is None
    assert previous_comparable(series, 2023, partial={2024}) == 2022


def test_two_partial_years_in_a_row_are_both_skipped():
    assert previous_comparable(every_year(), 2022, partial={2020, 2021}) == 2019


def test_a_break_in_a_partial_year_still_blocks_the_year_after():
    # 1B (old 1J) 2020-21: the formula was corrected in the year of the voluntary survey.
    assert previous_comparable(every_year(), 2021, breaks={2020}, partial={2020}) is None


def test_a_boundary_change_blocks_like_a_break():
    # Dorset became a unitary authority in 2019-20, keeping its CASSR code.
    series = every_year()

    assert previous_comparable(series, 2019, boundaries={2019}) is None
    assert previous_comparable(series, 2023, boundaries={2019}) == 2022
    assert not comparable(2018, 2023, boundaries={2019})


def test_a_boundary_change_in_the_first_year_blocks_nothing_after_it():
    series = every_year()

    assert compared_periods(series, boundaries={2015}) == {
        2015: None,
        **{year: year - 1 for year in range(2016, 2025)},
    }


def test_a_boundary_change_in_the_last_year_leaves_only_that_year_without_a_comparison():
    series = every_year()

    assert previous_comparable(series, 2024, boundaries={2024}) is None
    assert previous_comparable(series, 2023, boundaries={2024}) == 2022


def test_a_biennial_measure_compares_across_its_gaps_and_a_partial_year():
    carers = {2016: 70.0, 2018: 71.0, 2021: 69.0, 2023: 72.0}

    assert compared_periods(carers, partial={2020}) == {
        2016: None,
        2018: 2016,
        2021: 2018,
        2023: 2021,
    }


def test_a_break_in_a_year_without_a_value_still_blocks():
    carers = {2015: 70.0, 2017: 71.0}

    assert previous_comparable(carers, 2017, breaks={2016}) is None


def test_a_missing_value_is_skipped_like_a_gap():
    series = {2018: 60.0, 2019: None, 2020: 62.0}

    assert previous_comparable(series, 2020) == 2018
    assert compared_periods(series) == {2018: None, 2020: 2018}


def test_nothing_compares_with_itself_or_a_later_year():
    assert not comparable(2020, 2020)
    assert not comparable(2021, 2020)


def test_direction_of_travel_follows_the_partial_and_boundary_rules():
    series = {2019: 60.0, 2020: 90.0, 2021: 61.0}

    assert direction_of_travel(series, 2021, HIGHER_IS_BETTER, partial={2020}) == IMPROVING
    assert direction_of_travel(series, 2020, HIGHER_IS_BETTER, partial={2020}) == NOT_COMPARABLE
    assert (
        direction_of_travel(series, 2021, HIGHER_IS_BETTER, partial={2020}, boundaries={2021})
        == NOT_COMPARABLE
    )


@given(
    present=st.sets(st.sampled_from(list(YEARS)), min_size=1),
    breaks=st.sets(st.sampled_from(list(YEARS))),
    partial=st.sets(st.sampled_from(list(YEARS))),
    boundaries=st.sets(st.sampled_from(list(YEARS))),
)
def test_no_comparison_crosses_a_break_or_boundary_or_touches_a_partial_year(
    present, breaks, partial, boundaries
):
    series = dict.fromkeys(present, 1.0)

    joins = compared_periods(series, breaks=breaks, partial=partial, boundaries=boundaries)

    assert set(joins) == present
    for later, earlier in joins.items():
        if earlier is None:
            continue
        assert earlier < later
        assert earlier not in partial and later not in partial
        assert not any(earlier < b <= later for b in breaks | boundaries)
        # The latest usable year, never one further back.
        assert not any(earlier < y < later and y not in partial for y in present)


# Change judged against both years' uncertainty


def test_dudley_1d_2024_25_is_within_the_combined_margin_so_not_a_significant_change():
    # Published: 65.1 (2023-24, margin 3.7, 615 respondents), 70.0 (2024-25, margin 3.5).
    change = judged_change(70.0, 65.1, HIGHER_IS_BETTER, margin_current=3.5, margin_previous=3.7)

    assert change == Change(STATIC, NOT_SIGNIFICANT, pytest.approx(4.9))
    assert combined_margin(3.7, 3.5) == pytest.approx(5.0931, abs=1e-4)
    assert combined_margin(3.7, 3.5) > 4.9


def test_a_change_equal_to_the_combined_margin_is_not_significant():
    assert combined_margin(3, 4) == 5.0
    assert not survey_change_significant(65.0, 60.0, 3, 4)
    assert survey_change_significant(65.1, 60.0, 3, 4)


@pytest.mark.parametrize("before", [59.1, 59.4, 60.1, 61.4])
def test_a_change_of_exactly_the_margin_is_not_significant_whatever_binary_floats_make_of_it(
    before,
):
    # In binary floating point 64.4 − 59.4 is 5.000000000000007 and 64.1 − 59.1 is
    # 4.999999999999993; as published both are 5.0.
    after = round(before + 5, 1)

    assert not survey_change_significant(after, before, 3, 4)
    assert judged_change(after, before, HIGHER_IS_BETTER, margin_current=3, margin_previous=4) == (
        Change(STATIC, NOT_SIGNIFICANT, pytest.approx(5.0))
    )


def test_a_significant_survey_change_moves_by_polarity():
    up = judged_change(72.0, 60.0, HIGHER_IS_BETTER, margin_current=3, margin_previous=4)
    down_is_good = judged_change(72.0, 60.0, LOWER_IS_BETTER, margin_current=3, margin_previous=4)

    assert (up.direction, up.significance) == (IMPROVING, SIGNIFICANT)
    assert (down_is_good.direction, down_is_good.significance) == (WORSENING, SIGNIFICANT)


def test_a_negative_margin_is_refused():
    with pytest.raises(ValueError):
        survey_change_significant(70.0, 60.0, -3, 4)


# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (the hybrid score
# interval): the published 95 % limits for θ = π₁ − π₂ of examples (a) to (h). (a) and (b)
# are also the test cases of the R package propint (ci.two.indep.props).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_wilson_limits_match_newcombe_1998_table_ii_method_10(counts, published):
    low, high = newcombe_wilson_interval(*counts)

    assert (round(low, 4), round(high, 4)) == published


def _wilson_closed_form(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's limits in binary floating point, written out independently of stats.py."""
    p = x / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize("counts", [(0, 1), (1, 2), (15, 148), (81, 263), (250, 250), (7, 9)])
def test_wilson_limits_match_the_closed_form(counts):
    assert wilson_interval(*counts) == pytest.approx(_wilson_closed_form(*counts), abs=1e-12)


@pytest.mark.parametrize(("counts", "_"), NEWCOMBE_TABLE_II)
def test_newcombe_wilson_limits_match_an_independent_computation(counts, _):
    x1, n1, x2, n2 = counts
    l1, u1 = _wilson_closed_form(x1, n1)
    l2, u2 = _wilson_closed_form(x2, n2)
    # Newcombe's form: d ∓ z√(l₁(1−l₁)/n₁ + u₂(1−u₂)/n₂), d ± z√(u₁(1−u₁)/n₁ + l₂(1−l₂)/n₂).
    z, d = 1.959963984540054, x1 / n1 - x2 / n2
    low = d - z * math.sqrt(l1 * (1 - l1) / n1 + u2 * (1 - u2) / n2)
    high = d + z * math.sqrt(u1 * (1 - u1) / n1 + l2 * (1 - l2) / n2)

    # At p = 1 the float form loses precision inside a square root: agree to 1e-7.
    assert newcombe_wilson_interval(*counts) == pytest.approx((low, high), abs=1e-7)


def test_intervals_refuse_counts_that_are_not_a_proportion():
    with pytest.raises(ValueError):
        wilson_interval(3, 0)
    with pytest.raises(ValueError):
        newcombe_wilson_interval(11, 10, 3, 10)


def test_a_proportion_whose_interval_for_the_difference_excludes_zero_is_a_significant_change():
    change = judged_change(
        80.0, 60.0, HIGHER_IS_BETTER, counts_current=(56, 70), counts_previous=(48, 80)
    )

    assert change == Change(IMPROVING, SIGNIFICANT, 20.0)


def test_a_proportion_whose_interval_includes_zero_is_static_not_improving():
    # 5/56 − 0/29 (Table II (d)): the interval is −0.0381 to 0.1926.
    change = judged_change(
        8.9, 0.0, LOWER_IS_BETTER, counts_current=(5, 56), counts_previous=(0, 29)
    )

    assert change == Change(STATIC, NOT_SIGNIFICANT, pytest.approx(8.9))


def test_a_move_on_a_denominator_of_two_is_no_significant_change():
    # City of London's 2D(1) (then 2B(1)) in 2020-21 rests on a denominator of 2.
    change = judged_change(
        100.0, 50.0, HIGHER_IS_BETTER, counts_current=(2, 2), counts_previous=(1, 2)
    )

    assert change == Change(STATIC, NOT_SIGNIFICANT, 50.0)


def test_a_proportion_worsening_significantly_is_worsening():
    change = judged_change(
        60.0, 80.0, HIGHER_IS_BETTER, counts_current=(48, 80), counts_previous=(56, 70)
    )

    assert (change.direction, change.significance) == (WORSENING, SIGNIFICANT)


def test_without_margins_or_counts_at_both_ends_a_change_is_not_tested_but_still_shown():
    # Old 4B has no published margin of error.
    assert judged_change(70.0, 65.0, HIGHER_IS_BETTER, margin_current=3.5) == Change(
        IMPROVING, NOT_TESTED, 5.0
    )
    assert judged_change(70.0, 65.0, LOWER_IS_BETTER) == Change(WORSENING, NOT_TESTED, 5.0)
    assert judged_change(70.0, 70.0, LOWER_IS_BETTER) == Change(STATIC, NOT_TESTED, 0.0)
    assert judged_change(
        70.0, 65.0, HIGHER_IS_BETTER, counts_current=(7, 10), counts_previous=(None, 20)
    ) == Change(IMPROVING, NOT_TESTED, 5.0)


def test_counts_outside_a_proportion_leave_the_change_untested():
    # 4B can publish an outcome above 100 % (workbook note 16).
    change = judged_change(
        104.0, 90.0, HIGHER_IS_BETTER, counts_current=(104, 100), counts_previous=(90, 100)
    )

    assert change.significance == NOT_TESTED


def test_margins_are_used_before_counts():
    change = judged_change(
        80.0,
        60.0,
        HIGHER_IS_BETTER,
        margin_current=15,
        margin_previous=15,
        counts_current=(56, 70),
        counts_previous=(48, 80),
    )

    assert change == Change(STATIC, NOT_SIGNIFICANT, 20.0)


def test_a_missing_value_or_no_judgement_is_not_comparable_and_untested():
    assert judged_change(None, 60.0, HIGHER_IS_BETTER) == Change(NOT_COMPARABLE, None, None)
    assert judged_change(70.0, None, HIGHER_IS_BETTER) == Change(NOT_COMPARABLE, None, None)
    assert judged_change(70.0, 60.0, NO_JUDGEMENT) == Change(NOT_COMPARABLE, None, None)


@given(
    before=st.decimals(min_value=0, max_value=100, places=1),
    after=st.decimals(min_value=0, max_value=100, places=1),
    m1=st.decimals(min_value=0, max_value=20, places=1),
    m2=st.decimals(min_value=0, max_value=20, places=1),
)
def test_survey_significance_is_the_exact_comparison_with_the_combined_margin(
    before, after, m1, m2
):
    expected = (after - before) ** 2 > m1**2 + m2**2

    assert survey_change_significant(float(after), float(before), float(m1), float(m2)) is (
        expected
    )


# Compared with England on the same basis


def test_a_survey_value_is_similar_to_england_within_its_margin_ends_included():
    assert england_comparison(65.1, 68.8, HIGHER_IS_BETTER, margin_of_error=3.7) == SIMILAR
    assert england_comparison(65.1, 68.9, HIGHER_IS_BETTER, margin_of_error=3.7) == WORSE
    assert england_comparison(65.1, 68.9, LOWER_IS_BETTER, margin_of_error=3.7) == BETTER


def test_a_proportion_is_compared_with_england_through_its_wilson_interval():
    # 56/70 = 80 %: Wilson 95 % interval 69.2 % to 87.7 %.
    low, high = wilson_interval(56, 70)
    assert (round(low * 100, 1), round(high * 100, 1)) == (69.2, 87.7)

    assert england_comparison(80.0, 75.0, HIGHER_IS_BETTER, counts=(56, 70)) == SIMILAR
    assert england_comparison(80.0, 69.0, HIGHER_IS_BETTER, counts=(56, 70)) == BETTER
    assert england_comparison(80.0, 69.0, LOWER_IS_BETTER, counts=(56, 70)) == WORSE
    assert england_comparison(80.0, 88.0, HIGHER_IS_BETTER, counts=(56, 70)) == WORSE


def test_without_an_interval_the_comparison_with_england_is_not_tested():
    assert england_comparison(80.0, 60.0, HIGHER_IS_BETTER) == NOT_TESTED
    assert england_comparison(80.0, 60.0, HIGHER_IS_BETTER, counts=(None, 70)) == NOT_TESTED
    assert england_comparison(80.0, 60.0, HIGHER_IS_BETTER, counts=(0, 0)) == NOT_TESTED


def test_a_missing_value_or_england_or_no_judgement_gives_no_comparison():
    assert england_comparison(None, 60.0, HIGHER_IS_BETTER, margin_of_error=3) is None
    assert england_comparison(80.0, None, HIGHER_IS_BETTER, margin_of_error=3) is None
    assert england_comparison(80.0, 60.0, NO_JUDGEMENT, margin_of_error=3) is None


def test_the_survey_comparison_with_england_is_unchanged():
    for value, margin, england in [(65.1, 3.7, 68.8), (65.1, 3.7, 61.4), (65.1, 3.7, 70.0)]:
        assert england_comparison(
            value, england, HIGHER_IS_BETTER, margin_of_error=margin
        ) == stats.compare_with_england(value, margin, england, HIGHER_IS_BETTER)


# Minimum bases


def test_a_zero_base_is_not_available():
    # 1B 2019-20: the workbook gives 0.0 from 0 respondents for five councils.
    assert base_standing(0, survey=True) == NOT_AVAILABLE
    assert base_standing(0.0, survey=False) == NOT_AVAILABLE


def test_survey_values_need_30_respondents_to_be_ranked():
    assert base_standing(25, survey=True) == BELOW_MINIMUM_BASE
    assert base_standing(29, survey=True) == BELOW_MINIMUM_BASE
    assert base_standing(30, survey=True) == RANKED
    assert base_standing(615, survey=True) == RANKED


def test_administrative_values_need_a_denominator_of_10_to_be_ranked():
    # Isles of Scilly's 6B: 0 of 1 provider rated good or outstanding.
    assert base_standing(1, survey=False) == BELOW_MINIMUM_BASE
    assert base_standing(9, survey=False) == BELOW_MINIMUM_BASE
    assert base_standing(10, survey=False) == RANKED
    assert base_standing(25, survey=False) == RANKED


def test_an_unknown_base_does_not_block_ranking():
    assert base_standing(None, survey=False) == RANKED
    assert base_standing(None, survey=True) == RANKED
    assert base_standing(float("nan"), survey=True) == RANKED


def test_a_negative_base_is_refused():
    with pytest.raises(ValueError):
        base_standing(-1, survey=False)


def test_a_value_below_the_minimum_base_is_left_out_of_the_distribution_when_passed_as_missing():
    values = {"A": 80.0, "B": 70.0, "C": 60.0, "D": 50.0, "Scilly": 0.0}
    bases = {"A": 40, "B": 35, "C": None, "D": 12, "Scilly": 1}

    ranked = {
        k: v if base_standing(bases[k], survey=False) == RANKED else None for k, v in values.items()
    }
    table = stats.benchmark_table(ranked, HIGHER_IS_BETTER)

    assert table.distribution.n == 4
    assert table.rows["Scilly"].rank is None
    assert table.rows["D"].rank == 4


def test_z_is_the_normal_quantile_of_a_two_sided_95_percent_interval():
    assert float(stats.Z95) == pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-15)


# The rules on the shipped files (read directly: no database)

ASCOF_DIR = Path(__file__).resolve().parent.parent / "data" / "ascof"
ASCOF_WORKBOOK = "ascof_timeseries_2015-16_to_2024-25_official.ods"


@functools.cache
def _workbook_sheet(sheet: str) -> dict[str, dict[str, object]]:
    """One sheet of the official time-series workbook: council name → {column header: cell}."""
    workbook = CalamineWorkbook.from_path(ASCOF_DIR / ASCOF_WORKBOOK)
    rows = workbook.get_sheet_by_name(sheet).to_python()
    header = next(r for r in rows if str(r[0]).lower().startswith("local authority code"))
    return {str(r[1]): dict(zip(map(str, header), r, strict=False)) for r in rows}


def test_dudley_1d_2024_25_as_published_is_no_significant_change():
    dudley = _workbook_sheet("Table_1d")["Dudley"]
    before, after = dudley["2023 to 2024 - outcome"], dudley["2024 to 2025 - outcome"]
    margins = dudley["2024 to 2025 - margin of error"], dudley["2023 to 2024 - margin of error"]

    assert (before, after, *margins) == (65.1, 70.0, 3.5, 3.7)
    change = judged_change(
        after, before, HIGHER_IS_BETTER, margin_current=margins[0], margin_previous=margins[1]
    )
    assert (change.direction, change.significance) == (STATIC, NOT_SIGNIFICANT)


def test_the_zero_and_tiny_bases_of_the_workbook_are_not_ranked():
    column = "2019 to 2020 - number of respondents"
    bases = {name: row.get(column) for name, row in _workbook_sheet("Table_1b").items()}
    zero = sorted(name for name, base in bases.items() if base == 0)
    scilly = _workbook_sheet("Table_6b")["Isles of Scilly"]

    assert zero == ["City of London", "Isles of Scilly", "Kent", "Trafford", "Wokingham"]
    assert {base_standing(bases[name], survey=True) for name in zero} == {NOT_AVAILABLE}
    assert base_standing(bases["Dudley"], survey=True) == RANKED
    assert (scilly["2023 to 2024 - 6b outcome"], scilly["2023 to 2024 - 6b denominator"]) == (0, 1)
    assert base_standing(scilly["2023 to 2024 - 6b denominator"], survey=False) == (
        BELOW_MINIMUM_BASE
    )


def test_every_2020_21_survey_measure_is_partial_coverage_so_2021_22_compares_with_2019_20():
    with open(ASCOF_DIR / "series_breaks.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    partial = {r["code_2024_25"] for r in rows if r["kind"] == "partial_coverage"}
    breaks = {(r["code_2024_25"], r["from_year"]) for r in rows if r["kind"] == "break"}

    assert partial == {"1A", "1B", "1D", "3A", "3C(1)", "4A", "5A(1)", "old-4B"}
    for code in partial:
        blocked = {2020} if (code, "2020-21") in breaks else set()
        expected = None if blocked else 2019
        assert previous_comparable(every_year(), 2021, blocked, partial={2020}) == expected
