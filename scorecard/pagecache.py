"""Whole public pages, cached under the data version, and warmed when the data changes.

A page's HTML only changes when the data changes, so an anonymous GET of a page is served
from the cache under the key (data version, path and query string): one query for the
version and one cache read. Every write bumps the version (`scorecard.models.bump_version`),
which retires every key at once, in every server process that shares the cache (Redis in
production; see CACHE_URL).

Readers should not pay for a writer's change, so the writer renders the pages most people
open right after it, inside the transaction that made it, before it commits: the region
overview and its councils' scorecards for the latest period and the default comparator group,
and the lists (`default_paths`). The first reader after the change finds them ready. The
indicator pages read the same cached results, so their first request only renders them (about
40 ms); `manage.py warm_cache` renders them too.
- Admin edits warm them as the admin answers (`scorecard.admin.WarmPagesMixin`).
- Commands that change the data (`import_ascof`, `load_reference`, `load_demo`) warm them
  when the cache is shared with the server processes (`WarmedChange`);
  `manage.py warm_cache` does it on demand (the container runs it before the server starts).
- Any other request that changed the data warms them once its response has been sent.
Keys carry the version's number and time (`token`), so pages warmed inside a transaction
that then rolls back are never served.
Any other page or option is computed on its first request and cached like these.
"""

import contextvars
import datetime
import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from councils.models import ComparatorGroup
from indicators.periods import format_period
from scorecard import data
from scorecard.models import current_version, data_changed

CACHE_SECONDS = 24 * 3600
LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def token(read: tuple[int, "datetime.datetime | None"] | None = None) -> str:
    """The data version as cache keys carry it: the number and the time of the change, so a
    number reused after a rolled-back change (pages warmed inside a transaction that then
    failed) never finds those pages."""
    number, changed_at = read or version()
    return f"{number}.{changed_at.timestamp() if changed_at else 0}"


def page_key(stamp: str, path: str, query: list[tuple[str, str]]) -> str:
    """The same page for the same data version (`token`), path and options, whatever order
    the query string has (every value of a repeated option counts: `?councils=a&councils=b`)."""
    canonical = f"{path}?{urlencode(sorted(query))}"
    return f"page:{stamp}:{hashlib.sha256(canonical.encode()).hexdigest()}"


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
        read = current_version()
        query = [(name, value) for name, values in request.GET.lists() for value in values]
        key = page_key(token(read), request.path, query)
        found = cache.get(key)
        if found is not None:
            content, content_type = found
            return HttpResponse(content, content_type=content_type)
        reset = _version_read.set(read)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _version_read.reset(reset)
        if (
            response.status_code == 200
            and not response.streaming
            and response["Content-Type"].startswith("text/html")
        ):
            cache.set(key, (response.content, response["Content-Type"]), CACHE_SECONDS)
        return response

    return wrapped


def default_paths(*, indicators: bool = False) -> list[str]:
    """The pages people open first: the overview, council list, indicator list and about, and
    for the latest period and default group each member's scorecard, both as linked from the
    overview (with ?period=) and as bookmarked (without); with `indicators`, each indicator
    page too (twice as many pages again)."""
    years = data.years_with_data()
    if not years:
        return []
    year = years[-1]
    period = f"?{urlencode({'period': format_period(year)})}"
    paths = [reverse(name) for name in ("region-overview", "council-list", "indicator-list")]
    paths.append(reverse("about"))
    group = ComparatorGroup.objects.filter(is_default=True).first()
    councils = group.councils.order_by("name").values_list("slug", flat=True) if group else []
    for slug in councils:
        url = reverse("council-detail", args=[slug])
        paths += [url, url + period]
    for info in data.shown_in(data.indicators(), year) if indicators else []:
        url = reverse("indicator-detail", args=[info.slug])
        paths += [url, url + period]
    return paths


def warm(paths: list[str] | None = None) -> tuple[int, int, float]:
    """Render `paths` (default: `default_paths()`, about 30 pages) into the cache for the
    current data version, as an anonymous visitor would see them. A page that fails is logged
    and left for its first visitor; it never stops the change that asked for the warming.
    Returns (pages rendered, pages failed, seconds taken)."""
    started = time.perf_counter()
    data_changed.set(False)
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    rendered = failed = 0
    for path in default_paths() if paths is None else paths:
        status = client.get(path).status_code
        rendered += status == 200
        failed += status >= 500  # not 404: an indicator with no data yet has no page
    return rendered, failed, time.perf_counter() - started


def cache_is_shared() -> bool:
    """Whether other processes (the web server's) read the cache this process writes."""
    return settings.CACHES["default"]["BACKEND"] not in LOCAL_CACHES


def warm_if_changed() -> None:
    """Warm the default pages if this request changed the data. Call it inside the transaction
    that made the change, so the pages are ready the moment it commits (the admin does); other
    requests that change the data call it once they have been answered."""
    if data_changed.get():
        warm()


class WarmedChange:
    """A command's change in one transaction: when it changed the data, the pages the server
    will be asked for are warmed inside it, before it commits, if the server reads the same
    cache. `note` says what happened, for the command to print last.

        with WarmedChange() as change:
            ...  # write
        self.stdout.write(change.note)
    """

    def __init__(self):
        self.note = ""
        self._atomic = transaction.atomic()

    def __enter__(self):
        data_changed.set(False)
        self._atomic.__enter__()
        return self

    def __exit__(self, *error):
        if error[0] is None and data_changed.get():
            if cache_is_shared():
                rendered, failed, seconds = warm()
                failures = f", {failed} failed (see the log)" if failed else ""
                self.note = f"pages: {rendered} warmed in {seconds:.1f} s{failures}"
            else:
                self.note = "pages: not warmed (the cache is local to each process; set CACHE_URL)"
        return self._atomic.__exit__(*error)


def _request_started(**kwargs):
    data_changed.set(False)


def _request_finished(**kwargs):
    warm_if_changed()


def connect():
    request_started.connect(_request_started, dispatch_uid="pagecache-started")
    request_finished.connect(_request_finished, dispatch_uid="pagecache-finished")
