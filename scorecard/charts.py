"""Plotly figures and small SVG trend lines, built from plain rows: no database here.

A figure is a plain dict in plotly.js's JSON schema (`{"data": [traces], "layout": {...}}`),
not a `plotly.graph_objects.Figure`: a page only passes it to the browser as JSON
(`{{ …|json_script }}`), where static/js/charts.js draws it, and plotly.py's validation of
every property took 15–95 ms a page. tests/test_charts.py checks the figures against plotly's
schema instead. Numbers go through `_number`, so a figure is plain JSON (NaN counts as
missing); every number a reader sees (labels, hover text, summaries, the tables behind the
charts, sparkline labels) is written by `numbers.format_number`, as on the pages.
`templates/includes/chart.html` shows a `Chart` with its title, a one-line summary and the
table behind it, so nothing is said by the chart alone.

Colours are the Okabe–Ito palette, which stays distinguishable with the common colour-vision
deficiencies, and never carry meaning alone: quartile bands are also named in the legend, the
hover text and beside each bar; reference lines differ by dash as well as by name.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from indicators.models import Kind, Source
from indicators.periods import format_period, period_label
from scorecard import stats
from scorecard.numbers import format_number, format_value

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# 1 Upper (best) .. 4 Lower: blue for the better half, orange for the worse, darker at the ends.
# The same colours as the tags in static/css/scorecard.css, where vermillion is darkened so
# that white text on it is readable.
BAND_COLOURS = {
    1: OKABE_ITO["blue"],
    2: OKABE_ITO["sky_blue"],
    3: OKABE_ITO["orange"],
    4: "#B34700",
    None: "#B1B4B6",
}
# Yellow is left out: too pale for a line on white.
LINE_COLOURS = [
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")
]
LINE_DASHES = ["solid", "dash", "dot"]
MUTED = "#B1B4B6"
TEXT = "#0B0C0C"
REFERENCE_DASHES = ["dash", "dot", "dashdot", "longdash"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """A figure as a page shows it (`includes/chart.html`): `id` names the JSON script
    element, `figure` is a figure dict, and `header` and `rows` are the table behind it."""

    id: str
    title: str
    summary: str
    figure: dict
    header: Sequence[str]
    rows: Sequence[Sequence]


def _number(value) -> float | None:
    """A value as a plain float for JSON, None when missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def band_word(band: int | None, *, in_group: bool = False, ranked: bool = True) -> str:
    """A band in words, as the legend names it: "Upper", "Upper (in group)" for a band within
    the comparator group, "Not ranked" for a measure with no judgement of better or worse."""
    if not ranked:
        return "Not ranked"
    if band in stats.BAND_LABELS:
        return stats.BAND_LABELS[band] + (" (in group)" if in_group else "")
    return "No band"


def period_middle(year: int, quarter: int | None = None) -> date:
    """Where a period sits on a time axis: the middle of a quarter (the 15th of its middle
    month), or of a year (1 October)."""
    if quarter is None:
        return date(year, 10, 1)
    month = 3 * quarter + 2  # Q1 -> May, Q2 -> August, Q3 -> November, Q4 -> February
    return date(year + (month > 12), (month - 1) % 12 + 1, 15)


def _layout(title: str, **extra) -> dict:
    return {
        # plotly.py's "none" template as it serialises it: plotly.js's own defaults.
        "template": {"data": {"scatter": [{"type": "scatter"}]}},
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 18}},
        "font": {"family": FONT, "color": TEXT, "size": 14},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "margin": {"l": 10, "r": 20, "t": 60, "b": 110},
        # At the foot of the figure, below the axis title, whatever the figure's height.
        "legend": {
            "orientation": "h",
            "x": 0.01,
            "y": 0.01,
            "xanchor": "left",
            "yanchor": "bottom",
            "yref": "container",
        },
        "hoverlabel": {"font": {"family": FONT}},
        # No empty list of shapes or annotations, as plotly.py would leave it out.
        **{key: value for key, value in extra.items() if value != []},
    }


def ranked_bar(
    rows: Iterable[Mapping],
    title: str,
    reference_lines: Iterable[Mapping] = (),
    *,
    axis_title: str = "",
    decimals: int = 1,
    in_group: bool = False,
    ranked: bool = True,
    years: bool = False,
) -> dict:
    """Horizontal bars of the group's councils, in the order given (best first).

    Each row is a mapping with `name`, `value` (None: no bar; the table behind the chart says
    why), `band` (national quartile band 1-4 or None; with `in_group`, the band within the
    group, named "(in group)"; with `ranked` false, a measure with no judgement of better or
    worse, "Not ranked") and optionally `label` (the value as printed). Bars are coloured by
    band, one legend entry per band, with the band's word in the hover text and beside each
    bar. `reference_lines` are mappings with `name` and `value` (England, the region), drawn
    as vertical lines that differ by dash and are named in the legend with their value.
    With `years` the values are years: each council is a marker on a time axis, not a bar
    from zero.
    """
    rows = [{**row, "value": _number(row.get("value"))} for row in rows]
    rows = [row for row in rows if row["value"] is not None]

    def say(value: float) -> str:
        return str(round(value)) if years else format_number(value, decimals)

    names = [row["name"] for row in rows]
    traces = []
    for band in (1, 2, 3, 4, None):
        members = [row for row in rows if row.get("band") == band]
        if not members:
            continue
        word = band_word(band, in_group=in_group, ranked=ranked)
        labels = [row.get("label") or say(row["value"]) for row in members]
        scope = "band within the group" if in_group else "national quartile band"
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": [_year_date(row["value"]) for row in members],
                "y": [row["name"] for row in members],
                "name": f"{band} {word}" if band else word,
                "marker": {
                    "color": BAND_COLOURS[band],
                    "size": 12,
                    "line": {"color": TEXT, "width": 1},
                },
                "text": [f"{label} · {word}" for label in labels],
                "textposition": "middle right",
                "cliponaxis": False,
                "hovertemplate": f"%{{y}}: %{{text}} ({scope} {band or '–'})<extra></extra>",
            }
            if years
            else {
                "type": "bar",
                "x": [row["value"] for row in members],
                "y": [row["name"] for row in members],
                "orientation": "h",
                "name": f"{band} {word}" if band else word,
                "marker": {"color": BAND_COLOURS[band], "line": {"color": TEXT, "width": 1}},
                "text": [f"{label} · {word}" for label in labels],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": f"%{{y}}: %{{text}} ({scope} {band or '–'})<extra></extra>",
            }
        )
    shapes = []
    drawn = [line for line in reference_lines if _number(line.get("value")) is not None]
    for i, line in enumerate(drawn):
        value = _number(line["value"])
        label = line.get("label") or say(value)
        at = _year_date(value) if years else value
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": at,
                "x1": at,
                "y0": 0,
                "y1": 1,
                "line": {"color": TEXT, "width": 2, "dash": REFERENCE_DASHES[i % 4]},
                "showlegend": True,
                "name": f"{line['name']} {label}",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            title,
            height=max(320, 180 + 28 * len(names)),
            barmode="overlay",
            shapes=shapes,
            margin={"l": 10, "r": 150, "t": 60, "b": 110},  # room for "40.3 · Upper middle"
            xaxis=(
                {
                    "title": {"text": axis_title},
                    "type": "date",
                    "tickformat": "%Y",
                    "dtick": "M12",
                    "gridcolor": "#E5E5E5",
                    "automargin": True,
                }
                if years
                else {
                    "title": {"text": axis_title},
                    "gridcolor": "#E5E5E5",
                    "zeroline": True,
                    "automargin": True,
                }
            ),
            yaxis={
                "categoryorder": "array",
                "categoryarray": names,
                "autorange": "reversed",
                "automargin": True,
            },
        ),
    }


def distribution(
    all_values: Mapping[str, float | None],
    highlighted: Iterable[str],
    title: str,
    *,
    highlight_name: str = "Comparator group",
    axis_title: str = "",
    decimals: int = 1,
) -> dict:
    """Every council nationally (`all_values`: name -> value, None or NaN left out) as a box
    with its points: the `highlighted` councils as larger orange diamonds with their own
    legend entry, so the group stands out by shape and name as well as colour, the others as
    small grey circles. The hover text gives each value to `decimals`."""
    numbers = {name: _number(v) for name, v in all_values.items()}
    present = {name: v for name, v in numbers.items() if v is not None}
    chosen = set(highlighted)
    others = {name: v for name, v in present.items() if name not in chosen}
    group = {name: v for name, v in present.items() if name in chosen}
    row = "All councils"
    box = {
        "type": "box",
        "x": list(present.values()),
        "y": [row] * len(present),
        "orientation": "h",
        "name": f"All councils in England ({len(present)})",
        "boxpoints": False,
        "fillcolor": "rgba(0,0,0,0)",
        "line": {"color": TEXT, "width": 1.5},
        "hoverinfo": "skip",
    }
    points = [
        {
            "type": "scatter",
            "x": list(others.values()),
            "y": [row] * len(others),
            "mode": "markers",
            "name": "Other councils",
            "text": list(others),
            "customdata": [format_number(v, decimals) for v in others.values()],
            "marker": {"color": MUTED, "size": 7, "symbol": "circle", "opacity": 0.8},
            "hovertemplate": "%{text}: %{customdata}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": list(group.values()),
            "y": [row] * len(group),
            "mode": "markers",
            "name": f"{highlight_name} ({len(group)})",
            "text": list(group),
            "customdata": [format_number(v, decimals) for v in group.values()],
            "marker": {
                "color": OKABE_ITO["orange"],
                "size": 12,
                "symbol": "diamond",
                "line": {"color": TEXT, "width": 1},
            },
            "hovertemplate": "%{text}: %{customdata}<extra></extra>",
        },
    ]
    # An empty set of points would still take a legend entry.
    points = [trace for trace in points if trace["x"]]
    return {
        "data": [box, *points],
        "layout": _layout(
            title,
            height=320,
            xaxis={"title": {"text": axis_title}, "gridcolor": "#E5E5E5", "automargin": True},
            yaxis={"visible": False},
        ),
    }


def _year_date(value) -> str | None:
    """A year as a value (2024) as a date on a time axis ("2024-01-01")."""
    value = _number(value)
    return None if value is None else f"{round(value):04d}-01-01"


def trend_range(
    ranges: Mapping[str, tuple[float | None, float | None]],
    title: str,
    *,
    dates: Mapping[str, date],
    breaks: Iterable[str] = (),
    england: Mapping[str, float | None] | None = None,
    council: tuple[str, Mapping[str, float | None]] | None = None,
    council_gaps: Iterable[str] = (),
    england_gaps: Iterable[str] = (),
    group_name: str = "the group",
    axis_title: str = "",
    decimals: int = 1,
    years: bool = False,
) -> dict:
    """A group's trend on a time axis: its range each period (`ranges`: period label ->
    (lowest, highest), in order) as a shaded band edged by thin lines, England as a dashed
    black line with square markers and, with `council` (name, period label -> value), that
    council as a thick blue line with round markers; each named in the legend, so none is
    told by colour alone. Periods sit at `dates` (e.g. `period_middle`) and are labelled with
    their names. A line never joins across a series break: before each period in `breaks`
    a gap is left and a dotted vertical line marks the break; `council_gaps` and
    `england_gaps` are the further periods before which that line is not joined (a boundary
    change, a partial-coverage year: `line_gaps`). With `years`, the values are years and the
    value axis is a time axis too."""
    breaks = set(breaks)
    periods = list(ranges)

    def say(value) -> str:
        value = _number(value)
        if years:
            return "" if value is None else str(round(value))
        return format_number(value, decimals)

    def line(values: Mapping[str, float | None], gaps: Iterable[str] = ()):
        gaps = breaks | set(gaps)
        xs, ys, labels = [], [], []
        for j, period in enumerate(periods):
            if j and period in gaps:
                xs.append(dates[period].isoformat())
                ys.append(None)
                labels.append("")
            xs.append(dates[period].isoformat())
            ys.append(_number(values.get(period)))
            labels.append(f"{period}: {say(values.get(period)) or 'no value'}")
        if years:
            ys = [_year_date(y) for y in ys]
        return xs, ys, labels

    edge = {"color": OKABE_ITO["sky_blue"], "width": 1}
    low_x, low_y, _ = line({p: low for p, (low, _high) in ranges.items()})
    high_x, high_y, _ = line({p: high for p, (_low, high) in ranges.items()})
    spans = [""]
    for j, period in enumerate(periods):
        if j and period in breaks:
            spans.append("")
        low, high = ranges[period]
        spans.append(f"{period}: {say(low)} to {say(high)}" if _number(low) is not None else period)
    traces = [
        {
            "type": "scatter",
            "x": low_x,
            "y": low_y,
            "mode": "lines",
            "line": edge,
            "connectgaps": False,
            "showlegend": False,
            "hoverinfo": "skip",
            "name": f"Lowest in {group_name}",
        },
        {
            "type": "scatter",
            "x": high_x,
            "y": high_y,
            "mode": "lines",
            "line": edge,
            "connectgaps": False,
            "fill": "tonexty",
            "fillcolor": "rgba(86,180,233,0.3)",
            "name": f"Range of {group_name} (lowest to highest)",
            "text": spans[1:],
            "hovertemplate": "%{text}<extra>Range</extra>",
        },
    ]
    if england and any(_number(v) is not None for v in england.values()):
        xs, ys, labels = line(england, england_gaps)
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines+markers",
                "name": "England",
                "connectgaps": False,
                "line": {"color": TEXT, "width": 2, "dash": "dash"},
                "marker": {"size": 7, "symbol": "square", "color": TEXT},
                "text": labels,
                "hovertemplate": "England, %{text}<extra></extra>",
            }
        )
    if council:
        name, values = council
        xs, ys, labels = line(values, council_gaps)
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines+markers",
                "name": name,
                "connectgaps": False,
                "line": {"color": OKABE_ITO["blue"], "width": 3},
                "marker": {"size": 9, "symbol": "circle", "color": OKABE_ITO["blue"]},
                "text": labels,
                "hovertemplate": "%{fullData.name}, %{text}<extra></extra>",
            }
        )
    shapes, annotations = [], []
    for period in sorted(breaks & set(periods)):
        index = periods.index(period)
        if index == 0:
            continue
        before, after = dates[periods[index - 1]], dates[period]
        position = (before + (after - before) / 2).isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": position,
                "x1": position,
                "y0": 0,
                "y1": 1,
                "line": {"color": TEXT, "width": 1.5, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": position,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "text": f"Series break before {period}",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
    value_axis = {"title": {"text": axis_title}, "gridcolor": "#E5E5E5", "automargin": True}
    if years:
        value_axis |= {"type": "date", "tickformat": "%Y", "dtick": "M12"}
    # Every other period named when there are many, so the labels fit a phone.
    step = 1 if len(periods) <= 6 else 2
    return {
        "data": traces,
        "layout": _layout(
            title,
            height=420,
            margin={"l": 10, "r": 20, "t": 70, "b": 120},
            shapes=shapes,
            annotations=annotations,
            xaxis={
                "type": "date",
                "tickmode": "array",
                "tickvals": [dates[p].isoformat() for p in periods[::-1][::step]][::-1],
                "ticktext": periods[::-1][::step][::-1],
                "tickangle": -45 if len(periods) > 4 else 0,
                "automargin": True,
            },
            yaxis=value_axis,
        ),
    }


def sparkline_svg(
    values: Sequence[float | None],
    width: int = 80,
    height: int = 20,
    *,
    labels: Sequence[str] | None = None,
    decimals: int | None = None,
    years: bool = False,
) -> SafeString:
    """A small inline SVG trend line, with gaps where a value is None; with `years` the
    values are years, said as "2024".

    The SVG is built from numbers only (every coordinate goes through float()); the labels
    appear only in the aria-label, escaped: "Trend from 24.4 in 2017-18 to 38.8 in 2024-25;
    lowest 24.4, highest 38.8". Its scale, the lowest and highest value, follows it in text
    ("24.4 to 38.8"), so the line's height can be read.
    """
    width, height = int(width), int(height)
    points = [None if v is None or not math.isfinite(float(v)) else float(v) for v in values]
    present = [(i, v) for i, v in enumerate(points) if v is not None]
    if not present:
        return mark_safe(
            f'<svg class="sparkline" width="{width}" height="{height}" role="img" '
            f'aria-label="No values to show a trend"></svg>'
        )
    low, high = min(v for _, v in present), max(v for _, v in present)
    pad = 2.0
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> str:
        y = height / 2 if high == low else pad + (high - v) / (high - low) * (height - 2 * pad)
        return f"{pad + i * step:.1f},{y:.1f}"

    # Runs of consecutive values; a None ends a run, so the line has a gap there.
    runs, run = [], []
    for i, v in enumerate(points):
        if v is None:
            run = []
        else:
            if not run:
                runs.append(run)
            run.append(xy(i, v))
    lines = "".join(f'<polyline points="{" ".join(r)}"/>' for r in runs if len(r) > 1)
    # A value with no neighbour draws no line, so it gets a dot; so does the latest value.
    dots = [r[0] for r in runs if len(r) == 1]
    if runs[-1][-1] not in dots:
        dots.append(runs[-1][-1])
    circles = "".join(
        f'<circle cx="{x}" cy="{y}" r="1.8"/>' for x, y in (dot.split(",") for dot in dots)
    )
    label = _sparkline_label(present, labels, decimals, years)
    scale = ""
    if len(present) > 1:
        lowest, highest = (_say_number(v, decimals, years) for v in (low, high))
        label += f"; lowest {lowest}, highest {highest}"
        shown = lowest if low == high else f"{lowest} to {highest}"
        scale = f'<span class="sparkline__scale" aria-hidden="true">{escape(shown)}</span>'
    return mark_safe(
        f'<svg class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f'<g fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round">'
        f'{lines}</g><g fill="currentColor">{circles}</g></svg>{scale}'
    )


def _say_number(value: float, decimals: int | None, years: bool = False) -> str:
    if years:
        return format_number(value, 0, thousands=False)
    return format_number(value, decimals) if decimals is not None else f"{value:.10g}"


def _sparkline_label(present, labels, decimals, years=False) -> str:
    def say(i: int, v: float) -> str:
        number = _say_number(v, decimals, years)
        return f"{number} in {labels[i]}" if labels else number

    (first_i, first_v), (last_i, last_v) = present[0], present[-1]
    if len(present) == 1:
        return f"Only one value: {say(first_i, first_v)}"
    return f"Trend from {say(first_i, first_v)} to {say(last_i, last_v)}"


def _names(names: Sequence[str]) -> str:
    """ "Birmingham", "Birmingham and Coventry", "Birmingham, Coventry and Dudley"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def value_text(value, info) -> str:
    """A value as a chart says it: a year as a year ("2024", never "2,024"), anything else
    to the measure's decimals."""
    return format_value(_number(value), info)


def indicator_figures(result, council: str | None = None) -> list[Chart]:
    """The indicator page's charts for a `data.IndicatorResult`: the group ranked with
    England and the region, every council in England with the group's marked, and the trend:
    the group's range (lowest to highest), England and, when `council` names one of the
    group's councils, that council, with the indicator's series breaks."""
    info = result.indicator
    decimals = info.decimals
    heading = f"{result.published_code} {info.short_name}"
    charts = []
    # A regional measure has no national distribution: its bands are within the group.
    in_group = getattr(info, "source", None) == Source.LOCAL
    ranked = not in_group or getattr(info, "polarity", None) != stats.NO_JUDGEMENT

    def say(value) -> str:
        return value_text(value, info)

    def band_of(row):
        benchmark = row.group if in_group else row.national
        return benchmark.band if benchmark else None

    valued = [row for row in result.rows if row.cell.has_value and row.cell.outcome is not None]
    if valued:
        references = [
            {"name": name, "value": cell.outcome, "label": say(cell.outcome)}
            for name, cell in (("England", result.england), (result.region_name, result.region))
            if name and cell.has_value and cell.outcome is not None
        ]
        spread = stats.value_range({row.council.name: row.cell.outcome for row in valued})
        summary = " ".join(
            [
                f"Highest: {_names(spread.at_max)} ({say(spread.max)});",
                f"lowest: {_names(spread.at_min)} ({say(spread.min)}).",
                *(f"{r['name']}: {r['label']}." for r in references),
            ]
        )
        title = f"{heading}: {result.group_name}, {result.period}"
        bars = [
            {
                "name": row.council.name,
                "value": row.cell.outcome,
                "band": band_of(row),
                "label": say(row.cell.outcome),
            }
            for row in valued
        ]
        charts.append(
            Chart(
                id=f"chart-ranked-{info.slug}",
                title=title,
                summary=summary,
                figure=ranked_bar(
                    bars,
                    title,
                    references,
                    axis_title=info.unit,
                    decimals=decimals,
                    in_group=in_group,
                    ranked=ranked,
                    years=getattr(info, "kind", None) == Kind.YEAR,
                ),
                header=[
                    "Group rank",
                    "Council",
                    "Value",
                    "Band in group" if in_group else "National quartile",
                ],
                rows=[
                    [
                        row.group_rank_label,
                        row.council.name,
                        say(row.cell.outcome) or row.cell.status_label,
                        band_word(band_of(row), in_group=in_group, ranked=ranked),
                    ]
                    for row in result.rows
                ],
            )
        )
    points = result.national_points
    if points:
        charts.append(_national_chart(result, heading))
    trend = _trend_chart(result, heading, council)
    if trend:
        charts.append(trend)
    return charts


def _trend_chart(result, heading: str, council: str | None) -> Chart | None:
    """The group's range, England and the chosen council over every period with a value, on
    a time axis; the table behind it gives every council's values, England's and the range."""
    info = result.indicator
    quarterly = getattr(result, "quarter", None) is not None
    series = {
        row.council.name: {period_label(key): v for key, v in row.trend.items()}
        for row in result.rows_by_name
    }
    england_trend = getattr(result, "england_trend", {}) or {}
    keys = {period_label(key): key for row in result.rows for key in row.trend}
    keys |= {period_label(key): key for key in england_trend}
    dates = {
        label: period_middle(*key) if quarterly else period_middle(key)
        for label, key in keys.items()
    }
    periods = sorted(keys, key=lambda label: dates[label])
    if len(periods) < 2:
        return None
    # A break in a year parts its Q1 from the quarter before.
    breaks = [format_period(year, 1 if quarterly else None) for year in sorted(info.breaks)]
    shown = [b for b in breaks if b in periods and b != periods[0]]
    england = {period_label(key): v for key, v in england_trend.items()}
    chosen = next((name for name in series if council and name == council), None)
    spread = {
        period: stats.value_range({name: values.get(period) for name, values in series.items()})
        for period in periods
    }
    council_gaps = england_gaps = set()
    if chosen:
        row = next(row for row in result.rows_by_name if row.council.name == chosen)
        boundary = getattr(row.council, "boundary_break_year", None)
        council_gaps = line_gaps(row.trend, info, boundary=boundary)
    if england_trend:
        england_gaps = line_gaps(england_trend, info)
    title = f"{heading}: trend, {chosen or result.group_name}"
    words = [f"The range of {result.group_name} (lowest to highest)"]
    if any(_number(v) is not None for v in england.values()):
        words.append("England")
    if chosen:
        words.append(chosen)
    summary = f"{_names(words)}, from {periods[0]} to {periods[-1]}."
    if shown:
        summary += f" Series break in {', '.join(shown)}: lines are not joined across it."
    if (council_gaps | england_gaps) - set(breaks):
        summary += (
            " Lines are not joined across a council's boundary change or a year of partial "
            "coverage."
        )
    if not chosen:
        summary += " Choose a council to draw its line."

    def say(value) -> str:
        return value_text(value, info) or "No value"

    rows = [[name, *(say(values.get(p)) for p in periods)] for name, values in series.items()]
    rows += [
        ["Lowest in the group", *(say(spread[p].min) for p in periods)],
        ["Highest in the group", *(say(spread[p].max) for p in periods)],
    ]
    if england:
        rows.append(["England", *(say(england.get(p)) for p in periods)])
    return Chart(
        id=f"chart-trend-{info.slug}",
        title=title,
        summary=summary,
        figure=trend_range(
            {p: (spread[p].min, spread[p].max) for p in periods},
            title,
            dates=dates,
            breaks=breaks,
            england=england,
            council=(chosen, series[chosen]) if chosen else None,
            council_gaps=council_gaps,
            england_gaps=england_gaps,
            group_name=result.group_name,
            axis_title=info.unit,
            decimals=info.decimals,
            years=getattr(info, "kind", None) == Kind.YEAR,
        ),
        header=["Council", *periods],
        rows=rows,
    )


def line_gaps(trend: Mapping, info, *, boundary: int | None = None) -> set[str]:
    """The periods (labels) of a trend, keyed by year or (year, quarter), whose point a line
    does not join to the point before: where `stats.compared_periods` does not compare them,
    across a series break, a boundary change in `boundary` or a year of partial coverage."""
    quarterly = any(isinstance(key, tuple) for key in trend)

    def start(year: int):
        return (year, 1) if quarterly else year

    series = {key: _number(value) for key, value in trend.items()}
    joins = stats.compared_periods(
        series,
        breaks={start(year) for year in getattr(info, "breaks", {})},
        partial=set() if quarterly else set(getattr(info, "partial", {})),
        boundaries={start(boundary)} if boundary else set(),
    )
    present = list(joins)
    return {
        period_label(later)
        for earlier, later in zip(present, present[1:], strict=False)
        if joins[later] != earlier
    }


def _national_chart(result, heading: str) -> Chart:
    """Every council in England with a value, the group's councils marked (unless the group
    is every council), and the table behind it ranked nationally."""
    info = result.indicator
    decimals = info.decimals
    points = result.national_points
    members = {row.council.name for row in result.rows}
    marked = {point.name for point in points if point.name in members}
    if len(marked) == len(points):
        marked = set()  # the group is every council: none stands out
    national = result.national
    title = f"{heading}: every council in England, {result.period}"
    summary = (
        f"{len(points)} councils have a value: median {format_number(national.median, decimals)}, "
        f"the middle half from {format_number(national.p25, decimals)} "
        f"to {format_number(national.p75, decimals)}."
    )
    if marked:
        summary += f" The {len(marked)} councils of {result.group_name} are the diamonds."
    figure = distribution(
        {point.name: point.value for point in points},
        marked,
        title,
        highlight_name=result.group_name,
        axis_title=info.unit,
        decimals=decimals,
    )
    header = ["National rank", "Council", "Value"]
    if marked:
        header.append(f"In {result.group_name}")
    rows = []
    for point in points:
        row = [point.national_rank_label, point.name, format_number(point.value, decimals)]
        if marked:
            row.append("Yes" if point.name in marked else "No")
        rows.append(row)
    return Chart(
        id=f"chart-national-{info.slug}",
        title=title,
        summary=summary,
        figure=figure,
        header=header,
        rows=rows,
    )
