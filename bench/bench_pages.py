"""Page latency under gunicorn, side by side with a trivial view, and the first request after
an edit.

Run from the project root (`make bench` does):

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_pages.py

Needs `wrk` (Debian package wrk) and Redis on 127.0.0.1:6379 (database 14 is flushed). For
SQLite (a file in a temporary directory), and PostgreSQL too when BENCH_DATABASE_URL or
DATABASE_URL names a server (it creates the database scorecard_bench_pages and drops it), it:

1. builds the database as `make demo` does (migrate, load_reference, the shipped ASCOF files,
   load_demo), with CACHE_URL pointing at Redis, as in production;
2. starts gunicorn (2 sync workers, DEBUG off, static files collected) on 127.0.0.1;
3. runs wrk (1 thread, 1 connection, 10 s each) against the trivial view (`/healthz/`, no
   database, no cache), the region overview, a council scorecard and an indicator page, one
   after the other, and takes wrk's median latency;
4. five times: a regional lead changes Birmingham's 3D(2a) 2024-25 value through the admin
   (the admin's own change view, run in this process against the same database and cache),
   then the first request to each warmed page from gunicorn is timed and checked to show the
   new value. Two pages outside the warmed set are timed too, to show what a reader pays
   for them: an indicator page (its results are warm, its charts are not) and the overview
   for 2023-24 (nothing warm).

It exits with status 2 when a page's median is over 5× the trivial view's or a first request
after an edit takes 60 ms or more.
"""

import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
ASCOF = ROOT / "data" / "ascof"
SHIPPED = sorted(str(path) for path in ASCOF.iterdir() if path.suffix in {".ods", ".gz"})
CACHE_URL = "redis://127.0.0.1:6379/14"
BENCH_DATABASE = "scorecard_bench_pages"
PAGES = {
    "trivial view (/healthz/)": "/healthz/",
    "region overview": "/",
    "council scorecard": "/councils/birmingham/",
    "indicator page": "/indicators/3d2a/",
}
AFTER_EDIT = ["/", "/councils/birmingham/", "/councils/birmingham/?period=2024-25"]
NOT_WARMED = ["/indicators/3d2a/?period=2024-25", "/?period=2023-24"]
EDITS = 5
LATENCY_RATIO = 5.0
FIRST_REQUEST_MS = 60.0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--database":
        return run(sys.argv[2])
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        databases = [f"sqlite:///{tmp}/bench.sqlite3"]
        server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
        if server.startswith("postgres"):
            databases.append(urlsplit(server)._replace(path=f"/{BENCH_DATABASE}").geturl())
            _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
            _postgres(server, f"CREATE DATABASE {BENCH_DATABASE}")
        try:
            for database in databases:
                done = subprocess.run([sys.executable, __file__, "--database", database])
                status = max(status, done.returncode)
        finally:
            if len(databases) > 1:
                _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    return status


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def run(database: str) -> int:
    tmp = Path(tempfile.mkdtemp())
    os.environ.update(
        DATABASE_URL=database,
        CACHE_URL=CACHE_URL,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="bench-only-not-secret",
        STATIC_ROOT=str(tmp / "static"),
        DJANGO_SETTINGS_MODULE="scorecard.settings",
        PYTHONPATH=str(ROOT),
    )
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()
    engine = database.split(":", 1)[0]
    print(f"\n## {engine}: building the demo database", flush=True)
    for step in (
        ["collectstatic", "--noinput", "-v0"],
        ["migrate", "-v0"],
        ["load_reference"],
        ["import_ascof", *SHIPPED],
        ["load_demo"],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *step], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{step[0]} failed:\n{done.stdout}{done.stderr}")
        warmed = re.search(r"pages: .*", done.stdout)
        if warmed:
            print(f"{step[0]}: {warmed.group(0)}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "scorecard.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"{base}/healthz/")
        return _measure(base, engine)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on {url}")


def _get(url: str) -> tuple[float, str]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read().decode()
    return (time.perf_counter() - started) * 1000, body


def _wrk(url: str) -> tuple[float, float]:
    """(median latency in ms, requests per second) of one connection for 10 s."""
    done = subprocess.run(
        ["wrk", "-t1", "-c1", "-d10s", "--latency", url], capture_output=True, text=True
    )
    median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", done.stdout, re.M)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if not median or not rate or errors:
        raise SystemExit(f"wrk on {url} failed:\n{done.stdout}{done.stderr}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[median.group(2)]
    return float(median.group(1)) * scale, float(rate.group(1))


def _measure(base: str, engine: str) -> int:
    failures = []
    for path in PAGES.values():  # compiled templates and connections in both workers
        for _ in range(4):
            _get(base + path)
    print(f"\nwrk -t1 -c1 -d10s, {engine}, gunicorn 2 workers:\n")
    print("| page | median latency (ms) | requests/s | × trivial |")
    print("|---|---|---|---|")
    trivial = None
    for label, path in PAGES.items():
        median, rate = _wrk(base + path)
        trivial = trivial or median
        ratio = median / trivial
        print(f"| {label} | {median:.2f} | {rate:.0f} | {ratio:.1f} |")
        if ratio > LATENCY_RATIO:
            failures.append(f"{label}: {ratio:.1f}× the trivial view")

    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # so the editor's client sees the admin form it posts back
    first, cold, saves = _edits(base)
    print(f"\nFirst request after an admin edit, {EDITS} edits, {engine}:\n")
    print("| page | median (ms) | worst (ms) |")
    print("|---|---|---|")
    for path, times in first.items():
        print(f"| {path} | {statistics.median(times):.1f} | {max(times):.1f} |")
        if max(times) >= FIRST_REQUEST_MS:
            failures.append(f"first request to {path} after an edit: {max(times):.0f} ms")
    for path, times in cold.items():
        print(f"| {path} (not warmed) | {statistics.median(times):.1f} | {max(times):.1f} |")
    print(
        f"\nThe editor's save (admin POST, pages warmed before commit): median "
        f"{statistics.median(saves):.2f} s, worst {max(saves):.2f} s."
    )
    print(f"\n{platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs.")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 2 if failures else 0


def _edits(base: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from indicators.models import Value
    from tests.admin_forms import admin_form_data

    value = Value.objects.get(
        area__name="Birmingham", indicator__code="3D(2a)", period__year=2024, period__quarter=None
    )
    original = value.outcome
    editor = Client(HTTP_HOST="127.0.0.1")
    editor.force_login(get_user_model().objects.get(username="demo"))
    url = f"/admin/indicators/value/{value.pk}/change/"
    first = {path: [] for path in AFTER_EDIT}
    cold = {path: [] for path in NOT_WARMED}
    saves = []
    for edit in range(1, EDITS + 2):
        new = original if edit > EDITS else round(original + edit / 10, 1)
        form = admin_form_data(editor.get(url))
        form["outcome"] = str(new)
        started = time.perf_counter()
        response = editor.post(url, form)
        if response.status_code != 302:
            raise SystemExit(f"the admin refused the edit: {response.content[:2000]}")
        if edit > EDITS:
            break  # the original value is back
        saves.append(time.perf_counter() - started)
        for path in AFTER_EDIT:
            elapsed, body = _get(base + path)
            if f"{new:.1f}" not in body:
                raise SystemExit(f"{path} does not show the edited value {new}")
            first[path].append(elapsed)
        for path in NOT_WARMED:
            cold[path].append(_get(base + path)[0])
    return first, cold, saves


if __name__ == "__main__":
    sys.exit(main())
