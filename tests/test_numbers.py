"""The one number formatter: half away from zero on the value as written, as the publisher
rounds. Pure: no database."""

import math
from decimal import Decimal

import pytest

from scorecard.numbers import format_number, rounded


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (2.675, 2, "2.68"),  # binary 2.67499…: Python's own format gives 2.67
        (0.125, 2, "0.13"),
        (-2.5, 0, "-3"),
        (2.5, 0, "3"),
        (27.85, 1, "27.9"),
        (56.37, 1, "56.4"),  # Walsall 2D(1) 2024-25 as the workbook stores it
        (1.005, 2, "1.01"),
        (-0.125, 2, "-0.13"),
        (39.1, 1, "39.1"),
        (4, 1, "4.0"),
        (0.5, 3, "0.500"),
    ],
)
def test_numbers_round_half_away_from_zero_to_their_decimals(value, decimals, shown):
    assert format_number(value, decimals) == shown


def test_a_missing_or_not_finite_value_is_blank():
    assert format_number(None, 1) == ""
    assert format_number(math.nan, 1) == ""
    assert format_number(math.inf, 1) == ""
    assert rounded(None, 1) is None
    assert rounded(math.nan, 1) is None


def test_thousands_are_separated_unless_asked_not_to():
    assert format_number(1234567.125, 2) == "1,234,567.13"
    assert format_number(-11911, 0) == "-11,911"
    assert format_number(1234.5, 1, thousands=False) == "1234.5"
    assert format_number(999.95, 1) == "1,000.0"


def test_a_value_that_rounds_to_zero_has_no_minus_sign():
    assert format_number(-0.04, 1) == "0.0"
    assert math.copysign(1, rounded(-0.04, 1)) == 1


def test_machine_outputs_get_the_rounded_number_as_a_float():
    assert rounded(56.37, 1) == 56.4
    assert rounded(2.675, 2) == 2.68
    assert rounded(-2.5, 0) == -3.0
    assert type(rounded(12, 0)) is float
    assert rounded(Decimal("0.125"), 2) == 0.13
