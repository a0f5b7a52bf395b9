"""The pages' layouts in Chromium against the live server (shipped ASCOF data plus demo data),
on a laptop (1366×900) and a phone (390×844): the overview shows all 14 councils at 1366 px
with its measure column held in place; no page scrolls sideways on a phone, its wide tables
scrolling inside their own labelled, focusable region; a council's scorecard is a list of
cards on a phone. Each page's screenshot is saved under test-artifacts/ and axe stays clean."""

import pytest
from browser import axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = [
    pytest.param(LAPTOP, id="1366x900"),
    pytest.param(PHONE, id="390x844"),
]
PAGES = [
    pytest.param("/?period=2022-23", id="overview"),
    pytest.param("/?period=2025-26%20Q2", id="overview-quarter"),
    pytest.param("/councils/", id="council-list"),
    pytest.param("/councils/birmingham/?period=2022-23", id="council-birmingham"),
    pytest.param("/indicators/", id="indicator-list"),
    pytest.param("/indicators/3d2a/?period=2022-23", id="indicator-3d2a"),
    pytest.param("/indicators/wm-local-account/?period=2023-24", id="indicator-local-account"),
    pytest.param("/compare/?councils=birmingham&councils=coventry", id="compare"),
    pytest.param("/about/", id="about"),
]


@pytest.fixture
def sized_page(browser, request):
    """A page at the viewport of the test's parameter."""
    context = browser.new_context(viewport=request.param, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def _page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")


def _on_screen(page, locator) -> bool:
    """The element's box lies wholly within the viewport's width."""
    box = locator.bounding_box()
    return (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )


@pytest.mark.parametrize("sized_page", VIEWPORTS, indirect=True)
@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_and_axe_finds_nothing_serious(
    sized_page, live_url, screenshot, path, request
):
    page = sized_page
    page.goto(f"{live_url}{path}")
    page.wait_for_load_state("load")
    if page.locator(".chart").count():
        page.locator(".chart svg.main-svg").first.wait_for()

    width, viewport = _page_width(page)
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"
    assert screenshot(page).exists()
    assert axe_check(page) == []


def test_the_overview_shows_all_14_councils_at_1366_px(browser, live_url, screenshot):
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/?period=2022-23")

    for table in page.locator("table.heatmap").all():
        headings = table.locator("thead th")
        expect(headings).to_have_count(15)
        for heading in headings.all():
            heading.scroll_into_view_if_needed()
            assert _on_screen(page, heading), heading.inner_text()
        wrapper = table.locator("xpath=..")
        assert wrapper.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls"
    assert screenshot(page).exists()
    context.close()


def test_on_a_phone_a_wide_table_scrolls_in_its_own_labelled_region_with_its_first_column_held(
    browser, live_url, screenshot
):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/?period=2022-23")
    wrapper = page.locator(".table-wrapper").first

    assert wrapper.get_attribute("role") == "region"
    assert wrapper.get_attribute("tabindex") == "0"
    assert wrapper.get_attribute("aria-label")
    assert wrapper.evaluate("e => e.scrollWidth > e.clientWidth")
    measure = wrapper.locator("tbody th").first
    wrapper.scroll_into_view_if_needed()
    before = measure.bounding_box()["x"]
    wrapper.evaluate("e => { e.scrollLeft = 600; }")
    assert wrapper.evaluate("e => e.scrollLeft") > 0
    assert measure.bounding_box()["x"] == pytest.approx(before, abs=1)
    assert _on_screen(page, measure)
    assert _page_width(page)[0] <= PHONE["width"]
    assert screenshot(page).exists()
    context.close()


def test_on_a_phone_a_council_scorecard_is_a_list_of_cards_with_band_and_direction_on_screen(
    browser, live_url, screenshot
):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/councils/birmingham/?period=2022-23")
    card = page.locator("table.scorecard tbody tr").first

    # The column headings are kept for screen readers only: each cell names its column.
    assert page.locator("table.scorecard thead").first.bounding_box()["height"] <= 1
    for label in ("Value", "Quartile band", "Direction of travel"):
        cell = card.locator(f'td[data-label^="{label}"]')
        expect(cell).to_be_visible()
        assert _on_screen(page, cell), label
    assert _on_screen(page, card.locator("th"))
    assert "Upper" in card.inner_text() or "Lower" in card.inner_text()
    assert _page_width(page)[0] <= PHONE["width"]
    assert screenshot(page).exists()
    context.close()


def test_at_1366_px_a_council_scorecard_is_a_table_with_its_band_and_direction_on_screen(
    browser, live_url
):
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/councils/birmingham/?period=2022-23")

    headings = page.locator("table.scorecard").first.locator("thead th")
    expect(headings.first).to_be_visible()
    for heading in headings.all():
        assert _on_screen(page, heading), heading.inner_text()
    context.close()
