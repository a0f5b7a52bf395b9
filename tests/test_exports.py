"""The one CSV writer (and its XLSX twin): a spreadsheet opens it safely and reads numbers as
numbers."""

import csv
import datetime
import io
import json
import math

import django_tables2 as tables
import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from django.utils.html import format_html

from scorecard.context_processors import SOURCE_ATTRIBUTION
from scorecard.exports import csv_response, json_response, table_rows, xlsx_response
from scorecard.models import current_version

AS_AT = datetime.date(2025, 12, 18)
HEADER = ["council", "value", "note"]
HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1",
    "-cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_starts_with_a_bom_and_is_an_attachment():
    response = csv_response("scorecard 2024-25.csv", HEADER, [], data_as_at=AS_AT)

    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="scorecard 2024-25.csv"'


def test_every_row_ends_with_the_source_and_data_as_at_not_a_note_line():
    response = csv_response("x.csv", HEADER, [["Birmingham", 39.1, ""]] * 3, data_as_at=AS_AT)

    rows = read_csv(response)
    assert rows[0] == [*HEADER, "source", "data_as_at"]
    assert len(rows) == 4
    assert all(row[-2:] == [SOURCE_ATTRIBUTION, "2025-12-18"] for row in rows[1:])


def test_numbers_are_written_as_numbers_without_separators_or_float_noise():
    rows = [["Birmingham", 39.1, 1234567], ["Walsall", 0.413, 535.1]]

    text = csv_response("x.csv", HEADER, rows, data_as_at=AS_AT).content.decode("utf-8-sig")

    assert "Birmingham,39.1,1234567," in text
    assert "Walsall,0.413,535.1," in text


def test_a_missing_value_is_an_empty_cell_never_a_zero():
    rows = read_csv(csv_response("x.csv", HEADER, [["Solihull", None, math.nan]], data_as_at=""))

    assert rows[1][:3] == ["Solihull", "", ""]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted(text):
    rows = read_csv(csv_response("x.csv", HEADER, [[text, 1, text]], data_as_at=AS_AT))

    assert rows[1][0] == "'" + text
    assert rows[1][2] == "'" + text


def test_negative_numbers_stay_numbers():
    text = csv_response("x.csv", HEADER, [["Dudley", -2.5, -3]], data_as_at=AS_AT).content

    assert b"Dudley,-2.5,-3," in text


def test_a_datetime_data_as_at_is_local_time():
    moment = datetime.datetime(2025, 7, 1, 11, 30, tzinfo=datetime.UTC)

    rows = read_csv(csv_response("x.csv", HEADER, [["Coventry", 1, ""]], data_as_at=moment))

    assert rows[1][-1] == "2025-07-01 12:30"  # British Summer Time


@pytest.mark.django_db
def test_data_as_at_defaults_to_when_the_data_last_changed():
    changed_at = current_version()[1]

    rows = read_csv(csv_response("x.csv", HEADER, [["Sandwell", 1, ""]]))

    assert changed_at is not None
    assert rows[1][-1] == timezone.localtime(changed_at).strftime("%Y-%m-%d %H:%M")


def test_the_xlsx_has_the_same_header_and_typed_cells():
    rows = [["Birmingham", 39.1, HOSTILE[0]], ["Dudley", -2.5, "+1"]]

    response = xlsx_response("x.xlsx", HEADER, rows, data_as_at=AS_AT)

    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    csv_header = read_csv(csv_response("x.csv", HEADER, [], data_as_at=AS_AT))[0]
    assert list(values[0]) == csv_header
    assert values[1][:3] == ("Birmingham", 39.1, "'" + HOSTILE[0])
    assert values[2][:3] == ("Dudley", -2.5, "'+1")
    assert sheet["C2"].data_type == "s"  # text, not a formula


class CouncilTable(tables.Table):
    council = tables.Column()
    value = tables.Column()

    def render_council(self, value):
        return format_html("<a href='/councils/{}/'>{}</a>", value.lower(), value)

    def value_council(self, value):
        return value


def test_a_django_tables2_table_exports_its_raw_values():
    table = CouncilTable(
        [{"council": "Walsall", "value": 27.9}, {"council": "Dudley", "value": -1}]
    )

    header, rows = table_rows(table)

    assert header == ["Council", "Value"]
    assert rows == [["Walsall", 27.9], ["Dudley", -1]]
    text = csv_response("x.csv", header, rows, data_as_at=AS_AT).content.decode("utf-8-sig")
    assert "Walsall,27.9," in text and "Dudley,-1," in text


@pytest.mark.django_db
def test_downloads_carry_every_kind_of_value_as_the_page_reads_it(client):
    response = client.get("/councils/birmingham/?period=2023-24&format=csv")
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    values = {row[header.index("indicator_code")]: row[header.index("value")] for row in rows}
    assert values["WM-LOCAL-ACCOUNT"] == "2023"  # a year, not 2023.0
    assert values["WM-PEER-CHALLENGE"] == "2021-03-18"
    assert values["WM-CARE-ACT"] in {"Red", "Amber", "Green"}
    assert values["WM-BCF"] in {"Yes", "No"}
    assert values["WM-DASS-POST"]
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get("/councils/birmingham/?period=2023-24&format=xlsx").content)
    )
    sheet = workbook.active
    heading = [cell.value for cell in sheet[1]]
    by_code = {
        row[heading.index("indicator_code")]: row[heading.index("value")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert by_code["WM-LOCAL-ACCOUNT"] == 2023
    assert by_code["WM-CARE-ACT"] == values["WM-CARE-ACT"]


def test_a_table_whose_rows_carry_their_own_source_keeps_it():
    rows = [["Walsall", 1, "", "Collected by the region"], ["Dudley", 2, "", SOURCE_ATTRIBUTION]]

    found = read_csv(csv_response("x.csv", HEADER, rows, source_note=None, data_as_at=AS_AT))

    assert found[0] == [*HEADER, "source", "data_as_at"]
    assert found[1][-2:] == ["Collected by the region", "2025-12-18"]
    assert found[2][-2:] == [SOURCE_ATTRIBUTION, "2025-12-18"]


def test_the_xlsx_header_is_bold_and_frozen_and_columns_fit_their_content():
    rows = [["Stoke-on-Trent and somewhere with a long name", 1, ""]]

    sheet = openpyxl.load_workbook(
        io.BytesIO(xlsx_response("x.xlsx", HEADER, rows, data_as_at=AS_AT).content)
    ).active

    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths["A"] >= len(rows[0][0])
    assert widths["B"] < widths["A"]
    assert widths["D"] == 60  # the long OGL statement, held to the widest column allowed


def _json(query="", rows=(), user=None):
    request = RequestFactory().get(f"/councils/{query}")
    request.user = user or AnonymousUser()
    return json_response(request, HEADER, rows, data_as_at=AS_AT)


def test_the_json_is_the_csvs_table_with_typed_values():
    rows = [["Walsall", 27.9, None], ["Dudley", datetime.date(2021, 3, 18), "=1+1"]]

    answer = json.loads(_json("?format=json", rows).content)

    assert answer["columns"] == [*HEADER, "source", "data_as_at"]
    assert answer["rows"][0] == ["Walsall", 27.9, None, SOURCE_ATTRIBUTION, "2025-12-18"]
    assert answer["rows"][1][:3] == ["Dudley", "2021-03-18", "=1+1"]  # no spreadsheet here
    assert (answer["count"], answer["page"], answer["pages"]) == (2, 1, 1)
    assert answer["next"] is None and answer["previous"] is None


def test_the_json_is_paged_keeping_every_other_option(monkeypatch):
    monkeypatch.setattr("scorecard.exports.JSON_PAGE_SIZE", 2)
    rows = [[f"Council {n}", n, ""] for n in range(5)]

    second = json.loads(_json("?region=WM&format=json&page=2", rows).content)

    assert [row[1] for row in second["rows"]] == [2, 3]
    assert second["next"] == "http://testserver/councils/?region=WM&format=json&page=3"
    assert second["previous"] == "http://testserver/councils/?region=WM&format=json&page=1"
    assert _json("?format=json&page=4", rows).status_code == 404
    assert _json("?format=json&page=x", rows).status_code == 404


def test_an_empty_table_is_one_empty_page():
    answer = json.loads(_json("?format=json").content)

    assert (answer["rows"], answer["count"], answer["pages"]) == ([], 0, 1)
