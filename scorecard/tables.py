"""The pages' tables (django-tables2): one class per page table, sortable from the query string
(`?sort=value`, `?sort=-value`) through the column headers. Each table is given its rows and
never queries beyond them.

Cells say what they mean in words (band, direction of travel), never by colour alone, through
the same templates the rest of the site uses.
"""

import math
from urllib.parse import quote

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html
from django_tables2.data import TableListData
from django_tables2.utils import OrderBy

from councils.models import CouncilType
from indicators.periods import format_period
from scorecard import cells, stats
from scorecard.numbers import format_value

# Sorting direction of travel ascending puts the best first; not comparable is missing.
DIRECTION_ORDER = {stats.IMPROVING: 0, stats.STATIC: 1, stats.WORSENING: 2}


class RowsInMemory(TableListData):
    """Rows already in memory, so sorting runs no query: each column sorts by the table's
    `sort_keys[name](row)`, with missing values (None) last whichever way it is sorted."""

    def order_by(self, aliases):
        for alias in reversed(aliases):  # stable sorts, the least significant column first
            order = OrderBy(alias)
            key = self.table.sort_keys[order.bare]
            present = [row for row in self.data if key(row) is not None]
            missing = [row for row in self.data if key(row) is None]
            self.data = sorted(present, key=key, reverse=order.is_descending) + missing


def _cell_value(cell):
    """What a value sorts by: (0, its number), (1, its text, case ignored) or (2, its date), so
    that a row of another kind than its column's (never valid, but never a failure either)
    sorts after the rest rather than failing to compare."""
    if not cell.has_value:
        return None
    if cell.outcome is not None:
        return (0, cell.outcome) if math.isfinite(cell.outcome) else None
    return (1, cell.text.lower()) if cell.text else (2, cell.date)


class IndicatorTable(tables.Table):
    """An indicator's councils in a period, ranked within the comparator group (the indicator
    page); the rows are `data.CouncilResult`s of one `data.IndicatorResult`."""

    group_rank = tables.Column("Group rank", accessor="group_rank_label", empty_values=())
    council = tables.Column("Council", accessor="council__name")
    value = tables.Column("Value", accessor="cell", empty_values=())
    national_rank = tables.Column("National rank", accessor="national_rank_label", empty_values=())
    national_quartile = tables.Column("National quartile", accessor="national", empty_values=())
    direction = tables.Column("Direction of travel", empty_values=())
    previous_value = tables.Column("Previous value", empty_values=())

    sort_keys = {
        "group_rank": lambda row: row.group.rank if row.group else None,
        "council": lambda row: row.council.name,
        "value": lambda row: _cell_value(row.cell),
        "national_rank": lambda row: row.national.rank if row.national else None,
        "national_quartile": lambda row: row.national.band if row.national else None,
        "direction": lambda row: DIRECTION_ORDER.get(row.direction),
        "previous_value": lambda row: row.previous_value,
    }

    def __init__(self, result, **kwargs):
        # A regional measure has no national distribution: no national rank, and its band is
        # the one within the group.
        regional = cells.in_group(result.indicator)
        if regional:
            kwargs.setdefault("exclude", ("national_rank",))
        super().__init__(RowsInMemory(list(result.rows)), **kwargs)
        self.result = result
        self.info = result.indicator
        self.caption = (
            f"{self.info.name}, {result.period}, ranked within {result.group_name}. "
            "Choose a column heading to sort by it."
        )
        if regional:
            self.columns["national_quartile"].column.verbose_name = "Band in group"
            self.sort_keys = {
                **self.sort_keys,
                "national_quartile": lambda row: row.group.band if row.group else None,
            }

    def render_council(self, value, record):
        url = reverse("council-detail", args=[record.council.slug])
        return format_html('<a href="{}?period={}">{}</a>', url, quote(self.result.period), value)

    def render_value(self, value, record):
        if record.provisional:
            return cells.provisional_html(record.provisional, self.info)
        return cells.value_html(value, self.info) + cells.derived_html(value)

    def render_national_quartile(self, value, record):
        return cells.standing_html(self.result, record)

    def render_direction(self, value, record):
        if record.provisional:  # never ranked: no direction either
            return ""
        html = cells.direction_html(
            value, record.previous_value, self.info.decimals, record.significance
        )
        if record.previous_period:
            html += format_html('<br><span class="hint">since {}</span>', record.previous_period)
        return html

    def render_previous_value(self, value):
        return format_value(value, self.info)


class CouncilTable(tables.Table):
    """Every council (the council list page and its downloads); the rows are dicts from
    `Area.objects.councils().values(...)`, sorted by the database."""

    council = tables.Column("Council", accessor="name")
    cassr_code = tables.Column("CASSR code", accessor="code")
    ons_code = tables.Column("ONS code")
    council_type = tables.Column("Type")
    region = tables.Column("Region", accessor="region__name")
    status = tables.Column("Status", accessor="last_year", empty_values=())

    caption = "Councils with their codes, type and region. Choose a column heading to sort by it."

    class Meta:
        empty_text = "No council matches these filters."

    def render_council(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("council-detail", args=[record["slug"]]), value
        )

    def value_council(self, value):
        return value

    def render_council_type(self, value):
        return CouncilType(value).label

    def render_status(self, value):
        return f"Data until {format_period(value)}" if value else "Current"

    value_council_type = render_council_type
    value_status = render_status

    def order_status(self, queryset, is_descending):
        # Current councils first, then those whose data ended latest; NULLs placed the same on
        # SQLite and PostgreSQL.
        last_year = F("last_year")
        first = (
            last_year.asc(nulls_last=True) if is_descending else last_year.desc(nulls_first=True)
        )
        return queryset.order_by(first, "name"), True
