"""Import of the official ASCOF publications, in all their layouts.

Reading turns any layout into `Record`s: one published (area, measure, period,
disaggregation) with the fields the file carries, each with its availability. Validation
resolves every record's area and measure (by the code the publication used that year) and
collects every problem with its file, row and column. Only when every row of every file is
valid does anything get written, in one transaction.

Merging is field by field. A field a file does not carry never erases a stored one;
identical values are unchanged; a differing value is updated and audited (`ValueChange`) with
its new source, unless the stored value came from a more authoritative layout (the official
workbook outranks the official yearly CSVs, which outrank third-party extracts), so the
order of imports never changes the result.
"""

import csv
import gzip
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from councils.models import Area, AreaKind

from . import validation
from .models import (
    TOTAL,
    Availability,
    ImportRun,
    Indicator,
    IndicatorCode,
    Period,
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
# When one file gives the same value twice (Dorset's legacy row), the most informative wins.
STATUS_RANK = {
    Availability.AVAILABLE: 3,
    Availability.SUPPRESSED: 2,
    Availability.NOT_AVAILABLE: 1,
    Availability.NOT_APPLICABLE: 0,
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
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$")
# 2016-17 carers' survey cells: the official score, then the score on the old population
# (or a marker where there was none).
_BRACKETED = re.compile(r"^(-?[\d,]+(?:\.\d+)?)\s*\(\s*(?:-?[\d,]+(?:\.\d+)?|:|\[[a-z]\])\s*\)$")
_YEAR_IN_NAME = re.compile(r"(20\d\d)[-_](\d\d)(?!\d)")
_WORKBOOK_COLUMN = re.compile(r"^(\d{4}) to (\d{4}) - (.+)$")


class ImportFailed(Exception):
    """Nothing was written. `errors` lists every problem found, with where it is."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = "\n".join(errors[:50])
        more = f"\n… and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} problem(s); nothing was imported:\n{shown}{more}")


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
        lines += [f"  revised: {line}" for line in self.revisions[:20]]
        if len(self.revisions) > 20:
            lines.append(f"  … and {len(self.revisions) - 20} more revised values")
        lines += [f"  kept: {line}" for line in self.kept[:20]]
        lines += [f"  flagged: {line}" for line in self.flagged[:20]]
        return lines


# Reading ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A header or label reduced to its letters and digits: "Margin Of Error" -> "marginoferror"."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _label(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def parse_cell(raw, where: str, errors: list[str]) -> tuple[str, float | None]:
    """A published cell as (availability, number). Text where a number belongs is an error."""
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int | float):
        return Availability.AVAILABLE, round(float(raw), 6)
    text = str(raw).strip()
    if text.lower() in MARKERS:
        return MARKERS[text.lower()], None
    cleaned = text.replace(",", "")
    match = _BRACKETED.match(cleaned)
    if match:
        cleaned = match.group(1).replace(",", "")
    if _NUMBER.match(cleaned):
        return Availability.AVAILABLE, round(float(cleaned), 6)
    errors.append(f"{where}: {text!r} is text where a number belongs")
    return Availability.NOT_AVAILABLE, None


def normalise_disaggregation(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).strip())
    if not text or text.lower() == "total":
        return TOTAL
    text = re.sub(r"(\d+) to (\d+)", r"\1-\2", text)
    return text[0].upper() + text[1:]


def _area_code(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, float):
        return repr(raw)
    return str(raw).strip()


def _open_text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # older official files


def _table_rows(path: Path) -> Iterator[tuple[str, list[list]]]:
    """Every sheet of a spreadsheet, or the one table of a CSV, as (sheet name, rows)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".ods", ".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        for sheet in workbook.sheet_names:
            yield sheet, workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    else:
        yield "", list(csv.reader(io.StringIO(_open_text(path))))


def _year_from_name(path: Path) -> int | None:
    match = _YEAR_IN_NAME.search(path.name)
    return int(match.group(1)) if match else None


def detect_layout(header: list[str]) -> str | None:
    keys = {_key(h) for h in header}
    if "fiscalyear" in keys and "ascofmeasurecode" in keys:
        return "regions_num_den"
    if "year" in keys and "measurevalue" in keys and "measuregroup" in keys:
        return "outcome_extract"
    if {"geographicalcode", "measuretype", "measurevalue"} <= keys:
        return "open_data_csv" if "measuregroup" in keys else "csv_2024_25"
    return None


def read_file(path: Path, year: int | None, errors: list[str]) -> tuple[str, list[Record]]:
    """Read any supported layout into records; problems go to `errors`."""
    tables = list(_table_rows(path))
    if any(sheet.startswith("Table_") for sheet, _ in tables):
        return "workbook", list(_read_workbook(path, tables, errors))
    for sheet, rows in tables:
        if not rows:
            continue
        if sheet:  # a spreadsheet copy of a CSV holds numbers where the CSV has text (406)
            rows = [[_area_code(cell) for cell in row] for row in rows]
        layout = detect_layout(rows[0])
        if layout is None:
            continue
        where = f"{path.name}" + (f", sheet {sheet}" if sheet else "")
        if layout in ("open_data_csv", "csv_2024_25"):
            year = year or _year_from_name(path)
            if year is None:
                errors.append(
                    f"{path.name}: this layout has no year column; name the year with --year "
                    "(e.g. --year 2020-21) or put it in the file name"
                )
                return layout, []
            return layout, list(_read_long_csv(where, rows, year, errors))
        if layout == "outcome_extract":
            return layout, list(_read_extract(where, rows, errors))
        return layout, list(_read_regions(where, rows, errors))
    errors.append(
        f"{path.name}: not an ASCOF layout this importer knows (the first row should hold "
        "headers such as 'Geographical Code', 'Measure Type', 'Measure Value')"
    )
    return "unknown", []


def _columns(header: list[str], where: str, required: dict[str, tuple[str, ...]], errors):
    """Map our column names to their index, matching headers liberally."""
    keys = [_key(h) for h in header]
    found = {}
    for ours, candidates in required.items():
        index = next((keys.index(c) for c in candidates if c in keys), None)
        if index is None and not ours.startswith("?"):
            errors.append(f"{where}, row 1: no column for {ours} (looked for {candidates})")
        found[ours.lstrip("?")] = index
    return found


def _read_long_csv(where: str, rows: list[list], year: int, errors) -> Iterator[Record]:
    """The official open-data CSV: one row per area, measure, disaggregation and measure type.
    Rows that make up one value are gathered by (area, measure, disaggregation)."""
    cols = _columns(
        rows[0],
        where,
        {
            "code": ("geographicalcode",),
            "?name": ("geographicaldescription",),
            "level": ("geographicallevel",),
            "?ons": ("onscode", "onsareacode"),
            "measure_code": ("ascofmeasurecode",),
            "disaggregation": ("disaggregationlevel",),
            "type": ("measuretype",),
            "value": ("measurevalue",),
            "?group": ("measuregroup",),
        },
        errors,
    )
    if any(index is None for name, index in cols.items() if name not in ("ons", "group", "name")):
        return
    records: dict[tuple, Record] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        if len(row) < len(rows[0]):
            errors.append(f"{at}: {len(row)} columns where the header has {len(rows[0])}")
            continue
        level = _level(row[cols["level"]], at, errors)
        if level is None:
            continue
        disaggregation = normalise_disaggregation(row[cols["disaggregation"]])
        measure = row[cols["group"]] if cols["group"] is not None else ""
        if not measure.strip():
            measure = _strip_disaggregation(row[cols["measure_code"]], disaggregation)
        measure_type = MEASURE_TYPES.get(_label(row[cols["type"]]))
        if measure_type is None:
            errors.append(
                f"{at}, column 'Measure Type': unknown measure type {row[cols['type']]!r}"
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
            )
        record.fields[measure_type] = parse_cell(
            row[cols["value"]], f"{at}, column 'Measure Value'", errors
        )
    yield from records.values()


def _level(text: str, at: str, errors: list[str]) -> str | None:
    level = LEVELS.get(_label(text))
    if level is None:
        errors.append(f"{at}, column 'Geographical Level': unknown level {text!r}")
    return level


def _strip_disaggregation(code: str, disaggregation: str) -> str:
    code = code.strip()
    if disaggregation != TOTAL:
        for suffix in DISAGGREGATION_SUFFIXES:
            if code.upper().endswith(suffix) and len(code) > len(suffix) + 1:
                return code[: -len(suffix)]
    return code


def _read_extract(where: str, rows: list[list], errors) -> Iterator[Record]:
    """The multi-year outcome extract: outcomes only, councils by the ONS code of the year."""
    cols = _columns(
        rows[0],
        where,
        {
            "year": ("year",),
            "name": ("geographicaldescription",),
            "ons": ("onscode",),
            "group": ("measuregroup",),
            "value": ("measurevalue",),
            "level": ("geographicallevel",),
            "disaggregation": ("disaggregationlevel",),
            "type": ("measuretype",),
        },
        errors,
    )
    if any(index is None for index in cols.values()):
        return
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        try:
            year, _ = parse_period(row[cols["year"]])
        except ValueError as error:
            errors.append(f"{at}, column 'Year': {error}")
            continue
        level = _level(row[cols["level"]], at, errors)
        if level is None:
            continue
        measure_type = _label(row[cols["type"]]) or "outcome"  # 2023-24 rows leave it blank
        if MEASURE_TYPES.get(measure_type) != "outcome":
            errors.append(f"{at}, column 'Measure Type': expected Outcome, found {measure_type!r}")
            continue
        ons = row[cols["ons"]].strip().strip("-").strip()
        name = row[cols["name"]].strip()
        code = ""
        if level == AreaKind.COUNCIL_TYPE:
            code = COUNCIL_TYPE_NAMES.get(_label(name), "")
        elif level == AreaKind.ENGLAND:
            code = "England"
        yield Record(
            where=at,
            level=level,
            code=code,
            ons_code=ons,
            name=name,
            measure=row[cols["group"]].strip(),
            year=year,
            disaggregation=normalise_disaggregation(row[cols["disaggregation"]]),
            fields={
                "outcome": parse_cell(row[cols["value"]], f"{at}, column 'Measure_Value'", errors)
            },
        )


def _read_regions(where: str, rows: list[list], errors) -> Iterator[Record]:
    """Regional numerators and denominators, one row per region and measure."""
    header = [_key(h) for h in rows[0]]
    cols = {name: header.index(name) for name in header}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        at = f"{where}, row {number}"
        try:
            year = fiscal_year_from_end(int(row[cols["fiscalyear"]]))
        except ValueError:
            errors.append(f"{at}, column 'fiscal_year': {row[cols['fiscalyear']]!r} is not a year")
            continue
        record = Record(
            where=at,
            level=LEVELS.get(_label(row[cols["geographicallevel"]]), AreaKind.REGION),
            code=row[cols["geographicalcode"]].strip(),
            ons_code=row[cols["onscode"]].strip(),
            name=row[cols["geographicaldescription"]].strip(),
            measure=row[cols["measuregroup"]].strip(),
            year=year,
            disaggregation=normalise_disaggregation(row[cols["disaggregationlevel"]]),
        )
        for column in ("outcome", "numerator", "denominator", "base", "marginoferror"):
            ours = "margin_of_error" if column == "marginoferror" else column
            cell = row[cols[column]].strip()
            # This extract leaves a field blank where the measure has none (1F, 1H, surveys).
            if cell:
                record.fields[ours] = parse_cell(cell, f"{at}, column '{column}'", errors)
        yield record


def _read_workbook(path: Path, tables, errors) -> Iterator[Record]:
    """The official time-series workbook: one sheet per current measure, one row per area,
    columns "<yyyy to yyyy> - <measure type>". 6B's rating columns are disaggregations."""
    for sheet, rows in tables:
        if not sheet.startswith("Table_"):
            continue
        measure = sheet.removeprefix("Table_").upper().replace("A)", "a)").replace("B)", "b)")
        header_at = next(
            (i for i, row in enumerate(rows[:15]) if _key(row[0]).startswith("localauthoritycode")),
            None,
        )
        if header_at is None:
            errors.append(
                f"{path.name}, sheet {sheet}: no header row starting 'Local authority code'"
            )
            continue
        columns = []
        for index, heading in enumerate(rows[header_at][3:], start=3):
            match = _WORKBOOK_COLUMN.match(re.sub(r"\s+", " ", str(heading).strip()))
            if not match:
                if str(heading).strip():
                    errors.append(
                        f"{path.name}, sheet {sheet}, row {header_at + 1}, column "
                        f"{_column_letter(index)}: unexpected heading {heading!r}"
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
                errors.append(
                    f"{path.name}, sheet {sheet}, row {header_at + 1}, column "
                    f"{_column_letter(index)}: unknown measure type {measure_type!r}"
                )
                continue
            columns.append((index, year, disaggregation, MEASURE_TYPES[measure_type]))
        for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
            if not row or not str(row[0]).strip():
                continue
            code, name, ons = _area_code(row[0]), str(row[1]).strip(), str(row[2]).strip()
            level = _workbook_level(code)
            at = f"{path.name}, sheet {sheet}, row {number}"
            records: dict[tuple, Record] = {}
            for index, year, disaggregation, measure_type in columns:
                cell = row[index] if index < len(row) else ""
                record = records.get((year, disaggregation))
                if record is None:
                    record = records[(year, disaggregation)] = Record(
                        where=at,
                        level=level,
                        code=code,
                        ons_code=ons,
                        name=name,
                        measure=measure,
                        year=year,
                        disaggregation=disaggregation,
                        by_current_code=True,
                    )
                record.fields[measure_type] = parse_cell(
                    cell, f"{at}, column {_column_letter(index)}", errors
                )
            yield from records.values()


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


def resolve(records: Iterable[Record], catalogue: Catalogue, report: FileReport, errors):
    """Areas and indicators for every record; unknown measure codes are listed once."""
    unknown_codes: dict[tuple[str, int], list[str]] = defaultdict(list)
    merged: dict[tuple, Resolved] = {}
    for record in records:
        skip = SKIPPED_AREAS.get((record.level, record.code))
        if skip:
            report.skipped[skip] += 1
            continue
        if all(status == Availability.NOT_APPLICABLE for status, _ in record.fields.values()):
            report.skipped["not applicable in that year ([z] in every field)"] += 1
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
    resolved = list(merged.values())
    validate(resolved, catalogue, report, errors)
    return resolved


def validate(resolved: list[Resolved], catalogue: Catalogue, report: FileReport, errors) -> None:
    """The rules of `indicators.validation`, over every value of a file at once: impossible
    values are errors; implausible ones are official figures, so they are flagged."""
    if catalogue.collecting:
        for year in sorted({item.record.year for item in resolved}):
            for problem in validation.check_period(year, None, catalogue.collecting):
                first = next(item.record.where for item in resolved if item.record.year == year)
                errors.append(f"{first}: {problem}")
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
                line = f"{item.record.where}: {problem}"
                if problem.impossible:
                    errors.append(line)
                elif problem.field != "outcome":  # the outcome's flag is kept with the value
                    report.flagged.append(line)


def _merge_duplicate(kept: Record, extra: Record, errors) -> None:
    """One file giving one value twice (the 2024-25 workbook's legacy Dorset County row)."""
    for name, (status, number) in extra.fields.items():
        old_status, old_number = kept.fields.get(name, (Availability.NOT_APPLICABLE, None))
        if status == old_status == Availability.AVAILABLE and number != old_number:
            errors.append(
                f"{extra.where}: {name} {number} contradicts {old_number} at {kept.where}"
            )
        elif STATUS_RANK[status] > STATUS_RANK[old_status]:
            kept.fields[name] = (status, number)


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
            parsed.append((path, report, resolved))
        if errors:
            raise ImportFailed(errors)
        with transaction.atomic():
            periods = _lock_periods({item.record.year for *_, items in parsed for item in items})
            for path, report, resolved in parsed:
                self._merge(path, report, resolved, catalogue, periods)
            if self.dry_run:
                transaction.set_rollback(True)
        return [report for _, report, _ in parsed]

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
        to_create, to_update, changes = [], {}, []
        for item in resolved:
            record, period = item.record, periods[item.record.year]
            label = period.label
            indicator = catalogue.indicators[item.indicator_id]
            key = (item.area_id, item.indicator_id, period.pk, record.disaggregation)
            flag = _quality_flag(indicator, record.fields.get("outcome", ("", None))[1])
            value = existing.get(key)
            if value is None:
                value = Value(
                    area_id=item.area_id,
                    indicator_id=item.indicator_id,
                    period=period,
                    disaggregation=record.disaggregation,
                    import_run=run,
                    quality_flag=flag,
                )
                for name, (status, number) in record.fields.items():
                    setattr(value, name, number)
                    setattr(value, f"{name}_status", status)
                to_create.append(value)
                existing[key] = value
                report.created += 1
                report.by_period[label]["created"] += 1
                if flag:
                    report.flagged.append(f"{record.where}: {flag}")
                continue
            stored_precedence = PRECEDENCE.get(layouts.get(value.import_run_id, ""), 0)
            differences = []
            for name, (status, number) in record.fields.items():
                old = (getattr(value, f"{name}_status"), getattr(value, name))
                if old == (status, number):
                    continue
                if old[0] and stored_precedence > precedence:
                    report.kept.append(
                        f"{record.where}: {name} {_fmt(status, number)} differs from the stored "
                        f"{_fmt(*old)} from a more authoritative file; kept the stored value"
                    )
                    continue
                differences.append((name, old, (status, number)))
            if not differences:
                report.unchanged += 1
                report.by_period[label]["unchanged"] += 1
                continue
            fields = {"updated_at", "version"}
            for name, old, (status, number) in differences:
                setattr(value, name, number)
                setattr(value, f"{name}_status", status)
                fields.update((name, f"{name}_status"))
                if value.pk:
                    changes.append(
                        ValueChange(
                            value=value,
                            field=name,
                            old=_fmt(*old),
                            new=_fmt(status, number),
                            import_run=run,
                        )
                    )
                if old[0] == Availability.AVAILABLE:
                    report.revisions.append(
                        f"{catalogue.area_names[item.area_id]} {indicator.code} {label} "
                        f"{record.disaggregation} {name}: {_fmt(*old)} -> {_fmt(status, number)}"
                    )
            # The value's source stays the most authoritative file that gave it a field.
            if precedence >= stored_precedence:
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
        ValueChange.objects.bulk_create(changes, batch_size=2000)
        run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
        run.skipped = sum(report.skipped.values())
        run.finished_at = timezone.now()
        run.report = "\n".join(report.lines())
        run.save()


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
