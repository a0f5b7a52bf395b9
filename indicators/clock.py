"""The application's clock: what is due, and whether it is overdue, is judged by it alone.

`now()` calls the callable the SCORECARD_CLOCK setting names (a dotted path; by default
`django.utils.timezone.now`), so a test or a demo can set the date the scorecard believes it
is without touching the system clock:

    @override_settings(SCORECARD_CLOCK="tests.test_periods_on_demand.frozen")

The callable takes no arguments and returns a datetime (aware, as `timezone.now()` returns it,
or naive in the current time zone) or a date.
"""

import datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

DEFAULT_CLOCK = "django.utils.timezone.now"


@lru_cache(maxsize=8)
def _clock(path: str):
    return import_string(path)


def now() -> datetime.datetime:
    """The current moment on the application's clock, aware in the current time zone."""
    moment = _clock(getattr(settings, "SCORECARD_CLOCK", DEFAULT_CLOCK))()
    if not isinstance(moment, datetime.datetime):  # a date: its first moment
        moment = datetime.datetime.combine(moment, datetime.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def today() -> datetime.date:
    """Today's date on the application's clock, in the current time zone (Europe/London)."""
    return timezone.localdate(now())
