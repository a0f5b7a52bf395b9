"""Corrected figures shown wherever they appear (the 3C(2) 2018-19 region rows ship
corrected), and a group's aggregate checked against its published region figure with the
publisher's declared rounding of council counts, on the shipped data."""

import csv
import io

import pytest
from django.core.cache import cache

from councils.models import Area, ComparatorGroup
from indicators.models import Erratum, Indicator, Value
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


# Corrected figures on the pages and in downloads ----------------------------------------------

WEST_MIDLANDS_NOTE = (
    "Corrected: published as 62.9, 4380 respondents, margin of error 1.6 (The workbook's "
    "2018-19 region rows of Table 3c(2) are permuted: this region's row holds another "
    "region's figures)"
)


def three_c_2() -> data.IndicatorInfo:
    return next(i for i in data.indicators() if i.code == "3C(2)")


def test_the_west_midlands_3c2_2018_19_region_figure_carries_its_correction_note():
    group = data.group_by_slug("west-midlands-adass")
    info = three_c_2()
    result = data.benchmarks(2018, group, [info])[info.id]
    assert result.region.outcome == 57.6
    assert result.region.correction == WEST_MIDLANDS_NOTE
    assert result.corrections == [("West Midlands", result.region)]


def test_the_indicator_page_shows_the_correction_in_the_same_queries(
    client, django_assert_num_queries
):
    info = three_c_2()
    url = f"/indicators/{info.slug}/?period=2018-19"
    with django_assert_num_queries(14):  # as any indicator page (tests/test_pages.py)
        page = client.get(url).content.decode()
    assert "Corrected figures" in page
    assert "✱ West Midlands: Corrected: published as 62.9, 4380 respondents" in page


def test_a_council_scorecard_shows_the_region_figure_with_its_correction(client):
    page = client.get("/councils/birmingham/?period=2018-19").content.decode()
    assert "✱ Corrected: published as 62.9, 4380 respondents" in page


def test_the_download_has_a_correction_column_with_the_published_figure_and_reason(client):
    info = three_c_2()
    response = client.get(f"/indicators/{info.slug}/?period=2018-19&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 14
    assert {row["correction"] for row in rows} == {f"region: {WEST_MIDLANDS_NOTE}"}


def test_a_corrected_council_value_is_marked_on_the_overview_and_reviewed_by_signed_in_users(
    client, django_user_model
):
    info = three_c_2()
    value = Value.objects.get(
        indicator_id=info.id, area__name="Dudley", period__year=2018, period__quarter=None
    )
    Erratum.objects.create(
        area=value.area,
        indicator=value.indicator,
        period=value.period,
        field="outcome",
        published=value.outcome + 1,
        corrected=value.outcome,
        reason="A test correction",
        evidence="The test",
        needs_review=True,
        republished="70",
    )
    overview = client.get("/?period=2018-19").content.decode()
    note = f"✱ Corrected: published as {value.outcome + 1:g} (A test correction)"
    assert note in overview
    url = f"/indicators/{info.slug}/?period=2018-19"
    assert "Needs review" not in client.get(url).content.decode()
    client.force_login(django_user_model.objects.create_user("lead"))
    assert "Needs review: the publisher's file now gives 70." in client.get(url).content.decode()
