"""Issue 12's rules on the pages, on the shipped data: comparability (breaks, boundary
changes, partial-coverage years), change judged against both years' uncertainty, and minimum
bases, as stored, shown and downloaded."""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from councils.models import Area
from scorecard import data, stats
from scorecard.models import YEAR, Standing
from tests.test_freshness import assert_store_equals_a_rebuild

pytestmark = pytest.mark.django_db

MOVED = (stats.IMPROVING, stats.STATIC, stats.WORSENING)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def national(council: str, code: str, year: int) -> Standing:
    return Standing.objects.get(
        area__name=council, indicator__code=code, year=year, quarter=YEAR, group__isnull=True
    )


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_no_stored_direction_crosses_a_break_or_boundary_change_or_touches_a_partial_year():
    infos = {info.id: info for info in data.indicators()}
    boundaries = data.boundary_years()
    assert boundaries == {Area.objects.get(name="Dorset").pk: 2019}
    checked, crossing = 0, []
    for indicator, area, year, previous in Standing.objects.filter(
        group__isnull=True, quarter=YEAR, direction__in=MOVED
    ).values_list("indicator_id", "area_id", "year", "previous_year"):
        info = infos[indicator]
        if info.kind == "rag":
            continue
        checked += 1
        if not stats.comparable(
            previous,
            year,
            breaks=set(info.breaks),
            partial=set(info.partial),
            boundaries={boundaries.get(area)} - {None},
        ):
            crossing.append((info.code, area, previous, year))
    assert checked > 20_000
    assert crossing == []


def test_dorset_is_not_compared_across_its_2019_20_boundary_change(client):
    dorset = Standing.objects.filter(area__name="Dorset", group__isnull=True, quarter=YEAR)
    assert not dorset.filter(year=2019, direction__in=MOVED).exists()
    assert not dorset.filter(year__gte=2019, previous_year__lt=2019).exists()
    assert dorset.filter(year=2021, direction__in=MOVED).exists()  # compared after it

    html = client.get("/councils/dorset/?period=2019-20").content.decode()
    assert 'direction__words">Improving' not in html
    assert "since 2018-19" not in html


def test_dudley_1d_2024_25_is_no_significant_change(client):
    stored = national("Dudley", "1D", 2024)
    assert (stored.value, stored.previous_value) == (70.0, 65.1)
    assert (stored.direction, stored.significance) == (stats.STATIC, stats.NOT_SIGNIFICANT)

    html = client.get("/councils/dudley/?period=2024-25").content.decode()
    assert "No significant change" in html
    rows = csv_rows(client.get("/indicators/1d/?period=2024-25&format=csv"))
    dudley = next(row for row in rows if row["council"] == "Dudley")
    assert (dudley["direction"], dudley["significance"]) == ("static", "not_significant")


def test_an_untested_movement_says_so_in_words(client):
    untested = Standing.objects.filter(
        area__name="Birmingham",
        group__isnull=True,
        year=2022,
        quarter=YEAR,
        direction=stats.IMPROVING,
        significance=stats.NOT_TESTED,
    ).first()
    assert untested is not None
    html = client.get("/councils/birmingham/?period=2022-23").content.decode()
    assert "Improving (not tested)" in html


def test_1b_2019_20_councils_with_no_respondents_are_not_available_and_not_ranked(client):
    zero = ["City of London", "Isles of Scilly", "Kent", "Trafford", "Wokingham"]
    for council in zero:
        stored = national(council, "1B", 2019)
        assert (stored.value, stored.rank, stored.band) == (None, None, None)
        assert stored.direction == stats.NOT_COMPARABLE
    assert national("Dudley", "1B", 2019).rank is not None

    html = client.get("/indicators/1b/?period=2019-20&group=england").content.decode()
    assert "of 151" not in html
    assert "published on 0 respondents" in html
    later = Standing.objects.filter(
        area__name__in=zero, indicator__code="1B", year=2020, quarter=YEAR, group__isnull=True
    )
    assert not later.filter(previous_year=2019).exists()


def test_isles_of_scilly_6b_on_one_provider_is_shown_but_not_banded(client):
    for year in (2023, 2024):
        stored = national("Isles of Scilly", "6B", year)
        assert (stored.value, stored.rank, stored.band) == (None, None, None)
        assert stored.direction == stats.NOT_COMPARABLE

    rows = csv_rows(client.get("/indicators/6b/?period=2023-24&group=england&format=csv"))
    scilly = next(row for row in rows if row["council"] == "Isles of Scilly")
    assert (scilly["value"], scilly["denominator"]) == ("0.0", "1.0")
    assert scilly["national_quartile"] == scilly["national_rank"] == ""


def test_city_of_london_2d1_on_a_denominator_of_2_has_no_direction():
    stored = national("City of London", "2D(1)", 2020)
    assert stored.direction == stats.NOT_COMPARABLE
    assert stored.value is None


def test_a_partial_coverage_year_is_ranked_nowhere_not_even_in_the_group():
    partial = Standing.objects.filter(indicator__code="1D", year=2020, quarter=YEAR)
    assert partial.filter(group__isnull=True).exists()
    assert not partial.filter(rank__isnull=False).exists()
    assert not partial.filter(band__isnull=False).exists()
    assert not partial.filter(direction__in=MOVED).exists()


def test_downloads_and_the_benchmark_command_have_significance_beside_direction(client):
    response = client.get("/?period=2024-25&format=csv")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[header.index("direction") + 1] == "significance"
    assert {row["significance"] for row in csv_rows(response)} >= {
        stats.SIGNIFICANT,
        stats.NOT_SIGNIFICANT,
        stats.NOT_TESTED,
    }
    out = io.StringIO()
    call_command(
        "benchmark", "--indicator", "1D", "--period", "2024-25", "--format", "csv", stdout=out
    )
    dudley = next(
        r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["council"] == "Dudley"
    )
    assert (dudley["direction"], dudley["significance"]) == ("static", "not significant")


def test_a_boundary_change_recorded_later_keeps_the_store_equal_to_a_rebuild():
    birmingham = Area.objects.get(name="Birmingham")
    birmingham.boundary_break_year = 2022
    birmingham.save()

    stored = Standing.objects.filter(area=birmingham, group__isnull=True, quarter=YEAR)
    assert not stored.filter(year=2022, direction__in=MOVED).exists()
    assert not stored.filter(year__gte=2022, previous_year__lt=2022).exists()
    assert_store_equals_a_rebuild()


def test_a_value_below_the_minimum_base_is_left_out_of_ranks_but_stays_in_the_groups_sums():
    info = next(i for i in data.indicators() if i.code == "6B")
    counts = {1: (8, 10), 2: (12, 20), 3: (30, 40), 4: (45, 50), 5: (0, 1)}
    found = {
        pk: ("council", data.Cell(round(100 * x / n, 1), "available", x, n), "")
        for pk, (x, n) in counts.items()
    }

    unit = data.compute_unit(info, 2023, found, {}, {7: list(counts)})

    table, aggregate = unit.groups[7]
    assert unit.values[5] is None and unit.national.distribution.n == 4
    assert table.rows[5].rank is None and table.distribution.n == 4
    assert (aggregate.numerator_sum, aggregate.denominator_sum) == (95, 121)
    assert unit.travels[5].direction == stats.NOT_COMPARABLE
