"""`scorecard.stats` and `scorecard.data` checked against real published ASCOF figures.

The session test database holds every shipped ASCOF file (see conftest.py), so these tests
reproduce published regional and England outcomes from published numerators and denominators,
and published national medians from the councils' values.
"""

import csv
from collections import defaultdict

import pytest
from django.conf import settings
from django.db.models import Q

from councils.models import Area, AreaKind
from indicators.models import Availability, IndicatorCode, Source, Value, normalise_code
from scorecard import data, stats

pytestmark = pytest.mark.django_db

REGIONS_2022 = settings.ASCOF_DATA_DIR / "ascof_2022-23_regions_num_den.csv"
REGION_CODES = {"NE", "NW", "YH", "EM", "WM", "E", "L", "SE", "SW"}
# Survey numerators and denominators are weighted counts rounded to the nearest 5, so the
# ratio may move the last published decimal by one step; allow that step plus float noise.
SURVEY_TOLERANCE = 1e-9


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _indicator_for(published_code: str, year: int) -> data.IndicatorInfo:
    """The catalogue's indicator for a code as published in `year` (codes resolve by year)."""
    code = IndicatorCode.objects.filter(
        Q(last_year__isnull=True) | Q(last_year__gte=year),
        normalised=normalise_code(published_code),
        first_year__lte=year,
    ).get()
    return next(info for info in data.indicators() if info.id == code.indicator_id)


def _infos_by_code() -> dict[str, data.IndicatorInfo]:
    return {info.code: info for info in data.indicators()}


def _regions_2022_rows() -> list[dict]:
    with REGIONS_2022.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["disaggregation_level"] == "Total"]
    # fiscal_year 2023 is the year ending March 2023, i.e. 2022-23.
    assert {r["fiscal_year"] for r in rows} == {"2023"}
    assert {r["geographical_code"] for r in rows} == REGION_CODES
    return rows


# The 9 regions, 2022-23 ----------------------------------------------------------------------


def test_regions_2022_23_administrative_measures_reproduced_exactly():
    checked = defaultdict(int)
    for row in _regions_2022_rows():
        numerator, denominator = _number(row["numerator"]), _number(row["denominator"])
        if row["base"].strip() or numerator is None or denominator is None:
            continue
        info = _indicator_for(row["ascof_measure_code"], 2022)
        assert not info.is_survey, row["ascof_measure_code"]
        result = stats.aggregate([(numerator, denominator)], info.multiplier, info.decimals)
        published = float(row["outcome"])
        assert result.complete
        assert result.value == published, (
            row["geographical_code"],
            row["ascof_measure_code"],
            result.value,
            published,
        )
        checked[row["ascof_measure_code"]] += 1
    # Every administrative measure of the file, for all 9 regions.
    assert sorted(checked) == [
        "1C1A",
        "1C1B",
        "1C2A",
        "1C2B",
        "1E",
        "1G",
        "2A1",
        "2A2",
        "2B1",
        "2B2",
        "2D",
    ]
    assert set(checked.values()) == {9}


def test_regions_2022_23_survey_measures_within_the_rounding_of_their_weighted_counts():
    checked = defaultdict(int)
    for row in _regions_2022_rows():
        if not row["base"].strip():
            continue
        info = _indicator_for(row["ascof_measure_code"], 2022)
        assert info.is_survey, row["ascof_measure_code"]
        numerator, denominator = _number(row["numerator"]), _number(row["denominator"])
        result = stats.aggregate([(numerator, denominator)], info.multiplier, info.decimals)
        published = float(row["outcome"])
        step = 10.0**-info.decimals  # one unit of the published last decimal
        assert abs(result.value - published) <= step + SURVEY_TOLERANCE, (
            row["geographical_code"],
            row["ascof_measure_code"],
            result.value,
            published,
        )
        checked[row["ascof_measure_code"]] += 1
    assert sorted(checked) == ["1A", "1B", "1I1", "1J", "3A", "3D1", "4A", "4B"]
    assert set(checked.values()) == {9}


def test_regions_2022_23_measures_without_numerator_and_denominator():
    without = {
        row["ascof_measure_code"]
        for row in _regions_2022_rows()
        if not row["numerator"].strip() and not row["denominator"].strip()
    }
    # 1F and 1H (mental health) are published as outcomes only: nothing to re-aggregate.
    assert without == {"1F", "1H"}
    for row in _regions_2022_rows():
        if row["ascof_measure_code"] in without:
            assert row["outcome"].strip()
            assert not row["base"].strip()


# 2020-21 from the councils' numerators and denominators --------------------------------------


def _administrative_2020() -> list[data.IndicatorInfo]:
    return [
        info
        for info in data.shown_in(data.indicators(Source.ASCOF), 2020)
        if info.is_numeric and not info.is_survey
    ]


def test_west_midlands_2020_21_reproduced_from_its_councils():
    group = data.group_by_slug("west-midlands-adass")
    results = data.benchmarks(2020, group, _administrative_2020())
    reproduced = {}
    for result in results.values():
        aggregate = result.aggregate
        if aggregate is None:
            continue  # no council numerators and denominators published (1F, 1H)
        assert result.region.has_value, result.published_code
        assert aggregate.complete, result.published_code
        published = stats.round_half_away(result.region.outcome, result.indicator.decimals)
        assert aggregate.value == published, (result.published_code, aggregate, published)
        assert not result.aggregate_mismatch
        reproduced[result.published_code] = aggregate
    direct_payments = reproduced["1C(2a)"]
    assert (direct_payments.numerator_sum, direct_payments.denominator_sum) == (11911, 42720)
    assert direct_payments.value == 27.9
    assert {"1C(1a)", "1C(1b)", "1C(2a)", "1C(2b)", "1E", "1G", "2A(1)", "2A(2)", "2D"} <= set(
        reproduced
    )
    assert "2B(1)" in reproduced and "2B(2)" in reproduced


def test_england_2020_21_from_the_nine_regions():
    infos = _administrative_2020()
    regions = list(Area.objects.filter(kind=AreaKind.REGION).values_list("pk", flat=True))
    assert len(regions) == 9
    england = Area.objects.get(kind=AreaKind.ENGLAND)
    values = Value.objects.filter(
        indicator_id__in=[i.id for i in infos], period__year=2020, disaggregation="Total"
    )
    pairs = defaultdict(list)
    published = {}
    for indicator_id, area_id, numerator, denominator, outcome, status in values.filter(
        area_id__in=[*regions, england.pk]
    ).values_list(
        "indicator_id", "area_id", "numerator", "denominator", "outcome", "outcome_status"
    ):
        if area_id == england.pk:
            if status == Availability.AVAILABLE:
                published[indicator_id] = outcome
        elif numerator is not None or denominator is not None:
            pairs[indicator_id].append((numerator, denominator))
    checked = []
    for info in infos:
        if info.id not in pairs:
            continue
        assert len(pairs[info.id]) == 9, info.code
        result = stats.aggregate(pairs[info.id], info.multiplier, info.decimals)
        assert result.complete, info.code
        assert result.value == stats.round_half_away(published[info.id], info.decimals), (
            info.code_in(2020),
            result,
            published[info.id],
        )
        checked.append(info.code_in(2020))
    assert "1C(2a)" in checked and "2D" in checked and len(checked) >= 9


def test_england_2020_21_from_its_councils_is_flagged_incomplete_without_hackney():
    infos = [i for i in _administrative_2020() if i.code_in(2020) == "2D"]
    result = data.benchmarks(2020, None, infos)[infos[0].id]
    hackney = next(row for row in result.rows if row.council.name == "Hackney")
    assert hackney.cell.status == Availability.NOT_AVAILABLE
    aggregate = result.aggregate
    assert aggregate.complete is False
    assert aggregate.n_missing == 1
    # The sums are withheld so that Hackney cannot be recovered by subtraction.
    assert aggregate.numerator_sum is None and aggregate.denominator_sum is None
    assert aggregate.value is not None


# Published national medians -----------------------------------------------------------------


@pytest.mark.parametrize(
    "indicator, year, decimals, median",
    [
        ("2A", 2018, 2, 78.05),  # published as 2D in 2018-19, median given to 2 dp
        ("2A", 2022, 1, 78.2),  # 2D in 2022-23
        ("1B", 2022, 3, 0.413),  # 1J in 2022-23
        ("3C(1)", 2019, 1, 69.0),  # 3D(1) in 2019-20
    ],
)
def test_national_median_matches_the_published_one(indicator, year, decimals, median):
    info = _infos_by_code()[indicator]
    dist = data.benchmarks(year, None, [info])[info.id].national
    assert dist.n > 140
    assert stats.round_half_away(dist.median, decimals) == median


# Query count ---------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2017, 2024])
@pytest.mark.parametrize("how_many", ["one", "all"])
def test_benchmarks_runs_a_fixed_number_of_queries(django_assert_num_queries, year, how_many):
    infos = data.indicators()
    if how_many == "one":
        infos = infos[:1]
    group = data.group_by_slug("west-midlands-adass")
    # members (the group's councils), this year's values, earlier values, the stored
    # standings and the stored summaries
    with django_assert_num_queries(5):
        results = data.benchmarks(year, group, infos)
    assert len(results) == len(infos)
