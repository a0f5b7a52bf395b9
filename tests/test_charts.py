"""Chart builders: plain rows in, Plotly figures as plain dicts (and SVG) out, no database."""

import json
import math
import re
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from scorecard import charts, data, stats

ROWS = [
    {"name": "Birmingham", "value": 39.1, "band": 1},
    {"name": "Walsall", "value": 30.2, "band": 2},
    {"name": "Dudley", "value": 24.0, "band": 3},
    {"name": "Stoke-on-Trent", "value": 12.5, "band": 4},
    {"name": "Solihull", "value": 18.0, "band": None},
    {"name": "Sandwell", "value": None, "band": None},
]
REFERENCES = [{"name": "England", "value": 26.2}, {"name": "West Midlands", "value": 28.0}]


def assert_plotly_accepts(figure: dict) -> None:
    """plotly.py validates every property of the figure against the schema of the plotly.js
    it ships (the one the site serves), and gives back the same figure: nothing unknown,
    misspelt, dropped or converted. The pages skip this check; the tests make it."""
    json.dumps(figure, allow_nan=False)
    assert go.Figure(figure).to_plotly_json() == figure


def title(figure) -> str:
    return figure["layout"]["title"]["text"]


def test_every_figure_has_its_title():
    assert title(charts.ranked_bar(ROWS, "Direct payments", REFERENCES)) == "Direct payments"
    assert title(charts.distribution({"A": 1.0}, ["A"], "Spread")) == "Spread"
    assert title(charts.trend_lines({"A": {"2023-24": 1.0}}, [], "Trend")) == "Trend"


def test_ranked_bars_keep_the_order_given_and_name_the_band_in_words():
    figure = charts.ranked_bar(ROWS, "Direct payments", REFERENCES)

    assert figure["layout"]["yaxis"]["categoryarray"] == [r["name"] for r in ROWS[:5]]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # the first row on top
    by_name = {trace["name"]: trace for trace in figure["data"]}
    assert set(by_name) == {"1 Upper", "2 Upper middle", "3 Lower middle", "4 Lower", "No band"}
    assert by_name["1 Upper"]["text"] == ["39.1 · Upper"]
    assert by_name["4 Lower"]["text"] == ["12.5 · Lower"]
    assert by_name["1 Upper"]["marker"]["color"] != by_name["4 Lower"]["marker"]["color"]


def test_ranked_bars_leave_out_councils_without_a_value():
    figure = charts.ranked_bar(ROWS, "Direct payments")

    names = [name for trace in figure["data"] for name in trace["y"]]
    assert "Sandwell" not in names and len(names) == 5


def test_reference_lines_are_named_with_their_value_and_differ_by_dash():
    shapes = charts.ranked_bar(ROWS, "Direct payments", REFERENCES)["layout"]["shapes"]

    assert [s["name"] for s in shapes] == ["England 26.2", "West Midlands 28.0"]
    assert [s["x0"] for s in shapes] == [26.2, 28.0]
    assert shapes[0]["line"]["dash"] != shapes[1]["line"]["dash"]
    assert all(s["showlegend"] for s in shapes)


def test_the_distribution_shows_every_council_and_marks_the_group_by_shape():
    values = {"A": 1.0, "B": 2.0, "C": 3.0, "D": None, "E": 5.0}

    figure = charts.distribution(values, ["B", "E"], "Spread")

    box, others, group = figure["data"]
    assert sorted(box["x"]) == [1.0, 2.0, 3.0, 5.0]
    assert others["text"] == ["A", "C"]
    assert group["text"] == ["B", "E"]
    assert group["marker"]["symbol"] != others["marker"]["symbol"]


def test_trend_lines_break_at_a_series_break():
    series = {"Birmingham": {"2022-23": 38.2, "2023-24": 39.1, "2024-25": 30.0}}

    figure = charts.trend_lines(series, ["2024-25"], "Trend")

    line = figure["data"][0]
    assert line["y"] == [38.2, 39.1, None, 30.0]
    assert line["x"] == ["2022-23", "2023-24", "2024-25", "2024-25"]
    assert line["connectgaps"] is False
    assert "Series break" in figure["layout"]["annotations"][0]["text"]


def test_trend_lines_leave_a_gap_for_a_missing_period_and_ignore_a_break_at_the_start():
    series = {"A": {"2019-20": 1.0, "2021-22": 3.0}, "B": {"2020-21": 2.0}}

    figure = charts.trend_lines(series, ["2019-20"], "Trend")

    a, b = figure["data"]
    assert a["y"] == [1.0, None, 3.0]
    assert b["y"] == [None, 2.0, None]
    assert not figure["layout"].get("shapes")


def test_hover_text_gives_values_rounded_half_away_from_zero_to_the_decimals():
    spread = charts.distribution({"Walsall": 56.37, "Dudley": 27.85}, ["Walsall"], "2D(1)")
    others, group = spread["data"][1:]
    assert (group["customdata"], others["customdata"]) == (["56.4"], ["27.9"])
    assert group["hovertemplate"] == "%{text}: %{customdata}<extra></extra>"

    trend = charts.trend_lines({"A": {"2023-24": 2.675, "2024-25": 0.125}}, [], "T", decimals=2)
    assert trend["data"][0]["customdata"] == ["2.68", "0.13"]
    assert "%{customdata}" in trend["data"][0]["hovertemplate"]
    assert trend["data"][0]["y"] == [2.675, 0.125]  # drawn where it is, shown as published

    bars = charts.ranked_bar([{"name": "A", "value": 2.675, "band": 1}], "Bars", decimals=2)
    assert bars["data"][0]["text"] == ["2.68 · Upper"]
    assert "%{text}" in bars["data"][0]["hovertemplate"]
    assert_plotly_accepts(spread)
    assert_plotly_accepts(trend)


FIGURES = {
    "ranked bars with reference lines": charts.ranked_bar(ROWS, "Direct payments", REFERENCES),
    "ranked bars alone": charts.ranked_bar(ROWS[:1], "Direct payments"),
    "distribution with the group marked": charts.distribution(
        {"A": 1.0, "B": 2.0, "C": 3.0}, ["B"], "Spread", highlight_name="WM", axis_title="%"
    ),
    "distribution with no group": charts.distribution({"A": 1.0}, [], "Spread"),
    "trend lines across a break": charts.trend_lines(
        {"A": {"2022-23": 1.0, "2023-24": 2.0}, "B": {"2023-24": 3.0}},
        ["2023-24"],
        "Trend",
        highlighted=["A"],
        axis_title="%",
    ),
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_is_one_plotly_accepts_unchanged(name):
    assert_plotly_accepts(FIGURES[name])


def test_figures_use_plotlys_none_template_not_its_default_styling():
    for figure in FIGURES.values():
        assert figure["layout"]["template"] == pio.templates["none"].to_plotly_json()


def test_figures_are_plain_json_with_nan_and_other_number_types_as_missing_or_float():
    values = {"A": math.nan, "B": np.float32(1.5), "C": Decimal("2.5"), "D": 3}

    spread = charts.distribution(values, ["C"], "Spread")
    bars = charts.ranked_bar(
        [{"name": name, "value": v, "band": 1} for name, v in values.items()],
        "Bars",
        [{"name": "England", "value": math.nan}, {"name": "Region", "value": Decimal("2")}],
    )
    trend = charts.trend_lines({"A": {"2022-23": math.inf, "2023-24": np.float64(2.0)}}, [], "T")

    box, others, group = spread["data"]
    assert box["x"] == [1.5, 2.5, 3.0] and box["name"] == "All councils in England (3)"
    assert others["text"] == ["B", "D"] and group["text"] == ["C"]
    assert bars["data"][0]["y"] == ["B", "C", "D"]
    assert [shape["name"] for shape in bars["layout"]["shapes"]] == ["Region 2.0"]
    assert trend["data"][0]["y"] == [None, 2.0]
    shape, point = bars["layout"]["shapes"][0], trend["data"][0]["y"][1]
    numbers = [*box["x"], *bars["data"][0]["x"], shape["x0"], point]
    assert all(type(n) is float for n in numbers)
    for figure in (spread, bars, trend):
        assert_plotly_accepts(figure)


def test_a_sparkline_has_gaps_for_missing_values_and_a_readable_label():
    svg = charts.sparkline_svg(
        [24.4, 26.0, None, 30.1, 38.8],
        labels=["2017-18", "2018-19", "2019-20", "2023-24", "2024-25"],
    )

    assert svg.startswith('<svg class="sparkline" width="80" height="20"')
    assert svg.count("<polyline") == 2  # two runs either side of the gap
    assert 'aria-label="Trend from 24.4 in 2017-18 to 38.8 in 2024-25"' in svg
    assert 'role="img"' in svg


def test_a_sparkline_label_rounds_half_away_from_zero_to_the_decimals():
    svg = charts.sparkline_svg([56.37, 27.85], labels=["2023-24", "2024-25"], decimals=1)

    assert 'aria-label="Trend from 56.4 in 2023-24 to 27.9 in 2024-25"' in svg


def test_a_lone_value_between_gaps_gets_a_dot():
    svg = charts.sparkline_svg([None, 5.0, None, 6.0, 7.0])

    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 2  # the lone 5.0 and the latest value


def test_a_sparkline_escapes_its_labels_and_handles_no_values():
    svg = charts.sparkline_svg([1.0, 2.0], labels=['<script>"x"', "2024-25"])

    assert "<script>" not in svg
    assert "&lt;script&gt;&quot;x&quot;" in svg
    empty = charts.sparkline_svg([None, None])
    assert "<polyline" not in empty and 'aria-label="No values to show a trend"' in empty


def test_a_sparkline_is_built_from_numbers_only():
    svg = charts.sparkline_svg([1, 2.5, 4], width=60, height=12)

    coordinates = re.findall(r'points="([^"]*)"', svg)[0]
    assert re.fullmatch(r"[\d., ]+", coordinates)
    assert 'viewBox="0 0 60 12"' in svg


def _row(name, value, band, rank, trend):
    cell = SimpleNamespace(
        has_value=value is not None, outcome=value, status_label="Suppressed [c]"
    )
    return SimpleNamespace(
        council=SimpleNamespace(name=name),
        cell=cell,
        national=SimpleNamespace(band=band),
        group_rank_label=rank,
        trend=trend,
    )


def test_the_indicator_page_gets_a_ranked_chart_and_a_trend_each_with_its_table():
    rows = [
        _row("Birmingham", 39.1, 1, "1st of 3", {2023: 38.2, 2024: 39.1}),
        _row("Walsall", 20.0, 4, "2nd of 3", {2023: 21.0, 2024: 20.0}),
        _row("Sandwell", None, None, "", {2023: 25.0, 2024: None}),
    ]
    info = SimpleNamespace(
        slug="3d2a", short_name="Direct payments", decimals=1, unit="%", breaks={2024: "CLD"}
    )
    result = SimpleNamespace(
        indicator=info,
        published_code="3D(2a)",
        group_name="West Midlands ADASS",
        period="2024-25",
        rows=rows,
        rows_by_name=sorted(rows, key=lambda r: r.council.name),
        england=SimpleNamespace(has_value=True, outcome=24.5),
        region=SimpleNamespace(has_value=True, outcome=25.7),
        region_name="West Midlands",
        national_points=(),  # a regional measure: no national distribution
    )

    ranked, trend = charts.indicator_figures(result)

    assert ranked.title == "3D(2a) Direct payments: West Midlands ADASS, 2024-25"
    assert "Birmingham (39.1)" in ranked.summary and "England: 24.5" in ranked.summary
    assert ranked.rows[2] == ["", "Sandwell", "Suppressed [c]", "No band"]
    assert trend.header == ["Council", "2023-24", "2024-25"]
    assert "Series break in 2024-25" in trend.summary
    assert trend.figure["data"][0]["y"] == [38.2, None, 39.1]
    assert [s["name"] for s in ranked.figure["layout"]["shapes"]] == [
        "England 24.5",
        "West Midlands 25.7",
    ]
    assert_plotly_accepts(ranked.figure)
    assert_plotly_accepts(trend.figure)


def _national_result(values: dict[str, float | None], members: list[str]):
    """An indicator result as `data.benchmarks` builds it: the group's rows and every
    council's value nationally, ranked higher-is-better."""
    ids = {name: pk for pk, name in enumerate(values, start=1)}
    table = stats.benchmark_table({ids[n]: v for n, v in values.items()}, stats.HIGHER_IS_BETTER)
    points = sorted(
        (
            data.NationalPoint(ids[name], name, value, table.rows[ids[name]])
            for name, value in values.items()
            if value is not None
        ),
        key=lambda point: -point.value,
    )
    return SimpleNamespace(
        indicator=SimpleNamespace(slug="3d2a", short_name="Direct payments", decimals=1, unit="%"),
        published_code="1C(2a)",
        period="2022-23",
        group_name="West Midlands ADASS",
        rows=[_row(name, values[name], None, "", {}) for name in members],
        rows_by_name=[],
        england=SimpleNamespace(has_value=False),
        region=SimpleNamespace(has_value=False),
        region_name="",
        national=table.distribution,
        national_points=tuple(points),
    )


NATIONAL = {
    "Enfield": 48.4,
    "Birmingham": 39.1,
    "Leeds": 30.0,
    "Coventry": 22.8,
    "Rutland": None,
    "Stoke-on-Trent": 4.0,
}


def test_the_indicator_page_shows_every_council_nationally_with_the_group_marked():
    result = _national_result(NATIONAL, ["Birmingham", "Coventry", "Stoke-on-Trent"])

    chart = next(c for c in charts.indicator_figures(result) if c.id == "chart-national-3d2a")

    assert chart.title == "1C(2a) Direct payments: every council in England, 2022-23"
    assert chart.summary == (
        "5 councils have a value: median 30.0, the middle half from 22.8 to 39.1. "
        "The 3 councils of West Midlands ADASS are the diamonds."
    )
    assert chart.header == ["National rank", "Council", "Value", "In West Midlands ADASS"]
    assert chart.rows == [
        ["1st of 5", "Enfield", "48.4", "No"],
        ["2nd of 5", "Birmingham", "39.1", "Yes"],
        ["3rd of 5", "Leeds", "30.0", "No"],
        ["4th of 5", "Coventry", "22.8", "Yes"],
        ["5th of 5", "Stoke-on-Trent", "4.0", "Yes"],
    ]
    box, others, group = chart.figure["data"]
    assert sorted(box["x"]) == [4.0, 22.8, 30.0, 39.1, 48.4]
    assert others["text"] == ["Enfield", "Leeds"]
    assert group["text"] == ["Birmingham", "Coventry", "Stoke-on-Trent"]
    assert group["name"] == "West Midlands ADASS (3)"  # named in the legend, not only coloured
    assert group["marker"]["symbol"] == "diamond" != others["marker"]["symbol"]
    assert group["marker"]["color"] in charts.OKABE_ITO.values()
    assert_plotly_accepts(chart.figure)


def test_the_national_chart_marks_no_council_when_the_group_is_every_council():
    result = _national_result(NATIONAL, list(NATIONAL))

    chart = next(c for c in charts.indicator_figures(result) if c.id == "chart-national-3d2a")

    assert "diamonds" not in chart.summary
    assert chart.header == ["National rank", "Council", "Value"]
    box, others = chart.figure["data"]  # no empty legend entry for a group of none
    assert len(others["x"]) == 5
