"""Tests for the quarterly rules in scorecard.stats: a year's value from its quarters by basis,
what a quarter's direction compares with, and where a year sorts among its quarters."""

import pytest

from indicators.models import Basis
from scorecard.stats import (
    HIGHER_IS_BETTER,
    IMPROVING,
    IN_QUARTER,
    LOWER_IS_BETTER,
    NO_JUDGEMENT,
    NOT_COMPARABLE,
    SNAPSHOT,
    STATIC,
    WORSENING,
    YEAR_TO_DATE,
    AnnualFromQuarters,
    QuarterFigures,
    annual_from_quarters,
    period_order_key,
    quarterly_comparisons,
    quarterly_direction,
)

# Complaints upheld of those decided in the quarter, 2024-25: 3 of 5, 2 of 8, 4 of 6, 1 of 4.
COMPLAINTS = {
    1: QuarterFigures(60.0, 3, 5),
    2: QuarterFigures(25.0, 2, 8),
    3: QuarterFigures(66.7, 4, 6),
    4: QuarterFigures(25.0, 1, 4),
}
# Social work vacancy rate at quarter end, 2024-25.
VACANCIES = {
    1: QuarterFigures(14.2, 71, 500),
    2: QuarterFigures(13.6, 68, 500),
    3: QuarterFigures(12.9, 65, 504),
    4: QuarterFigures(12.1, 61, 504),
}


def test_the_bases_are_the_models_basis_values():
    models_bases = (Basis.SNAPSHOT.value, Basis.IN_QUARTER.value, Basis.YEAR_TO_DATE.value)

    assert models_bases == (SNAPSHOT, IN_QUARTER, YEAR_TO_DATE)


# A year's value


@pytest.mark.parametrize("basis", [SNAPSHOT, YEAR_TO_DATE])
def test_snapshot_and_year_to_date_take_q4_as_the_year(basis):
    year = annual_from_quarters(basis, VACANCIES, multiplier=100)

    assert year == AnnualFromQuarters(12.1, 61, 504, 4, ())
    assert year.complete


@pytest.mark.parametrize("basis", [SNAPSHOT, YEAR_TO_DATE])
def test_snapshot_and_year_to_date_without_q4_are_incomplete(basis):
    first_three = {q: VACANCIES[q] for q in (1, 2, 3)}

    year = annual_from_quarters(basis, first_three, multiplier=100)

    assert year.value is None
    assert (year.numerator, year.denominator) == (None, None)
    assert year.missing == (4,)
    assert not year.complete
    # Q3 is not carried forward as the year.
    assert annual_from_quarters(basis, {**first_three, 4: QuarterFigures(None)}).missing == (4,)


@pytest.mark.parametrize("basis", [SNAPSHOT, YEAR_TO_DATE])
def test_snapshot_and_year_to_date_need_only_q4(basis):
    year = annual_from_quarters(basis, {4: QuarterFigures(31.0)})

    assert (year.value, year.source_quarter, year.complete) == (31.0, 4, True)


def test_in_quarter_year_is_the_sum_of_numerators_over_the_sum_of_denominators():
    year = annual_from_quarters(IN_QUARTER, COMPLAINTS, multiplier=100, decimals=1)

    # 10 upheld of 23 decided = 43.478… → 43.5; the mean of the quarters' rates would be 44.2.
    assert year == AnnualFromQuarters(43.5, 10, 23, None, ())
    assert year.complete


def test_in_quarter_ratio_is_rounded_once():
    thirds = {
        1: QuarterFigures(33.3, 1, 3),
        2: QuarterFigures(33.3, 1, 3),
        3: QuarterFigures(33.3, 1, 3),
        4: QuarterFigures(0.0, 0, 3),
    }

    year = annual_from_quarters(IN_QUARTER, thirds, multiplier=100, decimals=2)

    # 3/12 × 100 = 25.00 from the sums; the mean of the published 33.3s would be 24.98.
    assert year.value == 25.0
    assert (year.numerator, year.denominator) == (3, 12)


def test_in_quarter_rounds_half_away_from_zero():
    halves = {
        1: QuarterFigures(7.0, 14, 200),
        2: QuarterFigures(7.5, 15, 200),
        3: QuarterFigures(7.0, 14, 200),
        4: QuarterFigures(7.0, 14, 200),
    }

    # 57 / 800 × 100 = 7.125 → 7.13 at 2 dp; binary floats make it 7.124999… → 7.12.
    assert annual_from_quarters(IN_QUARTER, halves, multiplier=100, decimals=2).value == 7.13


def test_in_quarter_missing_one_quarter_is_incomplete():
    three = {q: COMPLAINTS[q] for q in (1, 2, 4)}

    year = annual_from_quarters(IN_QUARTER, three, multiplier=100)

    assert year == AnnualFromQuarters(None, None, None, None, (3,))
    assert not year.complete


def test_in_quarter_ratio_quarter_missing_its_denominator_is_incomplete():
    suppressed = {**COMPLAINTS, 2: QuarterFigures(25.0, 2, None)}

    year = annual_from_quarters(IN_QUARTER, suppressed, multiplier=100)

    # The published 25.0 does not stand in for the suppressed denominator.
    assert year.value is None
    assert year.missing == (2,)


def test_in_quarter_ratio_with_every_figure_suppressed_is_not_summed_as_a_count():
    rates_only = {q: QuarterFigures(f.outcome) for q, f in COMPLAINTS.items()}

    year = annual_from_quarters(IN_QUARTER, rates_only, multiplier=100, is_count=False)

    assert year.value is None
    assert year.missing == (1, 2, 3, 4)


def test_in_quarter_counts_are_summed():
    # Safeguarding concerns received in each quarter.
    concerns = {
        1: QuarterFigures(412),
        2: QuarterFigures(389),
        3: QuarterFigures(455),
        4: QuarterFigures(431),
    }

    inferred = annual_from_quarters(IN_QUARTER, concerns, decimals=0)
    flagged = annual_from_quarters(IN_QUARTER, concerns, decimals=0, is_count=True)

    assert inferred == flagged == AnnualFromQuarters(1687, None, None, None, ())


def test_in_quarter_count_flag_sums_outcomes_even_with_numerators():
    # Direct payment clients in the quarter, published with the clients and population behind
    # a rate: flagged as a count, the outcomes are summed and the figures behind ignored.
    clients = {
        q: QuarterFigures(v, v, 10_000)
        for q, v in zip((1, 2, 3, 4), (120, 118, 125, 131), strict=True)
    }

    year = annual_from_quarters(IN_QUARTER, clients, multiplier=100, decimals=0, is_count=True)

    assert year == AnnualFromQuarters(494, None, None, None, ())


def test_in_quarter_count_missing_a_quarter_is_incomplete():
    concerns = {1: QuarterFigures(412), 2: QuarterFigures(None), 4: QuarterFigures(431)}

    year = annual_from_quarters(IN_QUARTER, concerns, decimals=0, is_count=True)

    assert year.value is None
    assert year.missing == (2, 3)


def test_annual_rejects_an_unknown_basis_or_quarter():
    with pytest.raises(ValueError, match="basis"):
        annual_from_quarters("monthly", COMPLAINTS)
    with pytest.raises(ValueError, match="quarter"):
        annual_from_quarters(SNAPSHOT, {(2024, 4): QuarterFigures(12.1)})


# What a quarter compares with


@pytest.mark.parametrize(
    ("period", "previous"),
    [((2024, 2), (2024, 1)), ((2024, 4), (2024, 3)), ((2024, 1), (2023, 4))],
)
def test_snapshot_compares_with_the_immediately_previous_quarter(period, previous):
    assert quarterly_comparisons(SNAPSHOT, period) == (previous, None)


@pytest.mark.parametrize(("period", "previous"), [((2024, 3), (2024, 2)), ((2024, 1), (2023, 4))])
def test_in_quarter_compares_with_a_year_earlier_and_shows_the_previous_quarter(period, previous):
    year_earlier = (period[0] - 1, period[1])

    assert quarterly_comparisons(IN_QUARTER, period) == (year_earlier, previous)


def test_year_to_date_compares_with_the_same_quarter_a_year_earlier():
    assert quarterly_comparisons(YEAR_TO_DATE, (2024, 2)) == ((2023, 2), None)
    assert quarterly_comparisons(YEAR_TO_DATE, (2024, 1)) == ((2023, 1), None)


def test_a_break_blocks_comparison_with_anything_before_its_q1():
    # A break in 2024-25: its Q1 compares with nothing before it.
    assert quarterly_comparisons(SNAPSHOT, (2024, 1), breaks={2024}) == (None, None)
    assert quarterly_comparisons(IN_QUARTER, (2024, 1), breaks={2024}) == (None, None)
    assert quarterly_comparisons(IN_QUARTER, (2024, 3), breaks={2024}) == (None, (2024, 2))
    assert quarterly_comparisons(YEAR_TO_DATE, (2025, 2), breaks={2025}) == (None, None)
    # Within the broken year, and from years after it, quarters since the break still compare.
    assert quarterly_comparisons(SNAPSHOT, (2024, 2), breaks={2024}) == ((2024, 1), None)
    assert quarterly_comparisons(YEAR_TO_DATE, (2025, 2), breaks={2024}) == ((2024, 2), None)


def test_a_later_break_does_not_block_earlier_periods():
    assert quarterly_comparisons(SNAPSHOT, (2024, 1), breaks={2025}) == ((2023, 4), None)


def test_comparisons_reject_an_annual_period():
    with pytest.raises(ValueError, match="quarter"):
        quarterly_comparisons(SNAPSHOT, (2024, None))


# Direction of a quarter

VACANCY_SERIES = {
    (2023, 3): 16.0,
    (2023, 4): 15.1,
    (2024, 1): 14.2,
    (2024, 2): 14.2,
    (2024, 3): 12.9,
}


def test_snapshot_direction_lower_is_better():
    assert quarterly_direction(SNAPSHOT, VACANCY_SERIES, (2024, 1), LOWER_IS_BETTER) == (
        IMPROVING,
        (2023, 4),
    )
    assert quarterly_direction(SNAPSHOT, VACANCY_SERIES, (2024, 2), LOWER_IS_BETTER) == (
        STATIC,
        (2024, 1),
    )
    assert quarterly_direction(SNAPSHOT, VACANCY_SERIES, (2024, 3), HIGHER_IS_BETTER) == (
        WORSENING,
        (2024, 2),
    )


def test_snapshot_does_not_skip_back_over_a_missing_quarter():
    gap = {(2024, 1): 14.2, (2024, 2): None, (2024, 3): 12.9}
    absent = {(2024, 1): 14.2, (2024, 3): 12.9}

    assert quarterly_direction(SNAPSHOT, gap, (2024, 3), LOWER_IS_BETTER) == (NOT_COMPARABLE, None)
    assert quarterly_direction(SNAPSHOT, absent, (2024, 3), LOWER_IS_BETTER) == (
        NOT_COMPARABLE,
        None,
    )


def test_in_quarter_direction_compares_with_a_year_earlier_not_the_previous_quarter():
    # Complaints upheld (%): 2024-25 Q3 is worse than Q2 but better than 2023-24 Q3.
    upheld = {(2023, 3): 70.0, (2024, 2): 25.0, (2024, 3): 66.7}

    assert quarterly_direction(IN_QUARTER, upheld, (2024, 3), LOWER_IS_BETTER) == (
        IMPROVING,
        (2023, 3),
    )


def test_year_to_date_direction_compares_with_a_year_earlier():
    # Reviews completed so far this year (%), higher is better.
    reviews = {(2023, 2): 48.5, (2024, 1): 20.0, (2024, 2): 41.0}

    assert quarterly_direction(YEAR_TO_DATE, reviews, (2024, 2), HIGHER_IS_BETTER) == (
        WORSENING,
        (2023, 2),
    )


def test_missing_values_give_no_direction():
    upheld = {(2024, 3): 66.7, (2023, 3): None}

    assert quarterly_direction(IN_QUARTER, upheld, (2024, 3), LOWER_IS_BETTER) == (
        NOT_COMPARABLE,
        None,
    )
    assert quarterly_direction(IN_QUARTER, upheld, (2024, 2), LOWER_IS_BETTER) == (
        NOT_COMPARABLE,
        None,
    )
    # The same quarter two years earlier is not a stand-in.
    upheld[(2022, 3)] = 80.0
    assert quarterly_direction(IN_QUARTER, upheld, (2024, 3), LOWER_IS_BETTER) == (
        NOT_COMPARABLE,
        None,
    )


def test_a_break_gives_no_direction():
    result = quarterly_direction(
        SNAPSHOT, VACANCY_SERIES, (2024, 1), LOWER_IS_BETTER, breaks={2024}
    )

    assert result == (NOT_COMPARABLE, None)


def test_tolerance_holds_small_changes_static():
    # 14.2 → 13.6 is a fall of 0.6: static within ± 0.6, improving within ± 0.5.
    series = {(2024, 1): 14.2, (2024, 2): 13.6}

    assert quarterly_direction(SNAPSHOT, series, (2024, 2), LOWER_IS_BETTER, tolerance=0.6) == (
        STATIC,
        (2024, 1),
    )
    assert quarterly_direction(SNAPSHOT, series, (2024, 2), LOWER_IS_BETTER, tolerance=0.5) == (
        IMPROVING,
        (2024, 1),
    )


def test_no_judgement_has_no_direction():
    assert quarterly_direction(SNAPSHOT, VACANCY_SERIES, (2024, 1), NO_JUDGEMENT) == (
        NOT_COMPARABLE,
        None,
    )


# Ordering


def test_a_year_follows_its_q4_and_precedes_the_next_q1():
    periods = [(2025, 1), (2024, None), (2024, 4), (2024, 1), (2023, None), (2024, 3), (2024, 2)]

    ordered = sorted(periods, key=lambda p: period_order_key(*p))

    assert ordered == [
        (2023, None),
        (2024, 1),
        (2024, 2),
        (2024, 3),
        (2024, 4),
        (2024, None),
        (2025, 1),
    ]
    assert period_order_key(2024, 4) < period_order_key(2024, None) < period_order_key(2025, 1)


def test_order_key_rejects_a_quarter_outside_one_to_four():
    with pytest.raises(ValueError, match="quarter"):
        period_order_key(2024, 5)
