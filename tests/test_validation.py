"""The validation layer's rules, on plain values: no database."""

import datetime
import math

from indicators.models import Kind
from indicators.validation import (
    canonical_choice,
    check_frequency,
    check_numbers,
    check_period,
    check_value,
)

COLLECTING = (2025, None)


def test_a_proportions_numerator_above_its_denominator_is_implausible_a_scores_is_not():
    # The West Midlands' 1A 2022-23: a sum of scores over 61,585 respondents.
    score = check_numbers(Kind.SCORE, {"numerator": [1174030.0], "denominator": [61585.0]})
    share = check_numbers(Kind.PERCENTAGE, {"numerator": [3800.0], "denominator": [3741.0]})
    assert score == [[]]
    [[problem]] = share
    assert not problem.impossible and problem.field == "numerator"


def test_numbers_that_are_not_finite_or_negative_counts_are_impossible():
    problems = check_numbers(
        Kind.RATE,
        {"outcome": [math.inf, math.nan, 1e13, 5.0], "denominator": [1.0, 1.0, 1.0, -2.0]},
    )
    assert [[p.impossible for p in row] for row in problems] == [[True], [True], [True], [True]]
    assert "denominator -2 is negative" in str(problems[3][0])


def test_a_percentage_outside_0_to_100_is_implausible():
    [[high], [low], ok] = check_numbers(Kind.PERCENTAGE, {"outcome": [230.0, -5.0, 100.0]})
    assert not high.impossible and not low.impossible and ok == []


def test_choices_match_without_regard_to_case_and_keep_the_lists_spelling():
    assert canonical_choice(" GREEN ", ["red", "amber", "green"]) == "green"
    assert canonical_choice("Purple", ["red", "amber", "green"]) is None
    assert (
        check_value(Kind.RAG, ["red", "amber", "green"], text="Green", collecting=COLLECTING) == []
    )
    [problem] = check_value(
        Kind.RAG, ["red", "amber", "green"], text="Purple", collecting=COLLECTING
    )
    assert problem.impossible and problem.field == "text_value"


def test_dates_years_and_periods_after_the_period_being_collected_are_impossible():
    assert check_period(2025, None, COLLECTING) == []
    assert check_period(2025, 3, COLLECTING) == []
    [period] = check_period(2031, None, COLLECTING)
    assert "after the period being collected (2025-26)" in period.message
    [date] = check_value(Kind.DATE, [], date=datetime.date(2031, 5, 1), collecting=COLLECTING)
    [year] = check_value(Kind.YEAR, [], numbers={"outcome": 2023.5}, collecting=COLLECTING)
    assert date.impossible and year.impossible


# A value's period against its measure's frequency ------------------------------------------

FROM_2024_Q1 = (2024, 1)


def test_a_quarterly_measure_takes_quarters_from_its_first_quarter_and_years_before_it():
    for basis in ("snapshot", "in_quarter", "year_to_date"):
        for year, quarter in [(2024, 1), (2024, 4), (2025, 2), (2023, None), (2015, None)]:
            assert check_frequency(year, quarter, basis=basis, quarterly_from=FROM_2024_Q1) == []


def test_a_year_with_quarters_is_refused_its_value_is_derived_from_them():
    for year in (2024, 2025):
        [problem] = check_frequency(year, None, basis="snapshot", quarterly_from=FROM_2024_Q1)
        assert problem.impossible and problem.field == "period"
    [problem] = check_frequency(2024, None, basis="in_quarter", quarterly_from=FROM_2024_Q1)
    assert "2024-25 is a year with quarters" in problem.message
    assert "collected by quarter from 2024-25 Q1" in problem.message
    assert "its value for the year is derived from its quarters" in problem.message
    assert "enter a quarter (2024-25 Q1 to 2024-25 Q4)" in problem.message


def test_a_quarter_before_the_first_quarter_is_refused_the_year_is_collected():
    [problem] = check_frequency(2023, 4, basis="snapshot", quarterly_from=FROM_2024_Q1)
    assert problem.impossible and problem.field == "period"
    assert "2023-24 Q4 is before 2024-25 Q1, the first quarter" in problem.message
    assert "enter the value for the year 2023-24" in problem.message


def test_a_quarter_of_a_yearly_measure_is_refused():
    assert check_frequency(2024, None, basis="", quarterly_from=None) == []
    [problem] = check_frequency(2024, 2, basis="", quarterly_from=None)
    assert problem.impossible and problem.field == "period"
    assert "2024-25 Q2 is a quarter, but the measure is collected yearly" in problem.message
    assert "for the year 2024-25" in problem.message
