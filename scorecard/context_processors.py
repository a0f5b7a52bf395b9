"""What every page says about its data: when it was last changed, where it comes from, the
comparator groups for the group picker, and the overall-direction tolerance the method uses.

Both lookups are lazy, so a page pays only for what its templates show: "data as at" (the
footer of every page) reuses the data version the page was built for, and the groups cost one
query where a group picker is shown.
"""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from councils.models import ComparatorGroup
from scorecard import pagecache

SOURCE_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: NHS England / NHS Digital / DHSC, Measures from the Adult Social Care Outcomes "
    "Framework, England."
)
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def data_as_at():
    """When the data the pages show last changed (an import or an edit): the data version's
    time, None before any data is loaded. Read once per page (see `pagecache.version`)."""
    return pagecache.version()[1]


def data_status(request):
    """`data_as_at` (a datetime; test it with `{% if data_as_at %}`, as it is lazy),
    `source_attribution`, `ogl_url`, `comparator_groups` (dicts of slug, name, is_default,
    the default group first) and `overall_direction_tolerance` (the setting, as the About page
    states the method)."""
    return {
        "data_as_at": SimpleLazyObject(data_as_at),
        "source_attribution": SOURCE_ATTRIBUTION,
        "ogl_url": OGL_URL,
        "comparator_groups": ComparatorGroup.objects.values("slug", "name", "is_default"),
        "overall_direction_tolerance": settings.OVERALL_DIRECTION_TOLERANCE,
    }
