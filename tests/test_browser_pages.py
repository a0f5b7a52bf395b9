"""The scorecard pages in Chromium against the live server (shipped ASCOF data plus demo data):
links lead from the region overview to a council and an indicator, the indicator's charts draw,
the options form changes the period, the CSV download is a real file, and every page is free of
serious or critical accessibility problems."""

import csv
import io
import re

import pytest
from browser import axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DIRECT_PAYMENTS = "/indicators/3d2a/"


def _row_for(page, council: str):
    """The indicator table's row for a council (the last table on the page: the ranked one)."""
    return (
        page.locator("table.table")
        .last.locator("tbody tr")
        .filter(has=page.get_by_role("link", name=council, exact=True))
    )


def test_a_council_and_then_an_indicator_are_reached_by_following_links_from_the_overview(
    page, live_url
):
    page.goto(f"{live_url}/?period=2022-23")

    page.locator("table.heatmap thead").first.get_by_role(
        "link", name="Birmingham", exact=True
    ).click()

    expect(page).to_have_url(re.compile(r"/councils/birmingham/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Birmingham")
    page.get_by_role("link", name="1C(2a)", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/indicators/[^/]+/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("direct payments", re.IGNORECASE)
    )


def test_the_indicator_page_draws_all_its_charts_each_with_its_table_behind_it(page, live_url):
    page.goto(f"{live_url}{DIRECT_PAYMENTS}?period=2022-23")

    page.locator(".chart svg.main-svg").first.wait_for()
    # charts.indicator_figures makes three charts (the group ranked, every council in England
    # with the group marked, each council's trend); Plotly draws each as more than one
    # svg.main-svg layer.
    ids = ["chart-ranked-3d2a", "chart-national-3d2a", "chart-trend-3d2a"]
    charts = page.locator(".chart")
    expect(charts).to_have_count(len(ids))
    assert [charts.nth(i).get_attribute("data-chart") for i in range(len(ids))] == ids
    for index in range(len(ids)):
        expect(charts.nth(index).locator("svg.main-svg").first).to_be_attached()
        expect(charts.nth(index)).to_have_attribute("data-chart-drawn", "true")
    assert page.locator(".chart svg.main-svg").count() >= 2 * len(ids)
    # The group's councils are drawn as diamonds among every council's points.
    national = page.locator('[data-chart="chart-national-3d2a"]')
    expect(national.locator(".legendtext", has_text="West Midlands ADASS (14)")).to_have_count(1)
    figures = page.locator("figure.chart-figure")
    expect(figures).to_have_count(len(ids))
    # The trend's table: each council, then the group's lowest and highest, then England.
    for index, rows in enumerate([14, 151, 17]):
        details = figures.nth(index).locator("details")
        expect(details).to_have_count(1)
        expect(details.locator("summary")).to_have_text("Table behind the chart")
        expect(details.locator("table tbody tr")).to_have_count(rows)


def test_choosing_another_period_in_the_form_changes_the_values_shown(page, live_url):
    page.goto(f"{live_url}{DIRECT_PAYMENTS}?period=2022-23")
    expect(_row_for(page, "Birmingham")).to_contain_text("39.1")

    page.locator("#id_period").select_option("2021-22")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"period=2021-22"))
    expect(page.locator("#id_period")).to_have_value("2021-22")
    expect(_row_for(page, "Birmingham")).to_contain_text("38.2")
    expect(_row_for(page, "Birmingham")).not_to_contain_text("39.1")


def test_the_indicator_table_downloads_as_a_csv_file_with_a_row_per_council(page, live_url):
    page.goto(f"{live_url}{DIRECT_PAYMENTS}?period=2022-23")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this table (CSV)").click()
    download = download_info.value
    raw = download.path().read_bytes()

    assert download.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {"council", "value", "national_quartile", "direction"} <= set(rows[0])
    assert len(rows) == 14
    by_council = {row["council"]: row for row in rows}
    assert by_council["Stoke-on-Trent"]["national_quartile"] == "4"
    assert {row["period"] for row in rows} == {"2022-23"}


def _values_shown(page) -> list[float]:
    cells = page.locator("table.table").last.locator("tbody tr td:nth-child(3)")
    return [float(text.split("%")[0]) for text in cells.all_inner_texts()]


def test_choosing_a_column_heading_sorts_the_indicator_table_and_says_so(page, live_url):
    page.goto(f"{live_url}{DIRECT_PAYMENTS}?period=2022-23")
    table = page.locator("table.table").last
    value_heading = table.locator("thead th").nth(2)
    # The accessible name ends with the ↕ that CSS adds to sortable headings.
    value_link = value_heading.get_by_role("link", name=re.compile(r"^Value"))

    value_link.click()

    expect(page).to_have_url(re.compile(r"period=2022-23&sort=value$"))
    expect(value_heading).to_have_attribute("aria-sort", "ascending")
    ascending = _values_shown(page)
    assert len(ascending) == 14 and ascending == sorted(ascending)

    value_link.click()

    expect(page).to_have_url(re.compile(r"sort=-value$"))
    expect(value_heading).to_have_attribute("aria-sort", "descending")
    assert _values_shown(page) == sorted(ascending, reverse=True)
    expect(table.locator("tbody tr").first).to_contain_text("Birmingham")


def test_the_council_list_filters_by_region_and_name(page, live_url):
    page.goto(f"{live_url}/councils/")
    rows = page.locator("table.table tbody tr")
    assert rows.count() > 150

    page.get_by_label("Region", exact=True).select_option(label="West Midlands")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"region=WM"))
    expect(rows).to_have_count(14)
    expect(page.get_by_role("heading", name="14 councils")).to_be_visible()

    page.get_by_label("Council name").fill("shire")
    page.get_by_role("button", name="Filter").click()

    expect(rows).to_have_count(5)
    expect(page.get_by_label("Region", exact=True)).to_have_value("WM")
    expect(rows.first).to_contain_text("Herefordshire")


def test_an_invalid_council_filter_is_summarised_and_its_link_goes_to_the_field(page, live_url):
    page.goto(f"{live_url}/councils/?region=Atlantis")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile("Select a valid choice")).click()

    expect(page.locator("#id_region")).to_be_focused()


PAGES = [
    pytest.param("/", id="overview"),
    pytest.param("/councils/", id="council-list"),
    pytest.param("/councils/?region=Atlantis", id="council-list-error"),
    pytest.param("/councils/birmingham/", id="council-birmingham"),
    pytest.param("/indicators/", id="indicator-list"),
    pytest.param(DIRECT_PAYMENTS, id="indicator-3d2a"),
    pytest.param("/compare/?councils=birmingham&councils=coventry", id="compare"),
    pytest.param("/about/", id="about"),
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_no_serious_or_critical_accessibility_violations(
    page, live_url, screenshot, path
):
    page.goto(f"{live_url}{path}")
    page.wait_for_load_state("load")
    if page.locator(".chart").count():
        page.locator(".chart svg.main-svg").first.wait_for()

    assert screenshot(page).exists()
    assert axe_check(page) == []
