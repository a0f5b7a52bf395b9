"""One-line adapters from the pure helpers to templates."""

from django import template
from django.utils.html import format_html

from indicators.periods import period_label
from scorecard import cells, charts, data, narrative, stats
from scorecard.numbers import format_number

register = template.Library()


@register.filter
def number(value, decimals=1):
    """A published number to its decimals, rounded half away from zero, with thousands
    separators; "" when missing (`numbers.format_number`, as the charts and commands show it)."""
    return format_number(value, int(decimals))


@register.filter
def period(key):
    """A period as users read it: a start year (2022 -> "2022-23") or a trend's (year,
    quarter) key ((2025, 2) -> "2025-26 Q2")."""
    return period_label(key)


@register.filter
def band_label(band):
    return stats.BAND_LABELS.get(band, "")


@register.simple_tag
def direction(code, previous=None, decimals=1, significance=""):
    return cells.direction_html(code, previous, decimals, significance)


@register.simple_tag
def band_tag(benchmark, short=False, group=False):
    return cells.band_html(benchmark, short=short, group=group)


@register.simple_tag
def standing_tag(result, row, short=False):
    """A row's band: national for an ASCOF measure, within the group for a regional one."""
    return cells.standing_html(result, row, short=short)


@register.simple_tag
def standing_class(result, row):
    """The cell's band class: "band-2", or "band-none"."""
    benchmark = cells.standing(result, row)
    return f"band-{benchmark.band if benchmark and benchmark.band else 'none'}"


@register.simple_tag
def not_ranked_note(result):
    """Under a regional measure's name: why it has no rank or band, if it has none."""
    reason = cells.not_ranked_reason(result.indicator)
    return format_html('<br><span class="hint">{}</span>', reason) if reason else ""


@register.simple_tag
def not_ranked_reason(info):
    return cells.not_ranked_reason(info)


@register.simple_tag
def spread_sentence(result):
    """ "Nationally in 2024-25: 152 councils with a value; …" (`narrative.spread_sentence`)."""
    return narrative.spread_sentence(result)


@register.simple_tag
def quarterly_basis(info):
    """ "Collected quarterly from 2024-25 Q1: a snapshot at each quarter end; …"."""
    return cells.quarterly_basis_text(info)


@register.simple_tag
def year_of_quarters(result):
    """Whether a result is a year of a quarterly measure, whose values come from quarters."""
    return result.quarter is None and result.indicator.quarterly_in(result.year)


@register.simple_tag
def rank_tag(result, row):
    """ "4th of 152" nationally, or "2nd of 14 in group" for a regional measure."""
    return cells.rank_label(result, row)


@register.simple_tag
def derived_hint(cell):
    """How a year of a quarterly measure comes from its quarters."""
    return cells.derived_html(cell)


@register.simple_tag
def last_quarters(result, quarters):
    """A quarterly measure's last four quarters for one council: up to the quarter shown, or
    the four quarters of the year shown. `quarters` holds the council's cells by indicator
    and (year, quarter); "" for a measure with none (one collected yearly)."""
    by_quarter = quarters.get(result.indicator.id) if quarters else None
    if by_quarter is None:
        return ""
    until = (result.year, result.quarter or 4)
    return cells.quarters_html(cells.last_quarters(by_quarter, until), result.indicator)


@register.simple_tag
def value_cell(cell, info):
    return cells.value_html(cell, info)


@register.simple_tag
def provisional_cell(cell, info):
    return cells.provisional_html(cell, info)


@register.simple_tag
def sparkline(trend, info):
    """A council's values of a measure (`info`) over the periods ({year: value}, or
    {(year, quarter): value}) as a small SVG line with its scale."""
    keys = sorted(trend)
    return charts.sparkline_svg(
        [trend[k] for k in keys],
        labels=[period_label(k) for k in keys],
        decimals=info.decimals,
        years=info.kind == "year",
    )


@register.simple_tag
def category_summary(result):
    """ "2 green, 12 amber": the group's councils per category of a qualitative measure."""
    return ", ".join(
        f"{count} {category}" for category, count in data.category_counts(result).items()
    )
