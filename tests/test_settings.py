"""Settings come from the environment: SQLite with none, PostgreSQL when DATABASE_URL is set.

Each case imports the settings in a fresh interpreter with a controlled environment, because
they are read once, at import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "ENGINE": db["ENGINE"], "NAME": str(db["NAME"]), "HOST": db.get("HOST", ""),
    "PORT": db.get("PORT", ""), "USER": db.get("USER", ""),
    "CACHE": settings.CACHES["default"]["BACKEND"],
}))
"""


def _settings_with(**env: str) -> dict:
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "scorecard.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_sqlite_is_the_database_when_database_url_is_not_set():
    database = _settings_with()

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "db.sqlite3")


def test_database_url_selects_postgresql():
    database = _settings_with(DATABASE_URL="postgres://scorecard:secret@db:5432/scorecard")

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"], database["USER"]) == (
        "scorecard",
        "db",
        5432,
        "scorecard",
    )


def test_the_cache_is_local_memory_unless_cache_url_names_redis():
    assert _settings_with()["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    redis = _settings_with(CACHE_URL="redis://redis:6379/0")["CACHE"]
    assert redis == "django.core.cache.backends.redis.RedisCache"
