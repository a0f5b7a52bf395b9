"""The About page in Chromium: no serious accessibility problems, a working skip link, and the
page's static files (plotly.js included) served without the internet."""

import pytest
from browser import axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_about_page_has_no_serious_or_critical_accessibility_violations(
    page, live_url, screenshot
):
    page.goto(f"{live_url}/about/")

    expect(page.get_by_role("heading", level=1)).to_have_text("About the data")
    assert axe_check(page) == []
    assert screenshot(page, "about").exists()


def test_the_skip_link_is_the_first_stop_and_moves_to_the_content(page, live_url):
    page.goto(f"{live_url}/about/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()


def test_the_stylesheet_and_plotly_js_are_served_by_the_site(page, live_url):
    page.goto(f"{live_url}/about/")

    stylesheet = page.request.get(f"{live_url}/static/css/scorecard.css")
    plotly = page.request.get(f"{live_url}/static/vendor/plotly-cartesian.min.js")
    assert stylesheet.ok and plotly.ok
    assert "plotly.js (cartesian - minified) v" in plotly.text()[:200]
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert skip_link.evaluate("link => getComputedStyle(link).position") == "absolute"
