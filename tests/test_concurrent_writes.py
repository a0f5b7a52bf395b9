"""Two writers at once: the second waits and succeeds.

Every test runs real `manage.py` processes on a SQLite file of its own, because the in-memory
test database has neither WAL nor the busy timeout. To make the race real, the test holds a
write lock from a third connection while the writers start, so that all of them queue for it.

Fixtures, in the 2024-25 CSV layout, for 3D(2a) in 2024-25 (England, the West Midlands,
Birmingham, Coventry and Herefordshire):

- concurrent_2024-25_base.csv: the numerator, denominator and outcome of each value;
- concurrent_2024-25_numerators.csv: a new numerator and outcome for each.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = FIXTURES / "concurrent_2024-25_base.csv"
NUMERATORS = FIXTURES / "concurrent_2024-25_numerators.csv"
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

VALUES_SQL = """
    SELECT a.code, v.id, v.numerator, v.denominator, v.outcome, v.note, v.version
    FROM indicators_value v
    JOIN councils_area a ON a.id = v.area_id
    JOIN indicators_period p ON p.id = v.period_id
    WHERE p.year = 2024 AND v.disaggregation = 'Total'
"""


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
