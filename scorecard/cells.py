"""The HTML of a table cell, built in Python from plain rows: a published value, a quartile
band and a direction of travel, each in words as well as colour or symbol.

The region overview shows hundreds of these cells (about 630 for the 14 councils), so they are
built here as strings, escaping the text that comes from data, rather than through a
template each; the template tags, the
django-tables2 tables and the overview's prepared rows all call these functions.
"""

from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst, slugify

from indicators.models import Kind
from scorecard import stats
from scorecard.numbers import format_number, rounded

ARROWS = {
    stats.IMPROVING: ("▲", "Improving"),
    stats.WORSENING: ("▼", "Worsening"),
    stats.STATIC: ("►", "Static"),
    stats.NOT_COMPARABLE: ("–", "Not comparable"),
    stats.POSITIVE: ("▲", "Positive"),
    stats.NEGATIVE: ("▼", "Negative"),
}


def value_html(cell, info) -> SafeString:
    """A published value as the scorecard reads it: a RAG or category as a tag in words, a
    date, a number to its decimals (with % for percentages), or why it is missing; then the
    numerator and denominator, and the publisher's quality flag, when there are any."""
    if cell.has_value:
        if cell.text:
            html = (
                f'<strong class="tag tag--{slugify(cell.text)}">'
                f"{escape(capfirst(cell.text))}</strong>"
            )
        elif cell.date:
            html = format_date(cell.date, "j M Y")
        else:
            percent = "%" if info.kind == Kind.PERCENTAGE else ""
            html = f"{format_number(cell.outcome, info.decimals)}{percent}"
    else:
        html = f'<span class="status">{escape(cell.status_label)}</span>'
    if cell.numerator is not None and cell.denominator is not None:
        html += (
            f'<br><span class="counts">{format_number(cell.numerator, 0)} of '
            f"{format_number(cell.denominator, 0)}</span>"
        )
    if cell.quality_flag:
        html += f'<br><span class="warning">{escape(cell.quality_flag)}</span>'
    return mark_safe(html)


def plain_value(cell, info):
    """A published value for a download, as the page reads it: a number rounded to its
    decimals (a whole number without decimals, so a year is 2023, not 2023.0), a rating or
    category in words, a date; None when there is no value (the status column says why)."""
    if not cell.has_value:
        return None
    if cell.outcome is not None:
        number = rounded(cell.outcome, info.decimals)
        return int(number) if number is not None and info.decimals == 0 else number
    if cell.text:
        return capfirst(cell.text)
    return cell.date


def band_html(benchmark, *, short: bool = False) -> SafeString:
    """A quartile band as a tag in words ("Upper middle"), or "Q2" with the words as its title."""
    band = benchmark.band if benchmark else None
    if not band:
        return mark_safe('<span class="tag tag--none">No band</span>')
    label = stats.BAND_LABELS[band]
    if short:
        label = f'<abbr title="{label} quartile">Q{band}</abbr>'
    return mark_safe(f'<strong class="tag tag--band-{band}">{label}</strong>')


def direction_html(code, previous=None, decimals: int = 1) -> SafeString:
    """A direction of travel as a symbol and its word, with the previous value in the title."""
    symbol, words = ARROWS.get(code, ARROWS[stats.NOT_COMPARABLE])
    title = words if previous is None else f"{words} (previous {previous})"
    return mark_safe(
        f'<span class="direction direction--{escape(code)}" title="{title}">'
        f'<span aria-hidden="true">{symbol}</span> '
        f'<span class="direction__words">{words}</span></span>'
    )


def heatmap_row(result, councils: set[int]) -> SafeString:
    """One measure's cells across `councils` (ids), by council name: value, national quartile
    band and direction of travel."""
    info = result.indicator
    cells = []
    for row in result.rows_by_name:
        if row.council.id not in councils:
            continue
        band = row.national.band if row.national else None
        cells.append(
            f'<td class="band-{band or "none"}">{value_html(row.cell, info)}'
            f"{f'<br>{band_html(row.national, short=True)}' if band else ''}"
            f"<br>{direction_html(row.direction, row.previous_value, info.decimals)}</td>"
        )
    return mark_safe("".join(cells))
