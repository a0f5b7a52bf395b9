"""A quarter in Chromium against the live server (shipped ASCOF data plus demo data), on a
laptop (1366×900) and a phone (390×844): the overview at 2025-26 Q2 shows the region's
quarterly measures at that quarter, and a quarterly measure's page shows every council's Q2
value with its band within the group and draws its quarters on a time axis. The values
expected are read from the page's own CSV download, so the test holds whatever the demo's
figures."""

import csv
import io
import urllib.request
from urllib.parse import quote

import pytest
from browser import axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

QUARTER = "2025-26 Q2"
VACANCY = "/indicators/wm-sw-vacancy/"
VIEWPORTS = [
    pytest.param({"width": 1366, "height": 900}, id="1366x900"),
    pytest.param({"width": 390, "height": 844}, id="390x844"),
]


def _download(live_url: str, path: str) -> list[dict]:
    with urllib.request.urlopen(f"{live_url}{path}&format=csv", timeout=30) as response:
        return list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))


def _percent(value: str) -> str:
    return f"{float(value):.1f}%"


@pytest.fixture
def sized_page(browser, request):
    """A page at the viewport of the test's parameter."""
    context = browser.new_context(viewport=request.param, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("sized_page", VIEWPORTS, indirect=True)
def test_the_overview_at_a_quarter_shows_the_quarterly_values(sized_page, live_url, screenshot):
    page = sized_page
    rows = _download(live_url, f"{VACANCY}?period={quote(QUARTER)}")
    birmingham = next(row for row in rows if row["council"] == "Birmingham")

    page.goto(f"{live_url}/?period={quote(QUARTER)}")

    expect(page.get_by_role("heading", level=1)).to_contain_text(QUARTER)
    row = page.locator("table.heatmap tbody tr").filter(
        has=page.get_by_role("link", name="WM-SW-VACANCY", exact=True)
    )
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text(f"({QUARTER})")
    # Birmingham is the first council by name: its cell holds its Q2 value and its band.
    first = row.locator("td").first
    first.scroll_into_view_if_needed()
    expect(first).to_be_visible()
    expect(first).to_contain_text(_percent(birmingham["value"]))
    expect(first).to_contain_text("(in group)")
    expect(row).not_to_contain_text("No band")
    width = page.viewport_size["width"]
    assert screenshot(page, f"overview-{QUARTER.replace(' ', '-')}-{width}").exists()
    assert axe_check(page) == []


@pytest.mark.parametrize("sized_page", VIEWPORTS, indirect=True)
def test_a_quarterly_indicator_page_shows_every_councils_quarter_and_its_trend(
    sized_page, live_url, screenshot
):
    page = sized_page
    rows = _download(live_url, f"{VACANCY}?period={quote(QUARTER)}")
    assert len(rows) == 14 and {row["period"] for row in rows} == {QUARTER}

    page.goto(f"{live_url}{VACANCY}?period={quote(QUARTER)}")

    expect(page.get_by_text("Collected quarterly from 2024-25 Q1")).to_be_visible()
    table = page.locator("table.table").last
    for row in rows:
        line = table.locator("tbody tr").filter(
            has=page.get_by_role("link", name=row["council"], exact=True)
        )
        expect(line).to_contain_text(_percent(row["value"]))
        expect(line).to_contain_text("(in group)")
    birmingham = table.locator("tbody tr").filter(
        has=page.get_by_role("link", name="Birmingham", exact=True)
    )
    birmingham.scroll_into_view_if_needed()
    expect(birmingham).to_be_visible()
    trend = page.locator('.chart[data-chart="chart-trend-wm-sw-vacancy"]')
    expect(trend).to_have_attribute("data-chart-drawn", "true")
    assert trend.evaluate("e => e._fullLayout.xaxis.type") == "date"
    expect(trend.locator(".xtick text", has_text=QUARTER)).to_have_count(1)
    width = page.viewport_size["width"]
    assert screenshot(page, f"indicator-wm-sw-vacancy-{QUARTER.replace(' ', '-')}-{width}").exists()
    assert axe_check(page) == []
