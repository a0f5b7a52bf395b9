"""The one home of "the data changed": which writes change which stored results, and keeping
them current inside the writer's transaction.

Results (`scorecard.models.Standing` and `Summary`) are worked out from published values by
`scorecard.data.compute_unit`, which calls `scorecard.stats`. A *unit* is one indicator in
one year (or, for a quarterly measure, one quarter): everything stored for it is recomputed
together, which costs a few milliseconds. Every write reaches this module, whichever way it
was made: model saves and deletes (the admin, the loaders, the shell) through Django's
signals, and bulk writes of values (the importer, `QuerySet.update` in the shell) through
`indicators.signals.values_written`. What a write changes is recomputed before its
transaction commits, so stored results are never older than the values they come from, and
a write that rolls back takes its results with it. Every write also bumps the data version,
which retires cached pages.

Dependency map
--------------
What a change invalidates, and so what is recomputed:

- **A council's annual total** (indicator i, year y, council c; created, changed, deleted or
  moved, in which case both places count): the unit (i, y), that is the national
  distribution and status counts, every council's national rank, band and percentile rank,
  every saved comparator group's ranks, bands, distribution and aggregate (those holding c
  change, the rest are rewritten equal); and c's direction of travel in y and in every later
  year of i, since the next *comparable* year is whichever later year c has a value in, after
  gaps and skipping nothing a break or c's boundary change does not block. Its base
  (respondents or denominator), margin of error and counts go with it: a zero base makes it
  not available, a base below the minimum takes it out of the distribution and of every
  direction into or out of it (`data.ranked_number`), and the margins and counts at both ends
  decide the significance stored beside each direction (`stats.judged_change`), so they
  invalidate exactly what its outcome does. Through percentile ranks this changes
  every council's overall direction and domain positions in y and in the years compared with
  it: pages work those out on request as means of the stored percentile ranks.
- **England's annual total** (i, y): the unit (i, y): every council's comparison with England.
- **A region's or council type's total**: nothing stored. Pages read published aggregates
  from the values and compare them with the stored group aggregate when they are shown.
- **A quarter of a quarterly measure** (indicator i, year y, quarter q): the stored
  quarters of i from (y, q) to (y + 1, q) (each quarter's direction compares with the
  quarter before or the same quarter a year earlier, by i's basis, and nothing further back),
  and the unit (i, y), whose values are derived from y's quarters
  (Q4's, or the four together: `scorecard.data.derived_year`) with the directions of i in
  later years, as for an annual total.
- **A return** (`returns.workflow`): publishing one writes its entries into `Value` (the
  council's totals for its period) inside one batch, so each follows the rules above;
  returning and reopening one, and saving or submitting a draft, change no `Value` (drafts
  are not statistics) and so nothing stored.
- **A quarterly value of a measure collected yearly, or a breakdown other than the
  total**: nothing stored (validation keeps the first out; the `benchmark` command works
  other breakdowns out on request).
- **Indicator** i (polarity, kind, tolerance, multiplier, decimals, source, survey,
  quarterly basis): every unit of i.
- **SeriesBreak** of i: every unit of i (a break blocks directions; a partial-coverage year
  withdraws every rank and band, national and in groups, and is never an end of a direction,
  so the later years' directions change too).
- **IndicatorCode**: nothing stored (the code a year used, and whether a measure is shown
  that year, are read on request).
- **TableNote** (the publisher's notes on a measure's table): nothing stored (read on
  request); its writes retire cached pages.
- **Area** (a council's kind, or its boundary change year, which blocks its directions
  across it): every unit in which it has a value. Its name, codes and years are read on
  request.
- **ComparatorGroup membership** of g: g's rows in every unit. A group's other fields are
  read on request; a deleted group's rows go with it.
- **Period** changed (its year or quarter, which moves all its values): everything. Adding
  a period changes nothing until values are added to it.
- **Erratum** (a correction of a published figure, `indicators.errata`): recording,
  changing or withdrawing one writes the corrected (or the published) figure into its value
  with an ordinary save, so it follows the rules above for that value; the erratum's own row
  changes nothing stored. An import writes the corrections into the values it writes, inside
  its batch.

`manage.py rebuild_results` (`rebuild`) recomputes everything from the values; the tests
apply random writes through every path and check the store equals a rebuild.

Writes inside `batch()` (the commands, every admin request) are collected and recomputed
once, when the batch ends, still inside its transaction; writes outside one are recomputed
as they happen.
"""

import contextvars
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_save,
)

from councils.models import Area, AreaKind, ComparatorGroup, Council, Region
from indicators.models import (
    TOTAL,
    VALUE_KEY,
    Indicator,
    IndicatorCode,
    Period,
    SeriesBreak,
    TableNote,
    Value,
)
from indicators.signals import values_written
from scorecard import data
from scorecard.models import YEAR, Standing, Summary, bump_version


@dataclass
class Changes:
    """What the writes of one batch invalidate, by the map above."""

    values: set = field(default_factory=set)  # (indicator, period, area, disaggregation)
    indicators: set = field(default_factory=set)
    areas: set = field(default_factory=set)
    groups: set = field(default_factory=set)
    everything: bool = False
    touched: bool = False  # anything a page shows: bump the data version

    def __bool__(self) -> bool:
        return self.touched


_batch: contextvars.ContextVar[Changes | None] = contextvars.ContextVar("batch", default=None)


@contextmanager
def batch():
    """Collect the changes of the writes inside, and recompute what they invalidate once, at
    the end, in the same transaction (a batch opens one). Batches nest into the outermost."""
    if _batch.get() is not None:
        yield _batch.get()
        return
    changes = Changes()
    reset = _batch.set(changes)
    try:
        with transaction.atomic():
            yield changes
            _apply(changes)
    finally:
        _batch.reset(reset)


def _record(**what) -> None:
    """Note a change: into the open batch, or recomputed now."""
    changes = _batch.get()
    if changes is None:
        changes = Changes()
        _add(changes, **what)
        with transaction.atomic():
            _apply(changes)
    else:
        _add(changes, **what)


def _add(changes: Changes, *, values=(), indicator=None, area=None, group=None, everything=False):
    changes.touched = True
    changes.values.update(values)
    if indicator is not None:
        changes.indicators.add(indicator)
    if area is not None:
        changes.areas.add(area)
    if group is not None:
        changes.groups.add(group)
    changes.everything |= everything


def _apply(changes: Changes) -> None:
    if not changes:
        return
    if changes.everything:
        rebuild()
        return
    bump_version()
    units, travels, quarters = _from_values(changes.values)
    whole = _units_where(indicator_id__in=changes.indicators) | _units_where(
        area_id__in=changes.areas
    )
    units |= whole
    for indicator in changes.indicators | {indicator for indicator, _ in whole}:
        quarters.pop(indicator, None)  # every quarter of it
    _refresh(units, travels, quarters)
    if changes.groups:
        _refresh(_units_where(), set(), only_groups=changes.groups)


def _from_values(keys) -> tuple[set, set, dict]:
    """The units, later directions of travel and quarters ({indicator: {(year, quarter)}})
    that changed values invalidate."""
    keys = [key for key in keys if key[3] == TOTAL]
    units, travels, quarters = set(), set(), defaultdict(set)
    if not keys:
        return units, travels, quarters
    periods = {
        pk: (year, quarter)
        for pk, year, quarter in Period.objects.filter(pk__in={key[1] for key in keys}).values_list(
            "pk", "year", "quarter"
        )
    }
    kinds = dict(Area.objects.filter(pk__in={key[2] for key in keys}).values_list("pk", "kind"))
    for indicator, period, area, _ in keys:
        if period not in periods or kinds.get(area) not in (AreaKind.COUNCIL, AreaKind.ENGLAND):
            continue
        year, quarter = periods[period]
        units.add((indicator, year))
        if quarter:
            quarters[indicator].add((year, quarter))
        if kinds[area] == AreaKind.COUNCIL:
            travels.add((indicator, area, year))
    return units, travels, quarters


def _units_where(**lookup) -> set[tuple[int, int]]:
    """(indicator, year) of every unit holding a value that matches `lookup`."""
    queryset = data.annual_values().filter(**lookup).order_by()
    return set(queryset.values_list("indicator_id", "period__year").distinct())


def _saved_groups() -> dict[int, list[int]]:
    members = defaultdict(list)
    for group, area in ComparatorGroup.councils.through.objects.values_list(
        "comparatorgroup_id", "area_id"
    ):
        members[group].append(area)
    return {group: sorted(areas) for group, areas in members.items()}


def rebuild() -> tuple[int, int]:
    """Recompute every stored result from the values, in one transaction. Returns the number
    of (standings, summaries) stored."""
    with transaction.atomic():
        bump_version()
        Standing.objects.all().delete()
        Summary.objects.all().delete()
        _refresh(_units_where(), set())
        return Standing.objects.count(), Summary.objects.count()


def fill_if_empty(**kwargs) -> None:
    """After `migrate`: a database whose values predate the store gets its results."""
    if not Summary.objects.exists() and Value.objects.exists():
        rebuild()


def _refresh(units, travels, quarters=None, *, only_groups=None) -> None:
    """Recompute `units` ((indicator, year)) and the directions of `travels` ((indicator,
    council, year): that council's later years). A quarterly measure's quarters are
    recomputed from those `quarters` names for it changed, or all of them if it has no entry.
    With `only_groups`, only those groups' rows of the units."""
    quarters = quarters or {}
    by_indicator = defaultdict(lambda: (set(), set()))
    for indicator, year in units:
        by_indicator[indicator][0].add(year)
    for indicator, area, year in travels:
        by_indicator[indicator][1].add((area, year))
    if not by_indicator:
        return
    infos = {info.id: info for info in data.indicators() if info.id in by_indicator}
    boundaries = data.boundary_years()
    groups = _saved_groups()
    if only_groups is not None:
        groups = {g: members for g, members in groups.items() if g in only_groups}
    replacement = _Replacement(groups, only_groups is not None)
    for indicator, (years, moves) in by_indicator.items():
        if indicator in infos:
            _refresh_indicator(
                infos[indicator],
                years,
                moves,
                replacement,
                quarters.get(indicator),
                boundaries=boundaries,
            )
    replacement.apply()


class _Replacement:
    """The stored rows to delete and the new ones to store, for every indicator of a refresh,
    written together at its end: a query per table, not per indicator and period kind."""

    def __init__(self, groups: dict, groups_only: bool):
        self.groups, self.groups_only = groups, groups_only
        self.stale: list[Q] = []
        self.standings: list[Standing] = []
        self.summaries: list[Summary] = []

    def add(self, stale: Q, standings: list, summaries: list) -> None:
        """Replace the rows `stale` picks (only the groups' with `groups_only`)."""
        if self.groups_only:
            stale &= Q(group_id__in=list(self.groups))
        self.stale.append(stale)
        self.standings += standings
        self.summaries += summaries

    def apply(self) -> None:
        if self.stale:
            stale = reduce(or_, self.stale)
            Standing.objects.filter(stale).delete()
            Summary.objects.filter(stale).delete()
        Standing.objects.bulk_create(self.standings, batch_size=2000)
        Summary.objects.bulk_create(self.summaries, batch_size=2000)


def _refresh_indicator(info, years, moves, replacement, quarters, *, boundaries) -> None:
    groups, groups_only = replacement.groups, replacement.groups_only
    if info.quarterly_basis:
        _refresh_quarters(info, replacement, quarters, boundaries)
    # Every year of the indicator: directions look back, and later years' look back here.
    found = data.cells(data.annual_values().filter(indicator_id=info.id))
    earlier = defaultdict(dict)  # council -> year -> cell
    for (_, year), by_area in found.items():
        for area, (kind, cell, _) in by_area.items():
            if kind == AreaKind.COUNCIL:
                earlier[area][year] = cell
    standings, summaries = [], []
    for year in sorted(years):
        by_area = found.get((info.id, year), {})
        if by_area:
            unit = data.compute_unit(info, year, by_area, earlier, groups, boundaries=boundaries)
            standings += _standings(info.id, (year, YEAR), unit, groups_only)
            summaries += _summaries(info.id, (year, YEAR), unit, groups_only)
    replacement.add(Q(indicator_id=info.id, year__in=years, quarter=YEAR), standings, summaries)
    if not groups_only:
        _refresh_travels(info, years, moves, earlier, boundaries)


def _refresh_quarters(info, replacement, changed, boundaries) -> None:
    """The quarters of a quarterly measure that a change to the `changed` quarters ((year,
    quarter); None: every quarter) reaches: each changed quarter and the quarters up to the
    same quarter a year later, since a quarter's direction looks back one quarter or one year
    and no further (`stats.quarterly_comparisons`)."""
    groups, groups_only = replacement.groups, replacement.groups_only
    reached = Q()
    if changed is not None:
        reached = reduce(
            or_, (Q(year=y, quarter__gte=q) | Q(year=y + 1, quarter__lte=q) for y, q in changed)
        )
    found = data.quarter_cells(data.quarter_values().filter(indicator_id=info.id))
    earlier = defaultdict(dict)  # council -> (year, quarter) -> cell
    for (_, year, quarter), by_area in found.items():
        for area, (kind, cell, _) in by_area.items():
            if kind == AreaKind.COUNCIL:
                earlier[area][(year, quarter)] = cell
    standings, summaries = [], []
    for (_, year, quarter), by_area in sorted(found.items()):
        if changed is not None and not any(
            (y, q) <= (year, quarter) <= (y + 1, q) for y, q in changed
        ):
            continue
        unit = data.compute_unit(
            info, year, by_area, earlier, groups, quarter, boundaries=boundaries
        )
        standings += _standings(info.id, (year, quarter), unit, groups_only)
        summaries += _summaries(info.id, (year, quarter), unit, groups_only)
    replacement.add(Q(indicator_id=info.id, quarter__gt=YEAR) & reached, standings, summaries)


def _refresh_travels(info, years, moves, earlier, boundaries) -> None:
    """A council's directions in the years after a change to one of its values."""
    for area, changed in moves:
        for year, cell in earlier.get(area, {}).items():
            if year > changed and year not in years:
                moved = data.travel(info, year, cell, earlier[area], boundary=boundaries.get(area))
                Standing.objects.filter(
                    indicator_id=info.id, year=year, quarter=YEAR, area_id=area, group__isnull=True
                ).update(**moved._asdict())


def _standings(indicator, period, unit: "data.UnitResults", groups_only) -> list[Standing]:
    year, quarter = period
    rows = []
    if not groups_only:
        for area, value in unit.values.items():
            national = unit.national.rows.get(area)
            rows.append(
                Standing(
                    indicator_id=indicator,
                    year=year,
                    quarter=quarter,
                    area_id=area,
                    value=value,
                    **_benchmark_fields(national),
                    **unit.travels[area]._asdict(),
                    vs_england=unit.vs_england[area] or "",
                )
            )
    for group, (table, _) in unit.groups.items():
        rows += [
            Standing(
                indicator_id=indicator,
                year=year,
                quarter=quarter,
                group_id=group,
                area_id=area,
                **_benchmark_fields(benchmark),
                value=benchmark.value,
            )
            for area, benchmark in table.rows.items()
        ]
    return rows


def _benchmark_fields(benchmark) -> dict:
    if benchmark is None:
        return {}
    return {
        "n": benchmark.n,
        "rank": benchmark.rank,
        "tied": benchmark.tied,
        "band": benchmark.band,
        "percentile": benchmark.percentile,
    }


def _summaries(indicator, period, unit: "data.UnitResults", groups_only) -> list[Summary]:
    year, quarter = period
    rows = []
    if not groups_only:
        rows.append(
            Summary(
                indicator_id=indicator,
                year=year,
                quarter=quarter,
                **asdict(unit.national.distribution),
                note=unit.note,
                status_counts=unit.status_counts,
            )
        )
    for group, (table, aggregate) in unit.groups.items():
        rows.append(
            Summary(
                indicator_id=indicator,
                year=year,
                quarter=quarter,
                group_id=group,
                **asdict(table.distribution),
                aggregate=asdict(aggregate) if aggregate else None,
            )
        )
    return rows


# Receivers: every write path reaches `_record`. ---------------------------------------------


def _value_saving(sender, instance, raw=False, **kwargs):
    if instance.pk and not raw:
        instance._freshness_before = list(
            Value.objects.filter(pk=instance.pk).values_list(*VALUE_KEY)
        )


def _value_written(sender, instance, raw=False, **kwargs):
    if raw:
        return
    key = tuple(getattr(instance, name) for name in VALUE_KEY)
    _record(values=[key, *getattr(instance, "_freshness_before", [])])


def _values_written(sender, keys, **kwargs):
    _record(values=keys)


def _indicator_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _record(indicator=instance.pk)


def _break_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _record(indicator=instance.indicator_id)


def _area_changed(sender, instance, raw=False, created=False, **kwargs):
    if not raw:
        _record(area=None if created else instance.pk)


def _period_changed(sender, instance, raw=False, created=False, **kwargs):
    if not raw:
        _record(everything=not created)


def _shown_changed(sender, raw=False, **kwargs):
    if not raw:
        _record()


def _membership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        _record(group=instance.pk)
        return
    for group in pk_set or ComparatorGroup.objects.values_list("pk", flat=True):
        _record(group=group)


def connect() -> None:
    post_migrate.connect(fill_if_empty, dispatch_uid="freshness-fill-if-empty")

    def on(signal, receiver, sender):
        signal.connect(receiver, sender=sender, dispatch_uid=f"freshness-{receiver}-{sender}")

    on(pre_save, _value_saving, Value)
    on(post_save, _value_written, Value)
    on(post_delete, _value_written, Value)
    values_written.connect(_values_written, dispatch_uid="freshness-values-written")
    for receiver, models in (
        (_indicator_changed, (Indicator,)),
        (_break_changed, (SeriesBreak,)),
        (_area_changed, (Area, Council, Region)),
        (_shown_changed, (IndicatorCode, ComparatorGroup, TableNote)),
    ):
        for model in models:
            on(post_save, receiver, model)
            on(post_delete, receiver if receiver is not _area_changed else _shown_changed, model)
    on(post_save, _period_changed, Period)
    on(post_delete, _shown_changed, Period)
    on(m2m_changed, _membership_changed, ComparatorGroup.councils.through)
