"""Pages at national scale and at stress scale: the same pages, the same cells, the same number
of queries, however much else is stored.

Run from the project root (`make bench` does):

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_scale.py

BENCH_SCALE=0 skips the stress set (its generation and rebuild take minutes). For SQLite (a file
in a temporary directory), and PostgreSQL too when BENCH_DATABASE_URL or DATABASE_URL names a
server (it creates the databases scorecard_bench_scale_national and _stress and drops them at
the end), each set is built in a fresh database with the real reference data
(`load_reference`: councils, areas, the West Midlands group, the indicator catalogue) and
generated values:

- national: the 153 councils current in 2024-25 × every ASCOF measure of the catalogue (34)
  × 10 years (2015-16 to 2024-25); and 14 West Midlands councils × 40 local measures (new
  Indicator rows, source local, collected in the quarter from 2020-21 Q1) × 20 quarters
  (2020-21 Q1 to 2024-25 Q4): their years are derived from the quarters.
- stress: 153 councils × 100 measures × 40 periods = 612,000 values. The measures are the
  34 catalogue measures, with the same annual values as the national set, and 66 more ASCOF
  measures published only before 2015-16 (so no page for 2015-16 to 2024-25 shows them); the
  periods are the same 10 years and 30 quarters (2017-18 Q3 to 2024-25 Q4). The 40 local
  measures exist, without values, so that the overview shows the same (empty) columns at both
  scales.

Values are plausible, not real: per measure a normal distribution clipped to its range
(percentages 0-100, scores to their scale, rates and counts from zero), a lasting offset per
council plus noise per period, numerators and denominators for non-survey measures, a
margin of error and base for survey measures, about 2 % suppressed and 1 % not available.
The sizes are exactly as stated: no England, region or council-type rows (pages show no
England value), and the 153 councils have values in every year, even before some existed.
They are written with SQL (executemany on SQLite, COPY on PostgreSQL), so nothing is
recomputed as they go in; then `manage.py rebuild_results` fills the stored results and is
timed. PostgreSQL tables are ANALYZEd after each load (as autovacuum would); SQLite is left
as Django leaves it.

Then the pages of the latest year, with Django's test client (DEBUG off, the local-memory
cache cleared before every request, so every request renders), in fresh processes, national
and stress alternating (4 rounds each, so that both see the same load from elsewhere): each
page once to warm up, once counting its queries (CaptureQueriesContext), then 4 times timed
(wall time, and the process's CPU time: all the work on SQLite; on PostgreSQL the server's
share is not in it).
Query counts must be equal at both scales and the stress median at most 1.5x the national
one; each page's HTML must be the same at both scales (apart from the "data as at" time). It
prints Markdown tables and exits with status 2 when a target is missed.
"""

import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "scorecard_bench_scale"
LATEST = 2024
YEARS = list(range(2015, 2025))  # 10 years, 2015-16 to 2024-25
QUARTERS = [(year, quarter) for year in range(2017, 2025) for quarter in (1, 2, 3, 4)]
LOCAL_QUARTERS = QUARTERS[-20:]  # 2020-21 Q1 to 2024-25 Q4
STRESS_QUARTERS = QUARTERS[-30:]  # 2017-18 Q3 to 2024-25 Q4
COUNCILS = 153
WEST_MIDLANDS = 14
LOCAL_MEASURES = 40
STRESS_MEASURES = 100
PAGES = [
    ("region overview", "/?period=2024-25"),
    ("England overview", "/?group=england&period=2024-25"),
    ("council scorecard", "/councils/birmingham/?period=2024-25"),
    ("indicator page", "/indicators/3d2a/?period=2024-25"),
    ("compare", "/compare/?councils=birmingham&councils=coventry&period=2024-25"),
    ("overview CSV", "/?period=2024-25&format=csv"),
]
ROUNDS = 4  # measuring processes per set, national and stress alternating
REPEATS = 4  # timed requests per page in each
RATIO = 1.5


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--build":
        return build(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        return measure(Path(sys.argv[3]))
    scales = ["national"]
    if os.environ.get("BENCH_SCALE", "1") != "0":
        scales.append("stress")
    else:
        print("Stress set skipped (BENCH_SCALE=0).")
    started = datetime.now(UTC)
    load = [os.getloadavg()]
    engines = ["SQLite"]
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if server.startswith("postgres"):
        engines.append("PostgreSQL")
    else:
        print("PostgreSQL skipped: set BENCH_DATABASE_URL or DATABASE_URL to a server.")
    results = {}
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-scale-") as tmp:
        static = Path(tmp) / "static"
        unused = f"sqlite:///{tmp}/collectstatic.sqlite3"  # collectstatic reads no data
        _run("collectstatic", "--noinput", "-v0", env=_environment(unused, static))
        for engine in engines:
            urls = {}
            for scale in scales:
                if engine == "PostgreSQL":
                    name = f"{BENCH_DATABASE}_{scale}"
                    _postgres(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    _postgres(server, f"CREATE DATABASE {name}")
                    urls[scale] = urlsplit(server)._replace(path=f"/{name}").geturl()
                else:
                    urls[scale] = f"sqlite:///{tmp}/{scale}.sqlite3"
            try:
                for scale, url in urls.items():
                    out = Path(tmp) / f"{engine}-{scale}.json"
                    _run(__file__, "--build", url, scale, out, env=_environment(url, static))
                    results[(engine, scale)] = json.loads(out.read_text())
                    results[(engine, scale)]["pages"] = []
                print(f"\n## {engine}: pages, {ROUNDS} rounds", flush=True)
                for _ in range(ROUNDS):
                    for scale, url in urls.items():
                        out = Path(tmp) / f"{engine}-{scale}-pages.json"
                        _run(__file__, "--measure", url, out, env=_environment(url, static))
                        results[(engine, scale)]["pages"].append(json.loads(out.read_text()))
            finally:
                for scale, url in urls.items():
                    if engine == "PostgreSQL":
                        name = f"{BENCH_DATABASE}_{scale}"
                        _postgres(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    else:
                        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            load.append(os.getloadavg())
    print(_machine(started, load, results))
    failures = report(results, engines, scales)
    for failure in failures:
        print(f"MISSED: {failure}")
    return 2 if failures else 0


def _environment(database: str, static: Path) -> dict:
    environment = {
        **os.environ,
        "DATABASE_URL": database,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "SECRET_KEY": "bench-only-not-secret",
        "STATIC_ROOT": str(static),
        "DJANGO_SETTINGS_MODULE": "scorecard.settings",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("CACHE_URL", None)  # the local-memory cache, cleared before each request
    return environment


def _run(script: str, *arguments, env: dict) -> str:
    command = [sys.executable, *(["manage.py"] if script != __file__ else []), script]
    done = subprocess.run(
        [*command, *map(str, arguments)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise SystemExit(f"{script} {arguments[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _machine(started, load, results) -> str:
    def git(*arguments):
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no").splitlines()
    state = f"; uncommitted changes in {len(dirty)} files" if dirty else ", clean tree"
    versions = sorted({f"{engine} {r['version']}" for (engine, _), r in results.items()})
    loads = " → ".join(f"{one:.2f}" for one, _, _ in load)
    return (
        f"\nMeasured {started:%Y-%m-%d %H:%M} UTC at commit {git('rev-parse', '--short', 'HEAD')}"
        f"{state}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{', '.join(versions)}; load average (1 min) {loads}.\n"
    )


# Building one set in one database, in its own process ----------------------------------------


def build(database: str, scale: str, out: Path) -> int:
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(f"\n## {engine}, {scale} set", flush=True)
    _manage("migrate", "--noinput", "-v0")
    _manage("load_reference")
    import django

    django.setup()
    from django.db import connection

    found = {"engine": engine, "scale": scale, "version": _version(connection)}
    started = time.perf_counter()
    found["blocks"] = generate(scale)
    found["load_seconds"] = time.perf_counter() - started
    _analyze(connection)
    connection.close()
    started = time.perf_counter()
    output = _manage("rebuild_results")
    found["rebuild_seconds"] = time.perf_counter() - started
    found["rebuild_output"] = output.strip()
    _analyze(connection)
    found.update(_counts())
    connection.close()
    print(
        f"{found['values']:,} values written in {found['load_seconds']:.1f} s; "
        f"{output.strip()} (wall time with start-up {found['rebuild_seconds']:.1f} s)",
        flush=True,
    )
    out.write_text(json.dumps(found))
    return 0


def _manage(*arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{arguments[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _version(connection) -> str:
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]


def _analyze(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _counts() -> dict:
    from indicators.models import Value
    from scorecard.models import Standing, Summary

    return {
        "values": Value.objects.count(),
        "standings": Standing.objects.count(),
        "summaries": Summary.objects.count(),
    }


# Generation ----------------------------------------------------------------------------------


class Measure:
    """How one indicator's values are drawn: a normal distribution clipped to its range."""

    def __init__(self, indicator):
        self.id = indicator.pk
        self.code = indicator.code
        self.kind = indicator.kind
        self.multiplier = indicator.multiplier
        self.decimals = indicator.decimals
        self.survey = indicator.is_survey
        rng = random.Random(f"parameters:{indicator.code}")
        out_of = re.search(r"out of (\d+)", indicator.unit)
        if indicator.kind == "percentage":
            self.low, self.high = 0.0, 100.0
            self.mean, self.sd = rng.uniform(20, 85), rng.uniform(4, 12)
        elif out_of:
            self.low, self.high = 0.0, float(out_of.group(1))
            self.mean, self.sd = self.high * rng.uniform(0.6, 0.8), self.high * 0.04
        elif indicator.unit.startswith("score 0-1"):
            self.low, self.high, self.mean, self.sd = 0.0, 1.0, 0.4, 0.05
        else:  # rates and counts
            self.mean = rng.uniform(10, 700) if indicator.kind == "rate" else rng.uniform(20, 400)
            self.sd, self.low, self.high = self.mean * 0.3, 0.0, self.mean * 4
        self.base = 3000 if indicator.kind == "percentage" else 250_000

    def series(self, council: str, periods: list, stream: str):
        """(period id, fields) for each period, the same for the same council and stream."""
        rng = random.Random(f"{self.code}:{council}:{stream}")
        offset = rng.gauss(0, self.sd)
        trend = rng.gauss(0, self.sd / 20)
        denominator = max(20.0, round(rng.gauss(self.base, self.base / 2)))
        for step, period in enumerate(periods):
            draw = rng.random()
            value = self.mean + offset + trend * step + rng.gauss(0, self.sd / 4)
            value = min(self.high, max(self.low, value))
            if draw < 0.02:
                yield period, self._missing("suppressed")
            elif draw < 0.03:
                yield period, self._missing("not_available")
            else:
                yield period, self._fields(value, denominator * rng.uniform(0.9, 1.1), rng)

    def _missing(self, status: str) -> dict:
        return {"outcome": None, "outcome_status": status}

    def _fields(self, value: float, denominator: float, rng) -> dict:
        fields = {"outcome_status": "available"}
        if self.survey:
            fields["outcome"] = round(value, self.decimals)
            fields.update(
                base=float(max(20, round(rng.gauss(400, 100)))),
                base_status="available",
                margin_of_error=round((self.high - self.low) * rng.uniform(0.01, 0.04), 2),
                margin_of_error_status="available",
            )
        elif self.kind == "count":
            fields["outcome"] = float(round(value))
        else:
            denominator = float(round(denominator))
            numerator = float(round(value / self.multiplier * denominator))
            fields.update(
                outcome=round(numerator / denominator * self.multiplier, self.decimals),
                numerator=numerator,
                numerator_status="available",
                denominator=denominator,
                denominator_status="available",
            )
        return fields


def generate(scale: str) -> list[tuple[str, int]]:
    """Write the set; return its blocks as (description, number of values)."""
    from councils.models import Area, ComparatorGroup
    from indicators.models import Indicator, IndicatorCode, Period, Source
    from scorecard import freshness

    councils = list(Area.objects.councils().active_in(LATEST).values_list("pk", "code"))
    west_midlands = list(
        ComparatorGroup.objects.get(is_default=True).councils.values_list("pk", "code")
    )
    if len(councils) != COUNCILS or len(west_midlands) != WEST_MIDLANDS:
        raise SystemExit(f"expected {COUNCILS} councils and {WEST_MIDLANDS} in the group")
    with freshness.batch():
        ascof = list(Indicator.objects.filter(source=Source.ASCOF).order_by("code"))
        years = [Period.objects.get_or_create(year=y, quarter=None)[0].pk for y in YEARS]
        quarters = {
            (y, q): Period.objects.get_or_create(year=y, quarter=q)[0].pk for y, q in QUARTERS
        }
        first = Period.objects.get(pk=quarters[LOCAL_QUARTERS[0]])
        local = [_local_measure(n, first) for n in range(1, LOCAL_MEASURES + 1)]
        extra = []
        if scale == "stress":
            for n in range(1, STRESS_MEASURES - len(ascof) + 1):
                indicator = Indicator.objects.create(
                    code=f"BENCH-S{n:02d}",
                    slug=f"bench-s{n:02d}",
                    name=f"Stress measure {n}, published 2005-06 to 2014-15",
                    unit="%",
                    polarity="higher_is_better" if n % 2 else "lower_is_better",
                    kind="percentage",
                    multiplier=100,
                    source=Source.ASCOF,
                    domain=str(1 + n % 4),
                    scorecard_area="outcomes",
                    position=300 + n,
                )
                IndicatorCode.objects.create(
                    indicator=indicator, code=f"Z{n:02d}", first_year=2005, last_year=2014
                )
                extra.append(indicator)
    ascof_label = f"ASCOF measures ({len(ascof)}, the catalogue)"
    if scale == "national":
        blocks = [
            (
                f"{COUNCILS} councils × {ascof_label} × {len(YEARS)} years",
                _cells([Measure(i) for i in ascof], councils, years, "annual"),
            ),
            (
                f"{WEST_MIDLANDS} West Midlands councils × {LOCAL_MEASURES} local measures × "
                f"{len(LOCAL_QUARTERS)} quarters",
                _cells(local, west_midlands, [quarters[q] for q in LOCAL_QUARTERS], "quarterly"),
            ),
        ]
    else:
        measures = [Measure(i) for i in [*ascof, *extra]]
        stress_quarters = [quarters[q] for q in STRESS_QUARTERS]
        blocks = [
            (
                f"{COUNCILS} councils × {len(measures)} measures ({ascof_label} and "
                f"{len(extra)} published before 2015-16) × {len(years) + len(stress_quarters)} "
                f"periods ({len(years)} years, {len(stress_quarters)} quarters)",
                _cells(measures, councils, years, "annual")
                + _cells(measures, councils, stress_quarters, "quarterly"),
            )
        ]
    return [(label, count) for label, count in blocks]


def _local_measure(n: int, first_quarter):
    from indicators.models import Indicator, Source

    count = n % 4 == 0
    areas = ["governance", "outcomes", "resources", "partnerships", "culture"]
    indicator = Indicator.objects.create(
        code=f"BENCH-L{n:02d}",
        slug=f"bench-l{n:02d}",
        name=f"Local measure {n}",
        short_name=f"Local {n}",
        unit="cases" if count else "%",
        decimals=0 if count else 1,
        polarity="lower_is_better" if n % 3 == 0 else "higher_is_better",
        kind="count" if count else "percentage",
        multiplier=1 if count else 100,
        source=Source.LOCAL,
        # Counts are summed over a year's quarters, percentages Σnumerator / Σdenominator.
        quarterly_basis="in_quarter",
        quarterly_from=first_quarter,
        scorecard_area=areas[n % len(areas)],
        position=200 + n,
    )
    return Measure(indicator)


def _cells(measures: list[Measure], councils, periods: list[int], stream: str) -> int:
    """Insert one value per measure, council and period with SQL; return how many."""
    from django.db import connection, transaction
    from django.utils import timezone

    from indicators.models import TOTAL, Value

    fields = [f for f in Value._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    defaults = {
        f.attname: f.get_default() if f.has_default() else ("" if f.empty_strings_allowed else None)
        for f in fields
    }
    defaults.update(disaggregation=TOTAL, updated_at=now, note="")

    def rows():
        for measure in measures:
            for area, code in councils:
                for period, cell in measure.series(code, periods, stream):
                    row = {
                        **defaults,
                        **cell,
                        "area_id": area,
                        "indicator_id": measure.id,
                        "period_id": period,
                    }
                    yield tuple(row[f.attname] for f in fields)

    written = 0

    def counted():
        nonlocal written
        for row in rows():
            written += 1
            yield row

    table = Value._meta.db_table
    with transaction.atomic():
        raw = connection.connection.cursor()
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in counted():
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            raw.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", counted()
            )
        raw.close()
    expected = len(measures) * len(councils) * len(periods)
    if written != expected:
        raise SystemExit(f"wrote {written} values, expected {expected}")
    return written


# Measuring pages -----------------------------------------------------------------------------


def _digest(body: bytes) -> str:
    """The page without its "data as at" time, which differs between databases."""
    text = re.sub(r"<time[^>]*>.*?</time>", "", body.decode(), flags=re.S)
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:?\d\d|Z)?", "", text)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def measure(out: Path) -> int:
    """Each page once to warm up, once counting its queries, then REPEATS times timed."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    found = {}
    for label, url in PAGES:
        client.get(url)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        count = len(queries)  # now: the next request empties the connection's query log
        if response.status_code != 200:
            raise SystemExit(f"{url}: status {response.status_code}")
        times, cpu = [], []
        for _ in range(REPEATS):
            cache.clear()
            started, used = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        found[label] = {
            "queries": count,
            "times": times,
            "cpu": cpu,
            "bytes": len(response.content),
            "digest": _digest(response.content),
        }
    out.write_text(json.dumps(found))
    return 0


# Report --------------------------------------------------------------------------------------


def report(results: dict, engines: list[str], scales: list[str]) -> list[str]:
    failures = []
    print("\n### Sizes and the store\n")
    print("| set | engine | values | written in | `rebuild_results` | standings | summaries |")
    print("|---|---|---|---|---|---|---|")
    for scale in scales:
        for engine in engines:
            r = results[(engine, scale)]
            rebuilt = re.search(r"in ([\d.]+) s", r["rebuild_output"])
            print(
                f"| {scale} | {engine} | {r['values']:,} | {r['load_seconds']:.1f} s | "
                f"{rebuilt.group(1) if rebuilt else '?'} s ({r['rebuild_seconds']:.1f} s with "
                f"start-up) | {r['standings']:,} | {r['summaries']:,} |"
            )
    for scale in scales:
        r = results[(engines[0], scale)]
        print(f"\n{scale}: " + "; ".join(f"{label}: {count:,}" for label, count in r["blocks"]))

    samples = ROUNDS * REPEATS
    print(
        f"\n### Pages at each scale, 2024-25 (test client, median of {samples}: wall ms "
        "(this process's CPU ms))\n"
    )
    columns = [f"{engine} {scale}" for engine in engines for scale in scales]
    if "stress" in scales:
        columns += [f"{engine} stress ÷ national" for engine in engines]
    print(f"| page | queries | {' | '.join(columns)} | same HTML |")
    print("|---|---|" + "---|" * len(columns) + "---|")
    for label, url in PAGES:
        runs = {
            (e, s): [run[label] for run in results[(e, s)]["pages"]]
            for e in engines
            for s in scales
        }
        counts = {(e, s): {run["queries"] for run in found} for (e, s), found in runs.items()}
        medians = {
            key: statistics.median(t for run in found for t in run["times"])
            for key, found in runs.items()
        }
        cpu = {
            key: statistics.median(t for run in found for t in run["cpu"])
            for key, found in runs.items()
        }
        for engine in engines:
            seen = set().union(*(counts[(engine, s)] for s in scales))
            if len(seen) != 1:
                failures.append(f"{label} on {engine}: query counts differ {sorted(seen)}")
        cells = [f"{medians[(e, s)]:.0f} ({cpu[(e, s)]:.0f})" for e in engines for s in scales]
        same = "–"
        if "stress" in scales:
            for engine in engines:
                ratio = medians[(engine, "stress")] / medians[(engine, "national")]
                of_cpu = cpu[(engine, "stress")] / cpu[(engine, "national")]
                verdict = "" if ratio <= RATIO else " MISSED"
                cells.append(f"**{ratio:.2f}** ({of_cpu:.2f}){verdict}")
                if ratio > RATIO:
                    failures.append(f"{label} on {engine}: stress {ratio:.2f}× national")
            differ = [
                engine
                for engine in engines
                if len({run["digest"] for s in scales for run in runs[(engine, s)]}) != 1
            ]
            same = "**no**: " + ", ".join(differ) if differ else "yes"
            if differ:
                failures.append(f"{label}: the HTML differs between scales on {differ}")
        shown = " / ".join(str(c) for c in sorted(set().union(*counts.values())))
        print(f"| {label} `{url}` | {shown} | {' | '.join(cells)} | {same} |")
    return failures


if __name__ == "__main__":
    sys.exit(main())
