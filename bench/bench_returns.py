"""Benchmark: saving and publishing a whole return through its screen.

For SQLite (a file in a temporary directory), and PostgreSQL too when BENCH_DATABASE_URL or
DATABASE_URL names a server (it creates scorecard_bench_returns there and drops it at the
end), it builds the demo database as `make demo-data` does (without the demo returns), then, in
one process with Django's test client (DEBUG off), runs seven rounds of Walsall's 2025-26 Q3
return, every measure due (seven) given new figures each round:

1. Walsall's lead (`walsall-lead`) saves the return from its screen: the POST of every field,
   timed to its redirect;
2. submits it (not timed);
3. the regional lead (`demo`) publishes it from the screen: timed to its redirect (it writes
   seven values and recomputes their stored results);
4. reopens it with a reason, ready for the next round (not timed).

Beside them, the trivial view `/healthz/` through the same client. Targets: a save ≤ 300 ms
and a publish ≤ 300 ms (medians). Exits 2 if one is missed.

    DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH=. .venv/bin/python bench/bench_returns.py
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import DEMO_DATA, ROOT, _postgres, manage  # noqa: E402  (the same build)

BENCH_DATABASE = "scorecard_bench_returns"
ROUNDS = 7
SAVE_MS = PUBLISH_MS = 300.0
RETURN = "/returns/walsall/2025-26%20Q3/"


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--database":
        return run(sys.argv[2], Path(sys.argv[3]))
    load = [os.getloadavg()[0]]
    results = []
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-returns-") as tmp:
        databases = [("SQLite", f"sqlite:///{tmp}/bench.sqlite3")]
        server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
        if server.startswith("postgres"):
            databases.append(("PostgreSQL", urlsplit(server)._replace(path=f"/{BENCH_DATABASE}")))
            _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            _postgres(server, f"CREATE DATABASE {BENCH_DATABASE}")
        try:
            for engine, database in databases:
                url = database if isinstance(database, str) else database.geturl()
                out = Path(tmp) / f"{engine}.json"
                subprocess.run([sys.executable, __file__, "--database", url, out], check=True)
                results.append({"engine": engine, **json.loads(out.read_text())})
                load.append(os.getloadavg()[0])
        finally:
            if len(databases) > 1:
                _postgres(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"\nMeasured at commit {commit}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average (1 min) "
        + " → ".join(f"{one:.2f}" for one in load)
    )
    print("\n| step (7 rounds, median / max ms) | " + " | ".join(r["engine"] for r in results))
    print("|---|" + "---|" * len(results))
    missed = []
    for step, target in (("save", SAVE_MS), ("publish", PUBLISH_MS), ("healthz", None)):
        cells = []
        for result in results:
            median, worst = statistics.median(result[step]), max(result[step])
            cells.append(f"**{median:.0f}** / {worst:.0f}" if target else f"{median:.2f}")
            if target and median > target:
                missed.append(f"{step} on {result['engine']}: median {median:.0f} ms")
        print(f"| {step} | " + " | ".join(cells))
    for line in missed:
        print(f"MISSED: {line}")
    return 2 if missed else 0


def run(database: str, out: Path) -> int:
    os.environ.update(
        DATABASE_URL=database,
        CACHE_URL="",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        SECRET_KEY="bench-only-not-secret",
        STATIC_ROOT=str(out.parent / "static"),  # pages name files from its manifest
        DJANGO_SETTINGS_MODULE="scorecard.settings",
    )
    manage(["collectstatic", "--noinput", "-v0"], *DEMO_DATA)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # responses carry their template context, e-mail stays in memory

    users = get_user_model().objects
    lead, regional = Client(), Client()
    lead.force_login(users.get(username="walsall-lead"))
    regional.force_login(users.get(username="demo"))
    times = {"save": [], "publish": [], "healthz": []}
    for round_ in range(ROUNDS):
        fields = _fields(lead.get(RETURN), round_)
        times["save"].append(_post(lead, {**fields, "action": "save"}))
        _post(lead, {**_fields(lead.get(RETURN), round_), "action": "submit"})
        version = _fields(regional.get(RETURN), round_)["version"]
        times["publish"].append(_post(regional, {"version": version, "action": "publish"}))
        version = _fields(regional.get(RETURN), round_)["version"]
        _post(regional, {"version": version, "action": "reopen", "reason": f"Round {round_}"})
        started = time.perf_counter()
        lead.get("/healthz/")
        times["healthz"].append((time.perf_counter() - started) * 1000)
    out.write_text(json.dumps(times))
    return 0


def _fields(response, round_: int) -> dict:
    """The screen's form as posted back, with each count, number and rating changed."""
    from returns.forms import EntryForm

    if response.status_code != 200:
        raise SystemExit(f"the return screen answered {response.status_code}")
    found = {"version": response.context["version"]}
    for section in response.context["sections"]:
        form: EntryForm = section["form"]
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            if name == "numerator":
                found[key] = str(2 + round_)
            elif name == "denominator":
                found[key] = str(40 + round_)
            elif name == "outcome":
                found[key] = str(300 + round_)
            elif name == "text_value":
                choices = [value for value, _ in field.choices if value]
                found[key] = choices[round_ % len(choices)]
            elif name == "comment":
                found[key] = f"Round {round_}"
    return found


def _post(client, data: dict) -> float:
    started = time.perf_counter()
    response = client.post(RETURN, data)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 302:
        errors = response.context.get("errors") if response.context else None
        raise SystemExit(f"{data.get('action')} answered {response.status_code}: {errors}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
