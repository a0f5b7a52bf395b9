"""Pages under gunicorn: a regional lead's save in the admin, the first request to each page
after a change, and warm pages, side by side with a trivial view.

Run from the project root (`make bench` does):

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_pages.py

Needs `wrk` (Debian package wrk) and Redis on 127.0.0.1:6379 (database 14 is flushed). For
SQLite (a file in a temporary directory), and PostgreSQL too when BENCH_DATABASE_URL or
DATABASE_URL names a server (it creates the database scorecard_bench_pages and drops it at
the end), it:

1. builds the database as `make demo-data` does (migrate, load_reference, the four shipped
   ASCOF files, load_demo), with CACHE_URL on Redis as in production;
2. starts gunicorn (2 sync workers, DEBUG off, static files collected) on 127.0.0.1;
3. warm pages: wrk (1 thread, 10 s a run) at 1 and then 8 connections against the overview, a
   council scorecard, an indicator page and the compare page, each requested first so that it
   is cached, and the trivial view `/healthz/` (no database, no cache) before, between and
   after them: each page's ratio is to the mean of the trivial runs just before and just after
   it, so both saw the same load from elsewhere. Then, at 1 connection, the overview's CSV
   download (never cached: every request computes it) and the England overview;
4. seven rounds of: the demo user (a regional lead) saves Birmingham's 3D(2a) 2024-25 value
   through the admin over HTTP, as a browser does (logged-in session, the change form's CSRF
   token, every field of the form posted back), the POST timed to its redirect; then the
   first request to each page from gunicorn, nothing pre-rendered, each checked to show the
   new value; then saves of the 3D(2a) 2019-20 value (which recomputes the later years'
   directions of travel) and of the region's own complaints measure (WM-COMPLAINTS, entered as
   its counts) for 2024-25 Q4 and 2023-24, each checked on a page that shows it. The admin
   shows published values read-only, so the 3D(2a) values are detached from their import
   first: they stand for values a lead entered by hand.

Times are measured by this process as a browser would see them: from sending the request to
the last byte of the response, on the loopback interface. For each save and first request it
also reads the scheduler's counters of the serving processes (the gunicorn workers and, on
PostgreSQL, the database's backends): the CPU time they used and the time they waited for a
CPU, which says how much of the wall time was the machine being busy with other work.

It prints Markdown tables and exits with status 2 when a target is missed: a save over
150 ms (median), a first request after a change over 60 ms (median; 300 ms for the England
overview), the England overview over 500 kB, a warm page's median over 3x the trivial view's
at 8 connections, or the overview CSV over 100 ms (median, 1 connection).
"""

import http.client
import json
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
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
ASCOF = ROOT / "data" / "ascof"
# The files `make demo-data` imports, in its order.
ASCOF_FILES = [
    ASCOF / "ascof_timeseries_2015-16_to_2024-25_official.ods",
    ASCOF / "ascof_outcomes_total_2017-18_to_2023-24.csv.gz",
    ASCOF / "ascof_2020-21_official_open_data.csv.gz",
    ASCOF / "ascof_2022-23_regions_num_den.csv",
]
CACHE_URL = "redis://127.0.0.1:6379/14"
BENCH_DATABASE = "scorecard_bench_pages"
PASSWORD = "bench-pages-password"

TRIVIAL = "/healthz/"
OVERVIEW = "/"
SCORECARD = "/councils/birmingham/"
INDICATOR = "/indicators/3d2a/"
COMPARE = "/compare/?councils=birmingham&councils=coventry"
ENGLAND = "/?group=england"
CSV = "/?format=csv"
LABELS = {
    TRIVIAL: "trivial view `/healthz/`",
    OVERVIEW: "region overview `/`",
    SCORECARD: "council scorecard `/councils/birmingham/`",
    INDICATOR: "indicator page `/indicators/3d2a/`",
    COMPARE: "compare `/compare/?councils=birmingham&councils=coventry`",
    ENGLAND: "England overview `/?group=england` (153 councils)",
    CSV: "overview CSV `/?format=csv`",
}
WARM = [TRIVIAL, OVERVIEW, SCORECARD, INDICATOR, COMPARE]
SEQUENCE = [TRIVIAL, OVERVIEW, SCORECARD, TRIVIAL, INDICATOR, COMPARE, TRIVIAL]
FIRST = [OVERVIEW, SCORECARD, INDICATOR, COMPARE, ENGLAND]
CONNECTIONS = (1, 8)
WRK_SECONDS = 10
ROUNDS = 7
# The values of Birmingham a regional lead saves in the admin, each round: (label, indicator
# code, year, the new value in round r, how pages print it, a page that must then show it).
# The 3D(2a) values are published ones, which the admin shows read-only: the benchmark
# detaches them from their import first, so that they stand for a value entered by hand.
# The 2024-25 save is followed by the first request to each page; the 2019-20 one recomputes
# the later years' directions of travel.
SAVES = [
    (
        "3D(2a) 2024-25",
        "3D(2a)",
        (2024, None),
        lambda r: {"outcome": f"{90.1 + 1.1 * r:.1f}"},
        lambda r: f"{90.1 + 1.1 * r:.1f}",
        None,
    ),
    (
        "3D(2a) 2019-20",
        "3D(2a)",
        (2019, None),
        lambda r: {"outcome": f"{80.1 + 1.1 * r:.1f}"},
        lambda r: f"{80.1 + 1.1 * r:.1f}",
        f"{SCORECARD}?period=2019-20",
    ),
    # The region's percentages are entered as their counts: the outcome is worked out.
    (
        "WM-COMPLAINTS 2024-25 Q4",
        "WM-COMPLAINTS",
        (2024, 4),
        lambda r: {"numerator": str(71 + r), "denominator": "100"},
        lambda r: f"{71 + r}%",
        f"{SCORECARD}?period=2024-25%20Q4",
    ),
    (
        "WM-COMPLAINTS 2023-24",
        "WM-COMPLAINTS",
        (2023, None),
        lambda r: {"numerator": str(81 + r), "denominator": "100"},
        lambda r: f"{81 + r}%",
        f"{SCORECARD}?period=2023-24",
    ),
]
DETACHED = "3D(2a)"

SAVE_MS = 150.0
FIRST_MS = 60.0
ENGLAND_FIRST_MS = 300.0
ENGLAND_BYTES = 500_000
RATIO_AT_8 = 3.0
CSV_MS = 100.0


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--database":
        return run(sys.argv[2], Path(sys.argv[3]))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    started = datetime.now(UTC)
    load = [os.getloadavg()]
    results = []
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-pages-") as tmp:
        databases = [("SQLite", f"sqlite:///{tmp}/bench.sqlite3")]
        server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
        if server.startswith("postgres"):
            url = urlsplit(server)._replace(path=f"/{BENCH_DATABASE}").geturl()
            databases.append(("PostgreSQL", url))
            _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            _postgres(server, f"CREATE DATABASE {BENCH_DATABASE}")
        else:
            print("PostgreSQL skipped: set BENCH_DATABASE_URL or DATABASE_URL to a server.")
        try:
            for engine, database in databases:
                out = Path(tmp) / f"{engine}.json"
                subprocess.run([sys.executable, __file__, "--database", database, out], check=True)
                results.append(json.loads(out.read_text()))
                load.append(os.getloadavg())
        finally:
            if len(databases) > 1:
                _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    print(_machine(started, load, results))
    failures = report(results)
    for failure in failures:
        print(f"MISSED: {failure}")
    return 2 if failures else 0


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _machine(started, load, results) -> str:
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no").splitlines()
    state = f"; uncommitted changes in {len(dirty)} files" if dirty else ", clean tree"
    versions = ", ".join(f"{r['engine']} {r['version']}" for r in results)
    loads = " → ".join(f"{one:.2f}" for one, _, _ in load)
    return (
        f"\nMeasured {started:%Y-%m-%d %H:%M} UTC at commit {commit}{state}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {versions}, "
        f"gunicorn {_gunicorn_version()}, Redis {_redis_version()}; "
        f"load average (1 min) {loads}.\n"
    )


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def _gunicorn_version() -> str:
    import gunicorn

    return gunicorn.__version__


def _redis_version() -> str:
    import redis

    return redis.Redis.from_url(CACHE_URL).info("server")["redis_version"]


# One database, in its own process ----------------------------------------------------------


def run(database: str, out: Path) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="scorecard-bench-static-"))
    os.environ.update(
        DATABASE_URL=database,
        CACHE_URL=CACHE_URL,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="bench-only-not-secret",
        STATIC_ROOT=str(tmp / "static"),
        DEMO_PASSWORD=PASSWORD,
        DJANGO_SETTINGS_MODULE="scorecard.settings",
        PYTHONPATH=str(ROOT),
    )
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(f"\n## {engine}: building the demo database", flush=True)
    started = time.perf_counter()
    manage(["collectstatic", "--noinput", "-v0"], *DEMO_DATA)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)

    import django

    django.setup()
    from django.db import connection

    version = connection.Database.sqlite_version if engine == "SQLite" else None
    if version is None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
    values = _value_ids()
    connection.close()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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
        _wait_for(port)
        found = {"engine": engine, "version": version}
        found.update(_warm(port))
        meter = Meter(server.pid, urlsplit(database).path.strip("/") if engine != "SQLite" else "")
        found.update(_changes(port, values, meter))
        out.write_text(json.dumps(found))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


# The steps of `make demo-data`, without the demo returns.
DEMO_DATA = (
    ["migrate", "--noinput", "-v0"],
    ["load_reference"],
    ["import_ascof", *map(str, ASCOF_FILES)],
    ["load_demo"],
)


def manage(*steps: list[str]) -> None:
    """Run each `manage.py` command in its own process, stopping at the first that fails."""
    for step in steps:
        done = subprocess.run(
            [sys.executable, "manage.py", *step], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{step[0]} failed:\n{done.stdout}{done.stderr}")


def _value_ids() -> dict[str, int]:
    """The primary keys of the values SAVES changes; the 3D(2a) ones detached from their
    import (an update through the ORM, so the stored results follow)."""
    from indicators.models import TOTAL, Value

    ids = {
        label: Value.objects.get(
            area__slug="birmingham",
            indicator__code=code,
            period__year=year,
            period__quarter=quarter,
            disaggregation=TOTAL,
        ).pk
        for label, code, (year, quarter), *_ in SAVES
    }
    detach = [ids[label] for label, code, *_ in SAVES if code == DETACHED]
    Value.objects.filter(pk__in=detach).update(import_run=None)
    return ids


class Meter:
    """CPU time and time spent waiting for a CPU of the processes that serve a request: the
    gunicorn workers and, on PostgreSQL, the database's backends, from the scheduler's
    counters (/proc/<pid>/schedstat, nanoseconds). Where the wall time goes when the machine
    is busy with other work."""

    def __init__(self, master: int, database: str):
        self.master = master
        self.database = database  # PostgreSQL's database name, "" for SQLite

    def _pids(self) -> list[int]:
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.master:
                    found.append(int(entry.name))
                elif self.database:
                    command = Path(entry.path, "cmdline").read_bytes().decode(errors="replace")
                    if command.startswith("postgres:") and f" {self.database} " in command:
                        found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return found

    def read(self) -> dict[int, tuple[int, int]]:
        counters = {}
        for pid in self._pids():
            try:
                run, wait, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
                counters[pid] = (int(run), int(wait))
            except (OSError, ValueError):
                continue
        return counters

    def since(self, before: dict[int, tuple[int, int]]) -> tuple[float, float]:
        time.sleep(0.01)  # the worker closes the connection after the last byte
        after = self.read()
        run = sum(r - before.get(pid, (0, 0))[0] for pid, (r, _) in after.items())
        wait = sum(w - before.get(pid, (0, 0))[1] for pid, (_, w) in after.items())
        return run / 1e6, wait / 1e6


class Browser:
    """Requests as a browser makes them: one connection each (gunicorn's sync workers close
    them), its cookies kept, redirects not followed. Returns (ms, status, headers, body)."""

    def __init__(self, port: int, meter: "Meter | None" = None):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.meter = meter
        self.server = (0.0, 0.0)  # the last request's server CPU and run-queue wait, ms

    def request(self, method: str, path: str, form: list | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "bench_pages"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        before = self.meter.read() if self.meter else None
        started = time.perf_counter()
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        if self.meter:
            self.server = self.meter.since(before)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return elapsed, response.status, response.headers, content.decode()

    def get(self, path: str):
        return self.request("GET", path)


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit for the form with id `form_id`, as it
    stands (inputs, checked boxes, selected options, text areas; buttons left out)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select = None
        self._options: list[tuple[str, bool]] = []
        self._textarea = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value") or "on"))
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = (a.get("name"), "multiple" in a)
            self._options = []
        elif tag == "option" and self._select:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._text = []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields += [(name, value) for value in chosen if name]
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    if not parser.fields:
        raise SystemExit(f"no form #{form_id} in the page")
    return parser.fields


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            if Browser(port).get(TRIVIAL)[1] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def _wrk(port: int, path: str, connections: int) -> dict:
    """wrk's median latency (ms) and requests per second."""
    done = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{WRK_SECONDS}s",
            "--latency",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
    )
    median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", done.stdout, re.M)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    errors = re.search(
        r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*timeout [1-9]", done.stdout
    )
    if not median or not rate or errors:
        raise SystemExit(f"wrk on {path} failed:\n{done.stdout}{done.stderr}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[median.group(2)]
    return {"p50": float(median.group(1)) * scale, "rate": float(rate.group(1))}


def _warm(port: int) -> dict:
    reader = Browser(port)
    sizes = {}
    for path in [*WARM, ENGLAND, CSV]:
        for _ in range(4):  # cached, and compiled templates and connections in both workers
            _, status, _, body = reader.get(path)
            if status != 200:
                raise SystemExit(f"{path}: status {status}")
        sizes[path] = len(body.encode())
    wrk = {}
    for connections in CONNECTIONS:
        print(f"wrk, {connections} connection(s), {WRK_SECONDS} s per run", flush=True)
        # The trivial view before, between and after the pages, so that each page is compared
        # with the trivial view measured next to it, under the same load from elsewhere.
        runs = [(path, _wrk(port, path, connections)) for path in SEQUENCE]
        trivial = [(i, found["p50"]) for i, (path, found) in enumerate(runs) if path == TRIVIAL]
        wrk[connections] = {
            TRIVIAL: {"p50": statistics.median(p50 for _, p50 in trivial), "runs": trivial}
        }
        for i, (path, found) in enumerate(runs):
            if path != TRIVIAL:
                before = [p50 for j, p50 in trivial if j < i][-1]
                after = next(p50 for j, p50 in trivial if j > i)
                found["trivial"] = statistics.mean([before, after])
                wrk[connections][path] = found
    wrk[1][CSV] = _wrk(port, CSV, 1)
    wrk[1][ENGLAND] = _wrk(port, ENGLAND, 1)
    return {"sizes": sizes, "wrk": wrk}


def _count(body: str, shown: str) -> int:
    return body.count(shown)


def _save(editor: Browser, pk: int, changes: dict[str, str]) -> tuple[float, float, tuple]:
    """The regional lead opens the change form (not timed) and saves new figures (an outcome,
    or a percentage's counts): the POST's time to its redirect, the time of the page it
    redirects to, and the POST's server CPU and wait (`Meter`)."""
    url = f"/admin/indicators/value/{pk}/change/"
    _, status, _, page = editor.get(url)
    if status != 200:
        raise SystemExit(f"the change form of value {pk} answered {status}")
    fields = [(n, changes.get(n, v)) for n, v in form_fields(page, "value_form")]
    elapsed, status, headers, body = editor.request("POST", url, [*fields, ("_save", "Save")])
    server = editor.server
    if status != 302:
        errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
        raise SystemExit(f"the admin refused the save ({status}): {errors or body[:2000]}")
    followed = editor.get(headers["Location"])[0]
    return elapsed, followed, server


def _login(port: int, meter: Meter) -> Browser:
    editor = Browser(port, meter)
    _, _, _, page = editor.get("/admin/login/?next=/admin/")
    fields = dict(form_fields(page, "login-form"))
    fields.update(username="demo", password=PASSWORD)
    _, status, headers, _ = editor.request(
        "POST", "/admin/login/?next=/admin/", list(fields.items())
    )
    if status != 302 or "sessionid" not in editor.cookies:
        raise SystemExit(f"the demo user could not log in ({status})")
    return editor


def _changes(port: int, values: dict[str, int], meter: Meter) -> dict:
    editor = _login(port, meter)
    reader = Browser(port, meter)
    checks = [page for *_, page in SAVES if page]
    before = {path: reader.get(path)[3] for path in [*FIRST, *checks]}
    saves = {label: [] for label, *_ in SAVES}
    followed = {label: [] for label, *_ in SAVES}
    first = {path: [] for path in FIRST}
    server = {key: [] for key in [*saves, *first]}  # (CPU, wait) ms
    england_bytes = []
    print(f"{ROUNDS} rounds of saves and first requests", flush=True)
    for round_ in range(ROUNDS):
        for label, _code, _period, changes, printed, page in SAVES:
            shown = printed(round_)
            elapsed, after, used = _save(editor, values[label], changes(round_))
            saves[label].append(elapsed)
            server[label].append(used)
            followed[label].append(after)
            # The first request to every page after the first save; a check after the others.
            order = FIRST[round_ % len(FIRST) :] + FIRST[: round_ % len(FIRST)]
            for path in [page] if page else order:
                elapsed, status, _, body = reader.get(path)
                if status != 200 or _count(body, shown) <= _count(before[path], shown):
                    raise SystemExit(f"{path} does not show the saved value {shown}")
                before[path] = body
                if page:
                    continue
                first[path].append(elapsed)
                server[path].append(reader.server)
                if path == ENGLAND:
                    england_bytes.append(len(body.encode()))
    return {
        "saves": saves,
        "followed": followed,
        "first": first,
        "server": server,
        "england_bytes": england_bytes,
    }


# Report --------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


def report(results: list[dict]) -> list[str]:
    failures = []
    names = [r["engine"] for r in results]
    columns = " | ".join(f"{name} median / max ms (server CPU; wait for a CPU)" for name in names)

    def row(label, key, samples, target):
        medians = [statistics.median(s) for s in samples]
        met = all(m <= target for m in medians)
        failures.extend(
            f"{label} on {name}: median {_ms(m)} ms"
            for name, m in zip(names, medians, strict=True)
            if m > target
        )
        cells = []
        for r, times in zip(results, samples, strict=True):
            cpu = statistics.median(c for c, _ in r["server"][key])
            wait = statistics.median(w for _, w in r["server"][key])
            cells.append(
                f"**{_ms(statistics.median(times))}** / {_ms(max(times))} ({_ms(cpu)}; {_ms(wait)})"
            )
        return f"| {label} | {' | '.join(cells)} | ≤ {target:g} ms: {_verdict(met)} |"

    print(f"\n### A save through the admin ({ROUNDS} saves each, over HTTP)\n")
    print(f"| regional lead's POST of the Value change form | {columns} | target |")
    print("|---|" + "---|" * len(names) + "---|")
    for label, *_ in SAVES:
        print(row(f"Birmingham {label}", label, [r["saves"][label] for r in results], SAVE_MS))
    samples = [[t for times in r["followed"].values() for t in times] for r in results]
    cells = " | ".join(f"{_ms(statistics.median(s))} / {_ms(max(s))}" for s in samples)
    print(f"| (then the change list it redirects to, every save) | {cells} | |")

    print(f"\n### First request after a change ({ROUNDS} changes, nothing pre-rendered)\n")
    print(f"| page | {columns} | target |")
    print("|---|" + "---|" * len(names) + "---|")
    for path in FIRST:
        target = ENGLAND_FIRST_MS if path == ENGLAND else FIRST_MS
        print(row(LABELS[path], path, [r["first"][path] for r in results], target))
    sizes = [max(r["england_bytes"]) for r in results]
    met = all(size <= ENGLAND_BYTES for size in sizes)
    if not met:
        failures.append(f"England overview HTML {sizes} bytes")
    cells = " | ".join(f"{size:,} bytes" for size in sizes)
    print(f"| England overview HTML size | {cells} | ≤ {ENGLAND_BYTES:,}: {_verdict(met)} |")

    print(f"\n### Warm pages (wrk -t1, {WRK_SECONDS} s each; median latency, ms)\n")
    header = " | ".join(f"{name} {c} conn. | × trivial" for c in CONNECTIONS for name in names)
    print(f"| page | {header} | target |")
    print("|---|" + "---|---|" * len(CONNECTIONS) * len(names) + "---|")
    for path in WARM:
        cells, met = [], True
        for c in CONNECTIONS:
            for r in results:
                found = r["wrk"][str(c)][path]
                p50 = found["p50"]
                ratio = p50 / found.get("trivial", p50)
                cells.append(
                    f"{p50:.2f} | {'**' if c == 8 else ''}{ratio:.1f}{'**' if c == 8 else ''}"
                )
                if c == 8 and ratio > RATIO_AT_8:
                    met = False
                    failures.append(
                        f"{LABELS[path]} {ratio:.1f}× the trivial view at 8 on {r['engine']}"
                    )
        target = "" if path == TRIVIAL else f"≤ {RATIO_AT_8:g}× at 8: {_verdict(met)}"
        print(f"| {LABELS[path]} | {' | '.join(cells)} | {target} |")

    print("\n### Other pages, 1 connection (wrk -t1 -c1, median latency, ms)\n")
    print(f"| page | {' | '.join(names)} | size | target |")
    print("|---|" + "---|" * len(names) + "---|---|")
    for path, target in ((CSV, CSV_MS), (ENGLAND, None)):
        p50s = [r["wrk"]["1"][path]["p50"] for r in results]
        verdict = ""
        if target is not None:
            met = all(p50 <= target for p50 in p50s)
            verdict = f"≤ {target:g} ms: {_verdict(met)}"
            failures.extend(
                f"{LABELS[path]} on {name}: {_ms(p50)} ms"
                for name, p50 in zip(names, p50s, strict=True)
                if p50 > target
            )
        size = f"{results[0]['sizes'][path]:,} bytes"
        cells = " | ".join(f"**{_ms(p)}**" if target else _ms(p) for p in p50s)
        print(f"| {LABELS[path]}{'' if target else ' (cached)'} | {cells} | {size} | {verdict} |")
    print("\nHTML sizes: " + ", ".join(f"{p} {results[0]['sizes'][p]:,} B" for p in WARM[1:]))
    return failures


if __name__ == "__main__":
    sys.exit(main())
