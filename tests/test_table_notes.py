"""The publisher's notes on each table of the official workbook ("[note 5]" in a table's
title, its text in the Notes sheet): stored per measure with the years of the table, replaced
by each import of the workbook, shown on the indicator page and in its downloads.

The session database already holds the shipped workbook (`django_db_setup` in conftest.py)."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from indicators.models import Indicator, TableNote
from scorecard import data

pytestmark = pytest.mark.django_db

WORKBOOK = Path(settings.ASCOF_DATA_DIR) / "ascof_timeseries_2015-16_to_2024-25_official.ods"
DERBY = "Derby Council did not submit 2024 to 2025 ASCS data."


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def import_ascof(*paths) -> str:
    output = io.StringIO()
    call_command("import_ascof", *(str(path) for path in paths), stdout=output)
    return output.getvalue()


def notes_of(code: str) -> dict[int, tuple[str, int, int]]:
    return {
        note.number: (note.text, note.first_year, note.last_year)
        for note in TableNote.objects.filter(indicator__code=code)
    }


def workbook_sheet(name: str) -> list[list]:
    sheet = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name(name)
    return sheet.to_python(skip_empty_area=False)


def test_note_5_on_derby_is_stored_for_1as_table_and_its_years():
    text, first_year, last_year = notes_of("1A")[5]

    assert text.startswith(DERBY)
    assert (first_year, last_year) == (2015, 2024)  # the table's columns, 2015-16 to 2024-25
    assert set(notes_of("1A")) == {1, 2, 3, 5}


def test_note_5_is_on_the_tables_that_list_it_and_no_others():
    with_note_5 = set(TableNote.objects.filter(number=5).values_list("indicator__code", flat=True))

    assert {"1A", "1B", "1D", "3A", "3C(1)", "4A"} <= with_note_5
    assert not with_note_5 & {"1C", "1E", "3B", "3C(2)", "2A", "4B", "6A", "6B"}


def test_a_note_is_read_for_the_years_of_its_table_only():
    safeguarding = Indicator.objects.get(code="4B")  # its table has 2023-24 and 2024-25

    assert [note.number for note in data.publisher_notes(safeguarding.pk, 2023)] == [16]
    assert data.publisher_notes(safeguarding.pk, 2022) == []


def test_a_note_keeps_its_paragraphs_and_ends_with_the_link_it_names():
    assert "\n\nOutcome is taken from 'Turnover'" in notes_of("6A")[17][0]
    assert notes_of("1B")[4][0].endswith(
        "available in: IIASC Report Summary within the 2014-15 ASCOF publication"
    )


def test_reimporting_the_workbook_replaces_a_tables_notes():
    indicator = Indicator.objects.get(code="1A")
    published = notes_of("1A")
    TableNote.objects.filter(indicator=indicator, number=5).update(text="Edited by hand")
    TableNote.objects.create(
        indicator=indicator, number=99, text="Stale", first_year=2015, last_year=2015
    )

    output = import_ascof(WORKBOOK)

    assert notes_of("1A") == published
    assert "publisher's notes updated: 1A\n" in output


def test_reimporting_unchanged_notes_writes_none():
    assert "publisher's notes updated" not in import_ascof(WORKBOOK)


def test_a_note_the_notes_sheet_lacks_is_reported_where_the_table_lists_it(tmp_path):
    notes = [row for row in workbook_sheet("Notes") if str(row[0]) != "[note 5]"]
    table = workbook_sheet("Table_1a")
    path = tmp_path / "ascof_timeseries.xlsx"
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in (("Notes", notes), ("Table_1a", table[:8])):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)

    output = import_ascof(path)

    assert (
        "note without text: ascof_timeseries.xlsx, sheet Table_1a, row 1: [note 5] is not in "
        "the workbook's Notes sheet"
    ) in output
    assert set(notes_of("1A")) == {1, 2, 3}


def test_the_indicator_page_shows_the_publishers_notes_for_the_year(client):
    html = client.get("/indicators/1a/?period=2024-25").content.decode()

    assert "Notes from the publisher" in html
    assert "<strong>Note 5:</strong> " + DERBY in html


def test_the_indicator_download_has_the_notes_after_the_correction(client):
    response = client.get("/indicators/1a/?period=2024-25&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))

    assert header[header.index("correction") + 1] == "publisher_notes"
    assert first["publisher_notes"].startswith("[note 1] For measures based on survey data")
    assert "[note 5] " + DERBY in first["publisher_notes"]
    assert all(row[header.index("publisher_notes")] == first["publisher_notes"] for row in rows[1:])
