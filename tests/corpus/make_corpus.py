"""Write the bad-input corpus that tests/test_import_corpus.py imports.

Every file is a few real rows of a shipped file (data/ascof/) in one of the layouts the
importer reads, most of them broken in one way. Rebuild them from the repository root with

    .venv/bin/python tests/corpus/make_corpus.py

The rows:
- the yearly open-data CSV (10 columns): Birmingham's 2020-21 direct payments (1C2A) in
  total, 18-64 and 65 and over, outcome, numerator and denominator; files that should import
  revise the 18-64 outcome from 45.1 to 45.2 so that the test can see they were read;
- the 2024-25 CSV layout: Birmingham's 2024-25 3D(2a), from tests/fixtures/;
- the multi-year outcome extract: Birmingham's and the West Midlands' 2020-21 1C2A;
- the regional numerator/denominator file: the West Midlands' 2022-23 1A, 1B and 1C1A;
- the time-series workbook: sheet Table_4b (or Table_6b) down to its header, Birmingham's row,
  and a cover sheet, written as XLSX (openpyxl) and ODS (written here: content.xml by hand).
"""

import codecs
import csv
import gzip
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[2]
ASCOF = ROOT / "data" / "ascof"
CORPUS = Path(__file__).resolve().parent
WORKBOOK = ASCOF / "ascof_timeseries_2015-16_to_2024-25_official.ods"
REVISED_18_64_OUTCOME = "45.2"  # published as 45.1


def read_gzipped_csv(name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(gzip.decompress((ASCOF / name).read_bytes()).decode())))


def csv_text(rows: list[list], newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue()


def write(name: str, data: bytes | str) -> None:
    (CORPUS / name).write_bytes(data.encode() if isinstance(data, str) else data)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def open_data_rows() -> list[list[str]]:
    """Header, then Birmingham 2020-21 1C2A: rows 2-4 total, 5-7 18-64, 8-10 65 and over, each
    outcome, numerator, denominator."""
    header, *rows = read_gzipped_csv("ascof_2020-21_official_open_data.csv.gz")
    return [header] + [
        row for row in rows if row[0] == "406" and row[4] in ("1C2A", "1C2A1864", "1C2A65OV")
    ]


def revised(rows: list[list[str]]) -> list[list[str]]:
    rows = [list(row) for row in rows]
    assert rows[4][5:8] == ["18-64", "Outcome", "45.1"]
    rows[4][7] = REVISED_18_64_OUTCOME
    return rows


def with_cell(rows: list[list], row: int, column: int, value) -> list[list]:
    """A copy of `rows` with one cell (1-based row, 0-based column) replaced."""
    rows = [list(r) for r in rows]
    rows[row - 1][column] = value
    return rows


def csv_2024_25_rows() -> list[list[str]]:
    with open(ROOT / "tests" / "fixtures" / "ascof_2024-25_csv_layout.csv", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    return [header] + [row for row in rows if row[0] == "406" and row[4] == "3D(2a)"]


def extract_rows(year: str = "2020-21", group: str = "1C2A") -> list[list[str]]:
    header, *rows = read_gzipped_csv("ascof_outcomes_total_2017-18_to_2023-24.csv.gz")
    return [header] + [
        row
        for row in rows
        if row[0] == year and row[3] == group and row[1] in ("Birmingham", "West Midlands")
    ]


def regions_rows() -> list[list[str]]:
    with open(ASCOF / "ascof_2022-23_regions_num_den.csv", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    return [header] + [row for row in rows if row[1] == "WM" and row[5] in ("1A", "1B", "1C1A")]


def workbook_sheet(name: str) -> list[list]:
    """The sheet down to its header row (row 7), then Birmingham's row (row 8)."""
    rows = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name(name).to_python()
    header = next(i for i, row in enumerate(rows) if row[0] == "Local authority code")
    return [list(row) for row in rows[: header + 1]] + [
        list(next(row for row in rows if row[0] == 406))
    ]


COVER = [["Measures from the adult social care outcomes framework (ASCOF), England"]]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ods(sheets: dict[str, list[list]]) -> bytes:
    """A minimal OpenDocument spreadsheet. A cell given as ("formula", "of:=…") is written as
    a formula without a saved result, as a program that calculates nothing writes it."""
    tables = []
    for title, rows in sheets.items():
        xml_rows = []
        for row in rows:
            cells = []
            for cell in row:
                if isinstance(cell, tuple):
                    cells.append(f"<table:table-cell table:formula={quoteattr(cell[1])}/>")
                elif isinstance(cell, int | float):
                    cells.append(
                        f'<table:table-cell office:value-type="float" office:value="{cell}">'
                        f"<text:p>{cell}</text:p></table:table-cell>"
                    )
                elif cell == "":
                    cells.append("<table:table-cell/>")
                else:
                    cells.append(
                        '<table:table-cell office:value-type="string">'
                        f"<text:p>{escape(cell)}</text:p></table:table-cell>"
                    )
            xml_rows.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        tables.append(
            f"<table:table table:name={quoteattr(title)}>{''.join(xml_rows)}</table:table>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text, method in (
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
        ):
            archive.writestr(zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), text, method)
    return out.getvalue()


def corrupt(data: bytes) -> bytes:
    """The bytes with a run in the middle inverted, as a bad download or disk leaves them."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def make_open_data() -> None:
    base = open_data_rows()
    good = revised(base)
    text = csv_text(good)
    write("open_data_2020-21_utf16.csv", text.encode("utf-16"))
    write("open_data_2020-21_utf16be.csv", codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    write("open_data_2020-21_utf16_no_bom.csv", text.encode("utf-16-le"))
    write(
        "open_data_2020-21_utf8_bom_crlf.csv.gz",
        gzipped(csv_text(good, "\r\n").encode("utf-8-sig")),
    )
    write("open_data_2020-21_truncated.csv.gz", gzipped(text.encode())[:-20])
    write("open_data_2020-21_corrupt.csv.gz", corrupt(gzipped(text.encode())))
    write("open_data_2020-21_not_compressed.csv.gz", text)
    write("open_data_2020-21_empty.csv", "")
    write("open_data_2020-21_header_only.csv", csv_text(base[:1]))
    write(
        "open_data_2020-21_binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    )
    write("open_data_2020-21_bad_bytes.csv", csv_text(base[:2]).encode() + b"\x81\x8d\x90 \x9d\n")
    write("open_data_2020-21_as_xlsx_named_csv.csv", xlsx({"2020-21": good}))
    write("open_data_2020-21_comma_decimal.csv", csv_text(with_cell(base, 5, 7, "36,6")))
    write("open_data_2020-21_arabic_digits.csv", csv_text(with_cell(base, 5, 7, "٤٥.٢")))
    write("open_data_2020-21_fullwidth_digits.csv", csv_text(with_cell(base, 5, 7, "４５.２")))
    write("open_data_2020-21_negative_numerator.csv", csv_text(with_cell(base, 6, 7, "-1686")))
    write("open_data_2020-21_negative_denominator.csv", csv_text(with_cell(base, 7, 7, "-3741")))
    write(
        "open_data_2020-21_numerator_above_denominator.csv",
        csv_text(with_cell(base, 6, 7, "3800")),
    )
    write("open_data_2020-21_thousands_separator.csv", csv_text(with_cell(good, 7, 7, "3,741")))
    write("open_data_2020-21_infinite.csv", csv_text(with_cell(base, 5, 7, "1e309")))
    write("open_data_2020-21_5000_digits.csv", csv_text(with_cell(base, 5, 7, "9" * 5000)))
    write("open_data_2020-21_nan.csv", csv_text(with_cell(base, 5, 7, "NaN")))
    write("open_data_2020-21_percent_sign.csv", csv_text(with_cell(base, 5, 7, "45.1%")))
    conflicting = [*base, with_cell(base, 5, 7, "45.9")[4]]
    write("open_data_2020-21_conflicting_rows.csv", csv_text(conflicting))
    write("open_data_2020-21_repeated_row.csv", csv_text([*good, good[4]]))
    for name, label in (
        ("formula_label", "=1+1"),
        ("at_sum_label", "@SUM(A1:A9)"),
        ("long_label", "18-64 year olds who receive direct payments"),
    ):
        rows = [list(row) for row in base]
        for row in rows[4:7]:
            row[5] = label
        write(f"open_data_2020-21_{name}.csv", csv_text(rows))
    write("open_data_2020-21_short_row.csv", csv_text([*base[:5], base[5][:7], *base[6:]]))
    lines = csv_text(base).splitlines(keepends=True)
    # Row 6 with a description holding a comma, not in quotes: 11 cells.
    lines[5] = ",".join([*base[5][:9], "Direct payments, as a proportion of all"]) + "\n"
    write("open_data_2020-21_unquoted_comma.csv", "".join(lines))
    write(
        "open_data_2020-21_no_measure_value_column.csv",
        csv_text([row[:7] + row[8:] for row in base]),
    )
    write(
        "open_data_2020-21_repeated_column.csv",
        csv_text([[*base[0], "Measure Value"]] + [[*row, row[7]] for row in base[1:]]),
    )
    write(
        "open_data_2020-21_unknown_measure_type.csv", csv_text(with_cell(base, 5, 6, "Percentage"))
    )
    write("open_data_2020-21_unknown_level.csv", csv_text(with_cell(base, 2, 2, "Borough")))
    write(
        "open_data_2020-21_unknown_council.csv",
        csv_text([base[0]] + [["999", "Nowhere", *row[2:]] for row in base[1:]]),
    )
    write("open_data_2020-21_semicolons.csv", csv_text(good).replace(",", ";"))
    write("open_data_2031-32_future_year.csv", text)
    write("open_data_no_year_in_name.csv", text)
    write("open_data_2020-21_disagree_a.csv", csv_text([base[0], good[4]]))
    write("open_data_2020-21_disagree_b.csv", csv_text([base[0], with_cell(good, 5, 7, "45.3")[4]]))
    # Spreadsheet copies of the CSV.
    sheet = [base[0]] + [[*row[:7], float(row[7]), *row[8:]] for row in good[1:]]
    write("open_data_2020-21_two_data_sheets.xlsx", xlsx({"2020-21": sheet, "2020-21 (2)": sheet}))
    write(
        "open_data_2020-21_with_notes_sheet.xlsx",
        xlsx(
            {
                "Notes": [["Source: NHS England, ASCOF 2020-21", "=1+1"]],
                "2020-21": sheet,
                "Empty": [],
            }
        ),
    )
    write("open_data_2020-21_formula.xlsx", xlsx({"2020-21": with_cell(sheet, 5, 7, "=45+0.2")}))
    write("open_data_2020-21.xlsx.gz", gzipped(xlsx({"2020-21": sheet})))
    write("open_data_2020-21_truncated.xlsx", xlsx({"2020-21": sheet})[:-200])
    write("open_data_2020-21_csv_named.xlsx", text)


def make_csv_2024_25() -> None:
    base = csv_2024_25_rows()  # rows 2-4: numerator, denominator, outcome
    write("csv_2024-25_utf16.csv", csv_text(base).encode("utf-16"))
    write("csv_2024-25_header_only.csv", csv_text(base[:1]))
    write("csv_2024-25_no_measure_type_column.csv", csv_text([row[:6] + row[7:] for row in base]))
    write("csv_2024-25_conflicting_rows.csv", csv_text([*base, with_cell(base, 4, 7, "39.9")[3]]))
    write("csv_2025-26_next_year.csv", csv_text(base))
    write("csv_2026-27_after_next_year.csv", csv_text(base))


def make_extract() -> None:
    base = extract_rows()  # row 2 Birmingham 37.6, row 3 West Midlands 27.9
    write("outcomes_extract.csv.gz", gzipped(csv_text(base).encode()))
    write("outcomes_extract_no_measure_group.csv", csv_text([row[:3] + row[4:] for row in base]))
    write("outcomes_extract_no_ons_code.csv", csv_text([row[:2] + row[3:] for row in base]))
    write("outcomes_extract_short_row.csv", csv_text([*base[:2], base[2][:6]]))
    for name, year in (
        ("year_9999", "9999-00"),
        ("year_9998", "9998-99"),
        ("year_0001", "0001-02"),
        ("2031-32", "2031-32"),
        ("arabic_year", "٢٠٢٠-٢١"),
        ("quarter", "2020-21 Q2"),
    ):
        write(
            f"outcomes_extract_{name}.csv",
            csv_text([base[0]] + [[year, *row[1:]] for row in base[1:]]),
        )
    write(
        "outcomes_extract_conflicting_rows.csv", csv_text([*base, with_cell(base, 2, 5, "38.0")[1]])
    )
    wm_1c1a = [row for row in extract_rows("2022-23", "1C1A") if row[1] != "Birmingham"]
    assert wm_1c1a[1][5] == "95.4"
    write("outcomes_extract_2022-23_wm_1c1a.csv", csv_text(with_cell(wm_1c1a, 2, 5, "95.9")))


def make_regions() -> None:
    base = regions_rows()  # rows 2-4: 1A, 1B, 1C1A; columns J denominator ... N numerator
    write("regions_2022-23_no_numerator_column.csv", csv_text([row[:13] for row in base]))
    write("regions_2022-23_short_row.csv", csv_text([*base[:2], base[2][:12], base[3]]))
    for name, year in (("10000", "10000"), ("9999", "9999"), ("0001", "0001")):
        write(f"regions_2022-23_fiscal_year_{name}.csv", csv_text(with_cell(base, 3, 0, year)))
    write("regions_2022-23_negative_denominator.csv", csv_text(with_cell(base, 4, 9, "-44726.0")))
    write(
        "regions_2022-23_numerator_above_denominator.csv",
        csv_text(with_cell(base, 4, 13, "45000.0")),
    )
    write("regions_2022-23_wm_1c1a.csv", csv_text([base[0], base[3]]))


def make_workbook() -> None:
    table_4b = workbook_sheet("Table_4b")  # row 7 headers D-I, row 8 Birmingham
    good = {"Cover": COVER, "Table_4b": table_4b}
    write("workbook_4b.xlsx", xlsx(good))
    write("workbook_4b.ods", ods(good))
    write("workbook_4b.xlsx.gz", gzipped(xlsx(good)))
    write("workbook_truncated.xlsx", xlsx(good)[: len(xlsx(good)) // 2])
    write("workbook_truncated.ods", ods(good)[:-100])
    write("workbook_corrupt.ods", corrupt(ods(good)))
    formula = {"Cover": COVER, "Table_4b": with_cell(table_4b, 8, 8, "=G8/H8*100")}
    write("workbook_formula.xlsx", xlsx(formula))
    formula["Table_4b"] = with_cell(table_4b, 8, 8, ("formula", "of:=[.G8]/[.H8]*100"))
    write("workbook_formula.ods", ods(formula))
    write(
        "workbook_repeated_heading.xlsx",
        xlsx({"Table_4b": with_cell(table_4b, 7, 6, "2024 to 2025 - outcome")}),
    )
    write(
        "workbook_year_9998.xlsx",
        xlsx({"Table_4b": with_cell(table_4b, 7, 8, "9998 to 9999 - outcome")}),
    )
    write(
        "workbook_year_0001.xlsx",
        xlsx({"Table_4b": with_cell(table_4b, 7, 8, "0001 to 0002 - outcome")}),
    )
    write(
        "workbook_years_not_consecutive.xlsx",
        xlsx({"Table_4b": with_cell(table_4b, 7, 8, "2024 to 2026 - outcome")}),
    )
    write(
        "workbook_data_on_another_sheet.xlsx",
        xlsx({"Table_4b": table_4b, "Extra": open_data_rows()}),
    )
    write(
        "workbook_conflicting_rows.xlsx",
        xlsx({"Table_4b": [*table_4b, with_cell(table_4b, 8, 8, 81.0)[7]]}),
    )
    write("workbook_cover_only.xlsx", xlsx({"Cover": COVER, "Contents": [["Contents"]]}))
    write("workbook_no_rows.xlsx", xlsx({"Cover": COVER, "Table_4b": table_4b[:-1]}))
    table_6b = workbook_sheet("Table_6b")  # row 8 headers, column V: 2024 to 2025 - good numerator
    assert table_6b[7][21] == "2024 to 2025 - good numerator"
    write(
        "workbook_6b_unknown_rating.xlsx",
        xlsx({"Table_6b": with_cell(table_6b, 8, 21, "2024 to 2025 - excellent numerator")}),
    )
    write("workbook_text_in_cell.xlsx", xlsx({"Table_4b": with_cell(table_4b, 8, 8, "80.0%")}))


if __name__ == "__main__":
    make_open_data()
    make_csv_2024_25()
    make_extract()
    make_regions()
    make_workbook()
    print(f"{len([p for p in CORPUS.iterdir() if p.suffix != '.py'])} files in {CORPUS}")
