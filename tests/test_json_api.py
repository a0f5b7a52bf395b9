"""The JSON API: every table that downloads as CSV answers `?format=json` with the CSV's
columns and rows, a page at a time; anonymous callers see published values only; the columns
are those docs/api.md documents."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from returns.models import Membership, Role
from scorecard import exports

pytestmark = pytest.mark.django_db

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
# Each documented table, with addresses that download it.
TABLES = {
    "Results": [
        "/?period=2024-25",
        "/?period=2025-26 Q2",
        "/councils/walsall/?period=2023-24",
        "/indicators/3d2a/?period=2022-23",
        "/compare/?councils=walsall&councils=dudley&period=2024-25",
    ],
    "Overall direction": ["/?period=2024-25&table=directions"],
    "Councils": ["/councils/?region=WM"],
}
ALL = [url for urls in TABLES.values() for url in urls]
# The returns' tables, for signed-in users only: read here by a regional lead.
SIGNED_IN = {
    "Returns tracker": "/returns/?period=2025-26 Q3",
    "Change log": "/returns/changes/?council=walsall",
}
# Documented under Results, and downloaded by an indicator's page only.
INDICATOR_ONLY = {"publisher_notes"}


def documented_columns() -> dict[str, list[str]]:
    """The column names docs/api.md lists under each "### " heading of its Tables section."""
    tables = {}
    text = API_DOC.read_text().split("## Tables", 1)[1]
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        title, body = section.split("\n", 1)
        tables[title.strip()] = re.findall(r"^\| `([^`]+)` \|", body, flags=re.MULTILINE)
    return tables


def csv_table(client, url) -> list[list[str]]:
    response = client.get(f"{url}&format=csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def as_csv_text(value) -> str:
    return "" if value is None else str(value)


def every_page(client, url) -> tuple[list[str], list[list], int]:
    """(columns, rows, pages) of a JSON table, following its `next` links."""
    answer = client.get(f"{url}&format=json").json()
    columns, rows, pages = answer["columns"], list(answer["rows"]), 1
    while answer["next"]:
        answer = client.get(answer["next"]).json()
        rows += answer["rows"]
        pages += 1
    return columns, rows, pages


def test_the_documented_tables_are_the_ones_tested():
    assert set(documented_columns()) == set(TABLES) | set(SIGNED_IN)


@pytest.mark.parametrize(("table", "url"), [(t, u) for t, urls in TABLES.items() for u in urls])
def test_each_tables_csv_and_json_have_the_columns_docs_api_documents(client, table, url):
    header = csv_table(client, url)[0]
    answer = client.get(f"{url}&format=json").json()
    documented = documented_columns()[table]
    if not url.startswith("/indicators/"):
        documented = [column for column in documented if column not in INDICATOR_ONLY]

    assert header == documented
    assert answer["columns"] == header


@pytest.mark.parametrize("url", ALL)
def test_the_json_holds_the_csvs_rows_in_its_order_with_typed_values(client, url):
    header, *rows = csv_table(client, url)

    columns, found, _ = every_page(client, url)

    assert columns == header
    assert [[as_csv_text(v) for v in row] for row in found] == rows


def test_numbers_are_numbers_and_missing_values_null(client):
    answer = client.get("/indicators/3d2a/?period=2022-23&format=json").json()
    rows = [dict(zip(answer["columns"], row, strict=True)) for row in answer["rows"]]
    birmingham = next(row for row in rows if row["council"] == "Birmingham")

    assert birmingham["value"] == 39.1
    assert isinstance(birmingham["national_rank"], int)
    assert birmingham["value_stored"] is None
    assert birmingham["national_quartile_words"] in {
        "Upper (best)",
        "Upper middle",
        "Lower middle",
        "Lower (worst)",
    }


def test_the_json_is_paged_with_next_links_and_the_csv_stays_whole(client, monkeypatch):
    url = "/?period=2024-25&group=england"
    whole = len(csv_table(client, url)) - 1
    monkeypatch.setattr(exports, "JSON_PAGE_SIZE", 1000)

    first = client.get(f"{url}&format=json").json()
    columns, rows, pages = every_page(client, url)

    assert whole > 2000
    assert first["count"] == whole and first["page"] == 1 and first["previous"] is None
    assert first["next"].startswith("http://testserver/?") and "page=2" in first["next"]
    assert "group=england" in first["next"] and "format=json" in first["next"]
    assert len(first["rows"]) == 1000
    assert pages == first["pages"] == -(-whole // 1000)
    assert len(rows) == whole


def test_a_page_past_the_last_is_not_found(client):
    response = client.get("/councils/?format=json&page=9")

    assert response.status_code == 404
    assert "error" in response.json()


def test_anonymous_callers_get_published_values_only_and_signed_in_ones_are_private():
    call_command("load_demo_returns", stdout=io.StringIO())
    url = "/?period=2025-26 Q3&format=json"
    anonymous = Client().get(url)
    user = get_user_model().objects.create_user("t-viewer", password="pw")
    Membership.objects.create(user=user, role=Role.VIEWER)
    signed_in = Client()
    signed_in.force_login(user)
    viewer = signed_in.get(url)

    def publications(response):
        answer = response.json()
        at = answer["columns"].index("publication")
        return {row[at] for row in answer["rows"]}

    assert publications(anonymous) == {"published", ""}
    assert "provisional" in publications(viewer)
    assert "private" in viewer["Cache-Control"] and "no-store" in viewer["Cache-Control"]
    # The signed-in answer is its own, whatever the anonymous one before it.
    assert "provisional" not in publications(Client().get(url))


def test_the_api_is_read_only(client):
    for url in ALL[:3]:
        response = client.post(f"{url}&format=json")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"


@pytest.fixture
def regional_lead(client):
    call_command("load_demo_returns", stdout=io.StringIO())
    user = get_user_model().objects.create_user("t-regional-lead")
    Membership.objects.create(user=user, role=Role.REGIONAL_LEAD)
    client.force_login(user)
    return client


@pytest.mark.parametrize(("table", "url"), SIGNED_IN.items())
def test_the_returns_tables_json_is_their_documented_csv_paged_and_never_cached(
    regional_lead, monkeypatch, table, url
):
    header, *rows = csv_table(regional_lead, url)
    monkeypatch.setattr(exports, "JSON_PAGE_SIZE", 5)
    first = regional_lead.get(f"{url}&format=json")

    columns, found, pages = every_page(regional_lead, url)

    assert header == columns == documented_columns()[table]
    assert len(rows) > 5 and pages == first.json()["pages"] == -(-len(rows) // 5)
    # data_as_at aside: the change log's is the time it was read.
    assert [[as_csv_text(v) for v in row[:-1]] for row in found] == [row[:-1] for row in rows]
    assert "no-store" in first["Cache-Control"] and "private" in first["Cache-Control"]


@pytest.mark.parametrize("url", SIGNED_IN.values())
def test_the_returns_tables_json_is_for_signed_in_users_and_read_only(client, url):
    assert client.get(f"{url}&format=json").status_code == 302  # to sign in

    user = get_user_model().objects.create_user("t-regional-lead")
    Membership.objects.create(user=user, role=Role.REGIONAL_LEAD)
    client.force_login(user)
    response = client.post(f"{url}&format=json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
