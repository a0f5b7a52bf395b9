"""Two writers at once: the second waits and succeeds, and no change is lost.

Every test runs real `manage.py` processes on a database of its own, a SQLite file or a
PostgreSQL database created and dropped here, because the test database will not do: the
in-memory SQLite database has neither WAL nor the busy timeout, and a test's transaction would
hide its data from other processes and hold their locks. To make the race real, the test holds
a write lock from a third connection while the writers start, so that all of them queue for it.

Fixtures, in the 2024-25 CSV layout, for 3D(2a) in 2024-25 (England, the West Midlands,
Birmingham, Coventry and Herefordshire):

- concurrent_2024-25_base.csv: the numerator, denominator and outcome of each value;
- concurrent_2024-25_numerators.csv: a new numerator and outcome for each;
- concurrent_2024-25_denominators.csv: a new denominator and another outcome for each.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = FIXTURES / "concurrent_2024-25_base.csv"
NUMERATORS = FIXTURES / "concurrent_2024-25_numerators.csv"
DENOMINATORS = FIXTURES / "concurrent_2024-25_denominators.csv"
OPEN_DATA_2020_21 = Path(settings.ASCOF_DATA_DIR) / "ascof_2020-21_official_open_data.csv.gz"
HOLD = 3  # seconds the third connection keeps the lock: every writer has started by then

# (numerator, denominator, outcome) of 3D(2a) 2024-25 by area, as each fixture gives them.
BASE_FIELDS = {
    "England": (117655, 480105, 24.5),
    "WM": (12365, 48150, 25.7),
    "406": (3248, 8365, 38.8),
    "407": (564, 2580, 21.9),
    "415": (513, 1273, 40.3),
}
NEW_NUMERATORS = {"England": (117700, 24.6), "WM": (12370, 25.8), "406": (3250, 38.9),
                  "407": (566, 22.0), "415": (515, 40.4)}  # fmt: skip
NEW_DENOMINATORS = {"England": (480200, 24.4), "WM": (48160, 25.6), "406": (8370, 38.7),
                    "407": (2585, 21.8), "415": (1275, 40.2)}  # fmt: skip

VALUES_SQL = """
    SELECT a.code, v.id, v.numerator, v.denominator, v.outcome, v.note, v.version
    FROM indicators_value v
    JOIN councils_area a ON a.id = v.area_id
    JOIN indicators_period p ON p.id = v.period_id
    WHERE p.year = 2024 AND v.disaggregation = 'Total'
"""
CHANGES_SQL = "SELECT value_id, field, old, new FROM indicators_valuechange ORDER BY id"


def _env(database_url: str, **extra: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, **extra}


def manage(env: dict, *args) -> str:
    """Run a management command to completion and return what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start(env: dict, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *map(str, args)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    """Wait for a writer; it must have succeeded. Returns what it printed."""
    stdout, stderr = process.communicate(timeout=300)
    assert "database is locked" not in stderr
    assert process.returncode == 0, stderr
    return stdout


def _fmt(number: float) -> str:
    """A number as the audit trail writes it."""
    return f"{number:g}"


# SQLite --------------------------------------------------------------------------------------

PROBE = """
import json, sqlite3
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master")  # a read, before any write
    other = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        writer_locked_out = False
    except sqlite3.OperationalError as error:
        writer_locked_out = "database is locked" in str(error)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
options = settings.DATABASES["default"]["OPTIONS"]
print(json.dumps({
    "journal_mode": journal_mode,
    "writer_locked_out": writer_locked_out,
    "transaction_mode": options["transaction_mode"],
    "timeout": options["timeout"],
}))
"""


def _probe(database: Path, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=_env(f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="scorecard.settings", **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_sqlite_file_database_runs_in_wal_mode_and_a_transaction_takes_the_write_lock_first(
    tmp_path,
):
    database = tmp_path / "db.sqlite3"

    probe = _probe(database)

    assert probe == {
        "journal_mode": "wal",
        "writer_locked_out": True,
        "transaction_mode": "IMMEDIATE",
        "timeout": 60,
    }
    assert sqlite3.connect(database).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_timeout_sets_how_long_a_writer_waits_for_the_lock(tmp_path):
    assert _probe(tmp_path / "db.sqlite3", SQLITE_TIMEOUT="5")["timeout"] == 5


@pytest.fixture
def sqlite_database(tmp_path) -> tuple[Path, dict]:
    """A SQLite file with the reference data and the base values, and the environment that
    points manage.py at it."""
    database = tmp_path / "db.sqlite3"
    env = _env(f"sqlite:///{database}")
    manage(env, "migrate", "-v0")
    manage(env, "load_reference")
    manage(env, "import_ascof", BASE)
    return database, env


SAVE_BIRMINGHAM_DENOMINATOR = """
from django.db import transaction
from indicators.models import Value
with transaction.atomic():
    value = Value.objects.get(area__code="406", period__year=2024)
    value.denominator = 8370
    value.note = "Denominator checked with the council"
    value.save()
"""


def test_on_sqlite_two_imports_and_a_save_at_once_all_wait_their_turn_and_succeed(
    sqlite_database,
):
    database, env = sqlite_database
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    writers = [
        start(env, "import_ascof", OPEN_DATA_2020_21),
        start(env, "import_ascof", NUMERATORS),
        start(env, "shell", "-c", SAVE_BIRMINGHAM_DENOMINATOR),
    ]
    time.sleep(HOLD)
    assert all(writer.poll() is None for writer in writers), "a writer did not wait"
    holder.execute("COMMIT")
    outputs = [finish(writer) for writer in writers]

    assert "Imported: 5 values changed." in outputs[1]
    runs = dict(holder.execute("SELECT file_name, created FROM indicators_importrun"))
    stored_2020 = holder.execute(
        "SELECT count(*) FROM indicators_value v JOIN indicators_period p ON p.id = v.period_id"
        " WHERE p.year = 2020"
    ).fetchone()[0]
    assert stored_2020 == runs[OPEN_DATA_2020_21.name] > 10_000
    values = {row[0]: row[2:6] for row in holder.execute(VALUES_SQL)}
    assert values["406"] == (3250, 8370, 38.9, "Denominator checked with the council")
    for area in ("England", "WM", "407", "415"):
        numerator, outcome = NEW_NUMERATORS[area]
        assert values[area] == (numerator, BASE_FIELDS[area][1], outcome, "")


# PostgreSQL ----------------------------------------------------------------------------------


def _postgres(name: str):
    import psycopg

    db = connection.settings_dict
    params = {
        "host": db["HOST"],
        "port": db["PORT"],
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    return psycopg.connect(dbname=name, autocommit=True, **{k: v for k, v in params.items() if v})


@pytest.fixture
def postgres_database():
    """A PostgreSQL database of this test's own, named after the run's, with the reference data
    and the base values; dropped afterwards. Yields its name and the environment for it."""
    db = connection.settings_dict
    name = f"{db['NAME']}_concurrent"
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = _env(f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{name}")
    with _postgres("postgres") as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        manage(env, "migrate", "-v0")
        manage(env, "load_reference")
        manage(env, "import_ascof", BASE)
        yield name, env
    finally:
        with _postgres("postgres") as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_waiters(name: str, count: int) -> None:
    """Until `count` sessions of the database are waiting for a lock."""
    with _postgres(name) as watcher:
        for _ in range(600):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock'",
                [name],
            ).fetchone()[0]
            if waiting >= count:
                return
            time.sleep(0.1)
    pytest.fail(f"{count} writers never queued for the lock")


@pytest.mark.postgres
def test_on_postgresql_two_imports_of_different_fields_of_the_same_values_lose_neither(
    postgres_database,
):
    name, env = postgres_database
    holder = _postgres(name)
    holder.autocommit = False
    holder.execute("SELECT id FROM indicators_value FOR UPDATE")
    writers = [
        start(env, "import_ascof", NUMERATORS),
        start(env, "import_ascof", DENOMINATORS),
    ]
    _wait_for_waiters(name, len(writers))
    holder.commit()
    for writer in writers:
        assert "Imported: 5 values changed." in finish(writer)

    holder.autocommit = True
    rows = holder.execute(VALUES_SQL).fetchall()
    values = {row[0]: row[1:5] for row in rows}
    changes = holder.execute(CHANGES_SQL).fetchall()
    holder.close()
    # Each import either went first or second; both orders keep both new fields.
    numerators_then_denominators = {
        area: (NEW_NUMERATORS[area][0], NEW_DENOMINATORS[area][0], NEW_DENOMINATORS[area][1])
        for area in BASE_FIELDS
    }
    denominators_then_numerators = {
        area: (NEW_NUMERATORS[area][0], NEW_DENOMINATORS[area][0], NEW_NUMERATORS[area][1])
        for area in BASE_FIELDS
    }
    final = {area: fields[1:] for area, fields in values.items()}
    assert final in (numerators_then_denominators, denominators_then_numerators)
    # The audit trail agrees with the data: for each field, from the base value through each
    # change to the value stored now.
    for area, (pk, numerator, denominator, outcome) in values.items():
        base = dict(zip(("numerator", "denominator", "outcome"), BASE_FIELDS[area], strict=True))
        now = {"numerator": numerator, "denominator": denominator, "outcome": outcome}
        for field, stored in now.items():
            trail = [(old, new) for value, f, old, new in changes if (value, f) == (pk, field)]
            assert [old for old, _ in trail] == [_fmt(base[field])] + [new for _, new in trail][:-1]
            assert trail[-1][1] == _fmt(stored)
    # Created, then changed by each import in turn.
    assert {row[6] for row in rows} == {3}
