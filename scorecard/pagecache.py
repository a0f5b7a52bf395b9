"""Whole public pages, cached under the data version.

A page's HTML only changes when the data changes, so an anonymous GET of a page is served
from the cache under the key (data version, path and query string): one cache read for the
version (one query where the cache is not shared: `models.shared_version`) and one for the
page. Every change bumps the version inside its transaction
(`scorecard.freshness`), which retires every key at once, in every server process that shares
the cache (Redis in production; see CACHE_URL).

This is an optimisation only: results are stored and kept current by `scorecard.freshness`,
so a page's first request after a change renders from stored rows with a fixed number of
queries, and nothing is rendered inside a writer's save. Keys carry the version's number and
time (`token`), so a number reused after a rolled-back change never finds an older page.
"""

import contextvars
import datetime
import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse

from scorecard.models import shared_version

CACHE_SECONDS = 24 * 3600


def token(read: tuple[int, "datetime.datetime | None"] | None = None) -> str:
    """The data version as cache keys carry it: the number and the time of the change, so a
    number reused after a rolled-back change never finds a page cached for the other."""
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
    return _version_read.get() or shared_version()


def cached_page(view):
    """Serve an anonymous GET of `view` from the cache while the data is unchanged. Only
    complete HTML pages are kept: downloads, errors and signed-in users' pages are not."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        read = shared_version()
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
