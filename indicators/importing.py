"""Import of the official ASCOF publications, in all their layouts.

Reading turns any layout into `Record`s: one published (area, measure, period,
disaggregation) with the fields the file carries, each with its availability. Validation
resolves every record's area and measure (by the code the publication used that year) and
collects every problem with its file, row and column. Only when every row of every file is
valid does anything get written, in one transaction.

Merging is field by field. A field a file does not carry never erases a stored one;
identical values are unchanged; a differing value is updated and audited (`ValueChange`) with
its new source, unless the stored field came from a more authoritative layout (the official
workbook outranks the official yearly CSVs, which outrank third-party extracts; each field
remembers the layout that gave it, `Value.sources`), so the order of imports never changes the
result. A field an erratum corrects (`indicators.errata`) takes the corrected figure from every
file; a file giving a figure that is neither the published one the erratum records nor the
correction flags the erratum for review.
"""

import codecs
import csv
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from django.db import models, transaction
from django.utils import timezone

from councils.models import Area, AreaKind

from . import errata, validation
from .catalogue import REFERENCE_DIR
from .models import (
    TOTAL,
    Availability,
    Erratum,
    ImportRun,
    Indicator,
    IndicatorCode,
    Period,
    TableNote,
    Value,
    ValueChange,
    normalise_code,
    period_being_collected,
)
from .periods import fiscal_year_from_end, format_period, parse_period

# Which layout wins when two files disagree on a value.
PRECEDENCE = {
    "workbook": 3,
    "open_data_csv": 2,
    "csv_2024_25": 2,
    "regions_num_den": 1,
    "outcome_extract": 1,
}
MARKERS = {
    "[c]": Availability.SUPPRESSED,
    "c": Availability.SUPPRESSED,
    "[x]": Availability.NOT_AVAILABLE,
    "x": Availability.NOT_AVAILABLE,
    ":": Availability.NOT_AVAILABLE,
    "": Availability.NOT_AVAILABLE,
    "[z]": Availability.NOT_APPLICABLE,
    "z": Availability.NOT_APPLICABLE,
}
MEASURE_TYPES = {
    "outcome": "outcome",
    "numerator": "numerator",
    "denominator": "denominator",
    "base": "base",
    "number of respondents": "base",
    "margin of error": "margin_of_error",
}
LEVELS = {
    "council": AreaKind.COUNCIL,
    "local authority": AreaKind.COUNCIL,
    "region": AreaKind.REGION,
    "regional": AreaKind.REGION,
    "council type": AreaKind.COUNCIL_TYPE,
    "england": AreaKind.ENGLAND,
    "national": AreaKind.ENGLAND,
}
COUNCIL_TYPE_NAMES = {
    "shire counties": "S",
    "shire county": "S",
    "unitary authority": "U",
    "unitary authorities": "U",
    "metropolitan district": "M",
    "metropolitan districts": "M",
    "inner london": "I",
    "outer london": "O",
    "district": "D",
    "districts": "D",
}
# Rows the publications carry that are not areas of ours: reported as skipped, not errors.
SKIPPED_AREAS = {
    (AreaKind.COUNCIL_TYPE, "D"): "District council-type row (always [z])",
    (AreaKind.COUNCIL, "[z]"): "Cornwall and Isles of Scilly row (6A, [z]-coded)",
}
DISAGGREGATION_SUFFIXES = ("1864", "65OV", "64U", "6584", "85OV", "6574", "7584", "F", "M")
DISAGGREGATIONS_CSV = REFERENCE_DIR / "disaggregations.csv"
SPREADSHEET_SUFFIXES = (".ods", ".xlsx", ".xlsm", ".xls")
# Numbers are written with the digits 0 to 9 only (re.ASCII: \d would match ٣ or ３).
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$", re.ASCII)
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$", re.ASCII)
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$", re.ASCII)
# 2016-17 carers' survey cells: the official score, then the score on the old population
# (or a marker where there was none).
_BRACKETED = re.compile(
    r"^(-?[\d,]+(?:\.\d+)?)\s*\(\s*(?:-?[\d,]+(?:\.\d+)?|:|\[[a-z]\])\s*\)$", re.ASCII
)
_YEAR_IN_NAME = re.compile(r"(20\d\d)[-_](\d\d)(?!\d)", re.ASCII)
_WORKBOOK_COLUMN = re.compile(r"^(\d{4}) to (\d{4}) - (.+)$", re.ASCII)
_FISCAL_YEAR = re.compile(r"^\d{4}$", re.ASCII)
# Byte-order marks, UTF-32's before UTF-16's (UTF-32's little-endian mark begins with it).
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
]
_XLSX = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XLSX_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODS_VALUES = ("value", "date-value", "time-value", "boolean-value", "string-value")


class ImportFailed(Exception):
    """Nothing was written. `errors` lists every problem found, with where it is."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = "\n".join(errors[:50])
        more = f"\n… and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} problem(s); nothing was imported:\n{shown}{more}")


class Unreadable(Exception):
    """A file that cannot be read at all; the message says why, to the person importing it."""


@dataclass
class Record:
    """One published (area, measure, period, disaggregation) as a file gives it."""

    where: str  # "file.csv, row 12" or "file.ods, sheet Table_1a, row 9"
    level: str
    code: str  # the area's published code (CASSR, region, type, "England"); may be blank
    ons_code: str
    name: str
    measure: str
    year: int
    disaggregation: str = TOTAL
    fields: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    by_current_code: bool = False  # the workbook names sheets by today's codes for every year
    # Where each field, the year and the disaggregation were read: "file.csv, row 12, column
    # 'Measure Value'", so that a problem found later names its cell.
    at: dict[str, str] = field(default_factory=dict)


class Records(list):
    """The records read from one file, and what became of each sheet of a spreadsheet: the
    sheets read, and the sheets skipped with the reason, for the report."""

    def __init__(self):
        super().__init__()
        self.sheets_read: list[str] = []
        self.sheets_skipped: list[str] = []
        # The workbook's written definition of each measure, by its sheet's code ("" if none).
        self.definitions: dict[str, str] = {}
        # The notes each table lists, by its sheet's code: ([(number, where)], first, last year).
        self.table_notes: dict[str, tuple[list[tuple[int, str]], int, int]] = {}
        # The texts of the workbook's Notes sheet, by note number.
        self.note_texts: dict[int, str] = {}


@dataclass
class FileReport:
    path: str
    layout: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    by_period: dict = field(default_factory=lambda: defaultdict(Counter))
    revisions: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)
    sheets_skipped: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    without_definition: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes_without_text: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def lines(self) -> list[str]:
        lines = [
            f"{self.path} ({self.layout}): {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
            + (f", {sum(self.skipped.values())} rows skipped" if self.skipped else "")
        ]
        for period, counts in sorted(self.by_period.items()):
            if counts["created"] or counts["updated"]:
                lines.append(
                    f"  {period}: {counts['created']} created, {counts['updated']} updated, "
                    f"{counts['unchanged']} unchanged"
                )
        lines += [f"  skipped {n}: {reason}" for reason, n in sorted(self.skipped.items())]
        if self.sheets_read:
            lines.append(f"  sheets read: {', '.join(self.sheets_read)}")
        lines += [f"  sheet skipped: {line}" for line in self.sheets_skipped]
        if self.definitions:
            lines.append(f"  definitions updated: {', '.join(self.definitions)}")
        lines += [
            f"  no written definition: {code} (its table has no header rows)"
            for code in self.without_definition
        ]
        if self.notes:
            lines.append(f"  publisher's notes updated: {', '.join(self.notes)}")
        lines += [f"  note without text: {line}" for line in self.notes_without_text]
        lines += [f"  revised: {line}" for line in self.revisions[:20]]
        if len(self.revisions) > 20:
            lines.append(f"  … and {len(self.revisions) - 20} more revised values")
        lines += [f"  kept: {line}" for line in self.kept[:20]]
        lines += [f"  flagged: {line}" for line in self.flagged[:20]]
        lines += [f"  erratum to review: {line}" for line in self.reviews]
        return lines


# Reading ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A header or label reduced to its letters and digits: "Margin Of Error" -> "marginoferror"."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _label(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def parse_cell(raw, where: str, errors: list[str]) -> tuple[str, float | None]:
    """A published cell as (availability, number). Anything but a marker or a number written
    with the digits 0 to 9, a decimal point and thousands commas (in threes) is an error."""
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int | float):
        return Availability.AVAILABLE, round(float(raw), 6)
    text = str(raw).strip()
    if text.lower() in MARKERS:
        return MARKERS[text.lower()], None
    number = text
    if not _NUMBER.match(number):
        match = _BRACKETED.match(text)
        number = match.group(1) if match else text
        if _THOUSANDS.match(number):
            number = number.replace(",", "")
    if _NUMBER.match(number):
        return Availability.AVAILABLE, round(float(number), 6)
    errors.append(f"{where}: {_shorten(text)!r} {_not_a_number(text)}")
    return Availability.NOT_AVAILABLE, None


def _not_a_number(text: str) -> str:
    if any(char.isdigit() and not char.isascii() for char in text):
        return "has digits other than 0 to 9: write numbers with the digits 0 to 9"
    if _DECIMAL_COMMA.match(text):
        return "has a decimal comma: write decimals with a point (36.6), not a comma"
    return "is text where a number belongs"


def _shorten(text: str, length: int = 40) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def normalise_disaggregation(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).strip())
    if not text or text.lower() == "total":
        return TOTAL
    text = re.sub(r"(\d+) to (\d+)", r"\1-\2", text)
    return text[0].upper() + text[1:]


def reference_disaggregations() -> set[str]:
    """The disaggregations a value may have: data/reference/disaggregations.csv, one label a
    row, built from the labels the published files use. A new label is a new row."""
    with open(DISAGGREGATIONS_CSV, newline="", encoding="utf-8") as file:
        return {normalise_disaggregation(row["label"]) for row in csv.DictReader(file)}


def _area_code(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, float):
        return repr(raw)
    return str(raw).strip()


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed if its name ends .gz."""
    if path.is_dir():
        raise Unreadable("is a folder, not a file: name the files in it")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror})") from error
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise Unreadable(
                f"is not a whole gzip file ({error}): it may be truncated or corrupt; "
                "download it again"
            ) from error
    if not data or data.isspace():
        raise Unreadable("is empty")
    return data


def _decode(data: bytes) -> str:
    """CSV text in any encoding the files come in: UTF-8, UTF-16 or UTF-32 with a byte-order
    mark, UTF-16 without one (Excel's "Unicode text"), or Windows-1252 (older official files)."""
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            return _decoded(data, encoding, name)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise Unreadable("is a spreadsheet, not CSV text: name it .xlsx or .ods, as it is")
    if data.startswith(b"\x1f\x8b"):
        raise Unreadable("is compressed (gzip), not CSV text: name it .csv.gz")
    sample = data[:4096]
    if b"\x00" in sample:
        # UTF-16 without a byte-order mark: one byte of every two is zero in plain text.
        zeros_odd, zeros_even = sample[1::2].count(0), sample[0::2].count(0)
        if zeros_odd > len(sample) // 4 and not zeros_even:
            return _decoded(data, "utf-16-le", "UTF-16")
        if zeros_even > len(sample) // 4 and not zeros_odd:
            return _decoded(data, "utf-16-be", "UTF-16")
        raise Unreadable("is not a text file (it holds binary data): export the table as CSV")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decoded(data, "cp1252", "UTF-8 or Windows-1252")


def _decoded(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise Unreadable(
            f"is not {name} text (byte 0x{data[error.start]:02x} at position {error.start}): "
            "save it as CSV UTF-8"
        ) from error


def _csv_rows(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as error:
        raise Unreadable(f"line {reader.line_num} cannot be read as CSV ({error})") from error


def _spreadsheet(data: bytes) -> list[tuple[str, list[list]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            (sheet, workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False))
            for sheet in workbook.sheet_names
        ]
    except CalamineError as error:
        raise Unreadable(
            f"cannot be read as a spreadsheet ({error}): it may be truncated or corrupt, or "
            "not the kind of file its name says; save or download it again"
        ) from error


def _formulas_without_values(data: bytes, name: str) -> Iterator[tuple[str, int, str, str]]:
    """(sheet, row, column, formula) of each formula cell saved without its result, which a
    reader sees as blank: files written by programs that calculate nothing."""
    if not name.endswith((".ods", ".xlsx", ".xlsm")):
        return  # an .xls keeps no formula without its result
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if name.endswith(".ods"):
                yield from _ods_formulas(archive.read("content.xml"))
            else:
                yield from _xlsx_formulas(archive)
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error, ElementTree.ParseError) as error:
        raise Unreadable(f"cannot be read as a spreadsheet ({error}): save it again") from error


def _xlsx_formulas(archive: zipfile.ZipFile) -> Iterator[tuple[str, int, str, str]]:
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    for sheet in workbook.iter(f"{_XLSX}sheet"):
        target = targets.get(sheet.get(f"{_XLSX_REL}id"), "")
        xml = archive.read(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
        if not re.search(rb"<(?:\w+:)?f[\s>/]", xml):
            continue
        for cell in ElementTree.fromstring(xml).iter(f"{_XLSX}c"):
            formula, value = cell.find(f"{_XLSX}f"), cell.find(f"{_XLSX}v")
            if formula is None or (value is not None and (value.text or "").strip()):
                continue
            column, row = re.match(r"([A-Z]*)(\d*)", cell.get("r", "")).groups()
            yield sheet.get("name"), int(row or 0), column, f"={formula.text or ''}"


def _ods_formulas(content: bytes) -> Iterator[tuple[str, int, str, str]]:
    if b"table:formula" not in content:
        return
    for table in ElementTree.fromstring(content).iter(f"{_ODS_TABLE}table"):
        row_number = 0
        for row in table.iter(f"{_ODS_TABLE}table-row"):
            column = 0
            for cell in row:
                formula = cell.get(f"{_ODS_TABLE}formula")
                saved = any(cell.get(f"{_ODS_OFFICE}{kind}") is not None for kind in _ODS_VALUES)
                if formula and not saved and not "".join(cell.itertext()).strip():
                    yield (
                        table.get(f"{_ODS_TABLE}name"),
                        row_number + 1,
                        _column_letter(column),
                        "=" + formula.removeprefix("of:").lstrip("="),
                    )
                column += int(cell.get(f"{_ODS_TABLE}number-columns-repeated", 1))
            row_number += int(row.get(f"{_ODS_TABLE}number-rows-repeated", 1))


def _tables(path: Path) -> tuple[list[tuple[str, list[list]]], list[tuple[str, int, str, str]]]:
    """Every sheet of a spreadsheet, or the one table of a CSV, as (sheet name, rows); and a
    spreadsheet's formula cells saved without their result. Raises Unreadable when the file
    cannot be read at all."""
    data = _read_bytes(path)
    name = path.name.lower().removesuffix(".gz")
    if not name.endswith(SPREADSHEET_SUFFIXES):
        return [("", _csv_rows(_decode(data)))], []
    return _spreadsheet(data), list(_formulas_without_values(data, name))


def _year_from_name(path: Path) -> int | None:
    match = _YEAR_IN_NAME.search(path.name)
    return int(match.group(1)) if match else None


def detect_layout(header: list[str]) -> str | None:
    """The layout whose headers these are, from the columns that tell the layouts apart; a
    missing column is then named by the layout's reader."""
    keys = {_key(h) for h in header}
    if "fiscalyear" in keys or ("outcome" in keys and "measurevalue" not in keys):
        return "regions_num_den"
    if "year" in keys and keys & {"measurevalue", "measuregroup", "onscode"}:
        return "outcome_extract"
    if len(keys & {"geographicalcode", "ascofmeasurecode", "measuretype", "measurevalue"}) >= 2:
        return "open_data_csv" if "measuregroup" in keys else "csv_2024_25"
    return None


def read_file(path: Path, year: int | None, errors: list[str]) -> tuple[str, Records]:
    """Read any supported layout into records; problems go to `errors`. Every sheet of a
    spreadsheet is read or skipped with a reason (the records' `sheets_read` and
    `sheets_skipped`)."""
    records = Records()
    try:
        tables, formulas = _tables(path)
    except Unreadable as problem:
        errors.append(f"{path.name}: {problem}")
        return "unknown", records
    if any(sheet.startswith("Table_") for sheet, _ in tables):
        layout = "workbook"
        _read_workbook(path, tables, records, errors)
    else:
        layout = _read_tables(path, tables, year, records, errors)
    for sheet, row, column, formula in formulas:
        if sheet in records.sheets_read:  # read as blank, the cell would erase a stored figure
            errors.append(
                f"{path.name}, sheet {sheet}, row {row}, column {column}: the formula "
                f"{_shorten(formula)!r} was saved without its result: open the file in a "
                "spreadsheet program and save it again, or paste the figures as values"
            )
    return layout, records


def _read_tables(path: Path, tables, year: int | None, records: Records, errors) -> str:
    """A CSV, or a spreadsheet copy of one: its one data table, in any of the CSV layouts. A
    second data sheet is an error. Returns the layout."""
    layout, first_sheet = None, ""
    for sheet, rows in tables:
        where = f"{path.name}, sheet {sheet}" if sheet else path.name
        if sheet:  # a spreadsheet copy of a CSV holds numbers where the CSV has text (406)
            rows = [[_area_code(cell) for cell in row] for row in rows]
        found = detect_layout(rows[0]) if rows else None
        if found is None:
            if sheet:
                records.sheets_skipped.append(
                    f"{sheet} (no ASCOF headers in its first row)"
                    if any(_filled(row) for row in rows)
                    else f"{sheet} (empty)"
                )
            continue
        if layout is not None:
            errors.append(
                f"{where}: a second data sheet (the data was read from sheet {first_sheet}): "
                "a file holds one table; save each sheet as a file of its own"
            )
            continue
        layout, first_sheet = found, sheet
        if sheet:
            records.sheets_read.append(sheet)
        if not any(_filled(row) for row in rows[1:]):
            errors.append(f"{where}: holds the headers but no data rows")
        elif layout in ("open_data_csv", "csv_2024_25"):
            year_at = f"{where}, the year named by " + ("--year" if year else "the file name")
            year = year or _year_from_name(path)
            if year is None:
                errors.append(
                    f"{path.name}: this layout has no year column; name the year with --year "
                    "(e.g. --year 2020-21) or put it in the file name"
                )
                continue
            records += _read_long_csv(where, rows, year, year_at, errors)
        elif layout == "outcome_extract":
            records += _read_extract(where, rows, errors)
        else:
            records += _read_regions(where, rows, errors)
    if layout is None:
        errors.append(f"{path.name}: {_not_a_layout(tables)}")
        return "unknown"
    return layout


def _not_a_layout(tables: list[tuple[str, list[list]]]) -> str:
    sheets = [sheet for sheet, _ in tables if sheet]
    if sheets:
        return (
            f"no sheet holds an ASCOF table (sheets: {', '.join(sheets)}): the time-series "
            "workbook's sheets are named Table_<measure>, and a copy of a CSV has its headers "
            "in the first row"
        )
    first = tables[0][1][0] if tables[0][1] else []
    separator = next((s for s in (";", "\t", "|") if len(first) == 1 and s in first[0]), None)
    message = (
        "not an ASCOF layout this importer knows: the first row should hold headers such as "
        "'Geographical Code', 'Measure Type', 'Measure Value'"
    )
    if separator:
        message += f" (its first row is separated by {separator!r}: save it with commas)"
    return message


def _filled(row: Iterable) -> bool:
    return any(str(cell).strip() for cell in row)


def _width_problem(row: list[str], width: int) -> str:
    """A row shorter than the header, or with cells beyond it: its columns cannot be trusted."""
    if len(row) == width:
        return ""
    if len(row) < width:
        return f"{len(row)} columns where the header has {width}"
    if any(cell.strip() for cell in row[width:]):
        return f"{len(row)} columns where the header has {width} (a comma not inside quotes?)"
    return ""


def _columns(header: list[str], where: str, wanted: dict[str, tuple[str, ...]], errors):
    """Our names for the columns by their index, matching headers liberally, and by their
    header as the file spells it ("column 'Measure Value'"). `wanted` gives each column its
    published name, then the keys its header may have; a name starting "?" is optional.
    Returns None, with an error naming every missing or repeated column, if any is."""
    keys = [_key(h) for h in header]
    index, named, problems = {}, {}, []
    for ours, (published, *candidates) in wanted.items():
        found = [i for i, key in enumerate(keys) if key in candidates]
        if len(found) > 1:
            letters = " and ".join(_column_letter(i) for i in found)
            problems.append(f"'{published}' appears in more than one column ({letters})")
        elif not found and not ours.startswith("?"):
            problems.append(f"no '{published}' column")
        name = ours.lstrip("?")
        index[name] = found[0] if found else None
        named[name] = f"column '{header[found[0]]}'" if found else ""
    if problems:
        errors.append(f"{where}, row 1 (the headers): {'; '.join(problems)}")
        return None
    return index, named


def _read_long_csv(where: str, rows: list[list], year: int, year_at: str, errors) -> list[Record]:
    """The official open-data CSV: one row per area, measure, disaggregation and measure type.
    Rows that make up one value are gathered by (area, measure, disaggregation)."""
    header = rows[0]
    columns = _columns(
        header,
        where,
        {
            "code": ("Geographical Code", "geographicalcode"),
            "?name": ("Geographical Description", "geographicaldescription"),
            "level": ("Geographical Level", "geographicallevel"),
            "?ons": ("ONS Code", "onscode", "onsareacode"),
            "measure_code": ("ASCOF Measure Code", "ascofmeasurecode"),
            "disaggregation": ("Disaggregation Level", "disaggregationlevel"),
            "type": ("Measure Type", "measuretype"),
            "value": ("Measure Value", "measurevalue"),
            "?group": ("Measure Group", "measuregroup"),
        },
        errors,
    )
    if columns is None:
        return []
    cols, named = columns
    records: dict[tuple, Record] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        problem = _width_problem(row, len(header))
        if problem:
            errors.append(f"{at}: {problem}")
            continue
        level = _level(row[cols["level"]], at, named["level"], errors)
        if level is None:
            continue
        disaggregation = normalise_disaggregation(row[cols["disaggregation"]])
        measure = row[cols["group"]] if cols["group"] is not None else ""
        if not measure.strip():
            measure = _strip_disaggregation(row[cols["measure_code"]], disaggregation)
        measure_type = MEASURE_TYPES.get(_label(row[cols["type"]]))
        if measure_type is None:
            errors.append(
                f"{at}, {named['type']}: unknown measure type {_shorten(row[cols['type']])!r}"
            )
            continue
        code = row[cols["code"]].strip()
        key = (level, code, normalise_code(measure), disaggregation)
        record = records.get(key)
        if record is None:
            record = records[key] = Record(
                where=at,
                level=level,
                code=code,
                ons_code=row[cols["ons"]].strip() if cols["ons"] is not None else "",
                name=row[cols["name"]].strip() if cols["name"] is not None else code,
                measure=measure.strip(),
                year=year,
                disaggregation=disaggregation,
                at={"year": year_at, "disaggregation": f"{at}, {named['disaggregation']}"},
            )
        value_at = f"{at}, {named['value']}"
        cell = parse_cell(row[cols["value"]], value_at, errors)
        earlier = record.fields.get(measure_type)
        if earlier is None:
            record.fields[measure_type] = cell
            record.at[measure_type] = value_at
        elif earlier != cell:
            errors.append(_contradiction(measure_type, value_at, cell, record))
    return list(records.values())


def _level(text: str, at: str, column: str, errors: list[str]) -> str | None:
    level = LEVELS.get(_label(text))
    if level is None:
        errors.append(f"{at}, {column}: unknown geographical level {_shorten(text)!r}")
    return level


def _strip_disaggregation(code: str, disaggregation: str) -> str:
    code = code.strip()
    if disaggregation != TOTAL:
        for suffix in DISAGGREGATION_SUFFIXES:
            if code.upper().endswith(suffix) and len(code) > len(suffix) + 1:
                return code[: -len(suffix)]
    return code


def _read_extract(where: str, rows: list[list], errors) -> list[Record]:
    """The multi-year outcome extract: outcomes only, councils by the ONS code of the year."""
    header = rows[0]
    columns = _columns(
        header,
        where,
        {
            "year": ("Year", "year"),
            "name": ("Geographical Description", "geographicaldescription"),
            "ons": ("ONS Code", "onscode"),
            "group": ("Measure Group", "measuregroup"),
            "value": ("Measure_Value", "measurevalue"),
            "level": ("Geographical Level", "geographicallevel"),
            "disaggregation": ("Disaggregation Level", "disaggregationlevel"),
            "type": ("Measure Type", "measuretype"),
        },
        errors,
    )
    if columns is None:
        return []
    cols, named = columns
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        problem = _width_problem(row, len(header))
        if problem:
            errors.append(f"{at}: {problem}")
            continue
        year_at = f"{at}, {named['year']}"
        year = _year(row[cols["year"]], year_at, errors)
        if year is None:
            continue
        level = _level(row[cols["level"]], at, named["level"], errors)
        if level is None:
            continue
        measure_type = _label(row[cols["type"]]) or "outcome"  # 2023-24 rows leave it blank
        if MEASURE_TYPES.get(measure_type) != "outcome":
            errors.append(f"{at}, {named['type']}: expected Outcome, found {measure_type!r}")
            continue
        ons = row[cols["ons"]].strip().strip("-").strip()
        name = row[cols["name"]].strip()
        code = ""
        if level == AreaKind.COUNCIL_TYPE:
            code = COUNCIL_TYPE_NAMES.get(_label(name), "")
        elif level == AreaKind.ENGLAND:
            code = "England"
        value_at = f"{at}, {named['value']}"
        records.append(
            Record(
                where=at,
                level=level,
                code=code,
                ons_code=ons,
                name=name,
                measure=row[cols["group"]].strip(),
                year=year,
                disaggregation=normalise_disaggregation(row[cols["disaggregation"]]),
                fields={"outcome": parse_cell(row[cols["value"]], value_at, errors)},
                at={
                    "year": year_at,
                    "disaggregation": f"{at}, {named['disaggregation']}",
                    "outcome": value_at,
                },
            )
        )
    return records


def _year(text: str, at: str, errors: list[str]) -> int | None:
    """The financial year a cell names ("2020-21"); a quarter is not a year of these files."""
    text = text.strip()
    if not text.isascii():
        errors.append(f"{at}: {_shorten(text)!r} has digits other than 0 to 9")
        return None
    try:
        year, quarter = parse_period(text)
    except ValueError as error:
        errors.append(f"{at}: {error}")
        return None
    if quarter:
        errors.append(f"{at}: {text!r} is a quarter; this layout holds financial years")
        return None
    return year


def _read_regions(where: str, rows: list[list], errors) -> list[Record]:
    """Regional numerators and denominators, one row per region and measure."""
    header = rows[0]
    fields = ("outcome", "numerator", "denominator", "base", "margin_of_error")
    columns = _columns(
        header,
        where,
        {
            "year": ("fiscal_year", "fiscalyear"),
            "code": ("geographical_code", "geographicalcode"),
            "name": ("geographical_description", "geographicaldescription"),
            "level": ("geographical_level", "geographicallevel"),
            "ons": ("ons_code", "onscode"),
            "group": ("measure_group", "measuregroup"),
            "disaggregation": ("disaggregation_level", "disaggregationlevel"),
            **{name: (name, _key(name)) for name in fields},
        },
        errors,
    )
    if columns is None:
        return []
    cols, named = columns
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        problem = _width_problem(row, len(header))
        if problem:
            errors.append(f"{at}: {problem}")
            continue
        year_at = f"{at}, {named['year']}"
        fiscal_year = row[cols["year"]].strip()
        if not _FISCAL_YEAR.match(fiscal_year):
            errors.append(f"{year_at}: {_shorten(fiscal_year)!r} is not a year such as 2023")
            continue
        level = _level(row[cols["level"]], at, named["level"], errors)
        if level is None:
            continue
        record = Record(
            where=at,
            level=level,
            code=row[cols["code"]].strip(),
            ons_code=row[cols["ons"]].strip(),
            name=row[cols["name"]].strip(),
            measure=row[cols["group"]].strip(),
            year=fiscal_year_from_end(int(fiscal_year)),
            disaggregation=normalise_disaggregation(row[cols["disaggregation"]]),
            at={"year": year_at, "disaggregation": f"{at}, {named['disaggregation']}"},
        )
        for name in fields:
            cell = row[cols[name]].strip()
            # This extract leaves a field blank where the measure has none (1F, 1H, surveys).
            if cell:
                record.at[name] = f"{at}, {named[name]}"
                record.fields[name] = parse_cell(cell, record.at[name], errors)
        records.append(record)
    return records


def _read_workbook(path: Path, tables, records: Records, errors) -> None:
    """The official time-series workbook: one sheet per current measure, named Table_<code>.
    Its other sheets (cover, contents, notes) are skipped; one holding a data table is an
    error, as is a workbook without a data row."""
    for sheet, rows in tables:
        where = f"{path.name}, sheet {sheet}"
        if _key(sheet) == "notes":
            records.note_texts = note_texts(rows)
        if sheet.startswith("Table_"):
            found = _read_workbook_sheet(where, sheet, rows, errors)
            header_at = _workbook_header(rows)
            if found and header_at is not None:
                records.definitions[found[0].measure] = sheet_definition(rows[:header_at])
                years = [record.year for record in found]
                records.table_notes[found[0].measure] = (
                    sheet_notes(where, rows[:header_at]),
                    min(years),
                    max(years),
                )
            if found:
                records += found
                records.sheets_read.append(sheet)
            else:
                records.sheets_skipped.append(f"{sheet} (no data rows)")
        elif _workbook_header(rows) is not None or (
            rows and detect_layout([_area_code(cell) for cell in rows[0]])
        ):
            errors.append(
                f"{where}: holds a data table, but a time-series workbook's data is read only "
                "from sheets named Table_<measure>: rename the sheet or save it as a file of "
                "its own"
            )
        else:
            records.sheets_skipped.append(f"{sheet} (not a data table)")
    if not records:
        errors.append(f"{path.name}: holds no data rows in any Table_ sheet")


def _workbook_header(rows: list[list]) -> int | None:
    return next(
        (
            i
            for i, row in enumerate(rows[:15])
            if row and _key(row[0]).startswith("localauthoritycode")
        ),
        None,
    )


_NOTE = re.compile(r"\s*\[note (\d+)\]", re.IGNORECASE)
_TABLE_TITLE = re.compile(r"^Table [^:]{1,12}:\s*")
# The header rows every table repeats, which define nothing.
_BOILERPLATE = ("This worksheet contains", "Cells marked")


def sheet_definition(header_rows: list[list]) -> str:
    """A measure's written definition from the rows above its table's header in the
    workbook: the title without "Table 1a:" and the "[note 1]" references, then what the
    numerator, denominator or respondents and the outcome refer to, a line each. "" when the
    table has no such rows."""
    lines = []
    for row in header_rows:
        text = re.sub(r"\s+", " ", _NOTE.sub("", " ".join(str(c) for c in row if str(c).strip())))
        text = text.strip()
        if not text or text.startswith(_BOILERPLATE):
            continue
        if not lines and _TABLE_TITLE.match(text):
            text = _TABLE_TITLE.sub("", text)
            text = text[:1].upper() + text[1:]
            text += "" if text.endswith(".") else "."
        lines.append(text)
    return "\n".join(lines)


def sheet_notes(where: str, header_rows: list[list]) -> list[tuple[int, str]]:
    """(number, where) of each note the rows above a table's header list ("[note 5]" in its
    title), in their order, each once."""
    notes = {}
    for number, row in enumerate(header_rows, start=1):
        for cell in row:
            for found in _NOTE.finditer(str(cell)):
                notes.setdefault(int(found.group(1)), f"{where}, row {number}")
    return list(notes.items())


def note_texts(rows: list[list]) -> dict[int, str]:
    """The workbook's Notes sheet as {number: text}: a row per note, "[note N]", its text and
    a link named in words ("Not applicable" where there is none), which ends the text.
    Paragraphs are kept, each on one line."""
    texts = {}
    for row in rows:
        cells = [str(cell).strip() for cell in row[:3]] + ["", ""]
        found = _NOTE.fullmatch(cells[0])
        if not found or not cells[1]:
            continue
        text = cells[1] if cells[2].lower() in ("", "not applicable") else f"{cells[1]} {cells[2]}"
        paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", text))
        texts[int(found.group(1))] = "\n\n".join(part for part in paragraphs if part)
    return texts


def _read_workbook_sheet(where: str, sheet: str, rows: list[list], errors) -> list[Record]:
    """One sheet of the workbook: one row per area, columns "<yyyy to yyyy> - <measure
    type>". 6B's rating columns are disaggregations."""
    measure = sheet.removeprefix("Table_").upper().replace("A)", "a)").replace("B)", "b)")
    header_at = _workbook_header(rows)
    if header_at is None:
        errors.append(f"{where}: no header row starting 'Local authority code'")
        return []
    header = rows[header_at]
    columns, seen = [], {}
    for index, heading in enumerate(header[3:], start=3):
        heading_at = f"{where}, row {header_at + 1}, column {_column_letter(index)}"
        match = _WORKBOOK_COLUMN.match(re.sub(r"\s+", " ", str(heading).strip()))
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            if str(heading).strip():
                errors.append(
                    f"{heading_at}: unexpected heading {_shorten(heading)!r} (expected "
                    "'<year> to <next year> - <measure type>', e.g. '2024 to 2025 - outcome')"
                )
            continue
        year, measure_type = int(match.group(1)), _label(match.group(3))
        disaggregation = TOTAL
        parts = measure_type.rsplit(" ", 1)
        if parts[-1] in ("numerator", "denominator", "outcome") and len(parts) == 2:
            # 6B: "good numerator", "6b outcome" (the measure's own total).
            rating = parts[0]
            disaggregation = TOTAL if _key(rating) == _key(measure) else rating.capitalize()
            measure_type = parts[1]
        if measure_type not in MEASURE_TYPES:
            errors.append(f"{heading_at}: unknown measure type {_shorten(measure_type)!r}")
            continue
        column = (year, disaggregation, MEASURE_TYPES[measure_type])
        if column in seen:
            errors.append(
                f"{heading_at}: the heading {_shorten(heading)!r} repeats column {seen[column]}'s"
            )
            continue
        seen[column] = _column_letter(index)
        columns.append((index, *column, heading_at))
    if not columns:
        errors.append(
            f"{where}, row {header_at + 1}: no columns headed '<year> to <next year> - <measure "
            "type>' (e.g. '2024 to 2025 - outcome')"
        )
        return []
    records = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not row or not str(row[0]).strip():
            continue
        row = [*row, *[""] * (len(header) - len(row))]
        code, name, ons = _area_code(row[0]), str(row[1]).strip(), str(row[2]).strip()
        level = _workbook_level(code)
        at = f"{where}, row {number}"
        by_column: dict[tuple, Record] = {}
        for index, year, disaggregation, measure_type, heading_at in columns:
            record = by_column.get((year, disaggregation))
            if record is None:
                record = by_column[(year, disaggregation)] = Record(
                    where=at,
                    level=level,
                    code=code,
                    ons_code=ons,
                    name=name,
                    measure=measure,
                    year=year,
                    disaggregation=disaggregation,
                    by_current_code=True,
                    at={"year": heading_at, "disaggregation": heading_at},
                )
            record.at[measure_type] = f"{at}, column {_column_letter(index)}"
            record.fields[measure_type] = parse_cell(row[index], record.at[measure_type], errors)
        records += by_column.values()
    return records


def _workbook_level(code: str) -> str:
    if code == "England":
        return AreaKind.ENGLAND
    if code in {"S", "U", "M", "I", "O", "D"}:
        return AreaKind.COUNCIL_TYPE
    if code in {"NE", "NW", "YH", "EM", "WM", "E", "L", "SE", "SW"}:
        return AreaKind.REGION
    return AreaKind.COUNCIL


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# Resolving -------------------------------------------------------------------------------


class Catalogue:
    """Areas and measure codes held in memory, so that resolving a row costs no query."""

    def __init__(self):
        self.areas: dict[tuple[str, str], int] = {}
        self.area_names: dict[int, str] = {}
        self.ons: dict[str, list[tuple[int, int | None, int | None]]] = defaultdict(list)
        for area in Area.objects.all():
            self.areas[(area.kind, area.code)] = area.pk
            self.area_names[area.pk] = area.name
            if area.kind != AreaKind.COUNCIL:
                if area.ons_code:
                    self.areas[(area.kind, area.ons_code)] = area.pk
                continue
            start = None
            for previous in sorted(area.previous_ons_codes, key=lambda p: p["until"]):
                self.ons[previous["code"]].append((area.pk, start, previous["until"]))
                start = previous["until"] + 1
            self.ons[area.ons_code].append((area.pk, start, None))
        self.codes: dict[str, list[tuple[int, int, int | None]]] = defaultdict(list)
        for code in IndicatorCode.objects.all():
            self.codes[code.normalised].append((code.indicator_id, code.first_year, code.last_year))
        self.indicators = {i.pk: i for i in Indicator.objects.all()}
        self.collecting = period_being_collected()
        self.disaggregations = reference_disaggregations()
        # What this run's files gave, by rank and value: two files of one rank must agree.
        self.given: dict[tuple, Record] = {}

    def area(self, record: Record) -> int | None:
        if record.level == AreaKind.COUNCIL and not record.code:
            for pk, start, until in self.ons.get(record.ons_code, []):
                if (start is None or record.year >= start) and (
                    until is None or record.year <= until
                ):
                    return pk
            return None
        pk = self.areas.get((record.level, record.code))
        if pk is None and record.ons_code:
            pk = self.areas.get((record.level, record.ons_code))
        return pk

    def indicator(self, measure: str, year: int) -> int | None:
        for pk, first, last in self.codes.get(normalise_code(measure), []):
            if first <= year and (last is None or year <= last):
                return pk
        return None

    def current_indicator(self, measure: str) -> int | None:
        """The workbook's sheets are named by the codes in use now, whatever the year."""
        spans = self.codes.get(normalise_code(measure), [])
        current = [pk for pk, _, last in spans if last is None]
        return current[0] if current else None


def _describe_area(record: Record) -> str:
    if record.level == AreaKind.COUNCIL and not record.code:
        return f"unknown council: no council had ONS code {record.ons_code!r} in " + format_period(
            record.year
        )
    return f"unknown {AreaKind(record.level).label.lower()} code {record.code!r} ({record.name})"


@dataclass
class Resolved:
    record: Record
    area_id: int
    indicator_id: int


def resolve(records: Records, catalogue: Catalogue, report: FileReport, errors):
    """Areas and indicators for every record; unknown measure codes are listed once. A
    disaggregation not in the reference list, or a year that cannot have data, is an error;
    so is a value that this file, or another file of the same rank, gives otherwise."""
    report.sheets_read, report.sheets_skipped = records.sheets_read, records.sheets_skipped
    unknown_codes: dict[tuple[str, int], list[str]] = defaultdict(list)
    merged: dict[tuple, Resolved] = {}
    years: dict[int, list[validation.Problem]] = {}
    for record in records:
        if record.disaggregation not in catalogue.disaggregations:
            errors.append(
                f"{record.at.get('disaggregation', record.where)}: unknown disaggregation "
                f"{_shorten(record.disaggregation)!r} (the known ones are listed in "
                "data/reference/disaggregations.csv)"
            )
            continue
        skip = SKIPPED_AREAS.get((record.level, record.code))
        if skip:
            report.skipped[skip] += 1
            continue
        if all(status == Availability.NOT_APPLICABLE for status, _ in record.fields.values()):
            report.skipped["not applicable in that year ([z] in every field)"] += 1
            continue
        if record.year not in years:  # once a year: "2031-32 is after the period being collected"
            years[record.year] = validation.check_period(record.year, None, catalogue.collecting)
            errors += [f"{record.at.get('year', record.where)}: {p}" for p in years[record.year]]
        if years[record.year]:
            continue
        area_id = catalogue.area(record)
        if area_id is None:
            errors.append(f"{record.where}: {_describe_area(record)}")
            continue
        if record.by_current_code:
            indicator_id = catalogue.current_indicator(record.measure)
        else:
            indicator_id = catalogue.indicator(record.measure, record.year)
        if indicator_id is None:
            unknown_codes[(record.measure, record.year)].append(record.where)
            continue
        key = (area_id, indicator_id, record.year, record.disaggregation)
        if key in merged:
            _merge_duplicate(merged[key].record, record, errors)
        else:
            merged[key] = Resolved(record, area_id, indicator_id)
    if unknown_codes:
        listed = "; ".join(
            f"{code} in {format_period(year)} ({len(rows)} rows, first at {rows[0]})"
            for (code, year), rows in sorted(unknown_codes.items(), key=lambda item: item[0][1])
        )
        errors.append(
            f"{report.path}: unknown measure code(s) for the year: {listed}. Add them to the "
            "indicator catalogue (IndicatorCode) before importing."
        )
    rank = PRECEDENCE.get(report.layout)
    for key, item in merged.items():
        earlier = catalogue.given.setdefault((rank, key), item.record)
        if earlier is not item.record:
            errors += [
                f"{line} (two files of the same rank disagree: import only the right one)"
                for line in _contradictions(earlier, item.record)
            ]
    resolved = list(merged.values())
    validate(resolved, catalogue, report, errors)
    return resolved


def validate(resolved: list[Resolved], catalogue: Catalogue, report: FileReport, errors) -> None:
    """The rules of `indicators.validation`, over every value of a file at once: impossible
    values are errors; implausible ones are official figures, so they are flagged."""
    by_kind = defaultdict(list)
    for item in resolved:
        by_kind[catalogue.indicators[item.indicator_id].kind].append(item)
    for kind, items in by_kind.items():
        fields = {
            name: [
                number if status == Availability.AVAILABLE else None
                for status, number in (item.record.fields.get(name, ("", None)) for item in items)
            ]
            for name in validation.NUMBER_FIELDS
        }
        for item, problems in zip(items, validation.check_numbers(kind, fields), strict=True):
            for problem in problems:
                line = f"{item.record.at.get(problem.field, item.record.where)}: {problem}"
                if problem.impossible:
                    errors.append(line)
                elif problem.field != "outcome":  # the outcome's flag is kept with the value
                    report.flagged.append(line)


def _merge_duplicate(kept: Record, extra: Record, errors) -> None:
    """One file giving one value twice (the 2024-25 workbook's legacy Dorset County row): what
    both give must agree, and a field only the second gives is added."""
    errors += _contradictions(kept, extra)
    for name, cell in extra.fields.items():
        if name not in kept.fields:
            kept.fields[name] = cell
            kept.at[name] = extra.at.get(name, extra.where)


def _contradictions(earlier: Record, record: Record) -> list[str]:
    """Each field two records of one value both give, and give differently."""
    return [
        _contradiction(name, record.at.get(name, record.where), cell, earlier)
        for name, cell in record.fields.items()
        if name in earlier.fields and earlier.fields[name] != cell
    ]


def _contradiction(name: str, at: str, cell: tuple, earlier: Record) -> str:
    label = validation.FIELD_LABELS.get(name, name)
    return (
        f"{at}: {label} {_shown(*cell)} contradicts {_shown(*earlier.fields[name])} at "
        f"{earlier.at.get(name, earlier.where)}"
    )


def _shown(status: str, number: float | None) -> str:
    return f"{number:g}" if status == Availability.AVAILABLE else Availability(status).label


# Writing ---------------------------------------------------------------------------------


def _fmt(status: str, number: float | None) -> str:
    if status == Availability.AVAILABLE:
        return f"{number:g}"
    return status or "(none)"


class Importer:
    """Import files in one transaction: `run()` validates every row of every file, then writes
    all or nothing, and returns one report per file."""

    def __init__(self, paths: list[Path], *, year: int | None = None, dry_run: bool = False):
        self.paths = [Path(p) for p in paths]
        self.year = year
        self.dry_run = dry_run

    def run(self) -> list[FileReport]:
        errors: list[str] = []
        catalogue = Catalogue()
        parsed = []
        for path in self.paths:
            if not path.exists():
                errors.append(f"{path}: no such file")
                continue
            file_errors: list[str] = []
            layout, records = read_file(path, self.year, file_errors)
            report = FileReport(path=path.name, layout=layout)
            resolved = resolve(records, catalogue, report, file_errors)
            errors += file_errors
            parsed.append((path, report, resolved, records))
        if errors:
            raise ImportFailed(errors)
        with transaction.atomic():
            years = {item.record.year for _, _, items, _ in parsed for item in items}
            periods = _lock_periods(years)
            for path, report, resolved, records in parsed:
                self._merge(path, report, resolved, catalogue, periods)
                _write_definitions(records.definitions, catalogue, report)
                _write_notes(records, catalogue, report)
            if self.dry_run:
                transaction.set_rollback(True)
        return [report for _, report, *_ in parsed]

    def _merge(self, path: Path, report: FileReport, resolved: list[Resolved], catalogue, periods):
        started = timezone.now()
        run = ImportRun.objects.create(
            file_name=path.name,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            layout=report.layout,
            started_at=started,
            finished_at=started,
        )
        existing = _lock_values(
            {item.indicator_id for item in resolved},
            {periods[item.record.year].pk for item in resolved},
        )
        layouts = dict(
            ImportRun.objects.filter(
                pk__in={value.import_run_id for value in existing.values()}
            ).values_list("pk", "layout")
        )
        precedence = PRECEDENCE[report.layout]
        corrections = errata.by_key(
            {item.indicator_id for item in resolved},
            {periods[item.record.year].pk for item in resolved},
        )
        reviewed = {}
        to_create, to_update, changes, sources_only = [], {}, [], []
        for item in resolved:
            record, period = item.record, periods[item.record.year]
            label = period.label
            indicator = catalogue.indicators[item.indicator_id]
            key = (item.area_id, item.indicator_id, period.pk, record.disaggregation)
            named = (
                f"{catalogue.area_names[item.area_id]} {indicator.code} {label} "
                f"{record.disaggregation}"
            )
            corrected = corrections.get(
                (item.indicator_id, period.pk, item.area_id, record.disaggregation), {}
            )
            given = _corrected(record, corrected, named, report, reviewed)
            flag = _quality_flag(indicator, given.get("outcome", ("", None))[1])
            value = existing.get(key)
            if value is None:
                value = Value(
                    area_id=item.area_id,
                    indicator_id=item.indicator_id,
                    period=period,
                    disaggregation=record.disaggregation,
                    import_run=run,
                    quality_flag=flag,
                    sources=dict.fromkeys(given, report.layout),
                )
                for name, (status, number) in given.items():
                    setattr(value, name, number)
                    setattr(value, f"{name}_status", status)
                to_create.append(value)
                existing[key] = value
                report.created += 1
                report.by_period[label]["created"] += 1
                if flag:
                    report.flagged.append(f"{record.where}: {flag}")
                continue
            value_precedence = PRECEDENCE.get(layouts.get(value.import_run_id, ""), 0)
            differences, outranked = [], False
            for name, (status, number) in given.items():
                # Precedence is per field: the file that gave this field, else the value's.
                stored_precedence = PRECEDENCE.get(value.sources.get(name), value_precedence)
                old = (getattr(value, f"{name}_status"), getattr(value, name))
                if old == (status, number):
                    if precedence > stored_precedence and name not in corrected:
                        value.sources[name] = report.layout
                        outranked = True
                    continue
                if old[0] and stored_precedence > precedence and name not in corrected:
                    at = record.at.get(name, record.where)
                    report.kept.append(
                        f"{named} {name}: {_fmt(status, number)} at {at} "
                        f"differs from the stored {_fmt(*old)} from a more authoritative file; "
                        "kept the stored value"
                    )
                    continue
                differences.append((name, old, (status, number)))
            if not differences:
                if outranked and value.pk:
                    sources_only.append(value)
                report.unchanged += 1
                report.by_period[label]["unchanged"] += 1
                continue
            fields = {"updated_at", "version", "sources"}
            for name, old, (status, number) in differences:
                setattr(value, name, number)
                setattr(value, f"{name}_status", status)
                value.sources[name] = report.layout
                fields.update((name, f"{name}_status"))
                if value.pk:
                    changes.append(
                        ValueChange(
                            value=value,
                            field=name,
                            old=_fmt(*old),
                            new=_fmt(status, number),
                            import_run=run,
                            via=ValueChange.Via.IMPORT,
                            reason=errata.audit_reason(corrected[name])
                            if name in corrected
                            else "",
                        )
                    )
                if old[0] == Availability.AVAILABLE:
                    report.revisions.append(
                        f"{named} {name}: {_fmt(*old)} -> {_fmt(status, number)}"
                    )
            # The value's source stays the most authoritative file that gave it a field.
            if precedence >= value_precedence:
                value.import_run = run
                fields.add("import_run")
            value.updated_at = run.started_at
            value.version += 1  # an admin form opened before the import is refused
            # Judge the outcome the value now holds: a kept-out outcome flags nothing.
            flag = _quality_flag(indicator, value.outcome)
            if flag != value.quality_flag:
                value.quality_flag = flag
                fields.add("quality_flag")
                if flag:
                    report.flagged.append(f"{record.where}: {flag}")
            if value.pk:
                to_update[value.pk] = (value, fields)
            report.updated += 1
            report.by_period[label]["updated"] += 1
        Value.objects.bulk_create(to_create, batch_size=2000)
        _update_changed_fields(to_update.values())
        # Which file gave a field changes no statistic: written without announcing a change.
        models.QuerySet(Value).bulk_update(sources_only, ["sources"], batch_size=1000)
        changes += _corrections_of_new_values(to_create, corrections, run)
        ValueChange.objects.bulk_create(changes, batch_size=2000)
        Erratum.objects.bulk_update(reviewed.values(), ["needs_review", "republished"])
        run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
        run.skipped = sum(report.skipped.values())
        run.finished_at = timezone.now()
        run.report = "\n".join(report.lines())
        run.save()


def _write_definitions(definitions: dict[str, str], catalogue, report: FileReport) -> None:
    """Each current measure's written definition as the workbook gives it; a table without
    one is reported and its measure's definition kept."""
    for measure, text in definitions.items():
        pk = catalogue.current_indicator(measure)
        if pk is None:
            continue
        indicator = catalogue.indicators[pk]
        if not text:
            report.without_definition.append(indicator.code)
        elif indicator.definition != text:
            indicator.definition = text
            indicator.save(update_fields=["definition"])
            report.definitions.append(indicator.code)


def _write_notes(records: Records, catalogue, report: FileReport) -> None:
    """Each table's notes, with the Notes sheet's texts, in place of its current measure's
    stored notes where they differ (saved one by one: a page shows them, so the writes retire
    cached pages). A note the Notes sheet lacks is reported with where the table lists it."""
    tables = {
        pk: table
        for measure, table in records.table_notes.items()
        if (pk := catalogue.current_indicator(measure)) is not None
    }
    stored = defaultdict(set)
    for note in TableNote.objects.filter(indicator_id__in=tables):
        stored[note.indicator_id].add(_note_key(note))
    for pk, (listed, first_year, last_year) in tables.items():
        notes = []
        for number, where in listed:
            if number not in records.note_texts:
                report.notes_without_text.append(
                    f"{where}: [note {number}] is not in the workbook's Notes sheet"
                )
                continue
            notes.append(
                TableNote(
                    indicator_id=pk,
                    number=number,
                    text=records.note_texts[number],
                    first_year=first_year,
                    last_year=last_year,
                )
            )
        if {_note_key(note) for note in notes} == stored[pk]:
            continue
        TableNote.objects.filter(indicator_id=pk).delete()
        for note in notes:
            note.save()
        report.notes.append(catalogue.indicators[pk].code)


def _note_key(note: TableNote) -> tuple:
    return (note.number, note.text, note.first_year, note.last_year)


def _corrected(record: Record, corrected: dict, named: str, report: FileReport, reviewed) -> dict:
    """The record's fields with each erratum's corrected figure in place of the file's. A
    file figure that is neither the one the erratum records as published nor the correction
    flags the erratum for review (once per erratum and run, in `reviewed`)."""
    given = dict(record.fields)
    for name, erratum in corrected.items():
        if name not in given:
            continue
        status, number = given[name]
        known = {erratum.published, erratum.corrected}
        if not (status == Availability.AVAILABLE and number in known):
            figure = _fmt(status, number)
            if (erratum.needs_review, erratum.republished) != (True, figure):
                erratum.needs_review, erratum.republished = True, figure
                reviewed[erratum.pk] = erratum
            report.reviews.append(
                f"{named} {name}: {figure} at {record.at.get(name, record.where)} is neither "
                f"the {erratum.published:g} the erratum records as published nor its correction "
                f"{erratum.corrected:g}; kept the correction, the erratum needs review"
            )
        given[name] = (Availability.AVAILABLE, erratum.corrected)
    return given


def _corrections_of_new_values(created: list[Value], corrections: dict, run) -> list[ValueChange]:
    """The audit of each erratum applied to a value this import created."""
    return [
        ValueChange(
            value=value,
            field=name,
            old=f"{erratum.published:g}",
            new=f"{erratum.corrected:g}",
            import_run=run,
            via=ValueChange.Via.IMPORT,
            reason=errata.audit_reason(erratum),
        )
        for value in created
        if value.pk
        for name, erratum in corrections.get(
            (value.indicator_id, value.period_id, value.area_id, value.disaggregation), {}
        ).items()
        if getattr(value, name) == erratum.corrected
    ]


def _lock_periods(years: set[int]) -> dict[int, Period]:
    """The years' periods, created if new and locked until the import commits, so that two
    imports of one year take turns and each reads what the other wrote, new values included.
    The lock (FOR NO KEY UPDATE) still lets other writers add values to the period."""
    for year in sorted(years):  # in order: two imports creating periods never wait in a cycle
        Period.objects.get_or_create(year=year, quarter=None)
    locked = Period.objects.filter(year__in=years, quarter=None).select_for_update(no_key=True)
    return {period.year: period for period in locked.order_by("pk")}


def _lock_values(indicators: set[int], periods: set[int]) -> dict[tuple, Value]:
    """The stored values an import may change, by key, locked until it commits (in primary-key
    order, so that two writers never wait for each other in a cycle). Read under the lock, they
    are the latest committed, which the import's changes and audit trail then start from."""
    values = Value.objects.filter(indicator_id__in=indicators, period_id__in=periods)
    return {
        (value.area_id, value.indicator_id, value.period_id, value.disaggregation): value
        for value in values.order_by("pk").select_for_update()
    }


def _update_changed_fields(updates: Iterable[tuple[Value, set[str]]]) -> None:
    """Write only the fields each value changed, one bulk update per set of fields: a field
    the import did not change keeps whatever another writer stored in it."""
    by_fields = defaultdict(list)
    for value, fields in updates:
        by_fields[tuple(sorted(fields))].append(value)
    for fields, values in by_fields.items():
        Value.objects.bulk_update(values, fields, batch_size=1000)


def _quality_flag(indicator: Indicator, outcome: float | None) -> str:
    """An official outcome that validation finds implausible is kept, and flagged."""
    problems = validation.check_numbers(indicator.kind, {"outcome": [outcome]})[0]
    if any(not problem.impossible for problem in problems):
        side = "above 100%" if outcome > 100 else "below 0%"
        return f"Outcome {side}: a data-quality issue noted by the publisher"
    return ""
