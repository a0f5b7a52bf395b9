"""The validation layer's rules, on plain values: no database."""

import datetime
import math

from indicators.models import Kind
from indicators.validation import canonical_choice, check_numbers, check_period, check_value

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
