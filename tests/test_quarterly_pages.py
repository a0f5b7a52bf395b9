"""Quarters on every page, download and the `benchmark` command, on the data the test database
is seeded with (conftest.py: the shipped ASCOF files and the demo values, whose region's
quarterly measures run from 2024-25 Q1 to 2025-26 Q2).

Expected values are read from the stored values, not written out, so the tests hold whatever
the demo's figures: a page must show the quarter's own value, a year's value derived from its
quarters, and each council's band within the group for the region's own measures."""

import csv
import io
import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from indicators.models import TOTAL, Value
from scorecard import cells, data, stats
from scorecard.numbers import format_number

pytestmark = pytest.mark.django_db

QUARTER = "2025-26 Q2"
Q = quote(QUARTER)
VACANCY = "WM-SW-VACANCY"  # a snapshot: the year's value is Q4's
COMPLAINTS = "WM-COMPLAINTS"  # within the quarter: the year is the four quarters together


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def stored(code: str, council: str, year: int, quarter: int | None) -> Value:
    return Value.objects.get(
        indicator__code=code,
        area__name=council,
        period__year=year,
        period__quarter=quarter,
        disaggregation=TOTAL,
    )


def shown(value: Value) -> str:
    """A percentage as the pages print it."""
    return f"{format_number(value.outcome, value.indicator.decimals)}%"


def row_of(html: str, code: str) -> str:
    """The table row (`<tr>` … `</tr>`) whose heading links to the measure `code`."""
    match = re.search(
        rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(code)}</a>.*?</tr>", html, re.S
    )
    assert match, f"no row for {code}"
    return match.group(0)


# The pages at a quarter and at a year -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/?period={Q}",
        "/?period=2024-25",
        f"/?period={Q}&group=england",
        f"/councils/birmingham/?period={Q}",
        "/councils/birmingham/?period=2024-25",
        f"/councils/leeds/?period={Q}",
        f"/indicators/wm-sw-vacancy/?period={Q}",
        "/indicators/wm-sw-vacancy/?period=2024-25",
        f"/indicators/wm-complaints/?period={Q}",
        f"/indicators/wm-care-act/?period={Q}",
        f"/indicators/wm-dass-post/?period={Q}",
        f"/indicators/wm-cqc-locations/?period={Q}",
        f"/indicators/3d2a/?period={Q}",
        f"/compare/?councils=birmingham&councils=coventry&period={Q}",
        "/compare/?councils=birmingham&councils=coventry&period=2024-25",
    ],
)
def test_every_page_answers_at_a_quarter_and_at_a_year(client, url):
    html_of(client, url)


def test_the_overview_at_a_quarter_shows_the_quarters_value_and_names_each_measures_period(
    client,
):
    html = html_of(client, f"/?period={Q}")

    vacancy = row_of(html, VACANCY)
    assert f"({QUARTER})" in vacancy
    # Birmingham is the first council by name: its cell holds its own Q2 value.
    first_cell = vacancy.split("<td", 2)[1]
    assert shown(stored(VACANCY, "Birmingham", 2025, 2)) in first_cell
    # A measure collected yearly is shown at the year before, and says so.
    direct_payments = row_of(html, "3D(2a)")
    assert "(2024-25)" in direct_payments
    assert 'href="/indicators/3d2a/?period=2024-25"' in direct_payments
    assert f'href="/councils/birmingham/?period={Q}"' in html


def test_the_council_page_shows_the_last_four_quarters_of_a_quarterly_measure(client):
    html = html_of(client, f"/councils/birmingham/?period={Q}")

    vacancy = row_of(html, VACANCY)
    quarters = re.search(r'<ul class="quarters"[^>]*>(.*?)</ul>', vacancy, re.S).group(1)
    items = re.findall(
        r'quarters__period">([^<]+)</span> <span class="quarters__value">(.*?)</span></li>',
        quarters,
    )
    assert [period for period, _ in items] == [
        "2024-25 Q3",
        "2024-25 Q4",
        "2025-26 Q1",
        "2025-26 Q2",
    ]
    for (period, value), (year, quarter) in zip(
        items, [(2024, 3), (2024, 4), (2025, 1), (2025, 2)], strict=True
    ):
        assert value == shown(stored(VACANCY, "Birmingham", year, quarter)), period
    # The direction says what it compares with: a snapshot, with the quarter before.
    assert "since 2025-26 Q1" in vacancy
    assert "Upper (in group)" in vacancy or "Lower (in group)" in vacancy or "middle" in vacancy


def test_the_council_page_at_a_year_shows_that_years_four_quarters(client):
    html = html_of(client, "/councils/birmingham/?period=2024-25")

    vacancy = row_of(html, VACANCY)
    assert 'aria-label="Last four quarters, 2024-25 Q1 to 2024-25 Q4"' in vacancy
    for quarter in (1, 2, 3, 4):
        assert shown(stored(VACANCY, "Birmingham", 2024, quarter)) in vacancy
    # A rating's quarters are named in words too.
    care_act = row_of(html, "WM-CARE-ACT")
    q4 = stored("WM-CARE-ACT", "Birmingham", 2024, 4)
    assert care_act.count('<li><span class="quarters__period">') == 4
    assert f">{q4.text_value.capitalize()}</span>" in care_act
    assert "Not ranked" in care_act


def test_the_indicator_page_at_a_quarter_shows_every_councils_value_and_group_band(client):
    html = html_of(client, f"/indicators/wm-sw-vacancy/?period={Q}")
    table = html.rsplit("<table", 1)[1]

    values = Value.objects.filter(
        indicator__code=VACANCY, period__year=2025, period__quarter=2, area__kind="council"
    ).select_related("indicator", "area")
    assert values.count() == 14
    for value in values:
        row = re.search(rf">{re.escape(value.area.name)}</a></td>(.*?)</tr>", table, re.S)
        assert row, value.area.name
        assert shown(value) in row.group(1), value.area.name
        assert re.search(r"(Upper|Upper middle|Lower middle|Lower) \(in group\)", row.group(1))
    assert "Band in group" in table and "National rank" not in table
    assert "Collected quarterly from 2024-25 Q1: a snapshot at each quarter end" in html
    assert "since 2025-26 Q1" in table


def test_the_indicator_download_at_a_quarter_names_the_quarter_in_each_row(client):
    for fmt in ("csv",):
        rows = csv_rows(client.get(f"/indicators/wm-sw-vacancy/?period={Q}&format={fmt}"))
        assert len(rows) == 14
        assert {row["period"] for row in rows} == {QUARTER}
        assert all(row["group_quartile"] in {"1", "2", "3", "4"} for row in rows)
        birmingham = next(row for row in rows if row["council"] == "Birmingham")
        assert float(birmingham["value"]) == stored(VACANCY, "Birmingham", 2025, 2).outcome
    response = client.get(f"/indicators/wm-sw-vacancy/?period={Q}&format=xlsx")
    assert response.status_code == 200
    assert QUARTER.replace(" ", "") in response["Content-Disposition"].replace(" ", "")


def test_the_overview_download_at_a_quarter_gives_each_rows_own_period(client):
    rows = csv_rows(client.get(f"/?period={Q}&format=csv"))
    periods = {row["indicator_code"]: row["period"] for row in rows}
    assert periods[VACANCY] == QUARTER
    assert periods["3D(2a)"] == "2024-25"


def test_a_year_of_a_quarterly_measure_shows_its_value_derived_from_the_quarters(client):
    html = html_of(client, "/indicators/wm-complaints/?period=2024-25")

    quarters = [stored(COMPLAINTS, "Birmingham", 2024, q) for q in (1, 2, 3, 4)]
    numerator = sum(v.numerator for v in quarters)
    denominator = sum(v.denominator for v in quarters)
    year = stats.round_half_away(numerator / denominator * 100, 0) if denominator else None
    row = re.search(r">Birmingham</a></td>(.*?)</tr>", html.rsplit("<table", 1)[1], re.S)
    assert f"{format_number(year, 0)}%" in row.group(1)
    assert "From the quarters: Q1 to Q4 together" in row.group(1)
    assert "is a year of a quarterly measure" in html
    assert "the year&#x27;s value is the four quarters together" in html

    snapshot = html_of(client, "/indicators/wm-sw-vacancy/?period=2024-25")
    assert "From the quarters: Q4&#x27;s value" in snapshot
    assert shown(stored(VACANCY, "Birmingham", 2024, 4)) in snapshot


def test_an_incomplete_year_says_which_quarters_are_not_in():
    cell = data.derived_year(
        "in_quarter",
        100,
        0,
        "percentage",
        {1: data.Cell(outcome=10, status="available", numerator=1, denominator=10)},
    )
    html = cells.value_html(cell, SimpleNamespace(kind="percentage", decimals=0))
    assert "Year incomplete: Q2, Q3, Q4 not in" in html


WM_NUMERIC_RANKED = [VACANCY, COMPLAINTS, "WM-AGENCY-STAFF", "WM-CQC-NON-COMPLIANT"]


@pytest.mark.parametrize(
    "url", [f"/?period={Q}", "/?period=2024-25", f"/councils/birmingham/?period={Q}"]
)
def test_no_regional_numeric_measure_says_no_band(client, url):
    html = html_of(client, url)

    for code in [*WM_NUMERIC_RANKED, "WM-CQC-LOCATIONS", "WM-LOCAL-ACCOUNT"]:
        assert "No band" not in row_of(html, code), code
    for code in WM_NUMERIC_RANKED:
        assert "(in group)" in row_of(html, code), code
    # A count with no judgement of better or worse is not ranked, and says so.
    assert "Not ranked" in row_of(html, "WM-CQC-LOCATIONS")


@pytest.mark.parametrize(
    "url",
    [
        f"/?period={Q}",
        "/?period=2022-23",
        f"/councils/birmingham/?period={Q}",
        "/compare/?councils=birmingham&councils=coventry&period=2022-23",
        "/indicators/3d2a/?period=2022-23",
    ],
)
def test_bands_are_never_abbreviated_q1_to_q4(client, url):
    html = html_of(client, url)

    assert not re.search(r"<abbr[^>]*>Q[1-4]</abbr>", html)
    tags = re.findall(r'<strong class="tag tag--band-\d"[^>]*>([^<]*)</strong>', html)
    assert tags, url
    assert not [tag for tag in tags if re.fullmatch(r"\s*Q[1-4]\s*", tag)]
    assert set(tags) <= {
        *stats.BAND_LABELS.values(),
        *(f"{label} (in group)" for label in stats.BAND_LABELS.values()),
        "1 Upper",
        "2 Upper middle",
        "3 Lower middle",
        "4 Lower",
    }


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        (f"/?period={Q}", 16),
        (f"/councils/birmingham/?period={Q}", 20),
        ("/councils/birmingham/?period=2024-25", 15),
        (f"/indicators/wm-sw-vacancy/?period={Q}", 13),  # with the publisher's notes
        (f"/compare/?councils=birmingham&councils=coventry&period={Q}", 19),
    ],
)
def test_quarter_pages_read_stored_results_with_a_fixed_number_of_queries(
    client, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# The benchmark command ---------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("benchmark", *args, stdout=out)
    return out.getvalue()


def test_the_command_benchmarks_a_quarter_of_a_quarterly_measure():
    out = run("--indicator", VACANCY, "--period", QUARTER, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))

    assert len(rows) == 14
    assert {row["period"] for row in rows} == {QUARTER}
    birmingham = next(row for row in rows if row["council"] == "Birmingham")
    assert float(birmingham["value"]) == stored(VACANCY, "Birmingham", 2025, 2).outcome
    assert birmingham["previous_period"] == "2025-26 Q1"  # a snapshot: the quarter before
    assert birmingham["group_quartile"] in {"1", "2", "3", "4"}
    # Within the quarter: compared with the same quarter a year earlier.
    complaints = list(
        csv.DictReader(
            io.StringIO(run("--indicator", COMPLAINTS, "--period", QUARTER, "--format", "csv"))
        )
    )
    assert {row["previous_period"] for row in complaints} <= {"2024-25 Q2", ""}
    table = run("--indicator", VACANCY, "--period", "2025-26q2")
    assert f"in {QUARTER}" in table and "(2025-26 Q1)" in table


def test_the_command_refuses_a_quarter_of_a_measure_collected_yearly():
    with pytest.raises(CommandError, match="collected yearly") as error:
        run("--indicator", "3D(2a)", "--period", QUARTER)
    assert "give a financial year such as 2025-26" in str(error.value)
    with pytest.raises(CommandError, match="No data for 2030-31 Q1"):
        run("--indicator", VACANCY, "--period", "2030-31 Q1")


# The pieces: labels, bands, quarters on a time axis --------------------------------------


def test_a_trend_key_is_named_as_a_year_or_a_quarter():
    from indicators.periods import period_label

    assert period_label(2024) == "2024-25"
    assert period_label((2025, 2)) == "2025-26 Q2"
    assert period_label((2024, None)) == "2024-25"
    assert period_label(None) == ""


def test_a_band_is_said_in_the_legends_words_and_within_the_group_says_so():
    benchmark = stats.Benchmark(7.3, 1, False, 14, 2, 0.9)

    assert cells.band_html(benchmark, short=True) == (
        '<strong class="tag tag--band-2">Upper middle</strong>'
    )
    assert ">Upper middle (in group)</strong>" in cells.band_html(benchmark, group=True)
    assert "Q2" not in cells.band_html(benchmark, short=True)


def test_the_last_four_quarters_run_back_across_the_year_end():
    found = cells.last_quarters({(2025, 2): "b", (2024, 3): "a"}, (2025, 2))
    assert found == [((2024, 3), "a"), ((2024, 4), None), ((2025, 1), None), ((2025, 2), "b")]


def test_quarters_sit_on_a_time_axis_at_their_middles_named_as_quarters():
    from scorecard import charts

    labels = {"2024-25 Q4": (2024, 4), "2025-26 Q1": (2025, 1), "2024-25 Q3": (2024, 3)}
    dates = {label: charts.period_middle(*key) for label, key in labels.items()}
    series = {"A": {"2024-25 Q3": 1.0, "2024-25 Q4": 2.0, "2025-26 Q1": 3.0}}

    ranges = {label: (series["A"][label],) * 2 for label in sorted(dates, key=dates.get)}
    figure = charts.trend_range(
        ranges, "T", dates=dates, breaks=["2025-26 Q1"], council=("A", series["A"])
    )

    axis = figure["layout"]["xaxis"]
    assert axis["type"] == "date"
    assert axis["ticktext"] == ["2024-25 Q3", "2024-25 Q4", "2025-26 Q1"]
    assert axis["tickvals"] == ["2024-11-15", "2025-02-15", "2025-05-15"]
    line = figure["data"][-1]
    assert line["y"] == [1.0, 2.0, None, 3.0]  # no line across the break
    assert line["text"][-1] == "2025-26 Q1: 3.0" and "%{text}" in line["hovertemplate"]
    assert figure["layout"]["shapes"][0]["x0"] == "2025-03-31"
    assert go_accepts(figure)


def go_accepts(figure) -> bool:
    import plotly.graph_objects as go

    return go.Figure(figure).to_plotly_json() == figure
