"""Corrected figures shown wherever they appear (the 3C(2) 2018-19 region rows ship
corrected), and a group's aggregate checked against its published region figure with the
publisher's declared rounding of council counts, on the shipped data."""

import pytest
from django.core.cache import cache

from councils.models import Area, ComparatorGroup
from indicators.models import Indicator, Value
from scorecard import data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def east_of_england_group() -> ComparatorGroup:
    """A group a user made of the East of England's councils, matched to its region."""
    region = Area.objects.get(code="E", kind="region")
    group = ComparatorGroup.objects.create(name="Eastern councils", slug="eastern", region=region)
    group.councils.set(Area.objects.councils().active_in(2024).filter(region=region))
    return group


def four_b(year: int, group: ComparatorGroup) -> data.IndicatorResult:
    info = next(i for i in data.indicators() if i.code_in(year) == "4B")
    return data.benchmarks(year, group, [info])[info.id]


def test_a_groups_4b_aggregate_within_the_publishers_rounding_is_no_mismatch():
    result = four_b(2024, east_of_england_group())
    # Σ of the councils' counts, published rounded to 5, gives 93.3; the region published 93.4.
    assert (result.aggregate.value, result.region.outcome) == (93.3, 93.4)
    assert not result.aggregate_mismatch


def test_a_region_figure_outside_the_publishers_rounding_is_still_a_mismatch(client):
    group = east_of_england_group()
    Value.objects.filter(
        indicator=Indicator.objects.get(pk=four_b(2024, group).indicator.id),
        area__code="E",
        period__year=2024,
        period__quarter=None,
        disaggregation="Total",
    ).update(outcome=91.0)
    result = four_b(2024, group)
    assert result.aggregate_mismatch
    page = client.get(f"/indicators/{result.indicator.slug}/?group=eastern&period=2024-25")
    assert "differs from the published figure" in page.content.decode()
