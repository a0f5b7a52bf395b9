"""The compare page: its downloads (CSV, XLSX, JSON) hold the chosen councils' rows in the
order chosen, the page has an England column, and the council picker is a list of labelled
checkboxes narrowed by typing, not a Ctrl-click multi-select."""

import csv
import io
import re

import openpyxl
import pytest

from scorecard.context_processors import SOURCE_ATTRIBUTION
from scorecard.views import CSV_HEADER

pytestmark = pytest.mark.django_db

COMPARE = "/compare/?councils=coventry&councils=birmingham&period=2022-23"


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_compare_csv_is_a_csv_of_the_chosen_councils_in_the_order_chosen(client):
    response = client.get(f"{COMPARE}&format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "compare-coventry-birmingham-2022-23.csv" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == [*CSV_HEADER, "source", "data_as_at"]
    council = header.index("council")
    assert {row[council] for row in rows} == {"Coventry", "Birmingham"}
    code = header.index("indicator_code")
    first = [row[council] for row in rows if row[code] == "3D(2a)"]
    assert first == ["Coventry", "Birmingham"]
    birmingham = next(r for r in rows if r[code] == "3D(2a)" and r[council] == "Birmingham")
    assert birmingham[header.index("value")] == "39.1"
    assert birmingham[header.index("england")]
    assert birmingham[header.index("source")] == SOURCE_ATTRIBUTION


def test_the_compare_xlsx_and_json_have_the_csvs_header_and_rows(client):
    header, *rows = csv_rows(client.get(f"{COMPARE}&format=csv"))

    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{COMPARE}&format=xlsx").content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert len(values) - 1 == len(rows)
    answer = client.get(f"{COMPARE}&format=json").json()
    assert answer["columns"] == header
    assert answer["count"] == len(rows)


def test_a_compare_download_without_two_councils_is_an_empty_table_not_a_page(client):
    response = client.get("/compare/?councils=birmingham&format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(response) == [[*CSV_HEADER, "source", "data_as_at"]]


SIX = "&".join(
    f"councils={slug}"
    for slug in ["walsall", "dudley", "coventry", "birmingham", "sandwell", "solihull"]
)


def test_choosing_more_than_four_councils_says_so_and_compares_none(
    client, django_assert_num_queries
):
    with django_assert_num_queries(6):  # the options and the picker; no results
        html = client.get(f"/compare/?{SIX}&period=2022-23").content.decode()

    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    first_box = re.search(r'type="checkbox" id="(council-[\w-]+)"', html).group(1)
    assert f'<a href="#{first_box}">Choose up to four councils: you chose 6</a>' in summary
    assert 'id="councils-error"' in html and "form-group--error" in html
    assert '<th scope="col">England</th>' not in html and "format=csv" not in html
    assert 'value="solihull" checked' in html and 'value="walsall" checked' in html


def test_a_compare_download_of_more_than_four_councils_is_an_empty_table(client):
    response = client.get(f"/compare/?{SIX}&period=2022-23&format=csv")

    assert csv_rows(response) == [[*CSV_HEADER, "source", "data_as_at"]]


def test_the_compare_page_has_an_england_column_and_links_its_downloads(client):
    html = client.get(COMPARE).content.decode()

    assert '<th scope="col">England</th>' in html
    assert "format=csv" in html and "format=xlsx" in html and "format=json" in html


def test_the_council_picker_is_labelled_checkboxes_with_a_hint_not_a_multi_select(client):
    html = client.get(COMPARE).content.decode()

    assert "multiple" not in html
    assert '<legend class="label" id="councils">Councils</legend>' in html
    assert 'aria-describedby="councils-hint"' in html
    boxes = re.findall(r'type="checkbox" id="council-([\w-]+)"', html)
    assert len(boxes) > 150 and "walsall" in boxes
    assert all(f'<label class="checkboxes__label" for="council-{slug}">' in html for slug in boxes)
    assert 'id="council-coventry" name="councils" value="coventry" checked' in html
    # The text box that narrows the list is hidden until the script shows it.
    assert '<div class="council-filter" data-council-filter hidden>' in html
    assert '<label class="label" for="council-filter">Find a council</label>' in html


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_a_person_picks_councils_by_typing_their_names(browser, live_url, screenshot, width):
    from browser import axe_check
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_url}/compare/?period=2022-23")
        find = page.get_by_label("Find a council")
        expect(find).to_be_visible()
        find.fill("wolv")
        expect(page.locator(".checkboxes__item:visible")).to_have_count(1)
        expect(page.locator("#council-filter-count")).to_have_text("1 council matches")
        page.get_by_label("Wolverhampton").check()
        find.fill("coven")
        # A council already chosen stays listed beside the new matches.
        expect(page.get_by_label("Wolverhampton")).to_be_visible()
        page.get_by_label("Coventry").check()
        find.press("Enter")  # filters; it does not submit half-chosen
        assert "councils=" not in page.url
        assert axe_check(page) == []
        page.get_by_role("button", name="Compare").click()
        page.wait_for_load_state("load")
        heads = page.locator("section.section").first.locator("thead th")
        expect(heads).to_have_text(["Measure", "Coventry", "Wolverhampton", "England"])
        assert axe_check(page) == []
        screenshot(page, f"compare-picked-by-typing-{width}")
    finally:
        context.close()
