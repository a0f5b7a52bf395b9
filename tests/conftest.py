"""Shared pytest configuration: the browser harness and the skip-or-fail rule.

A test that needs something this machine lacks (Debian's Chromium, PostgreSQL for tests marked
`postgres`) is skipped locally and fails in CI (CI=true), naming what is missing and how to get it.
"""

import importlib.util
import os
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
_CALL_FAILED = pytest.StashKey[bool]()

HOW_TO_INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"
HOW_TO_INSTALL_PLAYWRIGHT = "make install"
HOW_TO_USE_POSTGRES = (
    "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres and run `make test` "
    "(start the server with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(what: str, available: bool, how_to_install: str) -> None:
    """Skip the calling test when `what` is not available; fail it instead in CI."""
    if available:
        return
    message = f"{what} is not available; to get it: {how_to_install}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def _require_browser() -> None:
    require(
        "the Playwright Python package",
        importlib.util.find_spec("playwright") is not None,
        HOW_TO_INSTALL_PLAYWRIGHT,
    )
    require(f"Chromium at {CHROMIUM}", CHROMIUM.exists(), HOW_TO_INSTALL_CHROMIUM)


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns that STATIC_ROOT is missing: tests never run collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture runs, so a skipped browser test never starts a live server.
    if item.get_closest_marker("browser"):
        _require_browser()
    if item.get_closest_marker("postgres"):
        require(
            f"PostgreSQL (this run is on {connection.vendor})",
            connection.vendor == "postgresql",
            HOW_TO_USE_POSTGRES,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(name="require")
def require_fixture():
    """The skip-or-fail rule, for a test that needs something of its own."""
    return require


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic():
    # The manifest storage needs collectstatic first; tests serve static files unhashed instead.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one for the whole session."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django's ORM
    # refuses to run beside one unless told; the tests themselves stay synchronous.
    unsafe = mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"})
    with unsafe, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A page in a fresh browser context; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"FAILED-{_file_name(request.node.name)}.png")
    context.close()


@pytest.fixture(scope="session")
def live_url(tmp_path_factory) -> str:
    """The base URL (no trailing slash) of a real server process on its own SQLite database,
    built the way `make demo` builds it. Browser tests never touch the test database, whose
    transactions a live server in this process would have to flush."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('server') / 'db.sqlite3'}",
        "DEBUG": "1",
    }
    manage = [sys.executable, str(root / "manage.py")]
    files = [str(settings.ASCOF_DATA_DIR / name) for name in SHIPPED_ASCOF_FILES]
    for step in (["migrate", "-v0"], ["load_reference"], ["import_ascof", *files], ["load_demo"]):
        subprocess.run(manage + step, env=env, check=True, capture_output=True, cwd=root)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/about/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the test server did not start on {url}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot to test-artifacts/screenshots/ and return its path."""

    def save(page, name: str | None = None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_file_name(name or request.node.name)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


SHIPPED_ASCOF_FILES = [
    "ascof_timeseries_2015-16_to_2024-25_official.ods",
    "ascof_outcomes_total_2017-18_to_2023-24.csv.gz",
    "ascof_2020-21_official_open_data.csv.gz",
    "ascof_2022-23_regions_num_den.csv",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds what `make demo` loads: reference data, every shipped ASCOF
    file and the demo local values. Each test runs in a transaction rolled back after it."""
    from django.core.management import call_command

    with django_db_blocker.unblock(), open(os.devnull, "w") as quiet:
        call_command("load_reference", stdout=quiet)
        files = (settings.ASCOF_DATA_DIR / name for name in SHIPPED_ASCOF_FILES)
        call_command("import_ascof", *files, stdout=quiet)
        call_command("load_demo", stdout=quiet)
