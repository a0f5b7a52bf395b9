"""The scorecard pages. Each view reads the request, asks `data` for plain rows (read from
the stored results with a fixed number of queries), and renders. Public pages are also cached
whole under the data version (`pagecache.cached_page`), so a view runs only on a page's first
request after a change.
"""

from collections import Counter
from dataclasses import replace

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig

from councils.models import Area, ComparatorGroup
from indicators.models import ILLUSTRATIVE, Source
from indicators.periods import format_period, parse_period
from scorecard import cells, charts, data, exports, stats, tables
from scorecard.context_processors import SOURCE_ATTRIBUTION
from scorecard.exports import table_rows
from scorecard.filters import CouncilFilter
from scorecard.numbers import rounded
from scorecard.pagecache import cached_page


class OptionsForm(forms.Form):
    period = forms.ChoiceField(
        label="Period",
        help_text="A financial year (April to March) or one of its quarters (Q1 is April to June)",
    )
    group = forms.ChoiceField(label="Compare with", help_text="A comparator group of councils")

    def __init__(self, query, *, periods, groups):
        super().__init__(query)
        # Latest first, a year before its own quarters; one still being published says so.
        self.fields["period"].choices = [
            (format_period(*period), periods.label(period)) for period in reversed(periods.all)
        ]
        self.fields["group"].choices = [*groups, (data.ENGLAND, "All councils in England")]


def _options(request, source: str | None = None):
    """The period and comparator group a page shows, from the query string, with the public
    latest year (`data.Periods`) and the default group when absent. Returns (form, (year,
    quarter), group, publishing); quarter is None for a year, and `publishing` says so when
    the period is still being published."""
    found = list(
        ComparatorGroup.objects.annotate(size=Count("councils"))
        .order_by("-is_default", "name")
        .values_list("slug", "name", "is_default", "size")
    )
    groups = [(slug, name) for slug, name, _, _ in found]
    default_size = next((size for _, _, is_default, size in found if is_default), 0)
    periods = data.periods(source, default_size)
    if not periods.all:
        raise Http404("No data has been loaded yet.")
    latest = format_period(*(periods.latest() or periods.latest(quarter=True)))
    query = request.GET.copy()
    query.setdefault("period", latest)
    query.setdefault("group", groups[0][0] if groups else data.ENGLAND)
    form = OptionsForm(query, periods=periods, groups=groups)
    form.is_valid()
    period = parse_period(form.cleaned_data.get("period") or latest)
    slug = form.cleaned_data.get("group") or (groups[0][0] if groups else data.ENGLAND)
    return form, period, data.group_by_slug(slug), _publishing(periods, period)


def _publishing(periods, period) -> str:
    """Why a period that is still being published is not the default, and which is."""
    if period not in periods.published or periods.is_public(period):
        return ""
    latest = periods.latest(quarter=period[1] is not None)
    since = (
        f" The public latest period is {format_period(*latest)}."
        if (latest and latest != period)
        else ""
    )
    return (
        f"{format_period(*period)} is still being published: {periods.published[period]} of "
        f"{periods.councils} councils so far. Its figures are those published; its ranks, "
        f"bands and counts are over those councils only.{since}"
    )


def _first_rows(sections) -> list["data.CouncilResult"]:
    """The group's councils, as the first result lists them (every result lists them all)."""
    return sections[0].results[0].rows if sections and sections[0].results else []


def _results(period, group, user, **options) -> dict[int, "data.IndicatorResult"]:
    """Every indicator shown in the period for the group's councils (and any others named),
    in catalogue order. For a quarter, each measure at its latest period up to it: quarterly
    measures at the quarter, measures collected yearly at the year before (see
    `data.latest_periods`). A signed-in user also gets the unpublished entries they may see
    (`data.add_provisional`)."""
    infos = data.indicators()
    found = {}
    for (year, quarter), shown in data.latest_periods(infos, *period):
        found |= data.benchmarks(year, group, shown, quarter=quarter, **options)
    data.add_provisional(found.values(), user)
    return {info.id: found[info.id] for info in infos if info.id in found}


def _annual(results: dict) -> dict:
    """The results of annual periods: the roll-ups (overall direction, domain positions) are
    worked out over years only."""
    return {pk: result for pk, result in results.items() if result.quarter is None}


@cached_page
def region_overview(request):
    """Heatmap of the group's councils × indicators for a period, with roll-ups."""
    form, period, group, publishing = _options(request)
    label = format_period(*period)
    results = _results(period, group, request.user, with_trend=False)
    sections = data.sections(list(results.values()))
    wanted = request.GET.get("format") in exports.DOWNLOADS
    if wanted and request.GET.get("table") != "directions":
        return exports.download(
            request,
            f"scorecard-overview-{label}",
            CSV_HEADER,
            _results_rows([r for section in sections for r in section.results]),
            source_note=None,
        )
    yearly = _annual(results)
    # The roll-ups' year: the chosen year, or for a quarter the year its annual measures show.
    year = next(iter(yearly.values())).year if yearly else period[0]
    directions = data.overall_directions(yearly, settings.OVERALL_DIRECTION_TOLERANCE)
    if wanted:
        return exports.download(
            request,
            f"overall-direction-{format_period(year)}",
            DIRECTIONS_HEADER,
            _direction_rows(directions, year),
        )
    councils = sorted((row.council for row in _first_rows(sections)), key=lambda c: c.name)
    # Every council in England is too many columns for one page: they are shown a page apiece.
    page = Paginator(councils, COUNCILS_PER_PAGE).get_page(request.GET.get("page"))
    shown = {council.id for council in page}
    # Each measure's cells prepared in Python: hundreds of them, one template each is slow.
    rows = [
        (section, [(result, cells.heatmap_row(result, shown)) for result in section.results])
        for section in sections
    ]
    return render(
        request,
        "scorecard/overview.html",
        {
            "form": form,
            "period": label,
            "quarter": period[1],
            "publishing": publishing,
            "roll_up_period": format_period(year),
            "group": group,
            "sections": rows,
            "councils": page.object_list,
            "page": page,
            "pages": _page_links(request, page),
            "directions": directions,
            "direction_counts": Counter(d.result.direction for d in directions),
            "since": format_period(year - 1),
            "tolerance": settings.OVERALL_DIRECTION_TOLERANCE,
        },
    )


COUNCILS_PER_PAGE = 25


def _page_links(request, page) -> list[tuple[str, str]]:
    """(label, query string) of the previous and next pages, keeping every other option."""
    links = []
    for label, here, number in (
        ("Previous councils", page.has_previous(), "previous_page_number"),
        ("Next councils", page.has_next(), "next_page_number"),
    ):
        if here:
            query = request.GET.copy()
            query["page"] = getattr(page, number)()
            links.append((label, query.urlencode()))
    return links


@cached_page
def council_list(request):
    """Every council, sortable, filtered by name, region, type and whether it is current; the
    downloads hold the rows shown."""
    councils = Area.objects.councils().order_by("name")
    filters = CouncilFilter(
        request.GET,
        queryset=councils.values(
            "name", "slug", "code", "ons_code", "council_type", "region__name", "last_year"
        ),
    )
    table = tables.CouncilTable(filters.qs)
    RequestConfig(request, paginate=False).configure(table)
    if request.GET.get("format") in exports.DOWNLOADS:
        return exports.download(request, "councils", *table_rows(table))
    return render(request, "scorecard/council_list.html", {"filters": filters, "table": table})


@cached_page
def council_detail(request, slug):
    council = Area.objects.councils().filter(slug=slug).values("pk", "name", "slug").first()
    if council is None:
        raise Http404("No council has that address.")
    form, period, group, publishing = _options(request)
    # A council outside the group is shown beside it, ranked with its councils.
    outside = group is not None and not group.councils.filter(pk=council["pk"]).exists()
    results = _results(
        period,
        group,
        request.user,
        extra_councils=(council["pk"],) if outside else (),
        trend_of=(council["pk"],),  # the page shows no other council's trend
    )
    sections = data.sections(list(results.values()))
    if request.GET.get("format") in exports.DOWNLOADS:
        return exports.download(
            request,
            f"{slug}-{format_period(*period)}",
            CSV_HEADER,
            _results_rows(
                [r for section in sections for r in section.results], council_ids=[council["pk"]]
            ),
            source_note=None,
        )
    rows = [
        (section, [(result, result.row_for(council["pk"])) for result in section.results])
        for section in sections
    ]
    return render(
        request,
        "scorecard/council_detail.html",
        {
            "form": form,
            "council": council,
            "period": format_period(*period),
            "quarter": period[1],
            "publishing": publishing,
            "group": group,
            "sections": rows,
            "quarters": _council_quarters(council["pk"], results.values(), period),
        },
    )


def _council_quarters(council_id, results, period) -> dict[int, dict]:
    """The council's quarters of each quarterly measure shown, indicator -> (year, quarter)
    -> cell, from the year before the period's to the period's, so its scorecard shows each
    quarterly measure's last four quarters (ratings and categories too, which a trend of
    numbers leaves out): 1 query, none when no measure shown is quarterly."""
    year = period[0]
    ids = [r.indicator.id for r in results if r.indicator.quarterly_in(r.year, r.quarter)]
    if not ids:
        return {}
    found = data.quarter_cells(
        data.quarter_values().filter(
            indicator_id__in=ids, area_id=council_id, period__year__in=[year - 1, year]
        )
    )
    quarters = {}
    for (indicator, y, q), by_area in found.items():
        quarters.setdefault(indicator, {})[(y, q)] = by_area[council_id][1]
    return quarters


@cached_page
def indicator_list(request):
    """Every indicator, grouped as the scorecard last showed it, linking to its page."""
    sections = data.catalogue(data.indicators())
    return render(request, "scorecard/indicator_list.html", {"sections": sections})


@cached_page
def indicator_detail(request, slug):
    infos = data.indicators()
    info = next((i for i in infos if i.slug == slug), None)
    if info is None:
        raise Http404("No indicator has that address.")
    form, period, group, publishing = _options(
        request, Source.LOCAL if info.source == Source.LOCAL else None
    )
    year, quarter = period
    if quarter is not None and not info.quarterly_in(year, quarter):
        # A measure collected yearly, asked for at a quarter: its latest year before it.
        year, quarter = year - 1, None
        publishing = ""
    result = data.benchmarks(year, group, [info], quarter=quarter, with_national_points=True)[
        info.id
    ]
    data.add_provisional([result], request.user)
    notes = data.publisher_notes(info.id, year)
    table = tables.IndicatorTable(result)
    RequestConfig(request, paginate=False).configure(table)
    if request.GET.get("format") in exports.DOWNLOADS:
        # The rows in the order the table shows them.
        shown = replace(result, rows=[row.record for row in table.rows])
        return exports.download(
            request,
            f"{info.slug}-{result.period}",
            INDICATOR_HEADER,
            _with_notes(_results_rows([shown]), notes),
            source_note=None,
        )
    councils = [(row.council.slug, row.council.name) for row in result.rows_by_name]
    council = request.GET.get("council", "")
    figures = []
    if info.is_numeric and any(row.cell.has_value for row in result.rows):
        figures = charts.indicator_figures(result, dict(councils).get(council))
    return render(
        request,
        "scorecard/indicator_detail.html",
        {
            "form": form,
            "info": info,
            "result": result,
            "figures": figures,
            "table": table,
            "publishing": publishing,
            "councils": councils,
            "council": council,
            "notes": notes,
        },
    )


@cached_page
def compare(request):
    """Two to four councils side by side across every indicator, with England; the downloads
    hold the councils' rows in the order chosen."""
    slugs = [s for s in request.GET.getlist("councils") if s]
    form, period, group, publishing = _options(request)
    choices = list(Area.objects.councils().values_list("slug", "name"))
    chosen = [pk for (pk,) in Area.objects.councils().filter(slug__in=slugs).values_list("pk")]
    error = ""
    sections = []
    if len(chosen) > 4:
        # Compare nothing rather than the first four: which to leave out is the person's choice,
        # and their choices stay ticked for them to make it.
        error = f"Choose up to four councils: you chose {len(chosen)}"
    elif len(chosen) >= 2:
        chosen = tuple(sorted(chosen))
        results = _results(period, group, request.user, extra_councils=chosen, trend_of=chosen)
        sections = data.sections(list(results.values()))
    elif slugs:
        error = "Choose at least two councils to compare."
    names = dict(choices)
    columns = [(slug, names[slug]) for slug in slugs if slug in names]
    if request.GET.get("format") in exports.DOWNLOADS:
        results = [r for section in sections for r in section.results]
        ids = _ids_in_order(results[0], slugs) if results else []
        return exports.download(
            request,
            f"compare-{'-'.join(slug for slug, _ in columns)}-{format_period(*period)}",
            CSV_HEADER,
            _results_rows(results, council_ids=ids),
            source_note=None,
        )
    table = [
        (
            section,
            [
                (result, [result.row_for(pk) for pk in _ids_in_order(result, slugs)])
                for result in section.results
            ],
        )
        for section in sections
    ]
    return render(
        request,
        "scorecard/compare.html",
        {
            "form": form,
            "period": format_period(*period),
            "quarter": period[1],
            "publishing": publishing,
            "choices": choices,
            "slugs": slugs,
            "columns": columns,
            "sections": table,
            "error": error,
            # GOV.UK's error summary links a group of checkboxes' error to its first box.
            "errors": [(f"council-{choices[0][0]}", error)] if error else [],
        },
    )


def _ids_in_order(result, slugs):
    by_slug = {row.council.slug: row.council.id for row in result.rows}
    return [by_slug[s] for s in slugs if s in by_slug]


CSV_HEADER = [
    "period",
    "indicator_code",
    "published_code",
    "indicator",
    "unit",
    "polarity",
    "cassr_code",
    "ons_code",
    "council",
    "value",
    "value_stored",
    "status",
    "numerator",
    "denominator",
    "national_rank",
    "national_n",
    "national_quartile",
    "national_quartile_words",
    "group_rank",
    "group_n",
    "group_quartile",
    "group_quartile_words",
    "direction",
    "significance",
    "direction_words",
    "significance_words",
    "previous_value",
    "england",
    "region",
    "note",
    "correction",
    "publication",
    "councils_published",
    "councils_shown",
]


# An indicator's download: the results' columns and, after the correction, its table's notes.
_NOTES_AT = CSV_HEADER.index("correction") + 1
INDICATOR_HEADER = [*CSV_HEADER[:_NOTES_AT], "publisher_notes", *CSV_HEADER[_NOTES_AT:]]


def _with_notes(rows, notes):
    """Each row with the publisher's notes on its table for the year in one cell, after its
    correction: "[note 1] For measures based on survey data … [note 5] Derby Council …"."""
    text = " ".join(f"[note {note.number}] {' '.join(note.text.split())}" for note in notes)
    for row in rows:
        yield [*row[:_NOTES_AT], text, *row[_NOTES_AT:]]


DIRECTIONS_HEADER = [
    "from_period",
    "to_period",
    "cassr_code",
    "ons_code",
    "council",
    "overall_direction",
    "overall_direction_words",
    "mean_percentile_rank_from",
    "mean_percentile_rank_to",
    "change",
    "measures_compared",
    "measures",
]


def _direction_rows(directions, year):
    for found in directions:
        result = found.result
        yield [
            format_period(year - 1),
            format_period(year),
            found.council.cassr_code,
            found.council.ons_code,
            found.council.name,
            result.direction,
            cells.direction_words(result.direction)[1],
            result.mean_start,
            result.mean_end,
            result.change,
            len(found.measures),
            " ".join(found.measures),
        ]


QUARTILE_WORDS = {**stats.BAND_LABELS, 1: "Upper (best)", 4: "Lower (worst)"}
SIGNIFICANCE_WORDS = {
    stats.SIGNIFICANT: "Significant change",
    stats.NOT_SIGNIFICANT: "Not a significant change",
    stats.NOT_TESTED: "Not tested",
}


def _source(info, cell) -> str:
    """A row's attribution: the OGL statement for ASCOF, the region's own for its measures,
    with the demo's illustrative label beside it."""
    if info.source != Source.LOCAL:
        return SOURCE_ATTRIBUTION
    local = settings.SCORECARD_LOCAL_ATTRIBUTION
    return f"{local}. {ILLUSTRATIVE}" if cell.note == ILLUSTRATIVE else local


def _stored(cell, shown):
    """The value as stored, where the download's rounded value differs from it."""
    return cell.outcome if cell.outcome is not None and cell.outcome != shown else None


def _results_rows(results, council_ids=None):
    """The rows of CSV_HEADER, each ending with its source, for every council in each result
    (or those of `council_ids`, in that order): every download of the overview, a council
    scorecard, an indicator page and the compare page. A council's unpublished entry
    (signed-in downloads only) is its value, said "provisional" or "draft" in the
    publication column, with no rank, band or direction; a regional measure's rows say how
    many of the councils shown have published."""
    for result in results:
        info = result.indicator
        published, shown = result.published or (None, None)
        rows = result.rows
        if council_ids is not None:
            rows = [result.row_for(pk) for pk in council_ids if result.row_for(pk)]
        for row in rows:
            national, grouped = row.national, row.group
            cell = row.provisional or row.cell
            publication = cell.provisional or ("published" if cell.status else "")
            value = cells.plain_value(cell, info)
            direction = "" if row.provisional else row.direction
            significance = "" if row.provisional else row.significance
            yield [
                result.period,
                info.code,
                result.published_code,
                info.name,
                info.unit,
                info.polarity,
                row.council.cassr_code,
                row.council.ons_code,
                row.council.name,
                value,
                _stored(cell, value),
                cell.status_label,
                cell.numerator,
                cell.denominator,
                national.rank if national else None,
                national.n if national and national.rank else None,
                national.band if national else None,
                QUARTILE_WORDS.get(national.band, "") if national else "",
                grouped.rank if grouped else None,
                grouped.n if grouped and grouped.rank else None,
                grouped.band if grouped else None,
                QUARTILE_WORDS.get(grouped.band, "") if grouped else "",
                direction,
                significance,
                cells.direction_words(direction, significance)[1] if direction else "",
                SIGNIFICANCE_WORDS.get(significance, ""),
                rounded(row.previous_value, info.decimals),
                rounded(result.england.outcome, info.decimals),
                rounded(result.region.outcome, info.decimals),
                row.cell.note,
                _corrections(row.cell, result),
                publication,
                published,
                shown,
                _source(info, row.cell),
            ]


def _corrections(cell, result) -> str:
    """The errata of a download row's figures (the value's, England's and the region's), each
    with the figure as published and the reason."""
    found = [("value", cell), ("england", result.england), ("region", result.region)]
    return "; ".join(f"{name}: {own.correction}" for name, own in found if own.correction)


@cached_page
def about(request):
    """About the data: sources, licence, method, caveats, glossary, accessibility statement.
    Static text, plus "data as at" from the context processor (one query)."""
    return render(request, "scorecard/about.html")


def health(request):
    """For load balancers and the container's health check: the process answers. Touches
    neither the database nor the cache, so it is also the benchmark's trivial view."""
    return HttpResponse("ok", content_type="text/plain")
