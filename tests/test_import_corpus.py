"""The bad-input corpus: small files in every layout `import_ascof` reads (tests/corpus/, written
by make_corpus.py there from real rows of the shipped files), each with its exact outcome.

A refused file ends in one message that names the file and, where there is one, the sheet, row
and column, with the reason; the command exits with an error and every table is as it was
(an ordered checksum of values, value changes, import runs, periods and the data version). An
accepted file is imported and stores what it says.

Files that should import revise Birmingham's 2020-21 direct payments (3D(2a), published as
1C2A) for 18-64 year olds from 45.1 to 45.2, so each test can see that the file was read.
"""

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from indicators.models import Collection, ImportRun, Period, Value, ValueChange
from scorecard.models import current_version

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent / "corpus"
COLLECTING = "2025-26"  # the year after 2024-25, the latest ASCOF data in the test database


@pytest.fixture(autouse=True)
def collecting_the_year_after_the_latest_ascof_data():
    """The demo collects a quarter (2025-26 Q3), before the year it is part of: these files
    are checked while the year is collected."""
    Collection.objects.update_or_create(
        pk=1, defaults={"period": Period.objects.for_label(COLLECTING)}
    )


@dataclass
class Refused:
    files: tuple[str, ...]
    problems: tuple[str, ...]  # each is one whole line of the message, or for "…" its start
    options: dict = field(default_factory=dict)

    def __str__(self):
        return " + ".join(self.files) + "".join(f" --{k} {v}" for k, v in self.options.items())


def refused(files, *problems, **options) -> Refused:
    return Refused((files,) if isinstance(files, str) else files, problems, options)


def row(file: str, number: int, column: str, problem: str) -> str:
    return f"{file}, row {number}, column {column}: {problem}"


def cell(file: str, sheet: str, number: int, column: str, problem: str) -> str:
    return f"{file}, sheet {sheet}, row {number}, column {column}: {problem}"


OD = "open_data_2020-21"
VALUE = "'Measure Value'"
NO_DATA = "holds the headers but no data rows"
UNREADABLE_SPREADSHEET = (
    "cannot be read as a spreadsheet (Cannot detect file format): it may be truncated or "
    "corrupt, or not the kind of file its name says; save or download it again"
)
NO_SAVED_RESULT = (
    "was saved without its result: open the file in a spreadsheet program and save it again, "
    "or paste the figures as values"
)
UNKNOWN_DISAGGREGATION = "(the known ones are listed in data/reference/disaggregations.csv)"
SAME_RANK = "(two files of the same rank disagree: import only the right one)"

REFUSED = [
    # Files that cannot be read at all.
    refused("corpus", "corpus: is a folder, not a file: name the files in it"),
    refused(f"{OD}_empty.csv", f"{OD}_empty.csv: is empty"),
    refused(
        f"{OD}_binary.csv",
        f"{OD}_binary.csv: is not a text file (it holds binary data): export the table as CSV",
    ),
    refused(
        f"{OD}_bad_bytes.csv",
        f"{OD}_bad_bytes.csv: is not UTF-8 or Windows-1252 text (byte 0x81 at position 307): "
        "save it as CSV UTF-8",
    ),
    refused(
        f"{OD}_as_xlsx_named_csv.csv",
        f"{OD}_as_xlsx_named_csv.csv: is a spreadsheet, not CSV text: name it .xlsx or .ods, "
        "as it is",
    ),
    refused(f"{OD}_truncated.csv.gz", f"{OD}_truncated.csv.gz: is not a whole gzip file (…"),
    refused(f"{OD}_corrupt.csv.gz", f"{OD}_corrupt.csv.gz: is not a whole gzip file (…"),
    refused(
        f"{OD}_not_compressed.csv.gz", f"{OD}_not_compressed.csv.gz: is not a whole gzip file (…"
    ),
    refused(f"{OD}_truncated.xlsx", f"{OD}_truncated.xlsx: {UNREADABLE_SPREADSHEET}"),
    refused(f"{OD}_csv_named.xlsx", f"{OD}_csv_named.xlsx: {UNREADABLE_SPREADSHEET}"),
    refused("workbook_truncated.xlsx", f"workbook_truncated.xlsx: {UNREADABLE_SPREADSHEET}"),
    refused("workbook_truncated.ods", f"workbook_truncated.ods: {UNREADABLE_SPREADSHEET}"),
    refused("workbook_corrupt.ods", f"workbook_corrupt.ods: {UNREADABLE_SPREADSHEET}"),
    # Files without data, or without a layout.
    refused(f"{OD}_header_only.csv", f"{OD}_header_only.csv: {NO_DATA}"),
    refused("csv_2024-25_header_only.csv", f"csv_2024-25_header_only.csv: {NO_DATA}"),
    refused(
        "workbook_no_rows.xlsx", "workbook_no_rows.xlsx: holds no data rows in any Table_ sheet"
    ),
    refused(
        f"{OD}_semicolons.csv",
        f"{OD}_semicolons.csv: not an ASCOF layout this importer knows: the first row should "
        "hold headers such as 'Geographical Code', 'Measure Type', 'Measure Value' (its first "
        "row is separated by ';': save it with commas)",
    ),
    refused(
        "workbook_cover_only.xlsx",
        "workbook_cover_only.xlsx: no sheet holds an ASCOF table (sheets: Cover, Contents): the "
        "time-series workbook's sheets are named Table_<measure>, and a copy of a CSV has its "
        "headers in the first row",
    ),
    # Sheets.
    refused(
        f"{OD}_two_data_sheets.xlsx",
        f"{OD}_two_data_sheets.xlsx, sheet 2020-21 (2): a second data sheet (the data was read "
        "from sheet 2020-21): a file holds one table; save each sheet as a file of its own",
    ),
    refused(
        "workbook_data_on_another_sheet.xlsx",
        "workbook_data_on_another_sheet.xlsx, sheet Extra: holds a data table, but a time-series "
        "workbook's data is read only from sheets named Table_<measure>: rename the sheet or "
        "save it as a file of its own",
    ),
    refused(
        f"{OD}_formula.xlsx",
        cell(f"{OD}_formula.xlsx", "2020-21", 5, "H", f"the formula '=45+0.2' {NO_SAVED_RESULT}"),
    ),
    refused(
        "workbook_formula.xlsx",
        cell(
            "workbook_formula.xlsx",
            "Table_4b",
            8,
            "I",
            f"the formula '=G8/H8*100' {NO_SAVED_RESULT}",
        ),
    ),
    refused(
        "workbook_formula.ods",
        cell(
            "workbook_formula.ods",
            "Table_4b",
            8,
            "I",
            f"the formula '=[.G8]/[.H8]*100' {NO_SAVED_RESULT}",
        ),
    ),
    # Headers.
    refused(
        f"{OD}_no_measure_value_column.csv",
        f"{OD}_no_measure_value_column.csv, row 1 (the headers): no 'Measure Value' column",
    ),
    refused(
        f"{OD}_repeated_column.csv",
        f"{OD}_repeated_column.csv, row 1 (the headers): 'Measure Value' appears in more than "
        "one column (H and K)",
    ),
    refused(
        "csv_2024-25_no_measure_type_column.csv",
        "csv_2024-25_no_measure_type_column.csv, row 1 (the headers): no 'Measure Type' column",
    ),
    refused(
        "outcomes_extract_no_measure_group.csv",
        "outcomes_extract_no_measure_group.csv, row 1 (the headers): no 'Measure Group' column",
    ),
    refused(
        "outcomes_extract_no_ons_code.csv",
        "outcomes_extract_no_ons_code.csv, row 1 (the headers): no 'ONS Code' column",
    ),
    refused(
        "regions_2022-23_no_numerator_column.csv",
        "regions_2022-23_no_numerator_column.csv, row 1 (the headers): no 'numerator' column",
    ),
    refused(
        "workbook_repeated_heading.xlsx",
        cell(
            "workbook_repeated_heading.xlsx",
            "Table_4b",
            7,
            "I",
            "the heading '2024 to 2025 - outcome' repeats column G's",
        ),
    ),
    refused(
        "workbook_years_not_consecutive.xlsx",
        cell(
            "workbook_years_not_consecutive.xlsx",
            "Table_4b",
            7,
            "I",
            "unexpected heading '2024 to 2026 - outcome' (expected '<year> to <next year> - "
            "<measure type>', e.g. '2024 to 2025 - outcome')",
        ),
    ),
    # Rows of the wrong length.
    refused(f"{OD}_short_row.csv", f"{OD}_short_row.csv, row 6: 7 columns where the header has 10"),
    refused(
        f"{OD}_unquoted_comma.csv",
        f"{OD}_unquoted_comma.csv, row 6: 11 columns where the header has 10 (a comma not inside "
        "quotes?)",
    ),
    refused(
        "outcomes_extract_short_row.csv",
        "outcomes_extract_short_row.csv, row 3: 6 columns where the header has 9",
    ),
    refused(
        "regions_2022-23_short_row.csv",
        "regions_2022-23_short_row.csv, row 3: 12 columns where the header has 14",
    ),
    # Numbers.
    refused(
        f"{OD}_comma_decimal.csv",
        row(
            f"{OD}_comma_decimal.csv",
            5,
            VALUE,
            "'36,6' has a decimal comma: write decimals with a point (36.6), not a comma",
        ),
    ),
    refused(
        f"{OD}_arabic_digits.csv",
        row(
            f"{OD}_arabic_digits.csv",
            5,
            VALUE,
            "'٤٥.٢' has digits other than 0 to 9: write numbers with the digits 0 to 9",
        ),
    ),
    refused(
        f"{OD}_fullwidth_digits.csv",
        row(
            f"{OD}_fullwidth_digits.csv",
            5,
            VALUE,
            "'４５.２' has digits other than 0 to 9: write numbers with the digits 0 to 9",
        ),
    ),
    refused(
        f"{OD}_percent_sign.csv",
        row(f"{OD}_percent_sign.csv", 5, VALUE, "'45.1%' is text where a number belongs"),
    ),
    refused(
        f"{OD}_nan.csv", row(f"{OD}_nan.csv", 5, VALUE, "'NaN' is text where a number belongs")
    ),
    refused(
        f"{OD}_infinite.csv",
        row(f"{OD}_infinite.csv", 5, VALUE, "outcome inf is not a finite number"),
    ),
    refused(
        f"{OD}_5000_digits.csv",
        row(f"{OD}_5000_digits.csv", 5, VALUE, "outcome inf is not a finite number"),
    ),
    refused(
        f"{OD}_negative_numerator.csv",
        row(f"{OD}_negative_numerator.csv", 6, VALUE, "numerator -1686 is negative"),
    ),
    refused(
        f"{OD}_negative_denominator.csv",
        row(f"{OD}_negative_denominator.csv", 7, VALUE, "denominator -3741 is negative"),
    ),
    refused(
        "regions_2022-23_negative_denominator.csv",
        row(
            "regions_2022-23_negative_denominator.csv",
            4,
            "'denominator'",
            "denominator -44726 is negative",
        ),
    ),
    refused(
        "workbook_text_in_cell.xlsx",
        cell(
            "workbook_text_in_cell.xlsx",
            "Table_4b",
            8,
            "I",
            "'80.0%' is text where a number belongs",
        ),
    ),
    # Labels and codes.
    refused(
        f"{OD}_formula_label.csv",
        row(
            f"{OD}_formula_label.csv",
            5,
            "'Disaggregation Level'",
            f"unknown disaggregation '=1+1' {UNKNOWN_DISAGGREGATION}",
        ),
    ),
    refused(
        f"{OD}_at_sum_label.csv",
        row(
            f"{OD}_at_sum_label.csv",
            5,
            "'Disaggregation Level'",
            f"unknown disaggregation '@SUM(A1:A9)' {UNKNOWN_DISAGGREGATION}",
        ),
    ),
    refused(
        f"{OD}_long_label.csv",
        row(
            f"{OD}_long_label.csv",
            5,
            "'Disaggregation Level'",
            f"unknown disaggregation '18-64 year olds who receive direct paym…' "
            f"{UNKNOWN_DISAGGREGATION}",
        ),
    ),
    refused(
        "workbook_6b_unknown_rating.xlsx",
        cell(
            "workbook_6b_unknown_rating.xlsx",
            "Table_6b",
            8,
            "V",
            f"unknown disaggregation 'Excellent' {UNKNOWN_DISAGGREGATION}",
        ),
    ),
    refused(
        f"{OD}_unknown_measure_type.csv",
        row(
            f"{OD}_unknown_measure_type.csv",
            5,
            "'Measure Type'",
            "unknown measure type 'Percentage'",
        ),
    ),
    refused(
        f"{OD}_unknown_level.csv",
        row(
            f"{OD}_unknown_level.csv",
            2,
            "'Geographical Level'",
            "unknown geographical level 'Borough'",
        ),
    ),
    refused(
        f"{OD}_unknown_council.csv",
        *(
            f"{OD}_unknown_council.csv, row {n}: unknown council code '999' (Nowhere)"
            for n in (2, 5, 8)
        ),
    ),
    # Years.
    refused(
        "open_data_2031-32_future_year.csv",
        "open_data_2031-32_future_year.csv, the year named by the file name: 2031-32 is after "
        f"the period being collected ({COLLECTING})",
    ),
    refused(
        "csv_2026-27_after_next_year.csv",
        "csv_2026-27_after_next_year.csv, the year named by the file name: 2026-27 is after the "
        f"period being collected ({COLLECTING})",
    ),
    refused(
        "open_data_no_year_in_name.csv",
        "open_data_no_year_in_name.csv: this layout has no year column; name the year with "
        "--year (e.g. --year 2020-21) or put it in the file name",
    ),
    refused(
        "open_data_no_year_in_name.csv",
        "open_data_no_year_in_name.csv, the year named by --year: 2031-32 is after the period "
        f"being collected ({COLLECTING})",
        year="2031-32",
    ),
    refused(
        "open_data_no_year_in_name.csv",
        "open_data_no_year_in_name.csv, the year named by --year: the year 1 is before 2000, the "
        "first year a period may start in",
        year="0001-02",
    ),
    refused(
        "outcomes_extract_2031-32.csv",
        row(
            "outcomes_extract_2031-32.csv",
            2,
            "'Year'",
            f"2031-32 is after the period being collected ({COLLECTING})",
        ),
    ),
    refused(
        "outcomes_extract_year_9998.csv",
        row(
            "outcomes_extract_year_9998.csv",
            2,
            "'Year'",
            f"9998-99 is after the period being collected ({COLLECTING})",
        ),
    ),
    refused(
        "outcomes_extract_year_9999.csv",
        *(
            row(
                "outcomes_extract_year_9999.csv",
                n,
                "'Year'",
                "'9999-00' is not a financial year: it must span two consecutive years",
            )
            for n in (2, 3)
        ),
    ),
    refused(
        "outcomes_extract_year_0001.csv",
        row(
            "outcomes_extract_year_0001.csv",
            2,
            "'Year'",
            "the year 1 is before 2000, the first year a period may start in",
        ),
    ),
    refused(
        "outcomes_extract_arabic_year.csv",
        *(
            row(
                "outcomes_extract_arabic_year.csv",
                n,
                "'Year'",
                "'٢٠٢٠-٢١' has digits other than 0 to 9",
            )
            for n in (2, 3)
        ),
    ),
    refused(
        "outcomes_extract_quarter.csv",
        *(
            row(
                "outcomes_extract_quarter.csv",
                n,
                "'Year'",
                "'2020-21 Q2' is a quarter; this layout holds financial years",
            )
            for n in (2, 3)
        ),
    ),
    refused(
        "regions_2022-23_fiscal_year_10000.csv",
        row(
            "regions_2022-23_fiscal_year_10000.csv",
            3,
            "'fiscal_year'",
            "'10000' is not a year such as 2023",
        ),
    ),
    refused(
        "regions_2022-23_fiscal_year_9999.csv",
        row(
            "regions_2022-23_fiscal_year_9999.csv",
            3,
            "'fiscal_year'",
            f"9998-99 is after the period being collected ({COLLECTING})",
        ),
    ),
    refused(
        "regions_2022-23_fiscal_year_0001.csv",
        row(
            "regions_2022-23_fiscal_year_0001.csv",
            3,
            "'fiscal_year'",
            "the year 0 is before 2000, the first year a period may start in",
        ),
    ),
    refused(
        "workbook_year_9998.xlsx",
        cell(
            "workbook_year_9998.xlsx",
            "Table_4b",
            7,
            "I",
            f"9998-99 is after the period being collected ({COLLECTING})",
        ),
    ),
    refused(
        "workbook_year_0001.xlsx",
        cell(
            "workbook_year_0001.xlsx",
            "Table_4b",
            7,
            "I",
            "the year 1 is before 2000, the first year a period may start in",
        ),
    ),
    # Contradictions, within a file and between two files of the same rank.
    refused(
        f"{OD}_conflicting_rows.csv",
        row(
            f"{OD}_conflicting_rows.csv",
            11,
            VALUE,
            f"outcome 45.9 contradicts 45.1 at {OD}_conflicting_rows.csv, row 5, column {VALUE}",
        ),
    ),
    refused(
        "csv_2024-25_conflicting_rows.csv",
        row(
            "csv_2024-25_conflicting_rows.csv",
            5,
            "'Measure value'",
            "outcome 39.9 contradicts 38.8 at csv_2024-25_conflicting_rows.csv, row 4, column "
            "'Measure value'",
        ),
    ),
    refused(
        "outcomes_extract_conflicting_rows.csv",
        row(
            "outcomes_extract_conflicting_rows.csv",
            4,
            "'Measure_Value'",
            "outcome 38 contradicts 37.6 at outcomes_extract_conflicting_rows.csv, row 2, column "
            "'Measure_Value'",
        ),
    ),
    refused(
        "workbook_conflicting_rows.xlsx",
        cell(
            "workbook_conflicting_rows.xlsx",
            "Table_4b",
            9,
            "I",
            "outcome 81 contradicts 80 at workbook_conflicting_rows.xlsx, sheet Table_4b, row 8, "
            "column I",
        ),
    ),
    refused(
        (f"{OD}_disagree_a.csv", f"{OD}_disagree_b.csv"),
        row(
            f"{OD}_disagree_b.csv",
            2,
            VALUE,
            f"outcome 45.3 contradicts 45.2 at {OD}_disagree_a.csv, row 2, column {VALUE} "
            f"{SAME_RANK}",
        ),
    ),
    refused(
        ("outcomes_extract_2022-23_wm_1c1a.csv", "regions_2022-23_wm_1c1a.csv"),
        row(
            "regions_2022-23_wm_1c1a.csv",
            2,
            "'outcome'",
            "outcome 95.4 contradicts 95.9 at outcomes_extract_2022-23_wm_1c1a.csv, row 2, column "
            f"'Measure_Value' {SAME_RANK}",
        ),
    ),
]

# --year values the command refuses before reading any file.
REFUSED_YEARS = {
    "2020-21 Q2": "--year '2020-21 Q2' names a quarter, but the yearly files hold whole "
    "financial years: give the year, --year 2020-21",
    "9999-00": "--year '9999-00' is not a financial year: it must span two consecutive years",
    "٢٠٢٠-٢١": "--year '٢٠٢٠-٢١': write the year with the digits 0 to 9 (2021-22)",
}

BIRMINGHAM_18_64 = ("406", "3D(2a)", 2020, "18-64")
REVISED = {"outcome": 45.2, "numerator": 1686.0, "denominator": 3741.0}
REVISING = [
    f"{OD}_utf16.csv",
    f"{OD}_utf16be.csv",
    f"{OD}_utf16_no_bom.csv",
    f"{OD}_utf8_bom_crlf.csv.gz",
    f"{OD}_thousands_separator.csv",
    f"{OD}_repeated_row.csv",
    f"{OD}.xlsx.gz",
]


def corpus(name: str) -> str:
    return str(CORPUS if name == "corpus" else CORPUS / name)


def import_ascof(*names, **options) -> str:
    output = io.StringIO()
    call_command("import_ascof", *(corpus(n) for n in names), stdout=output, **options)
    return output.getvalue()


def checksums() -> dict[str, str]:
    """Each table an import writes, every column of every row in a fixed order, hashed (from
    the rows as the database returns them: converting 46,000 values to models would take
    longer than the imports); and the data version."""
    orders = {
        Period: ("year", "quarter"),
        ImportRun: ("pk",),
        Value: ("area_id", "indicator_id", "period_id", "disaggregation"),
        ValueChange: ("pk",),
    }
    sums = {}
    with connection.cursor() as cursor:
        for model, order in orders.items():
            cursor.execute(*model.objects.order_by(*order).values_list().query.sql_with_params())
            sums[model.__name__] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return {**sums, "data version": repr(current_version())}


def stored(area: str, indicator: str, year: int, disaggregation: str = "Total") -> dict:
    value = Value.objects.get(
        area__code=area,
        indicator__code=indicator,
        period__year=year,
        period__quarter=None,
        disaggregation=disaggregation,
    )
    return {
        "outcome": value.outcome,
        "numerator": value.numerator,
        "denominator": value.denominator,
    }


# Refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_a_bad_file_is_refused_with_where_and_why_and_changes_nothing(case):
    before = checksums()

    with pytest.raises(CommandError) as error:
        import_ascof(*case.files, **case.options)

    lines = str(error.value).splitlines()
    assert lines[0] == f"{len(case.problems)} problem(s); nothing was imported:"
    for problem in case.problems:
        if problem.endswith("…"):
            assert any(line.startswith(problem[:-1]) for line in lines[1:]), lines
        else:
            assert problem in lines[1:]
    assert checksums() == before


@pytest.mark.parametrize("year", REFUSED_YEARS)
def test_a_year_option_that_is_not_a_financial_year_is_refused(year):
    before = checksums()

    with pytest.raises(CommandError) as error:
        import_ascof("open_data_no_year_in_name.csv", year=year)

    assert str(error.value) == REFUSED_YEARS[year]
    assert checksums() == before


# Imported --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REVISING)
def test_a_good_file_in_any_encoding_or_compression_is_read_and_its_revision_stored(name):
    assert stored(*BIRMINGHAM_18_64)["outcome"] == 45.1

    output = import_ascof(name)

    layout = "open_data_csv"
    assert f"{name} ({layout}): 0 created, 1 updated, 2 unchanged" in output
    assert "revised: Birmingham 3D(2a) 2020-21 18-64 outcome: 45.1 -> 45.2" in output
    assert stored(*BIRMINGHAM_18_64) == REVISED
    change = ValueChange.objects.latest("pk")
    assert (change.field, change.old, change.new) == ("outcome", "45.1", "45.2")


def test_a_yearly_csv_without_a_year_in_its_name_imports_with_year():
    output = import_ascof("open_data_no_year_in_name.csv", year="2020-21")

    assert "open_data_no_year_in_name.csv (open_data_csv): 0 created, 1 updated" in output
    assert stored(*BIRMINGHAM_18_64) == REVISED


def test_a_spreadsheet_copy_reports_the_sheet_it_read_and_each_it_skipped_and_why():
    # Its notes sheet holds a formula saved without its result: harmless on a sheet not read.
    output = import_ascof(f"{OD}_with_notes_sheet.xlsx")

    assert "  sheets read: 2020-21" in output
    assert "  sheet skipped: Notes (no ASCOF headers in its first row)" in output
    assert "  sheet skipped: Empty (empty)" in output
    assert stored(*BIRMINGHAM_18_64) == REVISED


def test_an_official_numerator_above_its_denominator_is_imported_and_flagged():
    output = import_ascof(f"{OD}_numerator_above_denominator.csv")

    assert (
        f"  flagged: {OD}_numerator_above_denominator.csv, row 6, column 'Measure Value': "
        "numerator 3800 is greater than its denominator 3741"
    ) in output
    assert stored(*BIRMINGHAM_18_64) == {
        "outcome": 45.1,
        "numerator": 3800.0,
        "denominator": 3741.0,
    }


def test_a_regional_numerator_above_its_denominator_is_imported_and_flagged():
    output = import_ascof("regions_2022-23_numerator_above_denominator.csv")

    assert (
        "  flagged: regions_2022-23_numerator_above_denominator.csv, row 4, column 'numerator': "
        "numerator 45000 is greater than its denominator 44726"
    ) in output
    assert stored("WM", "3D(1a)", 2022)["numerator"] == 45000.0


@pytest.mark.parametrize("name", ["workbook_4b.xlsx", "workbook_4b.ods", "workbook_4b.xlsx.gz"])
def test_a_workbook_copy_in_any_format_reads_like_the_official_one_and_accounts_for_its_sheets(
    name,
):
    before = stored("406", "4B", 2024)

    output = import_ascof(name)

    assert f"{name} (workbook): 0 created, 0 updated, 2 unchanged" in output
    assert "  sheets read: Table_4b" in output
    assert "  sheet skipped: Cover (not a data table)" in output
    assert (
        before
        == stored("406", "4B", 2024)
        == {
            "outcome": 80.0,
            "numerator": 340.0,
            "denominator": 425.0,
        }
    )


@pytest.mark.parametrize(
    ("name", "layout", "unchanged"),
    [
        ("csv_2024-25_utf16.csv", "csv_2024_25", 1),
        ("outcomes_extract.csv.gz", "outcome_extract", 2),
        ("regions_2022-23_wm_1c1a.csv", "regions_num_den", 1),
    ],
)
def test_a_file_agreeing_with_the_stored_values_is_read_and_changes_nothing(
    name, layout, unchanged
):
    values = checksums()["Value"]

    output = import_ascof(name)

    assert f"{name} ({layout}): 0 created, 0 updated, {unchanged} unchanged" in output
    assert output.rstrip().endswith("No changes: the data was already up to date.")
    assert checksums()["Value"] == values


def test_the_period_being_collected_imports():
    assert not Value.objects.filter(period__year=2025, period__quarter=None).exists()

    output = import_ascof("csv_2025-26_next_year.csv")

    assert "csv_2025-26_next_year.csv (csv_2024_25): 1 created, 0 updated, 0 unchanged" in output
    assert stored("406", "3D(2a)", 2025) == {
        "outcome": 38.8,
        "numerator": 3248.0,
        "denominator": 8365.0,
    }


# The corpus and its cases ----------------------------------------------------------------


def test_every_corpus_file_has_a_case():
    cased = {name for case in REFUSED for name in case.files} | set(REVISING)
    cased |= {
        "open_data_no_year_in_name.csv",
        f"{OD}_with_notes_sheet.xlsx",
        f"{OD}_numerator_above_denominator.csv",
        "regions_2022-23_numerator_above_denominator.csv",
        "workbook_4b.xlsx",
        "workbook_4b.ods",
        "workbook_4b.xlsx.gz",
        "csv_2024-25_utf16.csv",
        "outcomes_extract.csv.gz",
        "csv_2025-26_next_year.csv",
    }
    files = {path.name for path in CORPUS.iterdir() if path.suffix != ".py"}
    assert files <= cased
    assert len(files) >= 40
