"""Whole pages are cached under the data version: the same page for the same options, never
for downloads, errors or signed-in users. (A change showing on the next request is tested with
the stored results, in test_freshness.py.)"""

import pytest
from django.core.cache import cache

from indicators.models import Value
from scorecard import pagecache
from scorecard.models import VERSION_KEY

pytestmark = pytest.mark.django_db

BIRMINGHAM = "/councils/birmingham/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_same_options_in_any_order_are_the_same_page():
    assert pagecache.page_key(3, "/", [("period", "2022-23"), ("group", "wm")]) == (
        pagecache.page_key(3, "/", [("group", "wm"), ("period", "2022-23")])
    )
    assert pagecache.page_key(3, "/", []) != pagecache.page_key(4, "/", [])


def test_every_value_of_a_repeated_option_makes_a_different_page(client):
    first = client.get("/compare/?councils=birmingham&councils=coventry").content.decode()
    second = client.get("/compare/?councils=dudley&councils=coventry").content.decode()
    assert "Birmingham" in first and "Birmingham" not in second.split("<table")[1]
    assert "Dudley" in second.split("<table")[1]


def test_downloads_and_missing_pages_are_not_kept(client):
    client.get(f"{BIRMINGHAM}?format=csv")
    client.get("/councils/atlantis/")
    version = pagecache.token()
    assert cache.get(pagecache.page_key(version, BIRMINGHAM, [("format", "csv")])) is None
    assert cache.get(pagecache.page_key(version, "/councils/atlantis/", [])) is None


def test_signed_in_users_are_served_fresh_pages(admin_client, django_assert_max_num_queries):
    admin_client.get("/")
    with django_assert_max_num_queries(100) as context:
        admin_client.get("/")
    assert len(context) > 1  # not from the page cache


def test_the_health_check_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_with_a_shared_cache_a_warm_page_touches_no_database(
    client, settings, django_assert_num_queries
):
    settings.CACHE_URL = "redis://shared"  # only read to decide whether the cache is shared
    client.get(BIRMINGHAM)
    with django_assert_num_queries(0):
        assert client.get(BIRMINGHAM).status_code == 200


def test_a_change_retires_the_shared_version_at_once(client, settings):
    settings.CACHE_URL = "redis://shared"
    before = client.get(BIRMINGHAM).content.decode()
    assert cache.get(VERSION_KEY) is not None
    value = Value.objects.get(
        area__name="Birmingham", indicator__code="3D(2a)", period__year=2024, period__quarter=None
    )
    value.outcome = 12.3
    value.save()
    assert cache.get(VERSION_KEY) is None
    after = client.get(BIRMINGHAM).content.decode()
    assert "12.3" in after and after != before


def test_without_a_shared_cache_the_version_is_read_from_the_database(
    client, settings, django_assert_num_queries
):
    settings.CACHE_URL = ""
    client.get(BIRMINGHAM)
    with django_assert_num_queries(1):
        client.get(BIRMINGHAM)
    assert cache.get(VERSION_KEY) is None
