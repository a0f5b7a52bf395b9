"""Whole pages are cached under the data version: a change shows on the next request, and the
pages people open first are rendered again by the writer, not the next reader."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from indicators.models import Value
from scorecard import pagecache
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

BIRMINGHAM = "/councils/birmingham/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def birmingham_direct_payments():
    return Value.objects.get(
        area__name="Birmingham", indicator__code="3D(2a)", period__year=2024, period__quarter=None
    )


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


def test_a_change_to_a_value_shows_on_the_next_request(client):
    assert "38.8" in client.get(BIRMINGHAM).content.decode()
    value = birmingham_direct_payments()
    value.outcome = 41.2
    value.save()
    html = client.get(BIRMINGHAM).content.decode()
    assert "41.2" in html and "38.8" not in html


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


def test_default_paths_are_the_overview_its_councils_and_the_indicators():
    paths = pagecache.default_paths()
    assert paths[:4] == ["/", "/councils/", "/indicators/", "/about/"]
    assert "/councils/birmingham/" in paths
    assert "/councils/birmingham/?period=2024-25" in paths
    assert "/councils/leeds/" not in paths  # not in the default group
    assert "/indicators/3d2a/?period=2024-25" not in paths
    assert "/indicators/3d2a/?period=2024-25" in pagecache.default_paths(indicators=True)


def test_an_admin_edit_warms_the_pages_for_the_next_reader(
    admin_client, client, django_assert_num_queries
):
    url = f"/admin/indicators/value/{birmingham_direct_payments().pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data["outcome"] = "41.2"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # The pages were rendered before the edit committed.
    for path in ("/", BIRMINGHAM, f"{BIRMINGHAM}?period=2024-25"):
        with django_assert_num_queries(1):
            html = client.get(path).content.decode()
        assert "41.2" in html, path
    # Indicator pages read the results cached for the overview: the version and the group.
    with django_assert_num_queries(2):
        assert "41.2" in client.get("/indicators/3d2a/?period=2024-25").content.decode()


def test_warm_cache_command_renders_the_default_pages(client, django_assert_num_queries):
    out = io.StringIO()
    call_command("warm_cache", stdout=out)
    assert "pages warmed" in out.getvalue()
    assert "local to this process" in out.getvalue()  # tests use the local-memory cache
    with django_assert_num_queries(1):
        assert client.get("/councils/coventry/?period=2024-25").status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/indicators/3d2a/").status_code == 200


def test_the_health_check_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_a_command_that_changes_the_data_warms_a_shared_cache(
    tmp_path, settings, client, django_assert_num_queries
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    Value.objects.filter(indicator__code="WM-BCF", area__name="Walsall").delete()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "pages: 32 warmed" in out.getvalue()
    with django_assert_num_queries(1):
        assert client.get("/councils/walsall/").status_code == 200
    out = io.StringIO()
    call_command("load_demo", stdout=out)  # nothing to change, nothing to warm
    assert "pages:" not in out.getvalue()


def test_a_bulk_delete_in_the_admin_warms_the_pages_once_it_has_been_answered(
    admin_client, client, django_assert_num_queries
):
    walsall_bcf = Value.objects.filter(indicator__code="WM-BCF", area__name="Walsall").first()
    response = admin_client.post(
        "/admin/indicators/value/",
        {"action": "delete_selected", "_selected_action": [walsall_bcf.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Value.objects.filter(pk=walsall_bcf.pk).exists()
    with django_assert_num_queries(1):
        assert client.get("/councils/walsall/").status_code == 200
