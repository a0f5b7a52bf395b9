"""One-line adapters from the pure helpers to templates."""

from django import template

from indicators.periods import format_period
from scorecard import cells, charts, data, stats
from scorecard.numbers import format_number

register = template.Library()


@register.filter
def number(value, decimals=1):
    """A published number to its decimals, rounded half away from zero, with thousands
    separators; "" when missing (`numbers.format_number`, as the charts and commands show it)."""
    return format_number(value, int(decimals))


@register.filter
def period(year):
    """A financial year's start year as users read it: 2022 -> "2022-23"."""
    return format_period(year) if year is not None else ""


@register.filter
def band_label(band):
    return stats.BAND_LABELS.get(band, "")


@register.simple_tag
def direction(code, previous=None, decimals=1):
    return cells.direction_html(code, previous, decimals)


@register.simple_tag
def band_tag(benchmark, short=False):
    return cells.band_html(benchmark, short=short)


@register.simple_tag
def value_cell(cell, info):
    return cells.value_html(cell, info)


@register.simple_tag
def sparkline(trend, decimals=1):
    """A council's values over the years ({year: value}) as a small SVG line."""
    years = sorted(trend)
    return charts.sparkline_svg(
        [trend[y] for y in years], labels=[format_period(y) for y in years], decimals=decimals
    )


@register.simple_tag
def category_summary(result):
    """ "2 green, 12 amber": the group's councils per category of a qualitative measure."""
    return ", ".join(
        f"{count} {category}" for category, count in data.category_counts(result).items()
    )
