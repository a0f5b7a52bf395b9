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


DATES = {f"{year}-{(year + 1) % 100:02d}": charts.period_middle(year) for year in range(2015, 2026)}


def title(figure) -> str:
    return figure["layout"]["title"]["text"]


def test_every_figure_has_its_title():
    assert title(charts.ranked_bar(ROWS, "Direct payments", REFERENCES)) == "Direct payments"
    assert title(charts.distribution({"A": 1.0}, ["A"], "Spread")) == "Spread"
    assert title(charts.trend_range({"2023-24": (1.0, 2.0)}, "Trend", dates=DATES)) == "Trend"


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


def test_the_trend_draws_the_groups_range_england_and_the_chosen_council_apart_at_a_break():
    ranges = {"2022-23": (20.0, 38.2), "2023-24": (21.0, 39.1), "2024-25": (19.0, 30.0)}
    england = {"2022-23": 24.0, "2023-24": 25.0, "2024-25": 26.0}
    council = ("Birmingham", {"2022-23": 38.2, "2023-24": 39.1, "2024-25": 30.0})

    figure = charts.trend_range(
        ranges, "Trend", dates=DATES, breaks=["2024-25"], england=england, council=council
    )

    low, high, line_england, line_council = figure["data"]
    assert high["fill"] == "tonexty" and "Range of" in high["name"]
    assert low["showlegend"] is False
    assert line_england["name"] == "England" and line_england["line"]["dash"] == "dash"
    assert line_council["name"] == "Birmingham" and line_council["marker"]["symbol"] == "circle"
    assert line_council["y"] == [38.2, 39.1, None, 30.0]
    assert line_council["connectgaps"] is False
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert "Series break" in figure["layout"]["annotations"][0]["text"]
    assert_plotly_accepts(figure)


def test_the_trend_without_a_council_is_the_range_and_england_and_ignores_a_break_at_the_start():
    ranges = {"2019-20": (1.0, 2.0), "2020-21": (None, None), "2021-22": (3.0, 4.0)}

    figure = charts.trend_range(ranges, "Trend", dates=DATES, breaks=["2019-20"])

    low, high = figure["data"]
    assert low["y"] == [1.0, None, 3.0] and high["y"] == [2.0, None, 4.0]
    assert not figure["layout"].get("shapes")


def test_a_year_measure_is_drawn_on_time_axes_never_as_bars_from_zero():
    rows = [{"name": "A", "value": 2024, "band": 1}, {"name": "B", "value": 2021, "band": 4}]

    bars = charts.ranked_bar(rows, "Local account", years=True)
    trend = charts.trend_range(
        {"2022-23": (2021.0, 2023.0), "2023-24": (2021.0, 2024.0)},
        "Local account",
        dates=DATES,
        years=True,
    )

    assert {trace["type"] for trace in bars["data"]} == {"scatter"}
    assert bars["layout"]["xaxis"]["type"] == "date"
    assert bars["data"][0]["x"] == ["2024-01-01"]
    assert trend["layout"]["yaxis"]["type"] == "date"
    assert trend["data"][1]["y"] == ["2023-01-01", "2024-01-01"]
    assert "2,024" not in json.dumps(bars) + json.dumps(trend)
    assert_plotly_accepts(bars)
    assert_plotly_accepts(trend)


def test_hover_text_gives_values_rounded_half_away_from_zero_to_the_decimals():
    spread = charts.distribution({"Walsall": 56.37, "Dudley": 27.85}, ["Walsall"], "2D(1)")
    others, group = spread["data"][1:]
    assert (group["customdata"], others["customdata"]) == (["56.4"], ["27.9"])
    assert group["hovertemplate"] == "%{text}: %{customdata}<extra></extra>"

    trend = charts.trend_range(
        {"2023-24": (2.675, 2.675), "2024-25": (0.125, 0.125)},
        "T",
        dates=DATES,
        council=("A", {"2023-24": 2.675, "2024-25": 0.125}),
        decimals=2,
    )
    assert trend["data"][-1]["text"] == ["2023-24: 2.68", "2024-25: 0.13"]
    assert "%{text}" in trend["data"][-1]["hovertemplate"]
    assert trend["data"][-1]["y"] == [2.675, 0.125]  # drawn where it is, shown as published

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
    "trend range across a break": charts.trend_range(
        {"2022-23": (1.0, 1.0), "2023-24": (2.0, 3.0)},
        "Trend",
        dates=DATES,
        breaks=["2023-24"],
        england={"2022-23": 1.5, "2023-24": 2.5},
        council=("A", {"2022-23": 1.0, "2023-24": 2.0}),
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
    trend = charts.trend_range(
        {"2022-23": (math.inf, math.inf), "2023-24": (np.float64(2.0), np.float64(2.0))},
        "T",
        dates=DATES,
    )

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
    assert 'aria-label="Trend from 24.4 in 2017-18 to 38.8 in 2024-25; lowest 24.4,' in svg
    assert 'role="img"' in svg


def test_a_sparkline_label_rounds_half_away_from_zero_to_the_decimals():
    svg = charts.sparkline_svg([56.37, 27.85], labels=["2023-24", "2024-25"], decimals=1)

    assert 'aria-label="Trend from 56.4 in 2023-24 to 27.9 in 2024-25; lowest 27.9, highest' in svg


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
    assert trend.rows[-2:] == [
        ["Lowest in the group", "21.0", "20.0"],
        ["Highest in the group", "38.2", "39.1"],
    ]
    low, high = trend.figure["data"]  # no council chosen, no England trend given
    assert low["y"] == [21.0, None, 20.0] and high["y"] == [38.2, None, 39.1]

    ranked, trend = charts.indicator_figures(result, "Walsall")

    assert trend.title.endswith("trend, Walsall")
    assert trend.figure["data"][-1]["name"] == "Walsall"
    assert trend.figure["data"][-1]["y"] == [21.0, None, 20.0]
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


def test_the_ranked_summary_names_every_council_tied_highest_or_lowest():
    rows = [
        _row("Birmingham", 100.0, 1, "=1st of 3", {}),
        _row("Coventry", 100.0, 1, "=1st of 3", {}),
        _row("Walsall", 20.0, 4, "3rd of 3", {}),
    ]
    result = _national_result({"Birmingham": 100.0, "Coventry": 100.0, "Walsall": 20.0}, [])
    result.rows = rows

    ranked = charts.indicator_figures(result)[0]

    assert "Highest: Birmingham and Coventry (100.0);" in ranked.summary
    assert "lowest: Walsall (20.0)." in ranked.summary


def test_a_year_is_said_as_a_year_never_with_a_thousands_comma():
    info = SimpleNamespace(kind="year", decimals=0)

    assert charts.value_text(2024.0, info) == "2024"
    assert charts.value_text(None, info) == ""
    assert charts.value_text(1234.5, SimpleNamespace(kind="count", decimals=0)) == "1,235"
