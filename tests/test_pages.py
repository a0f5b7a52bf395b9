"""The scorecard pages on the shipped data: what users read, and a pinned query count."""

import csv
import io
import re

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def csv_rows(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


def test_region_overview_shows_the_14_councils_with_quartile_words_and_arrows(client):
    response = client.get("/?period=2022-23")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Birmingham", "Stoke-on-Trent", "Telford and Wrekin", "Worcestershire"):
        assert name in html
    assert "1C(2a)" in html  # the code the publication used that year
    assert "Upper quartile" in html or "Q1" in html
    assert "Improving" in html and "Worsening" in html


def test_changing_the_period_changes_the_values_shown(client):
    earlier = client.get("/indicators/3d2a/?period=2021-22").content.decode()
    later = client.get("/indicators/3d2a/?period=2022-23").content.decode()
    assert "38.2" in earlier and "39.1" not in earlier
    assert "39.1" in later


def test_direct_payments_2022_23_answers_who_is_in_the_lower_quartile_and_which_way(client):
    rows = csv_rows(client.get("/indicators/3d2a/?period=2022-23&format=csv"))
    by_council = {row["council"]: row for row in rows}
    assert len(rows) == 14
    assert by_council["Stoke-on-Trent"]["national_quartile"] == "4"
    assert by_council["Stoke-on-Trent"]["direction"] == "worsening"
    assert by_council["Birmingham"]["value"] == "39.1"
    assert by_council["Birmingham"]["national_quartile"] == "1"
    assert by_council["Birmingham"]["published_code"] == "1C(2a)"
    assert by_council["Birmingham"]["england"] == "26.2"


def test_the_indicator_page_shows_every_council_nationally_with_the_group_marked(client):
    response = client.get("/indicators/3d2a/?period=2022-23")
    html = response.content.decode()

    chart = next(c for c in response.context["figures"] if c.id == "chart-national-3d2a")
    assert 'data-chart="chart-national-3d2a"' in html
    assert '<script id="chart-national-3d2a" type="application/json">' in html
    assert "every council in England, 2022-23" in html
    assert 145 <= len(chart.rows) <= 152
    assert "<td>Leeds</td>" in html  # a council outside the group, in the table behind it
    marked = {row[1] for row in chart.rows if row[-1] == "Yes"}
    assert len(marked) == 14 and {"Birmingham", "Stoke-on-Trent"} <= marked
    assert ["1st of 151", "Enfield", "48.4", "No"] in chart.rows
    assert "The 14 councils of West Midlands ADASS are the diamonds." in html


def test_the_indicator_list_groups_every_measure_and_links_to_its_page(client):
    response = client.get("/indicators/")
    assert response.status_code == 200
    html = response.content.decode()

    assert '<a href="/indicators/3d2a/">3D(2a)</a>' in html  # its latest published code
    assert "1C(2a) 2014-15 to 2022-23, 3D2A in 2023-24, 3D(2a) from 2024-25" in html
    assert '<a href="/indicators/wm-complaints/">WM-COMPLAINTS</a>' in html
    assert "Objective 3 Empowerment and information" in html
    assert "Resources and workforce" in html  # an area of the balanced scorecard
    # A measure that ended in 2022-23 sits under its old domain and links to its last year.
    assert "Domain 1 Enhancing quality of life" in html
    assert "/indicators/old-1e/?period=2022-23" in html
    assert "Lower is better" in html and "Higher is better" in html
    assert 'aria-current="page">Indicators</a>' in html


def test_an_unknown_period_is_explained_and_the_latest_shown(client):
    response = client.get("/?period=1999-00")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_council_scorecard_shows_people_counts_england_and_caveats(client):
    html = client.get("/councils/birmingham/?period=2024-25").content.decode()
    assert "3,248 of 8,365" in html
    assert "Series break in 2024-25" in html
    assert "Official statistics in development" in html


def test_council_scorecard_draws_the_councils_own_trend_and_reads_no_other(client):
    response = client.get("/councils/birmingham/?period=2024-25")
    html = response.content.decode()
    assert re.search(r'aria-label="Trend from [^"]* in 20\d\d-\d\d to [^"]* in 2024-25[;,"]', html)
    rows = [
        row
        for _, results in response.context["sections"]
        for result, _ in results
        for row in result.rows
    ]
    traced = {row.council.name for row in rows if len(row.trend) > 1}
    assert traced == {"Birmingham"}


def test_council_scorecard_says_why_2020_21_survey_measures_have_no_quartile(client):
    html = client.get("/councils/birmingham/?period=2020-21").content.decode()
    assert "No national quartile for 2020-21" in html


def test_compare_needs_two_councils(client):
    html = client.get("/compare/?councils=birmingham").content.decode()
    assert "Choose at least two councils" in html
    html = client.get("/compare/?councils=birmingham&councils=coventry&period=2022-23").content
    assert b"39.1" in html and b"22.8" in html


def test_unknown_council_is_not_found(client):
    assert client.get("/councils/atlantis/").status_code == 404


def test_csv_export_has_a_bom_and_neutralised_text(client):
    response = client.get("/councils/birmingham/?period=2024-25&format=csv")
    assert response.content.startswith("\ufeff".encode())
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/?period=2022-23", 12),
        ("/?period=2017-18", 12),
        ("/?period=2024-25&group=england", 11),
        ("/councils/birmingham/?period=2022-23", 14),
        ("/councils/leeds/?period=2024-25", 15),  # and its quarterly measures' quarters
        ("/indicators/3d2a/?period=2022-23", 14),
        ("/indicators/1a/?period=2020-21&group=england", 13),
        ("/indicators/", 4),
        ("/compare/?councils=birmingham&councils=coventry", 14),
    ],
)
def test_pages_read_stored_results_with_a_fixed_number_of_queries(
    client, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_a_warm_page_is_served_from_the_cache_with_one_query(client, django_assert_num_queries):
    cold = client.get("/?period=2022-23")
    with django_assert_num_queries(1):  # the data version
        warm = client.get("/?period=2022-23")
    assert warm.status_code == 200
    assert warm.content == cold.content
    assert warm["Content-Type"] == cold["Content-Type"]


def test_the_overview_counts_rag_ratings_and_gives_each_councils_overall_direction(client):
    html = client.get("/?period=2024-25").content.decode()
    assert "2 green, 12 amber" in html  # Care Act readiness, as the regional account says
    assert "Overall direction of travel since 2023-24" in html
    rows = csv_rows(client.get("/?period=2024-25&table=directions&format=csv"))
    assert len(rows) == 14
    assert {row["from_period"] for row in rows} == {"2023-24"}
    counts = {
        d: sum(row["overall_direction"] == d for row in rows)
        for d in ("positive", "static", "negative")
    }
    assert sum(counts.values()) == 14
    assert (
        f"{counts['positive']} councils with a positive direction of travel, "
        f"{counts['static']} static and {counts['negative']} negative" in html
    )
    for row in rows:
        change = float(row["mean_percentile_rank_to"]) - float(row["mean_percentile_rank_from"])
        expected = "positive" if change > 0.02 else "negative" if change < -0.02 else "static"
        assert row["overall_direction"] == expected, row["council"]


def test_the_england_overview_shows_its_councils_a_page_apiece_within_budget(client):
    first = client.get("/?period=2024-25&group=england")
    last = client.get("/?period=2024-25&group=england&page=99")  # past the end: the last page
    html, end = first.content.decode(), last.content.decode()
    assert len(first.content) <= 500_000 and len(last.content) <= 500_000
    heading = html.split("<tbody>")[0]
    assert "Barking and Dagenham" in heading and "Walsall" not in heading
    assert "Councils 1 to 25 of" in html
    assert "York" in end.split("<tbody>")[0]
    _, to, of = re.search(r"Councils (\d+) to (\d+) of (\d+)", end).groups()
    assert to == of and int(of) >= 150
    assert 'href="?period=2024-25&amp;group=england&amp;page=2">Next councils' in html
    # Every measure shows the page's 25 councils.
    measures = html.count('<th scope="row"><a href="/indicators/')
    assert html.count('<td class="band-') == 25 * measures


def test_the_overview_download_holds_every_council_of_england(client):
    response = client.get("/?period=2024-25&group=england&format=csv")
    header, *rows = csv.reader(io.StringIO(response.content.decode()))
    councils = {row[header.index("council")] for row in rows}
    assert len(councils) >= 150 and "Walsall" in councils
