"""How long `manage.py import_ascof` takes on the shipped files, on a throwaway database.

Run from the project root (`make bench` does):

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_import.py

It always measures SQLite (a file in a temporary directory) and also PostgreSQL when
BENCH_DATABASE_URL or DATABASE_URL names a server: it creates the databases scorecard_bench and
scorecard_bench_run there and drops them afterwards. Each database is migrated and given the
reference data once; every repeat then starts from a copy of it and times, as an operator would
run them, one command each:

1. the official 2020-21 open-data CSV (48,970 rows) into a database with no values;
2. the whole time-series workbook, into that database;
3. both again, which must change nothing.

It exits with status 2 when a median misses its target (2020-21 CSV under 5 s, workbook under
10 s), and with an error when a command fails or does not report what it should.

Times are wall-clock seconds of the whole command, Django start-up included (measured on its
own as "start-up"). Commands run with --skip-checks: the system checks are not the import.
"""

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg

ROOT = Path(__file__).resolve().parent.parent
ASCOF = ROOT / "data" / "ascof"
OPEN_DATA_2020_21 = ASCOF / "ascof_2020-21_official_open_data.csv.gz"
WORKBOOK = ASCOF / "ascof_timeseries_2015-16_to_2024-25_official.ods"
REPEATS = 3
BENCH_DATABASE = "scorecard_bench"
RUN_DATABASE = "scorecard_bench_run"

# (label, manage.py arguments, target in seconds or None, what its output must say)
STEPS = [
    ("start-up (import_ascof --help)", ["import_ascof", "--help"], None, "usage:"),
    (
        "2020-21 CSV, first import",
        ["import_ascof", str(OPEN_DATA_2020_21)],
        5.0,
        "Imported:",
    ),
    ("workbook, first import", ["import_ascof", str(WORKBOOK)], 10.0, "Imported:"),
    ("2020-21 CSV again", ["import_ascof", str(OPEN_DATA_2020_21)], None, "No changes"),
    ("workbook again", ["import_ascof", str(WORKBOOK)], None, "No changes"),
    (
        "both again, one command",
        ["import_ascof", str(OPEN_DATA_2020_21), str(WORKBOOK)],
        None,
        "No changes",
    ),
]


def manage(database_url: str, *arguments: str) -> tuple[float, str]:
    """Run one management command against `database_url`; return its wall time and output."""
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "manage.py", *arguments, "--skip-checks"]
    started = time.perf_counter()
    finished = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if finished.returncode:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{finished.stdout}{finished.stderr}")
    return elapsed, finished.stdout


class SQLite:
    name = "SQLite"

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="scorecard-bench-"))
        self.template = self.directory / "reference.sqlite3"
        self.run = self.directory / "run.sqlite3"

    def version(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"

    def prepare(self) -> None:
        url = f"sqlite:///{self.template}"
        manage(url, "migrate", "--noinput")
        manage(url, "load_reference")

    def fresh(self) -> str:
        shutil.copyfile(self.template, self.run)
        return f"sqlite:///{self.run}"

    def drop(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgreSQL:
    name = "PostgreSQL"

    def __init__(self, server_url: str):
        self.server_url = server_url
        config = dj_database_url.parse(server_url)
        self.connection_options = {
            "host": config["HOST"] or None,
            "port": config["PORT"] or None,
            "user": config["USER"] or None,
            "password": config["PASSWORD"] or None,
            "dbname": config["NAME"] or "postgres",
        }

    def _url(self, database: str) -> str:
        return urlsplit(self.server_url)._replace(path=f"/{database}").geturl()

    def _execute(self, *statements: str) -> None:
        with psycopg.connect(**self.connection_options, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def version(self) -> str:
        with psycopg.connect(**self.connection_options) as connection:
            return f"PostgreSQL {connection.execute('SHOW server_version').fetchone()[0]}"

    def prepare(self) -> None:
        self.drop()
        self._execute(f"CREATE DATABASE {BENCH_DATABASE}")
        url = self._url(BENCH_DATABASE)
        manage(url, "migrate", "--noinput")
        manage(url, "load_reference")

    def fresh(self) -> str:
        self._execute(
            f"DROP DATABASE IF EXISTS {RUN_DATABASE}",
            f"CREATE DATABASE {RUN_DATABASE} TEMPLATE {BENCH_DATABASE}",
        )
        return self._url(RUN_DATABASE)

    def drop(self) -> None:
        self._execute(
            f"DROP DATABASE IF EXISTS {RUN_DATABASE}", f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"
        )


def bench(backend) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label, *_ in STEPS}
    backend.prepare()
    for _ in range(REPEATS):
        url = backend.fresh()
        for label, arguments, _target, expected in STEPS:
            elapsed, output = manage(url, *arguments)
            if expected not in output:
                raise SystemExit(f"{label}: expected {expected!r} in the output:\n{output}")
            times[label].append(elapsed)
    return times


def missed(results: dict[str, dict[str, list[float]]]) -> list[str]:
    return [
        f"{label} on {name}"
        for label, _arguments, target, _expected in STEPS
        for name, times in results.items()
        if target is not None and statistics.median(times[label]) >= target
    ]


def table(results: dict[str, dict[str, list[float]]]) -> str:
    names = list(results)
    header = ["step", *(f"{name} median" for name in names), *(f"{name} best" for name in names)]
    header.append("target")
    lines = [header]
    for label, _arguments, target, _expected in STEPS:
        medians = [f"{statistics.median(results[name][label]):.2f}" for name in names]
        bests = [f"{min(results[name][label]):.2f}" for name in names]
        verdict = ""
        if target is not None:
            met = all(statistics.median(results[name][label]) < target for name in names)
            verdict = f"< {target:g} s " + ("met" if met else "MISSED")
        lines.append([label, *medians, *bests, verdict])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in lines
    ]
    rendered.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(rendered)


def main() -> None:
    backends = [SQLite()]
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if server_url.startswith(("postgres://", "postgresql://")):
        backends.append(PostgreSQL(server_url))
    else:
        print("PostgreSQL skipped: set BENCH_DATABASE_URL or DATABASE_URL to a postgres:// URL.")

    print(
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{REPEATS} runs per step, seconds of wall time per command"
    )
    results = {}
    for backend in backends:
        try:
            print(f"{backend.name}: {backend.version()} …", flush=True)
            results[backend.name] = bench(backend)
        finally:
            backend.drop()
    print(table(results))
    if missed(results):
        print("Target missed: " + "; ".join(missed(results)))
        sys.exit(2)


if __name__ == "__main__":
    main()
