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

from indicators.models import Kind, Source
from indicators.periods import format_period, period_label
from scorecard import stats
from scorecard.charts import sparkline_svg
from scorecard.numbers import format_number, format_value, rounded

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
    numerator and denominator, the publisher's quality flag and an erratum's note ("✱ Corrected:
    published as …"), when there are any."""
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
            html = f"{format_value(cell.outcome, info)}{percent}"
    else:
        html = f'<span class="status">{escape(cell.status_label)}</span>'
    if cell.numerator is not None and cell.denominator is not None:
        html += (
            f'<br><span class="counts">{format_number(cell.numerator, 0)} of '
            f"{format_number(cell.denominator, 0)}</span>"
        )
    if cell.quality_flag:
        html += f'<br><span class="warning">{escape(cell.quality_flag)}</span>'
    if cell.correction:
        html += f'<br><span class="correction">✱ {escape(cell.correction)}</span>'
    return mark_safe(html)


def provisional_html(cell, info) -> SafeString:
    """An unpublished entry (`data.add_provisional`): its value, said "Provisional" or
    "Draft" in words, with no band or direction, since it is never ranked."""
    mark = escape(capfirst(cell.provisional))
    return mark_safe(
        f'{value_html(cell, info)}<br><strong class="tag tag--provisional">{mark}</strong>'
    )


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


IN_GROUP = " (in group)"
NOT_RANKED = "Not ranked"


def in_group(info) -> bool:
    """A regional measure has no national distribution: its councils are ranked and banded
    within the comparator group only."""
    return info.source == Source.LOCAL


def standing(result, row):
    """The benchmark a page bands a row by: the national one for an ASCOF measure, the one
    within the group for a regional measure."""
    if row is None:
        return None
    return row.group if in_group(result.indicator) else row.national


def ranked(info) -> bool:
    """Whether a measure is ranked at all: a number with a judgement of better or worse."""
    return info.is_numeric and info.polarity != stats.NO_JUDGEMENT


def band_words(band: int | None, *, group: bool = False) -> str:
    """ "Upper middle", or "Upper middle (in group)" for a band within the group."""
    label = stats.BAND_LABELS.get(band, "")
    return f"{label}{IN_GROUP}" if label and group else label


def band_html(benchmark, *, short: bool = False, group: bool = False) -> SafeString:
    """A quartile band as a tag in words, as the legend names it ("Upper middle"), with
    "(in group)" for a band within the comparator group. Never "Q1" to "Q4", which read as
    quarters. `short` is kept for callers: the words are short enough for a heatmap cell."""
    band = benchmark.band if benchmark else None
    if not band:
        return mark_safe('<span class="tag tag--none">No band</span>')
    label = band_words(band, group=group)
    title = f' title="{stats.BAND_LABELS[band]} quartile within the comparator group"'
    return mark_safe(
        f'<strong class="tag tag--band-{band}"{title if group else ""}>{label}</strong>'
    )


def standing_html(result, row, *, short: bool = False) -> SafeString:
    """A row's band as a page shows it: national for an ASCOF measure, "(in group)" for a
    regional one; "Not ranked" for a measure with no judgement of better or worse (a rating,
    a category, a count of locations); nothing when the council has no value or, for an
    ASCOF measure, when there is no national quartile (the page says why)."""
    info = result.indicator
    group = in_group(info)
    benchmark = standing(result, row)
    if benchmark and benchmark.band:
        return band_html(benchmark, short=short, group=group)
    if group and not ranked(info):
        return mark_safe(f'<span class="tag tag--none">{NOT_RANKED}</span>')
    if group and row is not None and row.cell.has_value:
        return mark_safe('<span class="tag tag--none">Too few values to band</span>')
    return mark_safe("")


def not_ranked_reason(info) -> str:
    """Why a regional measure gets no rank or band ("" when it gets them)."""
    if not in_group(info) or ranked(info):
        return ""
    if info.is_numeric:
        return f"{NOT_RANKED}: no judgement of better or worse"
    return f"{NOT_RANKED}: a rating or answer in words, not a number"


def rank_label(result, row) -> str:
    """ "4th of 152" nationally for an ASCOF measure; "2nd of 14 in group" for a regional
    one."""
    if row is None:
        return ""
    if in_group(result.indicator):
        label = row.group_rank_label
        return f"{label} in group" if label else ""
    return row.national_rank_label


def last_quarters(by_quarter: dict, until: tuple[int, int], count: int = 4) -> list:
    """The `count` quarters up to and including `until` ((year, quarter)), oldest first, as
    ((year, quarter), what `by_quarter` holds for it, or None) pairs."""
    year, quarter = until
    keys = []
    for _ in range(count):
        keys.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return [(key, by_quarter.get(key)) for key in reversed(keys)]


def _compact_value(cell, info) -> str:
    """A value in a few characters: a rating or category as its tag, a number to its
    decimals (with % for percentages), a year as a year, "No value" when there is none."""
    if cell is None or not cell.has_value:
        return '<span class="status">No value</span>'
    if cell.text:
        return f'<span class="tag tag--{slugify(cell.text)}">{escape(capfirst(cell.text))}</span>'
    if cell.date:
        return format_date(cell.date, "j M Y")
    percent = "%" if info.kind == Kind.PERCENTAGE else ""
    return f"{format_value(cell.outcome, info)}{percent}"


def quarters_html(quarters: list, info) -> SafeString:
    """A council's last four quarters of a quarterly measure (`last_quarters` of its cells)
    as a compact list, "2024-25 Q3 6.1%" a line, each quarter named and a missing one said in
    words, after a sparkline of the numbers."""
    if not quarters:
        return mark_safe("")
    items = "".join(
        f'<li><span class="quarters__period">{escape(period_label(key))}</span> '
        f'<span class="quarters__value">{_compact_value(cell, info)}</span></li>'
        for key, cell in quarters
    )
    first, last = period_label(quarters[0][0]), period_label(quarters[-1][0])
    line = ""
    if info.is_numeric:
        numbers = [
            cell.outcome if cell is not None and cell.has_value else None for _, cell in quarters
        ]
        line = sparkline_svg(
            numbers,
            labels=[period_label(key) for key, _ in quarters],
            decimals=info.decimals,
            years=info.kind == Kind.YEAR,
        )
    return mark_safe(
        f"{line}"
        f'<ul class="quarters" aria-label="Last four quarters, {escape(first)} to '
        f'{escape(last)}">{items}</ul>'
    )


def derived_html(cell) -> SafeString:
    """How a year's value of a quarterly measure comes from its quarters ("Q4's value",
    "Q1 to Q4 together"), as a hint under the value; the reason it has none is the value's
    own status."""
    if not cell.derived or not cell.has_value:
        return mark_safe("")
    return mark_safe(f'<br><span class="hint">From the quarters: {escape(cell.derived)}</span>')


QUARTERLY_BASIS = {
    "snapshot": "a snapshot at each quarter end; the year's value is Q4's",
    "in_quarter": (
        "what happened within each quarter; the year's value is the four quarters together "
        "(Σnumerators / Σdenominators, or the sum of a count)"
    ),
    "year_to_date": "cumulative from April to each quarter end; the year's value is Q4's",
}


def quarterly_basis_text(info) -> str:
    """ "Collected quarterly from 2024-25 Q1: a snapshot at each quarter end; the year's
    value is Q4's." "" for a measure collected yearly."""
    if not info.quarterly_basis:
        return ""
    since = f" from {format_period(*info.quarterly_from)}" if info.quarterly_from else ""
    basis = QUARTERLY_BASIS.get(info.quarterly_basis, info.quarterly_basis.replace("_", " "))
    return f"Collected quarterly{since}: {basis}."


def direction_words(code, significance: str = "") -> tuple[str, str, str]:
    """(symbol, words, CSS modifier) of a direction of travel and its significance
    (`stats.judged_change`): a tested change that is not significant is static, "No
    significant change"; an untested movement says "not tested"."""
    if significance == stats.NOT_SIGNIFICANT:
        return ARROWS[stats.STATIC][0], "No significant change", stats.STATIC
    if code not in ARROWS:
        code = stats.NOT_COMPARABLE
    symbol, words = ARROWS[code]
    if significance == stats.NOT_TESTED:
        words = f"{words} (not tested)"
    return symbol, words, code


def direction_html(code, previous=None, decimals: int = 1, significance: str = "") -> SafeString:
    """A direction of travel as a symbol and its words (`direction_words`), with the previous
    value in the title."""
    symbol, words, code = direction_words(code, significance)
    title = words if previous is None else f"{words} (previous {previous})"
    return mark_safe(
        f'<span class="direction direction--{escape(code)}" title="{title}">'
        f'<span aria-hidden="true">{symbol}</span> '
        f'<span class="direction__words">{words}</span></span>'
    )


def heatmap_row(result, councils: set[int]) -> SafeString:
    """One measure's cells across `councils` (ids), by council name: value, quartile band
    (national for an ASCOF measure, within the group for a regional one) and direction of
    travel."""
    info = result.indicator
    group = in_group(info)
    cells = []
    for row in result.rows_by_name:
        if row.council.id not in councils:
            continue
        if row.provisional:
            cells.append(f'<td class="band-none">{provisional_html(row.provisional, info)}</td>')
            continue
        benchmark = row.group if group else row.national
        band = benchmark.band if benchmark else None
        tag = f"<br>{band_html(benchmark, short=True, group=group)}" if band else ""
        moved = direction_html(row.direction, row.previous_value, info.decimals, row.significance)
        cells.append(
            f'<td class="band-{band or "none"}">{value_html(row.cell, info)}{tag}<br>{moved}</td>'
        )
    return mark_safe("".join(cells))
