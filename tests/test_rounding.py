"""The publisher's rounding of council counts: 4B's aggregates agree with council counts
published rounded to 5, and a measure whose counts are unrounded is checked exactly."""

import pytest

from indicators.models import Value
from indicators.rounding import aggregate_range, rounded_to, within_rounding


def test_4b_council_counts_are_rounded_to_5_from_2023_24_and_2d1_counts_are_not():
    assert rounded_to("4B", 2023) == 5
    assert rounded_to("4B", 2024) == 5
    assert rounded_to("2D(1)", 2024) == 1
    assert rounded_to("1A", 2024) == 1


def test_counts_rounded_to_5_allow_half_of_5_either_way_for_each_council():
    low, high = aggregate_range([10, 20], [20, 40], 5, 100)
    assert low == pytest.approx(25 / 65 * 100)
    assert high == pytest.approx(35 / 55 * 100)


def test_unrounded_counts_allow_only_the_published_decimals():
    assert within_rounding(33.3, [1], [3], 1, 100, 1)
    assert not within_rounding(33.4, [1], [3], 1, 100, 1)


def counts(code: str, year: int, region: str) -> tuple[float, list[float], list[float]]:
    """The region's published outcome and its councils' published counts."""
    published = Value.objects.get(
        indicator__code=code, period__year=year, period__quarter=None, area__code=region
    ).outcome
    councils = Value.objects.filter(
        indicator__code=code,
        period__year=year,
        period__quarter=None,
        disaggregation="Total",
        area__region__code=region,
        numerator__isnull=False,
        denominator__isnull=False,
    )
    pairs = list(councils.values_list("numerator", "denominator"))
    return published, [n for n, _ in pairs], [d for _, d in pairs]


@pytest.mark.django_db
def test_the_east_of_englands_4b_2024_25_is_within_what_its_councils_rounded_counts_allow():
    published, numerators, denominators = counts("4B", 2024, "E")
    # Σ of the published (rounded) counts gives 93.3; the publisher's 93.4 totals unrounded ones.
    assert round(sum(numerators) / sum(denominators) * 100, 1) == 93.3
    assert published == 93.4
    assert within_rounding(published, numerators, denominators, rounded_to("4B", 2024), 100, 1)
    assert not within_rounding(published, numerators, denominators, 1, 100, 1)


@pytest.mark.django_db
def test_the_west_midlands_2d1_2024_25_matches_its_councils_unrounded_counts():
    published, numerators, denominators = counts("2D(1)", 2024, "WM")
    assert within_rounding(published, numerators, denominators, rounded_to("2D(1)", 2024), 100, 1)
