"""Every kind of chart the scorecard draws, drawn in Chromium by the vendored cartesian plotly.js
bundle against the live server (shipped ASCOF data plus demo data): the indicator page's bars,
the national box with its points, and the trend lines, with no console error and no request for
the full plotly.js. Pages without charts load no plotly.js at all."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BUNDLE = "/static/vendor/plotly-cartesian.min.js"
DIRECT_PAYMENTS = "/indicators/3d2a/?period=2022-23"
# Each chart on the page, the trace types of its figure (scorecard/charts.py), and what Plotly
# draws for them: a path per bar, the box itself, lines and marker points.
CHARTS = {
    "chart-ranked-3d2a": ({"bar"}, [".barlayer .trace.bars .point path"]),
    "chart-national-3d2a": (
        {"box", "scatter"},
        [".boxlayer .trace.boxes path.box", ".scatterlayer .trace.scatter path.point"],
    ),
    "chart-trend-3d2a": (
        {"scatter"},
        [".scatterlayer .trace.scatter path.js-line", ".scatterlayer .trace.scatter path.point"],
    ),
}


def _watch(page) -> tuple[list[str], list[str]]:
    """The console errors (uncaught exceptions included) and the URLs the page requests."""
    errors, requests = [], []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    return errors, requests


def test_the_indicator_page_draws_its_bar_box_and_trend_charts_with_the_cartesian_bundle(
    page, live_url
):
    errors, requests = _watch(page)

    page.goto(f"{live_url}{DIRECT_PAYMENTS}")
    page.wait_for_load_state("load")

    charts = page.locator(".chart")
    expect(charts).to_have_count(len(CHARTS))
    for chart_id, (types, drawn) in CHARTS.items():
        chart = page.locator(f'.chart[data-chart="{chart_id}"]')
        expect(chart).to_have_attribute("data-chart-drawn", "true")
        expect(chart).to_have_class("chart js-plotly-plot")
        expect(chart.locator("svg.main-svg").first).to_be_visible()
        expect(chart.locator(".chart__fallback")).to_have_count(0)
        assert chart.get_attribute("data-chart-error") is None
        # Plotly quietly leaves out a trace whose type its bundle lacks: check each was drawn.
        assert set(chart.evaluate("e => e._fullData.map(t => t.type)")) == types
        for selector in drawn:
            expect(chart.locator(selector).first).to_be_attached()
    loaded = [url for url in requests if "plotly" in url]
    assert loaded == [f"{live_url}{BUNDLE}"]
    assert page.evaluate("typeof window.Plotly.newPlot") == "function"
    assert errors == []


def test_a_council_scorecard_has_no_charts_and_loads_no_plotly_js(page, live_url):
    errors, requests = _watch(page)

    page.goto(f"{live_url}/councils/birmingham/?period=2022-23")
    page.wait_for_load_state("load")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Birmingham")
    expect(page.locator("[data-chart]")).to_have_count(0)
    assert [url for url in requests if "plotly" in url] == []
    assert errors == []
