"""Whole public pages, cached under the data version, and warmed when the data changes.

A page's HTML only changes when the data changes, so an anonymous GET of a page is served
from the cache under the key (data version, path and query string): one query for the
version and one cache read. Every write bumps the version (`scorecard.models.bump_version`),
which retires every key at once, in every server process that shares the cache (Redis in
production; see CACHE_URL).

Readers should not pay for a writer's change, so the writer warms the pages most people open
right after the change: the region overview, its councils' scorecards and the indicator
pages, for the latest period and the default comparator group (`default_paths`).
- A web request that changed the data (an admin edit) warms them once its response has been
  sent (`request_finished`), so the editor does not wait either.
- Commands that change the data (`import_ascof`, `load_reference`, `load_demo`) call
  `warm_after_command`, which warms when the cache is shared with the server processes, and
  `manage.py warm_cache` does it on demand (the container runs it before the server starts).
Any other page or option is computed on its first request and cached like these.
"""

import contextlib
import contextvars
import datetime
import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, reverse

from councils.models import ComparatorGroup
from indicators.periods import format_period
from scorecard import data
from scorecard.models import current_version, data_changed

CACHE_SECONDS = 24 * 3600
LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def page_key(version: int, path: str, query: list[tuple[str, str]]) -> str:
    """The same page for the same path and options, whatever order the query string has."""
    canonical = f"{path}?{urlencode(sorted(query))}"
    return f"page:{version}:{hashlib.sha256(canonical.encode()).hexdigest()}"


# The data version a page is being built for, so that it is read once per request.
_version_read = contextvars.ContextVar("version_read", default=None)


def version() -> tuple[int, "datetime.datetime | None"]:
    """(data version, when it changed): as read for the page being built, else from the
    database."""
    return _version_read.get() or current_version()


def cached_page(view):
    """Serve an anonymous GET of `view` from the cache while the data is unchanged. Only
    complete HTML pages are kept: downloads, errors and signed-in users' pages are not."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        version = current_version()
        key = page_key(version[0], request.path, list(request.GET.items()))
        found = cache.get(key)
        if found is not None:
            content, content_type = found
            return HttpResponse(content, content_type=content_type)
        token = _version_read.set(version)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _version_read.reset(token)
        if (
            response.status_code == 200
            and not response.streaming
            and response["Content-Type"].startswith("text/html")
        ):
            cache.set(key, (response.content, response["Content-Type"]), CACHE_SECONDS)
        return response

    return wrapped


def default_paths() -> list[str]:
    """The pages people open first: the overview, council list, indicator list, about, and for
    the latest period and default group, each member's scorecard and each indicator shown,
    both as linked from the overview (with ?period=) and as bookmarked (without)."""
    years = data.years_with_data()
    if not years:
        return []
    year = years[-1]
    period = f"?{urlencode({'period': format_period(year)})}"
    paths = [reverse("region-overview"), reverse("council-list"), reverse("about")]
    with contextlib.suppress(NoReverseMatch):
        paths.append(reverse("indicator-list"))
    group = ComparatorGroup.objects.filter(is_default=True).first()
    councils = group.councils.order_by("name").values_list("slug", flat=True) if group else []
    for slug in councils:
        url = reverse("council-detail", args=[slug])
        paths += [url, url + period]
    for info in data.shown_in(data.indicators(), year):
        url = reverse("indicator-detail", args=[info.slug])
        paths += [url, url + period]
    return paths


def warm(paths: list[str] | None = None) -> tuple[int, float]:
    """Render `paths` (default: `default_paths()`) into the cache for the current data version,
    as an anonymous visitor would see them. Returns (pages rendered, seconds taken)."""
    started = time.perf_counter()
    data_changed.set(False)
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    client = Client(HTTP_HOST=host)
    rendered = 0
    for path in default_paths() if paths is None else paths:
        if client.get(path).status_code == 200:
            rendered += 1
    return rendered, time.perf_counter() - started


def cache_is_shared() -> bool:
    """Whether other processes (the web server's) read the cache this process writes."""
    return settings.CACHES["default"]["BACKEND"] not in LOCAL_CACHES


def warm_after_command(stdout) -> None:
    """For commands that changed the data: warm the pages the server will be asked for."""
    if not cache_is_shared():
        stdout.write("pages: not warmed (the cache is local to each process; set CACHE_URL)")
        return
    rendered, seconds = warm()
    stdout.write(f"pages: {rendered} warmed in {seconds:.1f} s")


def _request_started(**kwargs):
    data_changed.set(False)


def _request_finished(**kwargs):
    if data_changed.get():
        warm()


def connect():
    request_started.connect(_request_started, dispatch_uid="pagecache-started")
    request_finished.connect(_request_finished, dispatch_uid="pagecache-finished")
