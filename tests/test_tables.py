"""The pages' sortable tables and their downloads on the shipped data: the indicator page's
group table, the council list with its filters, and the same header in CSV and XLSX."""

import csv
import io
import re

import openpyxl
import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

DIRECT_PAYMENTS = "/indicators/3d2a/?period=2022-23"
WEST_MIDLANDS = {
    "Birmingham",
    "Coventry",
    "Dudley",
    "Herefordshire",
    "Sandwell",
    "Shropshire",
    "Solihull",
    "Staffordshire",
    "Stoke-on-Trent",
    "Telford and Wrekin",
    "Walsall",
    "Warwickshire",
    "Wolverhampton",
    "Worcestershire",
}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def table_councils(response) -> list[str]:
    """The council names of the page's last table, top to bottom."""
    html = response.content.decode()
    body = html[html.rindex("<tbody") :]
    return re.findall(r'<td ><a href="/councils/[\w-]+/[^"]*">([^<]+)</a>', body)


def csv_table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_table(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_sorting_the_indicator_table_by_value_descending_puts_the_highest_first(client):
    response = client.get(f"{DIRECT_PAYMENTS}&sort=-value")

    rows = csv_table(client.get(f"{DIRECT_PAYMENTS}&format=csv"))
    value = rows[0].index("value")
    highest = max(rows[1:], key=lambda row: float(row[value]))
    lowest = min(rows[1:], key=lambda row: float(row[value]))
    names = table_councils(response)
    assert len(names) == 14
    assert names[0] == highest[rows[0].index("council")] == "Birmingham"
    assert names[-1] == lowest[rows[0].index("council")]
    assert 'aria-sort="descending"' in response.content.decode()


def test_sorting_ascending_reverses_it_and_an_unknown_column_is_ignored(client):
    descending = table_councils(client.get(f"{DIRECT_PAYMENTS}&sort=-value"))
    ascending = table_councils(client.get(f"{DIRECT_PAYMENTS}&sort=value"))
    unsorted = client.get(f"{DIRECT_PAYMENTS}&sort=nonsense")

    assert ascending == descending[::-1]  # no missing values for this measure in 2022-23
    assert unsorted.status_code == 200
    assert table_councils(unsorted)[0] == "Birmingham"  # group rank order


def test_the_column_headers_sort_and_keep_the_period(client):
    html = client.get(DIRECT_PAYMENTS).content.decode()

    for column in ("group_rank", "council", "value", "national_rank", "national_quartile"):
        assert f'href="?period=2022-23&amp;sort={column}"' in html
    assert "aria-sort" not in html  # rows in group rank order, no column claims it


def test_missing_values_sort_last_either_way(client):
    # The 2020-21 survey was voluntary: 18 councils in England have a value, the rest none.
    url = "/indicators/1a/?period=2020-21&group=england"
    first = table_councils(client.get(f"{url}&sort=value"))
    last = table_councils(client.get(f"{url}&sort=-value"))
    rows = csv_table(client.get(f"{url}&format=csv"))
    value, council = rows[0].index("value"), rows[0].index("council")
    missing = {row[council] for row in rows[1:] if row[value] == ""}

    assert 100 < len(missing) < len(first)
    assert set(first[-len(missing) :]) == missing
    assert set(last[-len(missing) :]) == missing


def test_the_indicator_table_still_says_band_and_direction_in_words(client):
    html = client.get(f"{DIRECT_PAYMENTS}&sort=council").content.decode()

    assert "direction__words" in html and "Worsening" in html
    assert re.search(r'<strong class="tag tag--band-4">Lower</strong>', html)
    assert '<a href="/councils/stoke-on-trent/?period=2022-23">Stoke-on-Trent</a>' in html


def test_the_csv_download_follows_the_table_order(client):
    rows = csv_table(client.get(f"{DIRECT_PAYMENTS}&sort=council&format=csv"))
    names = [row[rows[0].index("council")] for row in rows[1:]]

    assert names == sorted(names) and len(names) == 14


@pytest.mark.parametrize(
    "url",
    [
        DIRECT_PAYMENTS,
        "/?period=2022-23",
        "/councils/birmingham/?period=2024-25",
        "/councils/?region=WM",
    ],
)
def test_the_xlsx_download_has_the_csv_header_and_rows_with_numbers_as_numbers(client, url):
    as_csv = csv_table(client.get(f"{url}&format=csv"))
    response = client.get(f"{url}&format=xlsx")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    as_xlsx = xlsx_table(response)
    assert list(as_xlsx[0]) == as_csv[0]
    assert len(as_xlsx) == len(as_csv)
    assert [["" if cell is None else str(cell) for cell in row] for row in as_xlsx[1:]] == [
        [cell.removesuffix(".0") if cell.endswith(".0") else cell for cell in row]
        for row in as_csv[1:]
    ]


def test_the_indicator_xlsx_carries_code_unit_polarity_status_and_period_and_real_numbers(
    client,
):
    sheet = xlsx_table(client.get(f"{DIRECT_PAYMENTS}&format=xlsx"))
    header = list(sheet[0])
    by_council = {
        row[header.index("council")]: dict(zip(header, row, strict=True)) for row in sheet[1:]
    }
    birmingham = by_council["Birmingham"]

    assert {"indicator_code", "unit", "polarity", "status", "period"} <= set(header)
    assert birmingham["period"] == "2022-23"
    assert birmingham["published_code"] == "1C(2a)"
    assert birmingham["value"] == 39.1 and isinstance(birmingham["value"], float)
    assert birmingham["national_quartile"] == 1
    assert birmingham["england"] == 26.2


def test_the_council_list_filtered_to_the_west_midlands_shows_its_14_councils(client):
    response = client.get("/councils/?region=WM")

    assert set(table_councils(response)) == WEST_MIDLANDS
    assert len(table_councils(response)) == 14
    assert "14 councils" in response.content.decode()


def test_the_council_list_filters_by_name_type_and_status(client):
    assert table_councils(client.get("/councils/?name=shire&region=WM")) == [
        "Herefordshire",
        "Shropshire",
        "Staffordshire",
        "Warwickshire",
        "Worcestershire",
    ]
    assert set(table_councils(client.get("/councils/?region=WM&type=M"))) == {
        "Birmingham",
        "Coventry",
        "Dudley",
        "Sandwell",
        "Solihull",
        "Walsall",
        "Wolverhampton",
    }
    former = table_councils(client.get("/councils/?status=former"))
    assert {"Cumbria", "Northamptonshire", "Poole", "Bournemouth"} <= set(former)
    assert "Birmingham" not in former
    assert len(table_councils(client.get("/councils/"))) > 150


def test_the_council_list_sorts_and_its_download_holds_the_filtered_rows(client):
    response = client.get("/councils/?region=WM&sort=-cassr_code")
    rows = csv_table(client.get("/councils/?region=WM&sort=-cassr_code&format=csv"))

    assert rows[0] == [
        "Council",
        "CASSR code",
        "ONS code",
        "Type",
        "Region",
        "Status",
        "source",
        "data_as_at",
    ]
    assert [row[0] for row in rows[1:]] == table_councils(response)
    codes = [row[1] for row in rows[1:]]
    assert codes == sorted(codes, reverse=True) and len(codes) == 14
    assert {row[3] for row in rows[1:]} == {
        "Metropolitan District",
        "Unitary Authority",
        "Shire Counties",
    }
    assert {row[5] for row in rows[1:]} == {"Current"}


def test_former_councils_say_until_when(client):
    rows = csv_table(client.get("/councils/?status=former&sort=status&format=csv"))

    assert [(row[0], row[5]) for row in rows[1:]][0] == ("Cumbria", "Data until 2022-23")


def test_an_invalid_filter_value_is_explained_in_the_error_summary(client):
    response = client.get("/councils/?region=Atlantis&name=bir")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'role="alert"' in html and "There is a problem" in html
    assert '<li><a href="#id_region">Select a valid choice.' in html
    assert 'id="id_region-error"' in html
    assert 'aria-describedby="id_region-error"' in html
    assert table_councils(response) == ["Birmingham"]  # the valid filter still applies


def test_the_compare_error_uses_the_shared_summary_and_describes_the_field(client):
    html = client.get("/compare/?councils=birmingham").content.decode()

    assert html.count('class="error-summary"') == 1
    # GOV.UK's pattern: the summary links a group of checkboxes' error to its first box.
    link = re.search(
        r'<li><a href="#([\w-]+)">Choose at least two councils to compare.</a></li>', html
    )
    assert link and f'id="{link.group(1)}"' in html and 'type="checkbox"' in html
    assert 'aria-describedby="councils-hint councils-error"' in html


def test_an_invalid_period_is_described_at_its_field(client):
    html = client.get("/indicators/3d2a/?period=1999-00").content.decode()

    assert html.count('class="error-summary"') == 1
    assert '<li><a href="#id_period">Select a valid choice.' in html
    assert 'aria-describedby="id_period-hint id_period-error"' in html
    assert "Showing the latest period and the default group instead." in html


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/councils/", 3),
        ("/councils/?region=WM&type=M&status=current&name=o&sort=-region", 3),
        ("/councils/?region=Atlantis", 3),
        (f"{DIRECT_PAYMENTS}&sort=-value", 14),  # with the publisher's notes (1 query)
        (f"{DIRECT_PAYMENTS}&sort=direction", 14),
    ],
)
def test_sorting_and_filtering_run_a_fixed_number_of_queries(
    client, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
