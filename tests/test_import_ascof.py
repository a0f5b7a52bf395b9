"""`manage.py import_ascof` on the published ASCOF files shipped in data/ascof/.

The session database already holds every shipped file (`django_db_setup` in conftest.py), so
these tests read what the import stored, import a shipped file again, or import small copies of
real rows, written to tmp_path or kept in tests/fixtures/:

- ascof_2020-21_rows_cp1252_older_markers.csv: real 2020-21 rows dressed as the 2016-17 to
  2018-19 files were: cp1252 (one description has an en dash, byte 0x96), "ONS Area Code",
  "Margin of Error", and the older markers c, x, ":" and blank for [c] and [x].
- ascof_2020-21_rows_2014-15_headers.csv: real 2020-21 rows under the 2014-15 headers as
  data/ascof/NOTES.md §1.1 lists them (no spaces, no Geographical Description column), each
  description starting "<code>: ".
- ascof_2024-25_csv_layout.csv: the 2024-25 8-column layout, from the workbook's 2024-25 values.
"""

import csv
import functools
import gzip
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Q
from python_calamine import CalamineWorkbook

from indicators.models import PUBLISHED_FIELDS, ImportRun, SeriesBreak, Value, ValueChange
from scorecard.models import current_version

pytestmark = pytest.mark.django_db

ASCOF = Path(settings.ASCOF_DATA_DIR)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKBOOK = ASCOF / "ascof_timeseries_2015-16_to_2024-25_official.ods"
EXTRACT = ASCOF / "ascof_outcomes_total_2017-18_to_2023-24.csv.gz"
OPEN_DATA_2020_21 = ASCOF / "ascof_2020-21_official_open_data.csv.gz"
REGIONS_2022_23 = ASCOF / "ascof_2022-23_regions_num_den.csv"
CSV_2024_25 = FIXTURES / "ascof_2024-25_csv_layout.csv"
CP1252_OLDER_MARKERS = FIXTURES / "ascof_2020-21_rows_cp1252_older_markers.csv"
HEADERS_2014_15 = FIXTURES / "ascof_2020-21_rows_2014-15_headers.csv"

FLAG = "Outcome above 100%: a data-quality issue noted by the publisher"
REGION_ONS_CODES = {
    "E12000001": "NE", "E12000002": "NW", "E12000003": "YH", "E12000004": "EM", "E12000005": "WM",
    "E12000006": "E", "E12000007": "L", "E12000008": "SE", "E12000009": "SW",
}  # fmt: skip
# Birmingham's and the West Midlands' 2020-21 direct payments, as the official CSV gives them.
DIRECT_PAYMENTS_2020_21 = [
    ("WM", "3D(2a)", 2020, "Total"),
    ("406", "3D(2a)", 2020, "Total"),
    ("406", "3D(2a)", 2020, "18-64"),
    ("406", "3D(2a)", 2020, "65 and over"),
]


def import_ascof(*paths, **options) -> str:
    """Run the command as an operator would and return what it printed."""
    output = io.StringIO()
    call_command("import_ascof", *(str(path) for path in paths), stdout=output, **options)
    return output.getvalue()


def import_fails(*paths, **options) -> str:
    """Run the command expecting it to refuse, and return its error message."""
    with pytest.raises(CommandError) as refused:
        import_ascof(*paths, **options)
    return str(refused.value)


def stored(area: str, indicator: str, year: int, disaggregation: str = "Total") -> Value:
    return Value.objects.select_related("import_run").get(
        area__code=area,
        indicator__code=indicator,
        period__year=year,
        period__quarter=None,
        disaggregation=disaggregation,
    )


def published(value: Value) -> dict[str, tuple[str, float | None]]:
    """Each published field of a value as (availability, number)."""
    return {
        name: (getattr(value, f"{name}_status"), getattr(value, name)) for name in PUBLISHED_FIELDS
    }


def values_at(*keys: tuple[str, str, int, str]):
    """The values at these (area code, indicator code, year, disaggregation) keys."""
    query = Q(pk__in=[])
    for area, indicator, year, disaggregation in keys:
        query |= Q(
            area__code=area,
            indicator__code=indicator,
            period__year=year,
            period__quarter=None,
            disaggregation=disaggregation,
        )
    return Value.objects.filter(query)


def snapshot(values) -> dict[tuple, dict]:
    """Published fields by (area code, indicator code, year, disaggregation)."""
    return {
        (value.area.code, value.indicator.code, value.period.year, value.disaggregation): (
            published(value)
        )
        for value in values.select_related("area", "indicator", "period")
    }


def reimport_into_empty(path: Path, keys: list[tuple]) -> tuple[dict, dict, str]:
    """The stored values at `keys`, then the same values deleted and imported from `path`
    alone, and what the import printed."""
    before = snapshot(values_at(*keys))
    assert len(before) == len(keys)
    values_at(*keys).delete()
    output = import_ascof(path)
    return before, snapshot(values_at(*keys)), output


@functools.cache
def _read_gzipped_csv(path: Path) -> tuple[tuple[str, ...], ...]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8-sig")
    return tuple(tuple(row) for row in csv.reader(io.StringIO(text)))


def official_rows(areas: set[str], measure_codes: set[str]) -> list[list[str]]:
    """The header and the rows of the official 2020-21 CSV for these area codes and ASCOF
    measure codes (with their disaggregation suffix, e.g. "1C2A1864")."""
    header, *rows = _read_gzipped_csv(OPEN_DATA_2020_21)
    return [list(header)] + [
        list(row) for row in rows if row[0] in areas and row[4] in measure_codes
    ]


def extract_rows(year: str, group: str, names: set[str] | None = None) -> list[list[str]]:
    """The header and the rows of the outcome extract for one year and measure group."""
    header, *rows = _read_gzipped_csv(EXTRACT)
    return [list(header)] + [
        list(row)
        for row in rows
        if row[0] == year and row[3] == group and (names is None or row[1] in names)
    ]


def set_value(rows: list[list[str]], area: str, measure: str, measure_type: str, value) -> int:
    """Put `value` in the Measure Value of one row of a yearly CSV; return its row number."""
    index = next(
        i
        for i, row in enumerate(rows)
        if row[0] == area and row[4] == measure and row[6] == measure_type
    )
    rows[index][7] = value
    return index + 1


@functools.cache
def _workbook_sheet(name: str) -> tuple[tuple, ...]:
    sheet = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    return tuple(tuple(row) for row in rows)


def sheet_head(name: str) -> list[list]:
    """A workbook sheet's rows down to and including its header row."""
    rows = _workbook_sheet(name)
    header = next(i for i, row in enumerate(rows) if row[0] == "Local authority code")
    return [list(row) for row in rows[: header + 1]]


def sheet_row(name: str, code) -> list:
    """One area's row of a workbook sheet; councils' codes are numbers there."""
    return list(next(row for row in _workbook_sheet(name) if row[0] == code))


def number_or_text(cell: str):
    """A cell as a spreadsheet program keeps it: numbers as numbers."""
    try:
        return float(cell)
    except ValueError:
        return cell


def write_csv(path: Path, rows, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as file:
        csv.writer(file).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def state() -> tuple[int, int, int]:
    """What an import that changes nothing leaves as it was (it still records its run)."""
    return Value.objects.count(), ValueChange.objects.count(), current_version()[0]


# What the shipped files give ---------------------------------------------------------------


def test_birmingham_has_direct_payments_for_every_year_2017_18_to_2024_25_with_a_break_in_2024_25():
    values = Value.objects.filter(
        area__code="406", indicator__code="3D(2a)", disaggregation="Total"
    )
    stored_outcomes = {
        value.period.year: (value.import_run.layout, value.outcome)
        for value in values.select_related("period", "import_run")
    }
    # Published as 1C2A to 2022-23, 3D2A in 2023-24 and 3D(2a) from 2024-25.
    assert stored_outcomes == {
        2017: ("outcome_extract", 24.4),
        2018: ("outcome_extract", 30.7),
        2019: ("outcome_extract", 36.6),
        2020: ("open_data_csv", 37.6),
        2021: ("outcome_extract", 38.2),
        2022: ("outcome_extract", 39.1),
        2023: ("outcome_extract", 39.0),
        2024: ("workbook", 38.8),
    }
    assert SeriesBreak.objects.filter(indicator__code="3D(2a)", year=2024, kind="break").exists()


def test_the_west_midlands_2020_21_direct_payments_aggregate_is_stored_as_published():
    value = published(stored("WM", "3D(2a)", 2020))
    assert value["outcome"] == ("available", 27.9)
    assert value["numerator"] == ("available", 11911)
    assert value["denominator"] == ("available", 42720)


def test_isles_of_scilly_2020_21_outcomes_are_kept_where_numerator_and_denominator_are_suppressed():
    employment = published(stored("906", "old-1E", 2020))
    assert employment["outcome"] == ("available", 0)
    assert employment["numerator"] == employment["denominator"] == ("suppressed", None)
    at_home = published(stored("906", "2E(1)", 2020))
    assert at_home["outcome"] == ("available", 100)
    assert at_home["numerator"] == at_home["denominator"] == ("suppressed", None)


def test_an_isles_of_scilly_2020_21_numerator_is_kept_where_its_outcome_is_suppressed():
    offered_reablement = published(stored("906", "2D(2)", 2020, "85 and over"))
    assert offered_reablement["outcome"] == ("suppressed", None)
    assert offered_reablement["numerator"] == ("available", 4)
    assert offered_reablement["denominator"] == ("suppressed", None)


def test_hackney_2020_21_is_stored_as_not_available_never_as_zero():
    direct_payments = published(stored("704", "3D(2a)", 2020))
    assert {direct_payments[name] for name in ("outcome", "numerator", "denominator")} == {
        ("not_available", None)
    }
    # Availability belongs to each value: Hackney's mental health employment was published.
    assert published(stored("704", "old-1F", 2020))["outcome"] == ("available", 3)


def test_the_extract_finds_dorset_by_the_ons_code_it_had_in_each_year():
    outcomes = dict(
        Value.objects.filter(
            area__code="809",
            indicator__code="3D(2a)",
            disaggregation="Total",
            period__year__lt=2024,
        ).values_list("period__year", "outcome")
    )
    # E10000009 (Dorset County) to 2018-19, E06000059 (Dorset Council) from 2019-20.
    assert outcomes == {
        2017: 19.8,
        2018: 29.3,
        2019: 29.3,
        2020: 28.6,
        2021: 28.4,
        2022: 30.2,
        2023: 29.2,
    }


def test_the_extract_reads_council_type_rows_by_name_and_2023_24_rows_without_a_measure_type():
    # "Metropolitan District", level "Council Type", no ONS code.
    metropolitan_2019_20 = stored("M", "3D(2a)", 2019)
    assert (metropolitan_2019_20.import_run.layout, metropolitan_2019_20.outcome) == (
        "outcome_extract",
        26.4,
    )
    # "Metropolitan Districts", ONS code "-", blank disaggregation and measure type.
    metropolitan_2023_24 = stored("M", "3D(2a)", 2023)
    assert (metropolitan_2023_24.import_run.layout, metropolitan_2023_24.outcome) == (
        "outcome_extract",
        24.4,
    )


def test_the_workbooks_legacy_dorset_county_row_gives_dorsets_4b_and_6a():
    assert stored("809", "4B", 2024).outcome == 92.5
    assert stored("809", "6A", 2023).outcome == 36.5


# Importing again ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [WORKBOOK, OPEN_DATA_2020_21, REGIONS_2022_23], ids=lambda p: p.name
)
def test_re_importing_a_shipped_file_changes_nothing_and_says_so(path):
    before = state()
    output = import_ascof(path)
    assert output.splitlines()[0].startswith(f"{path.name} (")
    assert ": 0 created, 0 updated, " in output.splitlines()[0]
    assert "revised:" not in output
    assert output.rstrip().endswith("No changes: the data was already up to date.")
    assert state() == before


def test_re_importing_the_extract_agrees_with_the_corrected_3c2_2018_19_regions():
    before = state()

    output = import_ascof(EXTRACT)

    # The workbook's permuted region rows are corrected by the shipped erratum, which the
    # extract's outcomes agree with: nothing is kept against them, nothing changes.
    assert "  kept: " not in output
    assert "erratum to review" not in output
    assert output.rstrip().endswith("No changes: the data was already up to date.")
    assert state() == before


def test_a_kept_line_names_the_area_the_indicator_and_the_year(tmp_path):
    rows = extract_rows("2021-22", "3D2", {"West Midlands"})
    rows[1][5] = "12.3"  # the workbook, which outranks the extract, gives 54.8
    path = write_csv(tmp_path / "ascof_outcomes_total_rows.csv", rows)

    output = import_ascof(path)

    kept = [line for line in output.splitlines() if line.startswith("  kept: ")]
    assert len(kept) == 1
    assert kept[0].startswith(
        f"  kept: West Midlands 3C(2) 2021-22 Total outcome: 12.3 at {path.name}, row 2"
    )
    assert kept[0].endswith(
        "differs from the stored 54.8 from a more authoritative file; kept the stored value"
    )
    assert stored("WM", "3C(2)", 2021).outcome == 54.8


def test_the_workbooks_3c2_2018_19_region_rows_hold_the_extracts_outcomes_in_ons_code_order():
    head = sheet_head("Table_3c(2)")
    outcome = head[-1].index("2018 to 2019 - outcome")
    # Sheet order: EM, E, L, NE, NW, SE, SW, WM, YH (by region code).
    workbook = {
        row[0]: round(row[outcome], 1)
        for row in _workbook_sheet("Table_3c(2)")
        if row[0] in REGION_ONS_CODES.values()
    }
    extract = {
        row[2]: float(row[5]) for row in extract_rows("2018-19", "3D2")[1:] if row[6] == "Region"
    }
    # The extract's outcomes taken in ONS code order (E12000001 North East first) are the
    # workbook's rows in sheet order: every region differs.
    assert list(workbook.values()) == [extract[ons] for ons in sorted(extract)]
    assert all(workbook[region] != extract[ons] for ons, region in REGION_ONS_CODES.items())
    # The shipped erratum corrects the workbook: the extract's outcomes are stored.
    corrected = {region: extract[ons] for ons, region in REGION_ONS_CODES.items()}
    assert {region: stored(region, "3C(2)", 2018).outcome for region in workbook} == corrected


# Every layout --------------------------------------------------------------------------------


def test_the_2024_25_csv_layout_reads_like_the_workbook():
    keys = [
        (area, indicator, 2024, "Total")
        for area in ("England", "M", "WM", "406", "407", "415")
        for indicator in ("3D(2a)", "1A")
    ]
    before, after, output = reimport_into_empty(CSV_2024_25, keys)
    assert f"{CSV_2024_25.name} (csv_2024_25): 12 created, 0 updated, 0 unchanged" in output
    assert after == before
    assert after[("WM", "3D(2a)", 2024, "Total")]["numerator"] == ("available", 12365)
    assert after[("406", "1A", 2024, "Total")]["margin_of_error"] == ("available", 0.5)


def test_the_2024_25_csv_layout_agrees_with_the_workbook_so_importing_it_changes_nothing():
    output = import_ascof(CSV_2024_25)
    assert f"{CSV_2024_25.name} (csv_2024_25): 0 created, 0 updated, 12 unchanged" in output
    assert "No changes" in output


def test_a_yearly_csv_in_cp1252_with_older_headers_and_markers_reads_like_the_official_file():
    with pytest.raises(UnicodeDecodeError):
        CP1252_OLDER_MARKERS.read_bytes().decode("utf-8")
    keys = [
        ("219", "1A", 2020, "Total"),
        ("906", "old-1E", 2020, "Total"),
        ("906", "old-1F", 2020, "Total"),
        ("906", "2E(1)", 2020, "Total"),
        ("906", "2D(2)", 2020, "85 and over"),
        ("704", "3D(2a)", 2020, "Total"),
    ]
    before, after, output = reimport_into_empty(CP1252_OLDER_MARKERS, keys)
    assert f"{CP1252_OLDER_MARKERS.name} (open_data_csv): 6 created, 0 updated" in output
    assert after == before
    # c is [c]; x, ":" and a blank are [x]; "Margin of Error" is the margin of error.
    assert after[("906", "old-1F", 2020, "Total")]["outcome"] == ("suppressed", None)
    hackney = after[("704", "3D(2a)", 2020, "Total")]
    assert {hackney[name] for name in ("outcome", "numerator", "denominator")} == {
        ("not_available", None)
    }
    assert after[("219", "1A", 2020, "Total")]["margin_of_error"] == ("available", 0.5)


def test_headers_without_spaces_read_like_the_official_headers(tmp_path):
    rows = official_rows({"WM", "406"}, {"1C2A", "1C2A1864", "1C2A65OV"})
    rows[0] = [header.replace(" ", "") for header in rows[0]]
    rows[0][3] = "ONSAreaCode"
    rows[1:] = [[*row[:9], f"{row[8]}: {row[9]}"] for row in rows[1:]]
    path = write_csv(tmp_path / "ascof_2020-21_no_space_headers.csv", rows)

    before, after, output = reimport_into_empty(path, DIRECT_PAYMENTS_2020_21)

    assert f"{path.name} (open_data_csv): 4 created, 0 updated" in output
    assert after == before


def test_the_2014_15_headers_without_a_geographical_description_read_like_the_official_ones():
    before, after, output = reimport_into_empty(HEADERS_2014_15, DIRECT_PAYMENTS_2020_21)
    assert f"{HEADERS_2014_15.name} (open_data_csv): 4 created, 0 updated" in output
    assert after == before


def test_an_xlsx_copy_of_a_yearly_csv_reads_like_the_csv(tmp_path):
    rows = official_rows({"WM", "406"}, {"1C2A", "1C2A1864", "1C2A65OV"})
    cells = [rows[0]] + [[*row[:7], number_or_text(row[7]), *row[8:]] for row in rows[1:]]
    path = write_xlsx(tmp_path / "ascof_2020-21_direct_payments.xlsx", {"2020-21": cells})

    before, after, output = reimport_into_empty(path, DIRECT_PAYMENTS_2020_21)

    assert f"{path.name} (open_data_csv): 4 created, 0 updated" in output
    assert after == before


def test_an_xlsx_copy_whose_council_codes_were_saved_as_numbers_reads_like_the_csv(tmp_path):
    rows = official_rows({"WM", "406"}, {"1C2A", "1C2A1864", "1C2A65OV"})
    cells = [rows[0]] + [[number_or_text(cell) for cell in row] for row in rows[1:]]
    path = write_xlsx(tmp_path / "ascof_2020-21_direct_payments.xlsx", {"2020-21": cells})

    before, after, output = reimport_into_empty(path, DIRECT_PAYMENTS_2020_21)

    assert f"{path.name} (open_data_csv): 4 created, 0 updated" in output
    assert after == before


def test_an_xlsx_copy_of_workbook_sheets_reads_like_the_ods_and_skips_what_is_not_an_area(tmp_path):
    sheets = {name: _workbook_sheet(name) for name in ("Table_3d(2a)", "Table_4b", "Table_6a")}
    path = write_xlsx(tmp_path / "ascof_timeseries_copy.xlsx", sheets)
    in_those_sheets = Value.objects.filter(
        Q(indicator__code="3D(2a)", period__year=2024) | Q(indicator__code__in=["4B", "6A"])
    ).count()

    output = import_ascof(path)

    assert f"{path.name} (workbook): 0 created, 0 updated, {in_those_sheets} unchanged" in output
    # One row each (4B's District row, 6A's Cornwall and Isles of Scilly), counted per year.
    assert "  skipped 2: District council-type row (always [z])" in output
    assert "  skipped 2: Cornwall and Isles of Scilly row (6A, [z]-coded)" in output
    assert "No changes" in output


# Merging -----------------------------------------------------------------------------------


def test_a_file_without_numerators_never_erases_a_stored_numerator(tmp_path):
    rows = extract_rows("2020-21", "1C2A", {"West Midlands", "Birmingham"})
    path = write_csv(tmp_path / "ascof_outcomes_total_copy.csv", rows)

    output = import_ascof(path)

    assert f"{path.name} (outcome_extract): 0 created, 0 updated, 2 unchanged" in output
    west_midlands = stored("WM", "3D(2a)", 2020)
    assert (west_midlands.numerator, west_midlands.denominator) == (11911, 42720)
    assert west_midlands.import_run.layout == "open_data_csv"


def test_a_revised_value_is_updated_and_audited_with_its_new_source(tmp_path):
    rows = official_rows({"406"}, {"1C2A"})
    set_value(rows, "406", "1C2A", "Outcome", "38.0")
    set_value(rows, "406", "1C2A", "Numerator", "3065")
    path = write_csv(tmp_path / "ascof_2020-21_revised.csv", rows)
    version = current_version()[0]

    output = import_ascof(path)

    value = stored("406", "3D(2a)", 2020)
    assert (value.outcome, value.numerator, value.denominator) == (38.0, 3065, 8060)
    assert (value.import_run.file_name, value.import_run.layout) == (path.name, "open_data_csv")
    audit = ValueChange.objects.filter(import_run=value.import_run)
    assert {(change.value_id, change.field, change.old, change.new) for change in audit} == {
        (value.pk, "outcome", "37.6", "38"),
        (value.pk, "numerator", "3034", "3065"),
    }
    assert "  2020-21: 0 created, 1 updated, 0 unchanged" in output
    assert "  revised: Birmingham 3D(2a) 2020-21 Total outcome: 37.6 -> 38" in output
    assert "  revised: Birmingham 3D(2a) 2020-21 Total numerator: 3034 -> 3065" in output
    assert output.rstrip().endswith("Imported: 1 values changed.")
    assert current_version()[0] == version + 1


def test_a_dry_run_reports_a_revised_2020_21_value_and_writes_nothing(tmp_path):
    rows = official_rows({"WM"}, {"1C2A"})
    set_value(rows, "WM", "1C2A", "Outcome", "28.1")
    path = write_csv(tmp_path / "ascof_2020-21_revised.csv", rows)
    before = snapshot(values_at(DIRECT_PAYMENTS_2020_21[0])), state(), ImportRun.objects.count()

    output = import_ascof(path, dry_run=True)

    assert "  revised: West Midlands 3D(2a) 2020-21 Total outcome: 27.9 -> 28.1" in output
    assert output.rstrip().endswith("Dry run: 1 values would change.")
    after = snapshot(values_at(DIRECT_PAYMENTS_2020_21[0])), state(), ImportRun.objects.count()
    assert after == before


def import_in_order(paths: list[Path], keys: list[tuple]) -> dict:
    """The values at `keys` after deleting them and importing `paths` one by one."""
    values_at(*keys).delete()
    for path in paths:
        import_ascof(path)
    return snapshot(values_at(*keys))


def test_a_yearly_csv_and_the_extract_give_the_same_values_in_either_order(tmp_path):
    keys = DIRECT_PAYMENTS_2020_21[:2]
    official = write_csv(
        tmp_path / "ascof_2020-21_rows.csv", official_rows({"WM", "406"}, {"1C2A"})
    )
    rows = extract_rows("2020-21", "1C2A", {"West Midlands", "Birmingham"})
    next(row for row in rows if row[1] == "Birmingham")[5] = "37.5"  # disagrees with the CSV
    extract = write_csv(tmp_path / "ascof_outcomes_total_rows.csv", rows)

    csv_first = import_in_order([official, extract], keys)
    extract_first = import_in_order([extract, official], keys)

    assert csv_first == extract_first
    assert csv_first[("406", "3D(2a)", 2020, "Total")]["outcome"] == ("available", 37.6)
    assert csv_first[("WM", "3D(2a)", 2020, "Total")]["numerator"] == ("available", 11911)


def test_the_workbook_and_the_extract_give_the_same_values_in_either_order(tmp_path):
    keys = [("WM", "3C(2)", 2018, "Total"), ("NW", "3C(2)", 2018, "Total")]
    workbook = write_xlsx(
        tmp_path / "ascof_timeseries_copy.xlsx",
        {
            "Table_3c(2)": [
                *sheet_head("Table_3c(2)"),
                sheet_row("Table_3c(2)", "WM"),
                sheet_row("Table_3c(2)", "NW"),
            ]
        },
    )
    extract = write_csv(
        tmp_path / "ascof_outcomes_total_rows.csv",
        extract_rows("2018-19", "3D2", {"West Midlands", "North West"}),
    )

    workbook_first = import_in_order([workbook, extract], keys)
    extract_first = import_in_order([extract, workbook], keys)

    assert workbook_first == extract_first
    # The shipped erratum's corrections, whichever file came first.
    assert workbook_first[("WM", "3C(2)", 2018, "Total")]["outcome"] == ("available", 57.6)
    assert workbook_first[("WM", "3C(2)", 2018, "Total")]["base"] == ("available", 2920)
    assert workbook_first[("NW", "3C(2)", 2018, "Total")]["outcome"] == ("available", 61.7)


def test_a_yearly_csv_that_adds_a_numerator_cannot_overturn_the_workbook_by_a_second_import(
    tmp_path,
):
    header = official_rows(set(), set())[0]
    description = "The proportion of carers who find it easy to find information about support"
    region = ["WM", "West Midlands", "Region", "E12000005", "3D2", "Total"]
    # The 2021-22 yearly CSV is not shipped: this one carries an outcome other than the
    # workbook's 54.8 and a numerator the workbook does not have (both made up).
    rows = [
        header,
        [*region, "Outcome", "50.1", "3D2", description],
        [*region, "Numerator", "2755", "3D2", description],
    ]
    path = write_csv(tmp_path / "ascof_2021-22_open_data.csv", rows)

    first, second = import_ascof(path), import_ascof(path)

    assert "kept: West Midlands 3C(2) 2021-22 Total outcome: 50.1 at " in first
    assert "No changes" in second
    assert stored("WM", "3C(2)", 2021).outcome == 54.8


def test_a_revised_yearly_csv_revises_a_numerator_that_only_the_yearly_csv_gives(tmp_path):
    rows = official_rows({"219"}, {"1A"})
    set_value(rows, "219", "1A", "Numerator", "39000")
    path = write_csv(tmp_path / "ascof_2020-21_revised.csv", rows)

    output = import_ascof(path)

    assert "  revised: York 1A 2020-21 Total numerator: 38900 -> 39000" in output
    assert stored("219", "1A", 2020).numerator == 39000


# Quality flags ---------------------------------------------------------------------------


def safeguarding_workbook(path: Path, birmingham_2024_25: tuple[float, float]) -> Path:
    """A workbook copy with Birmingham's 4B (a percentage) and 2C (a rate) rows, its 2024-25
    4B numerator and outcome replaced."""
    safeguarding = sheet_row("Table_4b", 406)
    safeguarding[6], safeguarding[8] = birmingham_2024_25
    return write_xlsx(
        path,
        {
            "Table_4b": [*sheet_head("Table_4b"), safeguarding],
            "Table_2c": [*sheet_head("Table_2c"), sheet_row("Table_2c", 406)],
        },
    )


def test_a_percentage_outcome_above_100_is_imported_and_flagged_and_a_rate_is_not(tmp_path):
    # Birmingham's 2024-25 denominator is 425.
    path = safeguarding_workbook(tmp_path / "ascof_timeseries_copy.xlsx", (443.0, 104.2))
    values_at(("406", "4B", 2024, "Total"), ("406", "2C", 2024, "Total")).delete()

    output = import_ascof(path)

    safeguarding = stored("406", "4B", 2024)
    assert (safeguarding.outcome, safeguarding.quality_flag) == (104.2, FLAG)
    row = len(sheet_head("Table_4b")) + 1
    assert f"  flagged: {path.name}, sheet Table_4b, row {row}: {FLAG}" in output
    admissions = stored("406", "2C", 2024)
    assert admissions.outcome > 100
    assert admissions.quality_flag == ""


def test_an_outcome_revised_above_100_is_reported_as_flagged(tmp_path):
    path = safeguarding_workbook(tmp_path / "ascof_timeseries_copy.xlsx", (443.0, 104.2))
    output = import_ascof(path)
    assert stored("406", "4B", 2024).quality_flag == FLAG
    assert "  flagged: " in output


def test_an_outcome_corrected_to_100_or_less_loses_its_flag(tmp_path):
    import_ascof(safeguarding_workbook(tmp_path / "flagged.xlsx", (443.0, 104.2)))
    import_ascof(safeguarding_workbook(tmp_path / "corrected.xlsx", (340.0, 80.0)))
    corrected = stored("406", "4B", 2024)
    assert corrected.outcome == 80
    assert corrected.quality_flag == ""


def test_an_outcome_above_100_that_is_kept_out_flags_nothing(tmp_path):
    header = next(csv.reader(io.StringIO(CSV_2024_25.read_text(encoding="utf-8-sig"))))
    region = ["WM", "West Midlands", "Regional", "E12000005", "1D", "Total"]
    # A 2024-25 CSV whose satisfaction outcome disagrees with the workbook's 66.8, and that adds
    # a numerator the workbook does not give (both made up).
    rows = [header, [*region, "Outcome", "104"], [*region, "Numerator", "5000"]]
    path = write_csv(tmp_path / "ascof_2024-25_revised.csv", rows)

    output = import_ascof(path)

    satisfaction = stored("WM", "1D", 2024)
    assert "  kept: " in output
    assert (satisfaction.outcome, satisfaction.quality_flag) == (66.8, "")
    assert "  flagged: " not in output


# Refusing ----------------------------------------------------------------------------------


def test_a_copy_of_the_2020_21_csv_with_one_bad_row_writes_nothing_and_names_the_row(tmp_path):
    rows = [list(row) for row in _read_gzipped_csv(OPEN_DATA_2020_21)]
    set_value(rows, "406", "1C2A", "Outcome", "38.0")  # a good revision among 48,969 good rows
    bad_row = set_value(rows, "WM", "1C2A", "Outcome", "27.9%")
    path = write_csv(tmp_path / OPEN_DATA_2020_21.stem, rows)
    before = state(), ImportRun.objects.count()

    message = import_fails(path)

    assert message.startswith("1 problem(s); nothing was imported:")
    assert (
        f"ascof_2020-21_official_open_data.csv, row {bad_row}, column 'Measure Value': '27.9%' "
        "is text where a number belongs"
    ) in message
    assert (state(), ImportRun.objects.count()) == before
    assert stored("406", "3D(2a)", 2020).outcome == 37.6


def test_one_bad_file_stops_every_file_of_the_same_import(tmp_path):
    good = official_rows({"406"}, {"1C2A"})
    set_value(good, "406", "1C2A", "Outcome", "38.0")
    bad = official_rows({"WM"}, {"1C2A"})
    bad_row = set_value(bad, "WM", "1C2A", "Numerator", "eleven thousand")
    before = state(), ImportRun.objects.count()

    message = import_fails(
        write_csv(tmp_path / "ascof_2020-21_good.csv", good),
        write_csv(tmp_path / "ascof_2020-21_bad.csv", bad),
    )

    assert (
        f"ascof_2020-21_bad.csv, row {bad_row}, column 'Measure Value': 'eleven thousand' is "
        "text where a number belongs"
    ) in message
    assert (state(), ImportRun.objects.count()) == before
    assert stored("406", "3D(2a)", 2020).outcome == 37.6


def test_text_in_a_workbook_cell_is_an_error_naming_its_sheet_row_and_column(tmp_path):
    head = sheet_head("Table_4b")
    birmingham = sheet_row("Table_4b", 406)
    birmingham[8] = "80.0%"  # 2024 to 2025 - outcome, column I
    path = write_xlsx(tmp_path / "ascof_timeseries_copy.xlsx", {"Table_4b": [*head, birmingham]})

    message = import_fails(path)

    assert (
        f"{path.name}, sheet Table_4b, row {len(head) + 1}, column I: '80.0%' is text where a "
        "number belongs"
    ) in message


def test_an_unknown_council_code_is_an_error_naming_the_row(tmp_path):
    rows = official_rows({"406"}, {"1C2A"})
    for row in rows[1:]:
        row[:4] = ["999", "Nowhere", "Council", "E08999999"]
    path = write_csv(tmp_path / "ascof_2020-21_unknown_council.csv", rows)

    message = import_fails(path)

    assert f"{path.name}, row 2: unknown council code '999' (Nowhere)" in message


def test_a_council_the_extract_names_by_an_unknown_ons_code_is_an_error_naming_the_row(tmp_path):
    rows = extract_rows("2020-21", "1C2A", {"Birmingham"})
    rows[1][2] = "E08999999"
    path = write_csv(tmp_path / "ascof_outcomes_total_copy.csv", rows)

    message = import_fails(path)

    assert (
        f"{path.name}, row 2: unknown council: no council had ONS code 'E08999999' in 2020-21"
    ) in message


def test_unknown_measure_codes_for_the_year_are_listed_in_one_error(tmp_path):
    rows = official_rows({"406", "WM"}, {"1C2A"})
    for row in rows[1:]:
        # Delayed transfers (2C1) ended in 2019-20; 9Z never existed.
        row[4] = row[8] = "2C1" if row[0] == "406" else "9Z"
    path = write_csv(tmp_path / "ascof_2020-21_unknown_measures.csv", rows)

    message = import_fails(path)

    assert message.startswith("1 problem(s); nothing was imported:")
    error = message.splitlines()[1]
    assert error.startswith(f"{path.name}: unknown measure code(s) for the year: ")
    assert f"2C1 in 2020-21 (1 rows, first at {path.name}, row 2)" in error
    assert f"9Z in 2020-21 (1 rows, first at {path.name}, row 5)" in error


def test_a_yearly_csv_whose_name_has_no_year_needs_year(tmp_path):
    path = write_csv(tmp_path / "direct_payments.csv", official_rows({"WM"}, {"1C2A"}))

    message = import_fails(path)
    output = import_ascof(path, year="2020-21")

    assert "direct_payments.csv: this layout has no year column; name the year with --year" in (
        message
    )
    assert "direct_payments.csv (open_data_csv): 0 created, 0 updated, 1 unchanged" in output
