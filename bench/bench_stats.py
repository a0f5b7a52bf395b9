"""Benchmark: bands, ranks and direction of travel for every ASCOF value, with `scorecard.stats`.

Inputs are built once from the database (not timed): for every numeric ASCOF measure, year and
council, the published outcome (Total breakdown). Then, best of 5, the pure computation is
timed: `stats.benchmark_table` per indicator and year (distribution, rank, band, percentile of
every council) and `stats.direction_of_travel` per indicator, council and year. Finally one call
of `data.benchmarks` for the West Midlands group and one year, queries included.

Run against the database DATABASE_URL points at (load it first with `make demo-data`):

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_stats.py
"""

import os
import sys
import time
from collections import defaultdict

import django

TARGET_SECONDS = 0.300
REPEAT = 5


def best_of(fn, repeat: int = REPEAT) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorecard.settings")
    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from indicators.models import TOTAL, Availability, Source, Value
    from scorecard import data, stats

    infos = [i for i in data.indicators(Source.ASCOF) if i.is_numeric]
    by_id = {info.id: info for info in infos}
    rows = (
        Value.objects.councils()
        .filter(
            indicator_id__in=list(by_id),
            disaggregation=TOTAL,
            period__quarter__isnull=True,
        )
        .order_by()
        .values_list("indicator_id", "period__year", "area_id", "outcome", "outcome_status")
    )
    # (indicator, year) -> council -> value or None, and (indicator, council) -> year -> value
    tables: dict[tuple[int, int], dict[int, float | None]] = defaultdict(dict)
    series: dict[tuple[int, int], dict[int, float | None]] = defaultdict(dict)
    for indicator_id, year, council, outcome, status in rows:
        value = outcome if status == Availability.AVAILABLE else None
        tables[(indicator_id, year)][council] = value
        series[(indicator_id, council)][year] = value
    n_values = sum(len(t) for t in tables.values())
    n_present = sum(v is not None for t in tables.values() for v in t.values())
    if not n_values:
        print("No ASCOF values in this database: load it with `make demo-data` first.")
        return 1
    tables_in = [(values, by_id[pk].polarity) for (pk, _), values in tables.items()]
    travel_in = [
        (values, year, by_id[pk].polarity, tuple(by_id[pk].breaks))
        for (pk, _), values in series.items()
        for year in values
    ]

    def bands_and_ranks():
        return [stats.benchmark_table(values, polarity) for values, polarity in tables_in]

    def directions():
        return [
            stats.direction_of_travel(values, year, polarity, breaks)
            for values, year, polarity, breaks in travel_in
        ]

    def everything():
        return bands_and_ranks(), directions()

    t_tables, _ = best_of(bands_and_ranks)
    t_travel, _ = best_of(directions)
    t_all, _ = best_of(everything)

    group = data.group_by_slug("west-midlands-adass")
    all_infos = data.indicators()
    year = max(data.years_with_data(Source.ASCOF))
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        t_page, results = best_of(lambda: data.benchmarks(year, group, all_infos))
    n_queries = len(queries) // REPEAT

    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"Inputs: {len(tables_in)} indicator-years, {n_values:,} council values "
        f"({n_present:,} present), {len(travel_in):,} directions of travel"
    )
    print(f"stats.benchmark_table, every indicator and year: {t_tables * 1000:8.1f} ms")
    print(f"stats.direction_of_travel, every council-year:   {t_travel * 1000:8.1f} ms")
    verdict = "met" if t_all < TARGET_SECONDS else "MISSED"
    print(
        f"both together (best of {REPEAT}):                  {t_all * 1000:8.1f} ms "
        f"(target < {TARGET_SECONDS * 1000:.0f} ms: {verdict})"
    )
    print(
        f"data.benchmarks, WM group, {len(results)} indicators, {year}-{(year + 1) % 100:02d}, "
        f"queries included: {t_page * 1000:8.1f} ms ({n_queries} queries)"
    )
    return 0 if t_all < TARGET_SECONDS else 2


if __name__ == "__main__":
    sys.exit(main())
