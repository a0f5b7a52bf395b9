"""The one place that turns the database into plain rows for pages, exports and commands.

Each public function runs a small, fixed number of queries, however many councils, indicators
and years are stored, and leaves the arithmetic to `scorecard.stats`, whose docstrings state
the method. Results are plain dataclasses: templates, tables, charts and the CLI read them
without touching the database again.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db.models import BooleanField, Exists, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models import Value as Constant
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from councils.models import Area, AreaKind, ComparatorGroup
from indicators import rounding
from indicators.models import (
    ILLUSTRATIVE,
    NUMERIC_KINDS,
    PUBLISHED_FIELDS,
    TOTAL,
    Availability,
    BreakKind,
    Domain,
    Erratum,
    Indicator,
    IndicatorCode,
    Kind,
    Objective,
    Period,
    ScorecardArea,
    SeriesBreak,
    Source,
    TableNote,
    Value,
)
from indicators.periods import format_period
from indicators.validation import canonical_choice
from returns.models import Entry, Membership, Role, State
from scorecard import stats
from scorecard.models import YEAR, Standing, Summary

DEMO_CAVEAT = "Illustrative demo values, not real data: replace them with the councils' returns."
ENGLAND = "england"  # the group of every council, for the CLI and the indicator page
POLARITY_LABELS = {
    stats.HIGHER_IS_BETTER: "Higher is better",
    stats.LOWER_IS_BETTER: "Lower is better",
    stats.NO_JUDGEMENT: "No judgement of better or worse",
}


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    slug: str
    name: str
    short_name: str
    unit: str
    decimals: int
    polarity: str
    kind: str
    multiplier: float
    is_survey: bool
    is_numeric: bool
    source: str
    domain: str
    domain_label: str
    objective: str
    objective_label: str
    scorecard_area: str
    scorecard_area_label: str
    categories: tuple
    tolerance: float | None
    breaks: dict[int, str]  # start year of a series break -> reason
    partial: dict[int, str]  # year of partial coverage -> reason
    cautions: dict[int, str]
    codes: tuple[tuple[str, int, int | None], ...]  # (published code, first year, last year)
    quarterly_basis: str = ""  # blank: collected yearly
    quarterly_from: tuple[int, int] | None = None  # (year, quarter) of its first quarter
    definition: str = ""  # the publisher's written definition, or the catalogue's (WM-)
    last_year: int | None = None  # the last year of a retired measure

    def quarterly_in(self, year: int, quarter: int | None = None) -> bool:
        """Collected by quarter in `year` (or in that quarter): from its first quarter on."""
        if not self.quarterly_basis or self.quarterly_from is None:
            return False
        first_year, first_quarter = self.quarterly_from
        if quarter is None:
            return year >= first_year
        return (year, quarter) >= (first_year, first_quarter)

    def code_in(self, year: int) -> str:
        """The code the publication used that year, as users read it."""
        for code, first, last in self.codes:
            if first <= year and (last is None or year <= last):
                return code
        return self.code

    @property
    def latest_code(self) -> str:
        """The code of its latest publication (its own code for a regional measure)."""
        return self.codes[-1][0] if self.codes else self.code

    @property
    def polarity_label(self) -> str:
        return POLARITY_LABELS.get(self.polarity, POLARITY_LABELS[stats.NO_JUDGEMENT])

    def code_history(self) -> str:
        """ "1C(2a) 2014-15 to 2022-23, 3D2A in 2023-24, 3D(2a) from 2024-25"."""
        return ", ".join(
            f"{code} {IndicatorCode(code=code, first_year=first, last_year=last).span}"
            for code, first, last in self.codes
        )

    def place(self, year: int) -> tuple[str, str]:
        """Its group on the scorecard that year: the ASCOF domain up to 2022-23, the
        objective from 2023-24, and the scorecard area for local indicators."""
        if self.source == Source.LOCAL:
            return self.scorecard_area, self.scorecard_area_label
        if year <= 2022 and self.domain:
            return f"domain-{self.domain}", f"Domain {self.domain_label}"
        if self.objective:
            return f"objective-{self.objective}", f"Objective {self.objective_label}"
        return f"domain-{self.domain}", f"Domain {self.domain_label}"

    def published_in(self, year: int) -> bool:
        return any(
            first <= year and (last is None or year <= last) for _, first, last in self.codes
        )

    def caveats(self, year: int) -> list[str]:
        notes = []
        label = format_period(year)
        if year in self.breaks:
            notes.append(f"Series break in {label}: {self.breaks[year]}")
            if "Client Level Data" in self.breaks[year]:
                notes.append(f"Official statistics in development in {label}.")
        if year in self.partial:
            notes.append(f"Partial coverage in {label}: {self.partial[year]}")
        if year in self.cautions:
            notes.append(f"Compare with care ({label}): {self.cautions[year]}")
        return notes

    def base_of(self, cell: "Cell") -> float | None:
        """What a value's minimum base is judged on (`stats.base_standing`): a survey
        measure's respondents, another measure's denominator (None when not published)."""
        return cell.base if self.is_survey else cell.denominator

    def counts_of(self, cell: "Cell") -> tuple[float | None, float | None] | None:
        """A percentage's counts as its change and its comparison with England are tested on
        (people or providers among a denominator); None for a survey measure, whose counts are
        weighted, and for any other kind (a rate per 100,000 is not tested)."""
        if self.is_survey or self.kind != Kind.PERCENTAGE:
            return None
        return _pair(cell)

    def margin_of(self, cell: "Cell") -> float | None:
        """A survey measure's published margin of error; None for any other measure."""
        return _finite(cell.margin_of_error) if self.is_survey else None


@dataclass(frozen=True)
class Cell:
    """One published value as pages show it."""

    outcome: float | None = None
    status: str = ""
    numerator: float | None = None
    denominator: float | None = None
    margin_of_error: float | None = None
    base: float | None = None
    text: str = ""
    date: datetime.date | None = None
    quality_flag: str = ""
    note: str = ""  # the value's own note: ILLUSTRATIVE for the demo's values
    # A year of a quarterly measure: how its value comes from the quarters, or why it has none.
    derived: str = ""
    # An entry of a return not yet published (`provisional_cells`): "provisional" when
    # submitted, "draft" before. Never ranked, banded or counted.
    provisional: str = ""
    # Why a published figure is not available after all (`with_base`): its base is zero.
    reason: str = ""
    # An erratum's note ("Corrected: published as 61.6 (why)") when one corrects a figure of
    # it (`cells(..., corrections=True)`), and the publisher's new figure while one needs review.
    correction: str = ""
    correction_review: str = ""

    @property
    def has_value(self) -> bool:
        return self.status == Availability.AVAILABLE

    @property
    def status_label(self) -> str:
        if self.status:
            label = Availability(self.status).label
            return f"{label}: {self.reason}" if self.reason else label
        return self.derived or "No data"


def with_base(cell: Cell) -> Cell:
    """A published figure on a base of zero (no survey respondents, or a denominator of 0) is
    not available, whatever figure is printed (`stats.base_standing`): the workbook gives 1B
    2019-20 as 0.0 from 0 respondents. Its counts are kept, so Σ aggregates are unchanged."""
    if cell.status != Availability.AVAILABLE:
        return cell
    for base, reason in ((cell.base, "0 respondents"), (cell.denominator, "a denominator of 0")):
        if base == 0:
            return replace(cell, status=Availability.NOT_AVAILABLE, reason=f"published on {reason}")
    return cell


EMPTY = Cell()


@dataclass(frozen=True)
class CouncilInfo:
    id: int
    name: str
    slug: str
    cassr_code: str
    ons_code: str
    boundary_break_year: int | None = None  # a boundary change keeping the code (Dorset: 2019)


@dataclass
class CouncilResult:
    council: CouncilInfo
    cell: Cell
    national: stats.Benchmark | None
    group: stats.Benchmark | None
    direction: str
    previous_value: float | None
    previous_year: int | None
    vs_england: str | None
    # Whether the direction's change was tested (`stats.judged_change`): stats.SIGNIFICANT,
    # NOT_SIGNIFICANT or NOT_TESTED; "" when not comparable, or judged otherwise.
    significance: str = ""
    # Years, or (year, quarter) of a quarterly result, to values, in order.
    trend: dict = field(default_factory=dict)
    previous_quarter: int | None = None
    # For a signed-in reader, the council's unpublished entry where it has no published value
    # (`add_provisional`); `cell` stays the published one, which every statistic reads.
    provisional: Cell | None = None

    @property
    def previous_period(self) -> str:
        if self.previous_year is None:
            return ""
        return format_period(self.previous_year, self.previous_quarter)

    @property
    def national_rank_label(self) -> str:
        b = self.national
        return stats.rank_label(b.rank, b.n, b.tied) if b and b.rank else ""

    @property
    def group_rank_label(self) -> str:
        b = self.group
        return stats.rank_label(b.rank, b.n, b.tied) if b and b.rank else ""


@dataclass(frozen=True)
class NationalPoint:
    """One council's published value among every council's that year: the points of the
    national distribution."""

    council_id: int
    name: str
    value: float
    national: stats.Benchmark | None

    @property
    def national_rank_label(self) -> str:
        b = self.national
        return stats.rank_label(b.rank, b.n, b.tied) if b and b.rank else ""


@dataclass
class IndicatorResult:
    """One indicator in one period for a comparator group: every member's standing."""

    indicator: IndicatorInfo
    year: int
    group_name: str
    rows: list[CouncilResult]
    national: stats.Distribution
    national_note: str  # why there is no national quartile, if there is none
    status_counts: dict[str, int]
    england: Cell
    region: Cell
    region_name: str
    aggregate: stats.Aggregate | None
    caveats: list[str]
    # Every council with a value nationally, best first (highest first without a polarity);
    # empty for regional measures, which are compared within the group only.
    national_points: tuple[NationalPoint, ...] = ()
    quarter: int | None = None
    # A regional measure within a group: (councils with a published value, councils shown).
    published: tuple[int, int] | None = None
    # England's values by year, this one included (years only; empty without the trend).
    england_trend: dict = field(default_factory=dict)

    @property
    def period(self) -> str:
        return format_period(self.year, self.quarter)

    @property
    def published_label(self) -> str:
        """ "3 of 14 published" while not every council has published a regional measure's
        period; "" once all have, and for ASCOF measures (published nationally at once)."""
        if self.published is None or self.published[0] >= self.published[1]:
            return ""
        return f"{self.published[0]} of {self.published[1]} published"

    @property
    def published_code(self) -> str:
        return self.indicator.code_in(self.year)

    @property
    def aggregate_mismatch(self) -> bool:
        """The published region figure lies outside what our Σnumerator/Σdenominator allows,
        given the publisher's declared rounding of council counts (`indicators.rounding`): 4B's
        councils are published to the nearest 5 while the region totals unrounded counts."""
        a = self.aggregate
        if not (a and a.complete and a.value is not None and self.region.has_value):
            return False
        info = self.indicator
        if a.value == stats.round_half_away(self.region.outcome, info.decimals):
            return False
        pairs = [_pair(row.cell) for row in self.rows]
        return not rounding.within_rounding(
            self.region.outcome,
            [numerator for numerator, _ in pairs],
            [denominator for _, denominator in pairs],
            rounding.rounded_to(self.published_code, self.year),
            info.multiplier,
            info.decimals,
        )

    @property
    def corrections(self) -> list[tuple[str, Cell]]:
        """(whose, cell) of each figure shown that an erratum corrects: England's, the
        region's, the councils'."""
        shown = [
            ("England", self.england),
            (self.region_name, self.region),
            *((row.council.name, row.cell) for row in self.rows),
        ]
        return [(name, cell) for name, cell in shown if cell.correction]

    @property
    def rows_by_name(self) -> list[CouncilResult]:
        return sorted(self.rows, key=lambda row: row.council.name)

    def row_for(self, council_id: int) -> CouncilResult | None:
        return self._by_council.get(council_id)

    @cached_property
    def _by_council(self) -> dict[int, CouncilResult]:
        return {row.council.id: row for row in self.rows}


# Queries ---------------------------------------------------------------------------------


# The indicator's own fields that pages read, in IndicatorInfo's terms.
_INDICATOR_COLUMNS = (
    "id",
    "code",
    "slug",
    "name",
    "short_name",
    "unit",
    "decimals",
    "polarity",
    "kind",
    "multiplier",
    "is_survey",
    "source",
    "domain",
    "objective",
    "scorecard_area",
    "categories",
    "tolerance",
    "quarterly_basis",
    "quarterly_from__year",
    "quarterly_from__quarter",
    "definition",
    "last_year",
)


def indicators(source: str | None = None) -> list[IndicatorInfo]:
    """Every indicator in scorecard order, with its codes and breaks (3 queries, read as plain
    rows: every page asks for them, and model instances cost several times as much)."""
    queryset = Indicator.objects.all()
    if source:
        queryset = queryset.filter(source=source)
    rows = list(queryset.values(*_INDICATOR_COLUMNS))
    ids = [row["id"] for row in rows]
    codes = defaultdict(list)
    for indicator, *code in (
        IndicatorCode.objects.filter(indicator_id__in=ids)
        .order_by("first_year")
        .values_list("indicator_id", "code", "first_year", "last_year")
    ):
        codes[indicator].append(tuple(code))
    breaks = defaultdict(lambda: defaultdict(dict))
    for indicator, kind, year, reason in (
        SeriesBreak.objects.filter(indicator_id__in=ids)
        .order_by()
        .values_list("indicator_id", "kind", "year", "reason")
    ):
        breaks[indicator][kind][year] = reason
    return [_info(row, codes[row["id"]], breaks[row["id"]]) for row in rows]


def shown_in(infos: list[IndicatorInfo], year: int) -> list[IndicatorInfo]:
    """The indicators a scorecard shows for a year: ASCOF measures published that year, and
    every regional measure."""
    return [i for i in infos if i.source == Source.LOCAL or i.published_in(year)]


def latest_periods(
    infos: list[IndicatorInfo], year: int, quarter: int | None = None
) -> list[tuple[tuple[int, int | None], list[IndicatorInfo]]]:
    """The indicators a page for the period shows, by the period each is shown at: its latest
    up to the one chosen. For a year, every indicator shown that year (quarterly measures by
    the year their quarters make up). For a quarter, quarterly measures at that quarter and
    the rest at the year before, the latest year that ends before the quarter does (a year
    follows its own Q4)."""
    if quarter is None:
        return [((year, None), shown_in(infos, year))]
    quarterly = [info for info in infos if info.quarterly_in(year, quarter)]
    yearly = shown_in([info for info in infos if info not in quarterly], year - 1)
    return [
        (period, shown)
        for period, shown in (((year - 1, None), yearly), ((year, quarter), quarterly))
        if shown
    ]


def catalogue(infos: list[IndicatorInfo]) -> list[tuple[str, str, list[IndicatorInfo]]]:
    """The indicators as (key, label, indicators) groups, in catalogue order, each in the
    place it had when last published: ASCOF measures still published under the current
    framework's objectives, retired ones under their domain or objective in their last year,
    regional measures under their area of the balanced scorecard."""
    groups: dict[str, tuple[str, str, list[IndicatorInfo]]] = {}
    for info in infos:
        last = info.codes[-1][2] if info.codes else None
        # Still published: its place this year, which is never before the current framework.
        key, label = info.place(last if last is not None else datetime.date.today().year)
        groups.setdefault(key, (key, label, []))[2].append(info)
    return list(groups.values())


class PublisherNote(NamedTuple):
    number: int
    text: str


def publisher_notes(indicator_id: int, year: int) -> list[PublisherNote]:
    """The notes the publisher's workbook attaches to the indicator's table for the year, in
    its numbering (1 query)."""
    notes = TableNote.objects.filter(
        indicator_id=indicator_id, first_year__lte=year, last_year__gte=year
    ).order_by("number")
    return [PublisherNote(*note) for note in notes.values_list("number", "text")]


# The choices' labels, looked up once: get_FOO_display() flattens the choices on every call.
_DOMAINS = dict(Domain.choices)
_OBJECTIVES = dict(Objective.choices)
_AREAS = dict(ScorecardArea.choices)


def _info(row: dict, codes: list[tuple], breaks: dict[str, dict[int, str]]) -> IndicatorInfo:
    first_year, first_quarter = row.pop("quarterly_from__year"), row.pop("quarterly_from__quarter")
    row["short_name"] = row["short_name"] or row["code"]
    row["categories"] = tuple(row["categories"])
    return IndicatorInfo(
        **row,
        is_numeric=row["kind"] in NUMERIC_KINDS,
        domain_label=_DOMAINS.get(row["domain"], row["domain"]),
        objective_label=_OBJECTIVES.get(row["objective"], row["objective"]),
        scorecard_area_label=_AREAS.get(row["scorecard_area"], row["scorecard_area"]),
        breaks=breaks[BreakKind.BREAK],
        partial=breaks[BreakKind.PARTIAL_COVERAGE],
        cautions=breaks[BreakKind.CAUTION],
        codes=tuple(codes),
        quarterly_from=(first_year, first_quarter) if first_year is not None else None,
    )


def group_by_slug(slug: str | None) -> ComparatorGroup | None:
    """The comparator group named in a URL (the default group when none is named); None
    stands for every council ("england"). Raises ComparatorGroup.DoesNotExist."""
    if slug == ENGLAND:
        return None
    if not slug:
        return ComparatorGroup.objects.select_related("region").get(is_default=True)
    return ComparatorGroup.objects.select_related("region").get(slug=slug)


@dataclass(frozen=True)
class Periods:
    """Every period with a published value, in order (a year after its Q4), each with the
    most councils that have published a value of any one measure in it; and which of them
    are public.

    The visibility rule: a period is *public* once at least `SCORECARD_PUBLISHED_SHARE` (a
    half by default) of the default group's `councils`, the councils that make returns, have
    published in it. Only a public period is a page's default or any measure's latest; one
    that is still being published can be chosen, and shows what is published so far. Values
    not yet published never count: they are not in `Value`."""

    published: dict[tuple[int, int | None], int]
    councils: int

    @property
    def all(self) -> list[tuple[int, int | None]]:
        return list(self.published)

    def is_public(self, period: tuple[int, int | None]) -> bool:
        needed = math.ceil(settings.SCORECARD_PUBLISHED_SHARE * self.councils)
        return self.published.get(period, 0) >= needed

    def latest(self, *, quarter: bool = False) -> tuple[int, int | None] | None:
        """The latest public year (quarter, with `quarter`); failing one, the latest period
        with data of that kind, so that a page always has a default."""
        of_kind = [p for p in self.published if (p[1] is not None) == quarter]
        public = [p for p in of_kind if self.is_public(p)]
        return (public or of_kind or [None])[-1]

    def label(self, period: tuple[int, int | None]) -> str:
        """ "2025-26 Q3 (3 of 14 published)" for a period that is not public yet."""
        text = format_period(*period)
        if self.is_public(period):
            return text
        return f"{text} ({self.published[period]} of {self.councils} published)"


def periods(source: str | None = None, councils: int = 0) -> Periods:
    """Every period with a published value (of `source`'s measures only, if given), from the
    stored national summaries, which count each indicator's councils by status (1 query). A
    year of a quarterly measure counts once its quarters make it up. `councils`: the size of
    the default group, which the visibility rule counts against (0: every period public)."""
    queryset = Summary.objects.filter(
        group__isnull=True, status_counts__has_key=Availability.AVAILABLE
    )
    if source:
        queryset = queryset.filter(indicator__source=source)
    available = Cast(KT(f"status_counts__{Availability.AVAILABLE}"), IntegerField())
    # order_by() drops any default ordering, which would otherwise join the grouping.
    found = queryset.order_by().values_list("year", "quarter").annotate(most=Max(available))
    ordered = sorted(
        ((year, quarter or None, most) for year, quarter, most in found),
        key=lambda row: stats.period_order_key(row[0], row[1]),
    )
    return Periods({(year, quarter): most for year, quarter, most in ordered}, councils)


def periods_with_data(source: str | None = None) -> list[tuple[int, int | None]]:
    """(year, quarter) of every period with a published value, quarter None for a year, in
    order (a year after its Q4): see `periods` (1 query)."""
    return periods(source).all


def years_with_data(source: str | None = None) -> list[int]:
    """Financial years that hold annual values (or whole years of quarters), latest last."""
    return [year for year, quarter in periods_with_data(source) if quarter is None]


_VALUE_COLUMNS = (
    "indicator_id",
    "period__year",
    "period__quarter",
    "area_id",
    "area__kind",
    "area__name",
    "outcome",
    "outcome_status",
    "numerator",
    "denominator",
    "margin_of_error",
    "base",
    "text_value",
    "date_value",
    "quality_flag",
    "note",
)
# What a year's value of a quarterly measure needs from its indicator.
_BASIS_COLUMNS = (
    "indicator__quarterly_basis",
    "indicator__multiplier",
    "indicator__decimals",
    "indicator__kind",
)


def annual_values(disaggregation: str = TOTAL):
    """The values that are benchmarked by year, for one breakdown (the total by default):
    annual values, and the quarters of quarterly measures, from which `cells` derives their
    years."""
    return Value.objects.filter(disaggregation=disaggregation).filter(
        Q(period__quarter__isnull=True) | Q(indicator__quarterly_from__isnull=False)
    )


def quarter_values(disaggregation: str = TOTAL):
    """The quarters of quarterly measures, for one breakdown."""
    return Value.objects.filter(
        disaggregation=disaggregation,
        period__quarter__isnull=False,
        indicator__quarterly_from__isnull=False,
    )


Found = dict[int, tuple[str, Cell, str]]  # area -> (area kind, cell, area name)


def cells(queryset, *, corrections: bool = False) -> dict[tuple[int, int], Found]:
    """(indicator, year) -> area -> (area kind, cell, area name), from one query of
    `annual_values`, with each value's errata read in the same query when `corrections`
    (`_with_corrections`). A year of a quarterly measure that has quarters is derived from them
    (`derived_year`), never read as stored."""
    found: dict[tuple[int, int], Found] = defaultdict(dict)
    quarters: dict[tuple[int, int], dict] = defaultdict(lambda: defaultdict(dict))
    bases = {}
    extra = ()
    if corrections:
        queryset, extra = _with_corrections(queryset), _CORRECTION_COLUMNS
    # order_by(): the rows go into a dict, so Value's default ordering would only add joins.
    read = len(_VALUE_COLUMNS) + len(_BASIS_COLUMNS)
    for row in queryset.order_by().values_list(*_VALUE_COLUMNS, *_BASIS_COLUMNS, *extra):
        indicator_id, year, quarter, area_id, kind, name, *cell = row[: len(_VALUE_COLUMNS)]
        if quarter is None:
            own = Cell(*cell, **_correction(*row[read:])) if extra else Cell(*cell)
            found[(indicator_id, year)][area_id] = (kind, with_base(own), name)
        else:
            quarters[(indicator_id, year)][area_id][quarter] = (kind, with_base(Cell(*cell)), name)
            bases[indicator_id] = row[len(_VALUE_COLUMNS) : read]
    for (indicator_id, year), by_area in quarters.items():
        for area_id, by_quarter in by_area.items():
            kind, _, name = next(iter(by_quarter.values()))
            own = {q: cell for q, (_, cell, _) in by_quarter.items()}
            found[(indicator_id, year)][area_id] = (
                kind,
                derived_year(*bases[indicator_id], own),
                name,
            )
    return found


# What an erratum corrects, as `_with_corrections` annotates a value: the published figure of
# each field it corrects (None for a field not corrected), the reason, the publisher's new
# figure while one needs review.
_CORRECTION_COLUMNS = (
    *(f"erratum_{name}" for name in PUBLISHED_FIELDS),
    "erratum_reason",
    "erratum_review",
)
_FIGURE_WORDS = {
    "outcome": "published as {}",
    "numerator": "numerator {}",
    "denominator": "denominator {}",
    "base": "{} respondents",
    "margin_of_error": "margin of error {}",
}


def _with_corrections(queryset):
    """Each value with its errata in the same query: a subquery per figure on the errata's
    unique key, which are few (data/reference/errata.csv and a lead's)."""
    errata = Erratum.objects.filter(
        area=OuterRef("area"),
        indicator=OuterRef("indicator"),
        period=OuterRef("period"),
        disaggregation=OuterRef("disaggregation"),
    ).order_by("-needs_review", "field")
    return queryset.annotate(
        **{
            f"erratum_{name}": Subquery(errata.filter(field=name).values("published")[:1])
            for name in PUBLISHED_FIELDS
        },
        erratum_reason=Subquery(errata.values("reason")[:1]),
        erratum_review=Subquery(errata.filter(needs_review=True).values("republished")[:1]),
    )


def _correction(*columns) -> dict[str, str]:
    """A Cell's erratum fields from `_CORRECTION_COLUMNS`: "Corrected: published as 61.6,
    margin of error 2.4, 2275 respondents (why)"; nothing for a value without an erratum."""
    *published, reason, review = columns
    figures = [
        _FIGURE_WORDS[name].format(f"{number:g}")
        for name, number in zip(PUBLISHED_FIELDS, published, strict=True)
        if number is not None
    ]
    if not figures:
        return {}
    return {
        "correction": f"Corrected: {', '.join(figures)} ({reason})",
        "correction_review": review or "",
    }


def quarter_cells(queryset) -> dict[tuple[int, int, int], Found]:
    """(indicator, year, quarter) -> area -> (area kind, cell, area name), from one query of
    `quarter_values`."""
    found: dict[tuple[int, int, int], Found] = defaultdict(dict)
    for row in queryset.order_by().values_list(*_VALUE_COLUMNS):
        indicator_id, year, quarter, area_id, kind, name, *cell = row
        found[(indicator_id, year, quarter)][area_id] = (kind, with_base(Cell(*cell)), name)
    return found


def derived_year(
    basis: str, multiplier: float, decimals: int, kind: str, quarters: dict[int, Cell]
) -> Cell:
    """A quarterly measure's year from its quarters, by its basis (`stats.annual_from_quarters`):
    Q4's value for a snapshot or year to date (with Q4's rating, date or text for a qualitative
    measure), Σnumerators / Σdenominators (or the sum of counts) over Q1 to Q4 within the
    quarter; no value, and why, when a quarter the basis needs is not in."""
    if kind not in NUMERIC_KINDS:
        q4 = quarters.get(4)
        if q4 is None or not q4.has_value:
            return Cell(derived="Year incomplete: Q4 not in")
        return replace(q4, derived="Q4's value")
    figures = {q: stats.QuarterFigures(_number(cell), *_pair(cell)) for q, cell in quarters.items()}
    year = stats.annual_from_quarters(
        basis,
        figures,
        multiplier=multiplier,
        decimals=decimals,
        is_count=kind in (Kind.COUNT, Kind.MONEY),
    )
    if not year.complete:
        missing = ", ".join(f"Q{q}" for q in year.missing)
        return Cell(derived=f"Year incomplete: {missing} not in")
    if year.source_quarter is not None:
        return replace(quarters[year.source_quarter], derived=f"Q{year.source_quarter}'s value")
    return Cell(
        outcome=year.value,
        status=Availability.AVAILABLE,
        numerator=year.numerator,
        denominator=year.denominator,
        note=ILLUSTRATIVE if any(c.note == ILLUSTRATIVE for c in quarters.values()) else "",
        derived="Q1 to Q4 together",
    )


def _members(
    group: ComparatorGroup | None, year: int, extra: tuple[int, ...]
) -> tuple[list[CouncilInfo], bool]:
    """The councils shown, by name, and whether they are exactly the group's (so the group's
    stored standings apply): the group's, or every council that year, and `extra`."""
    queryset = Area.objects.councils().active_in(year) if group is None else group.councils.all()
    if extra:
        queryset = (queryset | Area.objects.filter(pk__in=extra)).distinct()
    if group is not None:
        queryset = queryset.annotate(
            member=Exists(
                group.councils.through.objects.filter(comparatorgroup=group, area=OuterRef("pk"))
            )
        )
    else:
        queryset = queryset.annotate(member=Constant(True, output_field=BooleanField()))
    rows = queryset.order_by("name").values_list(
        "pk", "name", "slug", "code", "ons_code", "boundary_break_year", "member"
    )
    members = [CouncilInfo(*row[:6]) for row in rows]
    return members, all(row[6] for row in rows)


# Computing results from values: what `scorecard.freshness` stores -----------------------


@dataclass
class UnitResults:
    """Everything stored for one indicator and year (a unit), worked out from its values."""

    national: stats.BenchmarkTable  # rows empty when councils are not ranked nationally
    note: str  # why there is no national quartile, if there is none
    status_counts: dict[str, int]
    values: dict[int, float | None]  # council -> the number it is ranked on
    travels: dict[int, "Travel"]  # council -> travel()
    vs_england: dict[int, str | None]
    groups: dict[int, tuple[stats.BenchmarkTable, stats.Aggregate | None]]


def polarity_of(info: IndicatorInfo) -> str:
    return info.polarity if info.is_numeric else stats.NO_JUDGEMENT


class Travel(NamedTuple):
    """A direction of travel, the period it compares with (its year, and its quarter for a
    quarterly result) and whether its change was tested (`CouncilResult.significance`)."""

    direction: str
    previous_year: int | None
    previous_value: float | None
    previous_quarter: int | None = None
    significance: str = ""


def travel(
    info: IndicatorInfo,
    year: int,
    cell: Cell,
    earlier: dict,
    quarter: int | None = None,
    *,
    boundary: int | None = None,
) -> Travel:
    """A council's direction of travel into `year` (or that quarter), the period it is
    compared with and that period's value, from its own earlier cells of the indicator, keyed
    by year (or by (year, quarter)), and the year of the council's boundary change, if any.

    The period compared with follows the one comparability rule (`stats.previous_comparable`,
    `stats.quarterly_comparisons`): a series break or the boundary change blocks, a
    partial-coverage year is never an end, and a value below its minimum base
    (`ranked_number`) counts as missing at either end. The change is judged by `_judged`."""
    boundaries = {boundary} - {None}
    if quarter is not None:
        return _quarter_travel(info, (year, quarter), cell, earlier, boundaries)
    series = {y: ranked_number(info, c) for y, c in earlier.items() if y < year}
    series[year] = ranked_number(info, cell)
    previous_year = stats.previous_comparable(
        series, year, set(info.breaks), partial=set(info.partial), boundaries=boundaries
    )
    if info.kind == Kind.RAG:
        texts = {y: _rating(c.text) for y, c in earlier.items() if y < year and _rating(c.text)}
        previous_year = max(texts, default=None)
        direction = stats.rag_movement(texts.get(previous_year), _rating(cell.text))
        return Travel(direction, previous_year, None)
    before = earlier[previous_year] if previous_year is not None else EMPTY
    previous = series.get(previous_year) if previous_year is not None else None
    direction, significance = _judged(info, cell, series[year], before, previous)
    return Travel(direction, previous_year, previous, significance=significance)


def _judged(info: IndicatorInfo, cell: Cell, current, before: Cell, previous) -> tuple[str, str]:
    """(direction, significance) from `previous` (`before`'s number) to `current` (`cell`'s).

    A measure of the region's with its own tolerance keeps it (`stats.direction`, no
    significance); any other change is judged against both ends' uncertainty
    (`stats.judged_change`): a survey measure's margins of error, a percentage's counts,
    otherwise not tested."""
    polarity = polarity_of(info)
    if info.tolerance is not None:
        return stats.direction(current, previous, polarity, info.tolerance), ""
    change = stats.judged_change(
        current,
        previous,
        polarity,
        margin_current=info.margin_of(cell),
        margin_previous=info.margin_of(before),
        counts_current=info.counts_of(cell),
        counts_previous=info.counts_of(before),
    )
    return change.direction, change.significance or ""


def _quarter_travel(
    info: IndicatorInfo, period: tuple[int, int], cell: Cell, earlier, boundaries: set[int]
) -> Travel:
    # A boundary change blocks a quarter's comparison as a series break does.
    breaks = set(info.breaks) | boundaries
    compared, _ = stats.quarterly_comparisons(info.quarterly_basis, period, breaks)
    before = earlier.get(compared, EMPTY) if compared else EMPTY
    significance, previous = "", None
    if info.kind == Kind.RAG:
        direction = stats.rag_movement(_rating(before.text), _rating(cell.text))
    else:
        previous = ranked_number(info, before)
        direction, significance = _judged(info, cell, ranked_number(info, cell), before, previous)
    if direction == stats.NOT_COMPARABLE:
        return Travel(direction, None, None)
    return Travel(direction, compared[0], previous, compared[1], significance)


def compute_unit(
    info: IndicatorInfo,
    year: int,
    found: dict[int, tuple[str, Cell, str]],
    earlier: dict[int, dict],
    groups: dict[int, list[int]],
    quarter: int | None = None,
    *,
    boundaries: dict[int, int] | None = None,
) -> UnitResults:
    """The results of one indicator in one year (or one of its quarters): national standings,
    each council's direction of travel and comparison with England, and each group's
    standings and aggregate.

    `found` holds the period's cells by area (as `cells` or `quarter_cells` gives them),
    `earlier` each council's cells of earlier periods by year (by (year, quarter) for a
    quarter), `groups` the members of each saved comparator group, `boundaries` the year of
    each council's boundary change (`boundary_years`).

    A value below its minimum base (`ranked_number`) is shown but ranked on nothing: it is
    left out of the distribution, ranks and bands, and has no direction; its counts stay in
    Σ aggregates. A partial-coverage year is ranked and banded nowhere, in no group either."""
    boundaries = boundaries or {}
    council_cells = {pk: cell for pk, (kind, cell, _) in found.items() if kind == AreaKind.COUNCIL}
    england = next((cell for kind, cell, _ in found.values() if kind == AreaKind.ENGLAND), EMPTY)
    partial = quarter is None and year in info.partial
    values = {pk: None if partial else ranked_number(info, c) for pk, c in council_cells.items()}
    polarity = polarity_of(info)
    national = stats.benchmark_table(values, polarity)
    note = ""
    if info.source == Source.LOCAL:
        note = "A regional measure: compared within the group only."
        national = stats.BenchmarkTable(national.distribution, {})
    elif partial:
        note = f"No national quartile for {format_period(year)}: {info.partial[year]}"
        # The distribution of the councils that took part, as before: described, not ranked.
        described = {pk: ranked_number(info, c) for pk, c in council_cells.items()}
        national = stats.BenchmarkTable(stats.distribution(described.values()), {})
    elif national.distribution.n < stats.MIN_VALUES_FOR_BANDS and info.is_numeric:
        note = "No national quartile: fewer than 4 councils have a value."
    status_counts = defaultdict(int)
    for cell in council_cells.values():
        status_counts[cell.status or "none"] += 1
    return UnitResults(
        national=national,
        note=note,
        status_counts=dict(status_counts),
        values=values,
        travels={
            pk: travel(info, year, cell, earlier.get(pk, {}), quarter, boundary=boundaries.get(pk))
            for pk, cell in council_cells.items()
        },
        vs_england={pk: _vs_england(info, cell, england) for pk, cell in council_cells.items()},
        groups={
            group: _group_table(info, members, values, council_cells)
            for group, members in groups.items()
        },
    )


def _vs_england(info: IndicatorInfo, cell: Cell, england: Cell) -> str | None:
    """Similar, better or worse than England on the value's interval (a survey measure's
    margin of error, a percentage's Wilson interval), else not tested
    (`stats.england_comparison`); None without both values."""
    return stats.england_comparison(
        _number(cell),
        _number(england),
        polarity_of(info),
        margin_of_error=info.margin_of(cell),
        counts=info.counts_of(cell),
        multiplier=info.multiplier,
    )


def _group_table(info, members, values, council_cells):
    """Ranks and bands within a group of councils, and its Σnumerator/Σdenominator."""
    table = stats.benchmark_table({m: values.get(m) for m in members}, polarity_of(info))
    aggregate = None
    if info.is_numeric and not info.is_survey and info.kind != Kind.COUNT:
        pairs = [_pair(council_cells.get(m, EMPTY)) for m in members]
        if any(p != (None, None) for p in pairs):
            aggregate = stats.aggregate(pairs, info.multiplier, info.decimals)
    return table, aggregate


def _number(cell: Cell) -> float | None:
    """The number a cell is ranked on: a published, finite outcome. Whatever else a row holds
    (validation keeps it out, but a page must never fail on it) counts as missing."""
    if cell.status != Availability.AVAILABLE:
        return None
    return _finite(cell.outcome)


def ranked_number(info: IndicatorInfo, cell: Cell) -> float | None:
    """The number a cell is ranked and compared on: its published number, unless its known
    base (`IndicatorInfo.base_of`) is below the minimum of a published measure
    (`stats.base_standing`). The region's own measures are collected whole, not sampled, and
    are ranked only within the group, so no minimum applies to them."""
    number = _number(cell)
    if number is None or info.source == Source.LOCAL:
        return number
    standing = stats.base_standing(_finite(info.base_of(cell)), survey=info.is_survey)
    return number if standing == stats.RANKED else None


def boundary_years() -> dict[int, int]:
    """Council -> the year its boundary change starts (Dorset: 2019), for the councils that
    have one (1 query)."""
    return dict(
        Area.objects.filter(boundary_break_year__isnull=False).values_list(
            "pk", "boundary_break_year"
        )
    )


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _pair(cell: Cell) -> tuple[float | None, float | None]:
    return _finite(cell.numerator), _finite(cell.denominator)


def _rating(text: str) -> str | None:
    """A RAG rating as `stats.rag_movement` reads it; None for anything else."""
    return text.strip().lower() if text and text.strip().lower() in stats.RAG_ORDER else None


# Reading stored results --------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    """One indicator and year as stored: national standings and summary, and the group's."""

    national: dict[int, stats.Benchmark | None]
    travels: dict[int, Travel]
    vs_england: dict[int, str | None]
    values: dict[int, float | None]
    distribution: stats.Distribution
    note: str
    status_counts: dict[str, int]
    group: stats.BenchmarkTable | None  # None: not stored, worked out for the selection
    aggregate: stats.Aggregate | None


# A stored standing's fields in the order of `_benchmark_of`'s arguments.
_BENCHMARK_COLUMNS = ("value", "n", "rank", "tied", "band", "percentile")
_STANDING_COLUMNS = (
    "indicator_id",
    "area_id",
    "group_id",
    *_BENCHMARK_COLUMNS,
    "direction",
    "previous_year",
    "previous_value",
    "previous_quarter",
    "significance",
    "vs_england",
)
_SUMMARY_COLUMNS = (
    "indicator_id",
    "group_id",
    "n",
    "p25",
    "median",
    "p75",
    "min",
    "max",
    "note",
    "status_counts",
    "aggregate",
)


def _england_words(code: str | None) -> str | None:
    """A comparison with England as the page words it: "not_tested" is "not tested"."""
    return code.replace("_", " ") if code else None


def _benchmark_of(value, n, rank, tied, band, percentile) -> stats.Benchmark | None:
    return None if n is None else stats.Benchmark(value, rank, tied, n, band, percentile)


def _stored(
    year: int, group_id: int | None, ids: list[int], council_ids: list[int], quarter: int | None
) -> dict[int, _Stored]:
    """The stored results of `ids` in `year` (or its `quarter`) for `council_ids`, nationally
    and within the saved group `group_id` (3 queries; 2 without a group)."""
    when = {"year": year, "quarter": quarter or YEAR}
    standings = Standing.objects.filter(**when, indicator_id__in=ids, area_id__in=council_ids)
    national, travels, england, values = (defaultdict(dict) for _ in range(4))
    in_group = defaultdict(dict)
    for row in standings.filter(Q(group__isnull=True) | Q(group_id=group_id)).values_list(
        *_STANDING_COLUMNS
    ):
        indicator, area, group, value, n, rank, tied, band, p, *travel_and_england = row
        if group is not None:
            in_group[indicator][area] = stats.Benchmark(value, rank, tied, n, band, p)
            continue
        national[indicator][area] = _benchmark_of(value, n, rank, tied, band, p)
        *stored_travel, vs_england = travel_and_england
        travels[indicator][area] = Travel(*stored_travel)
        england[indicator][area] = _england_words(vs_england)
        values[indicator][area] = value
    summaries = {
        (indicator, group): rest
        for indicator, group, *rest in Summary.objects.filter(
            Q(group__isnull=True) | Q(group_id=group_id), **when, indicator_id__in=ids
        ).values_list(*_SUMMARY_COLUMNS)
    }
    found = {}
    for pk in ids:
        n, p25, median, p75, low, high, note, counts, _ = summaries.get(
            (pk, None), (0, None, None, None, None, None, "", {}, None)
        )
        grouped = summaries.get((pk, group_id)) if group_id else None
        group_table = None
        if grouped:
            group_table = stats.BenchmarkTable(
                stats.Distribution(*grouped[:6]), in_group.get(pk, {})
            )
        found[pk] = _Stored(
            national=national[pk],
            travels=travels[pk],
            vs_england=england[pk],
            values=values[pk],
            distribution=stats.Distribution(n, p25, median, p75, low, high),
            note=note,
            status_counts=counts,
            group=group_table,
            aggregate=stats.Aggregate(**grouped[-1]) if grouped and grouped[-1] else None,
        )
    return found


def _computed(year, infos, disaggregation, council_cells_by_unit, boundaries) -> dict[int, _Stored]:
    """What would be stored, worked out from the values: for a breakdown other than the total,
    which is not stored (the `benchmark` command's --disaggregation)."""
    ids = [info.id for info in infos]
    earlier = defaultdict(lambda: defaultdict(dict))
    for (indicator, y), by_area in cells(
        annual_values(disaggregation).filter(
            indicator_id__in=ids, period__in=_periods(year__lte=year)
        )
    ).items():
        for area, (_, cell, _) in by_area.items():
            earlier[indicator][area][y] = cell
    found = {}
    for info in infos:
        unit = compute_unit(
            info,
            year,
            council_cells_by_unit.get((info.id, year), {}),
            earlier[info.id],
            {},
            boundaries=boundaries,
        )
        found[info.id] = _Stored(
            national=dict(unit.national.rows),
            travels=unit.travels,
            vs_england={pk: _england_words(code) for pk, code in unit.vs_england.items()},
            values=unit.values,
            distribution=unit.national.distribution,
            note=unit.note,
            status_counts=unit.status_counts,
            group=None,
            aggregate=None,
        )
    return found


def benchmarks(
    year: int,
    group: ComparatorGroup | None,
    infos: list[IndicatorInfo],
    *,
    quarter: int | None = None,
    disaggregation: str = TOTAL,
    extra_councils: tuple[int, ...] = (),
    with_national_points: bool = False,
    with_trend: bool = True,
    trend_of: tuple[int, ...] | None = None,
) -> dict[int, IndicatorResult]:
    """Every indicator in `infos` for `year` (or its `quarter`: quarterly measures only), for
    the group's councils (every council when `group` is None) and `extra_councils`: national
    and group rank and quartile, direction of travel, comparison with England, the group
    aggregate and the trend.

    Reads the results `scorecard.freshness` stores (five queries; one more for the national
    points of an indicator page, one less without the trend: the earlier values, which also
    say what a council without a value this period was last compared with; `trend_of`
    limits them to those councils, when a page shows no other's). Within a saved
    group the group's standings are stored too; for any other selection (every council, a
    group with extra councils) they are worked out here by ranking the stored values of at
    most every council in England."""
    if quarter is not None and disaggregation != TOTAL:
        raise ValueError("Breakdowns other than the total are benchmarked by year only.")
    members, only_the_group = _members(group, year, extra_councils)
    member_ids = [m.id for m in members]
    traced = member_ids if trend_of is None else [i for i in member_ids if i in trend_of]
    ids = [info.id for info in infos]
    region_id = group.region_id if group else None
    england = Area.objects.filter(kind=AreaKind.ENGLAND).values("pk")
    wanted = Q(area_id__in=[*member_ids, *([region_id] if region_id else [])])
    shown = wanted | Q(area_id__in=england)
    if quarter is None:
        base = annual_values(disaggregation).filter(indicator_id__in=ids)
        current = _by_indicator(
            cells(base.filter(shown, period__in=_periods(year=year)), corrections=True)
        )
        # Here the year's own index is the better path (measured on SQLite: 12 ms, not 20).
        # England's earlier years too: the indicator page's trend draws its line.
        earlier = base.filter(Q(area_id__in=traced) | Q(area_id__in=england), period__year__lt=year)
        history = _by_indicator(cells(earlier)) if with_trend else {}
    else:
        base = quarter_values(disaggregation).filter(indicator_id__in=ids)
        current = _by_indicator(
            quarter_cells(base.filter(shown, period__in=_periods(year=year, quarter=quarter)))
        )
        earlier = base.filter(
            area_id__in=traced,
            period__in=_periods(Q(year__lt=year) | Q(year=year, quarter__lt=quarter)),
        )
        history = _by_indicator(quarter_cells(earlier)) if with_trend else {}
    if disaggregation == TOTAL:
        # Councils outside the group make a selection of its own, whose standings are not
        # stored.
        saved = group.pk if group and only_the_group else None
        stored = _stored(year, saved, ids, member_ids, quarter)
    else:
        everyone = cells(base.filter(period__in=_periods(year=year), area__kind=AreaKind.COUNCIL))
        boundaries = {m.id: m.boundary_break_year for m in members if m.boundary_break_year}
        stored = _computed(year, infos, disaggregation, everyone, boundaries)
    points = _national_points(year, ids) if with_national_points and quarter is None else {}
    return {
        info.id: _result(
            info,
            (year, quarter),
            group,
            members,
            current.get(info.id, {}),
            history.get(info.id, {}),
            stored[info.id],
            region_id,
            points,
        )
        for info in infos
    }


def _periods(*conditions, **lookup):
    """The periods as a subquery: a value's (indicator, period) index then serves the read,
    where a filter through the period's year would scan every year of each indicator."""
    return Period.objects.filter(*conditions, **lookup).values("pk")


def _by_indicator(found: dict[tuple, Found]) -> dict[int, dict]:
    """indicator -> period (a year, or (year, quarter)) -> area -> (kind, cell, name)."""
    regrouped = defaultdict(dict)
    for (indicator, *period), by_area in found.items():
        regrouped[indicator][period[0] if len(period) == 1 else tuple(period)] = by_area
    return regrouped


def _result(info, period, group, members, current, earlier, stored, region_id, points):
    year, quarter = period
    here = year if quarter is None else period
    found = current.get(here, {})
    council_cells = {pk: cell for pk, (kind, cell, _) in found.items() if kind == AreaKind.COUNCIL}
    england = next((cell for kind, cell, _ in found.values() if kind == AreaKind.ENGLAND), EMPTY)
    region = found[region_id][1] if region_id in found else EMPTY
    england_trend = {
        key: _number(cell)
        for key, by_area in {**earlier, here: found}.items()
        for kind, cell, _ in by_area.values()
        if kind == AreaKind.ENGLAND
    }
    group_table, aggregate = stored.group, stored.aggregate
    if group_table is None:
        group_table, aggregate = _group_table(
            info, [m.id for m in members], stored.values, council_cells
        )
    rows = []
    for member in members:
        cell = council_cells.get(member.id, EMPTY)
        own = {
            key: by_area[member.id][1] for key, by_area in earlier.items() if member.id in by_area
        }
        trend = {key: _number(c) for key, c in own.items()}
        trend[here] = _number(cell)
        moved = stored.travels.get(member.id) or travel(
            info, year, cell, own, quarter, boundary=member.boundary_break_year
        )
        rows.append(
            CouncilResult(
                council=member,
                cell=cell,
                national=stored.national.get(member.id),
                group=group_table.rows.get(member.id),
                direction=moved.direction,
                previous_value=moved.previous_value,
                previous_year=moved.previous_year,
                previous_quarter=moved.previous_quarter,
                vs_england=stored.vs_england.get(member.id),
                significance=moved.significance,
                trend=dict(sorted(trend.items())),
            )
        )
    rows.sort(key=lambda r: (r.group.rank if r.group and r.group.rank else 10**6, r.council.name))
    published = None
    if info.source == Source.LOCAL and group is not None:
        count = sum(1 for m in members if council_cells.get(m.id, EMPTY).status)
        published = (count, len(members))
    return IndicatorResult(
        indicator=info,
        year=year,
        group_name=group.name if group else "England",
        rows=rows,
        national=stored.distribution,
        national_note=stored.note,
        status_counts=stored.status_counts,
        england=england,
        region=region,
        region_name=group.region.name if group and group.region_id else "",
        aggregate=aggregate,
        caveats=[
            *([DEMO_CAVEAT] if any(c.note == ILLUSTRATIVE for c in council_cells.values()) else []),
            *info.caveats(year),
        ],
        national_points=_points_of(info, points.get(info.id, ())),
        england_trend=dict(sorted(england_trend.items())) if earlier else {},
        quarter=quarter,
        published=published,
    )


def _national_points(year: int, ids: list[int]) -> dict[int, list[NationalPoint]]:
    """Every council with a value nationally, from the stored national standings (1 query)."""
    found = defaultdict(list)
    for indicator, pk, name, value, n, rank, tied, band, p in Standing.objects.filter(
        year=year, quarter=YEAR, indicator_id__in=ids, group__isnull=True, value__isnull=False
    ).values_list("indicator_id", "area_id", "area__name", *_BENCHMARK_COLUMNS):
        found[indicator].append(
            NationalPoint(pk, name, value, _benchmark_of(value, n, rank, tied, band, p))
        )
    return found


def _points_of(info: IndicatorInfo, points) -> tuple[NationalPoint, ...]:
    """Best first (highest first without a polarity); none for regional measures, which are
    compared within the group only."""
    if info.source == Source.LOCAL:
        return ()
    sign = 1 if polarity_of(info) == stats.LOWER_IS_BETTER else -1
    return tuple(sorted(points, key=lambda p: (sign * p.value, p.name)))


# Values not yet published -----------------------------------------------------------------

# The fields of a return's entry in `Cell`'s terms (a Cell's other fields stay empty).
_ENTRY_COLUMNS = (
    "outcome",
    "outcome_status",
    "numerator",
    "denominator",
    "text_value",
    "date_value",
)
# An entry of a return in these states is a draft, seen only by those who may enter it.
_DRAFTS = (State.DRAFT, State.RETURNED)


def provisional_cells(
    user, periods: set[tuple[int, int | None]], council_ids, indicator_ids
) -> dict[tuple[int, int, int | None, int], Cell]:
    """(indicator, year, quarter, council) -> the entry of the council's unpublished return
    for the period that `user` may see, as a Cell marked "provisional" (submitted) or "draft"
    (draft, or returned to its lead) (1 query; none for an anonymous reader, who sees
    published values only).

    Every signed-in user sees submitted entries; regional leads (and superusers) also see
    drafts, and a council lead the drafts of their own councils, as `returns.workflow`
    scopes them. A published return's entries are its published values, so only submitted
    and draft returns are read; a reopened return's draft sits beside its published values,
    which pages show instead."""
    if not getattr(user, "is_authenticated", False) or not periods or not council_ids:
        return {}
    when = Q()
    for year, quarter in periods:
        when |= Q(submission__period__year=year, submission__period__quarter=quarter)
    drafts = Q(submission__state__in=_DRAFTS)
    if not user.is_superuser:
        regional = Membership.objects.filter(user=user.pk, role=Role.REGIONAL_LEAD)
        own = Membership.councils.through.objects.filter(
            membership__user=user.pk,
            membership__role=Role.COUNCIL_LEAD,
            area=OuterRef("submission__council"),
        )
        drafts &= Q(Exists(regional)) | Q(Exists(own))
    found = (
        Entry.objects.filter(
            when,
            Q(submission__state=State.SUBMITTED) | drafts,
            submission__council_id__in=list(council_ids),
            indicator_id__in=list(indicator_ids),
        )
        .order_by()
        .values_list(
            "indicator_id",
            "submission__period__year",
            "submission__period__quarter",
            "submission__council_id",
            "submission__state",
            *_ENTRY_COLUMNS,
        )
    )
    return {
        (indicator, year, quarter, council): Cell(
            outcome=outcome,
            status=status,
            numerator=numerator,
            denominator=denominator,
            text=text or "",
            date=date,
            provisional="draft" if state in _DRAFTS else "provisional",
        )
        for (
            indicator,
            year,
            quarter,
            council,
            state,
            outcome,
            status,
            numerator,
            denominator,
            text,
            date,
        ) in found
        if status or outcome is not None or text or date is not None
    }


def add_provisional(results, user) -> None:
    """Give each row of `results` (IndicatorResults) without a published value the entry the
    user may see (`provisional_cells`), as `CouncilResult.provisional`. Its `cell`, which
    ranks, bands, directions, counts and charts read, stays as published. Nothing is read
    for an anonymous reader."""
    results = list(results)
    if not results or not getattr(user, "is_authenticated", False):
        return
    found = provisional_cells(
        user,
        {(result.year, result.quarter) for result in results},
        {row.council.id for result in results for row in result.rows},
        {result.indicator.id for result in results},
    )
    for result in results:
        for row in result.rows:
            if not row.cell.status:
                key = (result.indicator.id, result.year, result.quarter, row.council.id)
                row.provisional = found.get(key)


# Roll-ups ----------------------------------------------------------------------------------


@dataclass
class Section:
    """Indicators that share a place on the scorecard that year (a domain, an objective or an
    area of the balanced scorecard), with the group's councils' position in it."""

    key: str
    label: str
    results: list[IndicatorResult]
    positions: dict[int, tuple[float | None, int | None]]  # council -> (mean p, band)
    band_counts: dict[int | None, int]


def sections(results: list[IndicatorResult]) -> list[Section]:
    """Group results by their place on the scorecard in their year, in catalogue order, with
    each council's domain position: the mean of its national percentile ranks over the
    section's measures, banded at 0.25, 0.5 and 0.75 (see `stats.domain_position`)."""
    grouped: dict[str, list[IndicatorResult]] = {}
    labels = {}
    for result in results:
        key, label = result.indicator.place(result.year)
        grouped.setdefault(key, []).append(result)
        labels[key] = label
    found = []
    for key in sorted(grouped, key=lambda key: _section_order(key, list(grouped))):
        members = grouped[key]
        ranked = [r for r in members if r.indicator.is_numeric]
        councils = {row.council.id for r in ranked for row in r.rows}
        positions = {
            council: stats.domain_position(
                row.national.percentile if row and row.national else None
                for row in (r.row_for(council) for r in ranked)
            )
            for council in councils
        }
        counts = stats.band_counts(band for _, band in positions.values())
        found.append(Section(key, labels[key], members, positions, counts))
    return found


def _section_order(key: str, seen: list[str]) -> tuple:
    """ASCOF domains and objectives by number (domain 1, 2, 3, 4, whatever order the
    catalogue lists their measures in), then the region's scorecard areas as first met."""
    kind, _, number = key.partition("-")
    if kind in ("domain", "objective") and number:
        return (0, kind, number)
    return (1, "", f"{seen.index(key):04d}")


DATED = "with a date"  # a date measure's councils with a value, in a category summary


def category_counts(result: IndicatorResult) -> dict[str, int]:
    """ "2 green, 12 amber": the group's councils per category, in the catalogue's order (its
    spelling, whatever the case stored), with a date measure's councils counted "with a date",
    councils that have no value counted as "no data" and any other text as "not
    recognised"."""
    categories = list(result.indicator.categories)
    values = [
        canonical_choice(row.cell.text, categories) or "not recognised"
        if row.cell.text
        else DATED
        if row.cell.has_value and row.cell.date
        else "no data"
        for row in result.rows
    ]
    return {
        category: count
        for category, count in stats.category_counts(
            values, [*reversed(categories), DATED, "no data", "not recognised"]
        ).items()
        if count
    }


@dataclass
class CouncilDirection:
    council: CouncilInfo
    result: stats.OverallDirection
    measures: list[str]


def overall_directions(
    at_end: dict[int, IndicatorResult], tolerance: float
) -> list[CouncilDirection]:
    """The regional account's overall direction of travel of each council from the previous
    year to the year of `at_end` (`benchmarks` for the group): its mean national percentile
    rank over the ASCOF measures it has at both ends with no series break between them, and
    none for a council whose boundary changed between them (see `stats.overall_direction`).
    The previous year's percentile ranks are read as stored (1 query)."""
    if not at_end:
        return []
    first = next(iter(at_end.values()))
    end = first.year
    start = end - 1
    measures = {
        pk: result.indicator.code
        for pk, result in at_end.items()
        if result.indicator.source == Source.ASCOF
        and result.indicator.is_numeric
        and result.indicator.published_in(start)
        and not any(start < year <= end for year in result.indicator.breaks)
    }
    earlier = defaultdict(dict)
    for indicator, area, n, percentile in Standing.objects.filter(
        year=start,
        quarter=YEAR,
        group__isnull=True,
        indicator_id__in=list(measures),
        area_id__in=[row.council.id for row in first.rows],
    ).values_list("indicator_id", "area_id", "n", "percentile"):
        if n is not None:
            earlier[area][indicator] = percentile
    directions = []
    for row in first.rows:
        council = row.council.id
        # A boundary change within the span leaves nothing comparable (`stats.comparable`).
        moved = stats.comparable(start, end, boundaries={row.council.boundary_break_year} - {None})
        p_start = {pk: earlier[council].get(pk) for pk in measures} if moved else {}
        p_end = {pk: _percentile(at_end[pk], council) for pk in measures}
        result = stats.overall_direction(p_start, p_end, tolerance)
        directions.append(
            CouncilDirection(row.council, result, [measures[pk] for pk in result.measures])
        )
    return sorted(directions, key=lambda d: d.council.name)


def _percentile(result: IndicatorResult, council: int) -> float | None:
    row = result.row_for(council)
    return row.national.percentile if row and row.national else None
