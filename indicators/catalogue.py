"""The indicator catalogue: the ASCOF measures with the codes publications gave them over the
years and their series breaks, and the region's own local measures.

Everything comes from the CSV files in data/ascof/ and data/reference/: a measure added to
measure_catalogue.csv (with its short name, codes and years) loads without a change here. Each
loader compares a row with what is stored before it writes, so loading twice changes nothing
and its counts say so. The helpers that do that (`read_csv`, `sync`, `Counts`) serve every
reference loader, `councils.reference` included.
"""

import csv
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from indicators.models import (
    Basis,
    BreakKind,
    Domain,
    Indicator,
    IndicatorCode,
    Kind,
    Objective,
    Period,
    Polarity,
    ScorecardArea,
    SeriesBreak,
    Source,
    normalise_code,
)
from indicators.periods import parse_period

ASCOF_DIR = Path(settings.ASCOF_DATA_DIR)
REFERENCE_DIR = Path(settings.BASE_DIR) / "data" / "reference"

CATALOGUE_CSV = ASCOF_DIR / "measure_catalogue.csv"
SERIES_BREAKS_CSV = ASCOF_DIR / "series_breaks.csv"
LOCAL_INDICATORS_CSV = REFERENCE_DIR / "local_indicators.csv"

SCORECARD_AREAS = {label: value for value, label in ScorecardArea.choices}

# The 2014-15 to 2022-23 handbook codes, the 2023-24 file codes and the codes from 2024-25.
HANDBOOK_YEARS = (2010, 2022)
FIRST_NEW_FRAMEWORK_YEAR = 2023
CURRENT_CODES_FROM = 2024
# Local indicators sort after the ASCOF measures.
LOCAL_FIRST_POSITION = 101


class ReferenceDataError(ValueError):
    """The reference files contradict themselves or the models."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged"
        )


def sync(model: type[models.Model], lookup: dict, values: dict, counts: Counts) -> models.Model:
    """Create or update the row `lookup` finds so that it holds `values`, saving only a change."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        counts.created += 1
        return model.objects.create(**lookup, **values)
    changed = {field: value for field, value in values.items() if getattr(row, field) != value}
    if not changed:
        counts.unchanged += 1
        return row
    for field, value in changed.items():
        setattr(row, field, value)
    row.save()
    counts.updated += 1
    return row


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as file:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(file)
        ]


def start_year(text: str) -> int | None:
    """The start year of a financial year written first in the text: "2014-15 (split a/b)" ->
    2014, "2024-25" -> 2024, blank -> None."""
    if not text.strip():
        return None
    return parse_period(text.split("(")[0])[0]


def ascof_code(row: dict[str, str]) -> str:
    """The stable code of a catalogue row: its 2024-25 code, or old-<handbook code> if retired."""
    return row["code_2024_25"] or f"old-{row['code_2014_15_to_2022_23_handbook']}"


def indicator_slug(code: str) -> str:
    """ "3D(2a)" -> "3d2a", "old-2C(1)" -> "old-2c1", "WM-CARE-ACT" -> "wm-care-act"."""
    return slugify(re.sub(r"[()]", "", code))


def _ascof_kind(unit: str) -> Kind:
    if unit == "%":
        return Kind.PERCENTAGE
    if unit.startswith("per 100000"):
        return Kind.RATE
    return Kind.SCORE


def ascof_indicator_values(row: dict[str, str], position: int) -> dict:
    """The Indicator fields of one measure catalogue row. A blank short name is the code. The
    written definition is left to `import_ascof`, which reads it from the workbook."""
    code = ascof_code(row)
    collection = row["source"]
    domain = row["domain_2014_15_to_2022_23"][:1]
    objective = row["objective_2023_24_on"][:1]
    return {
        "slug": indicator_slug(code),
        "name": row["name"],
        "short_name": row.get("short_name") or code,
        "unit": row["unit"],
        "decimals": int(row["decimals"]),
        "polarity": Polarity(row["polarity"]),
        "kind": _ascof_kind(row["unit"]),
        "multiplier": float(row["multiplier"]),
        "source": Source.ASCOF,
        "collection": collection,
        "is_survey": collection.startswith(("ASCS", "SACE")),
        "is_biennial": collection.startswith("SACE"),
        "domain": Domain(domain).value if domain else "",
        "objective": Objective(objective).value if objective else "",
        "scorecard_area": SCORECARD_AREAS[row["scorecard_area"]],
        "first_year": start_year(row["first_year"]),
        "last_year": start_year(row["last_year"]),
        "position": position,
    }


def load_ascof_indicators(path: Path = CATALOGUE_CSV) -> Counts:
    counts = Counts()
    for position, row in enumerate(read_csv(path), start=1):
        sync(Indicator, {"code": ascof_code(row)}, ascof_indicator_values(row, position), counts)
    return counts


def code_spans(row: dict[str, str], indicator: Indicator) -> list[IndicatorCode]:
    """The codes publications gave one catalogue measure and the years each applied, as unsaved
    IndicatorCode rows. A code repeated in consecutive spans ("1A" in all three) is one span."""
    first, last = start_year(row["first_year"]), start_year(row["last_year"])
    handbook_first, handbook_last = HANDBOOK_YEARS
    candidates = [
        (row["code_2014_15_to_2022_23_handbook"], handbook_first, handbook_last),
        (row["measure_group_csv_2015_16_to_2022_23"], handbook_first, handbook_last),
        # Measures new in 2023-24 and missing from that year's file already had their code.
        (
            row["code_2023_24_csv"] or row["code_2024_25"],
            FIRST_NEW_FRAMEWORK_YEAR,
            FIRST_NEW_FRAMEWORK_YEAR,
        ),
        (row["code_2024_25"], CURRENT_CODES_FROM, None),
    ]
    spans: list[IndicatorCode] = []
    for code, span_first, span_last in candidates:
        span_first = max(span_first, first or span_first)
        if last is not None and (span_last is None or span_last > last):
            span_last = last
        if not code or (span_last is not None and span_first > span_last):
            continue
        normalised = normalise_code(code)
        previous = spans[-1] if spans else None
        if previous and (previous.normalised, previous.first_year) == (normalised, span_first):
            continue
        if previous and previous.code == code and previous.last_year == span_first - 1:
            previous.last_year = span_last
            continue
        spans.append(
            IndicatorCode(
                indicator=indicator,
                code=code,
                normalised=normalised,
                first_year=span_first,
                last_year=span_last,
            )
        )
    return spans


def check_no_overlaps(spans: list[IndicatorCode]) -> None:
    """Raise ReferenceDataError if one normalised code would name two measures in any year."""
    ordered = sorted(spans, key=lambda span: (span.normalised, span.first_year))
    overlaps = [
        f"{later.normalised}: {earlier.code} for {earlier.indicator.code} ({earlier.span}) and "
        f"{later.code} for {later.indicator.code} ({later.span})"
        for earlier, later in itertools.pairwise(ordered)
        if earlier.normalised == later.normalised
        and (earlier.last_year is None or earlier.last_year >= later.first_year)
    ]
    if overlaps:
        raise ReferenceDataError(
            "The measure catalogue gives one code to two measures in the same year: "
            + "; ".join(overlaps)
        )


def load_indicator_codes(path: Path = CATALOGUE_CSV) -> Counts:
    """The published codes of the ASCOF indicators by year; needs the indicators loaded."""
    indicators = Indicator.objects.filter(source=Source.ASCOF).in_bulk(field_name="code")
    spans = [
        span for row in read_csv(path) for span in code_spans(row, indicators[ascof_code(row)])
    ]
    check_no_overlaps(spans)
    counts = Counts()
    kept = [
        sync(
            IndicatorCode,
            {"normalised": span.normalised, "first_year": span.first_year},
            {"indicator_id": span.indicator.pk, "code": span.code, "last_year": span.last_year},
            counts,
        ).pk
        for span in spans
    ]
    stale = IndicatorCode.objects.filter(indicator__source=Source.ASCOF).exclude(pk__in=kept)
    counts.deleted = stale.delete()[0]
    return counts


def load_series_breaks(path: Path = SERIES_BREAKS_CSV) -> Counts:
    """Breaks, partial coverage and compare-with-care years of the ASCOF indicators."""
    indicators = Indicator.objects.filter(source=Source.ASCOF).in_bulk(field_name="code")
    counts = Counts()
    kept = []
    for row in read_csv(path):
        indicator = indicators.get(row["code_2024_25"])
        if indicator is None:
            raise ReferenceDataError(f"Series break for unknown measure {row['code_2024_25']!r}")
        lookup = {
            "indicator_id": indicator.pk,
            "year": parse_period(row["from_year"])[0],
            "kind": BreakKind(row["kind"]),
        }
        kept.append(sync(SeriesBreak, lookup, {"reason": row["reason"]}, counts).pk)
    stale = SeriesBreak.objects.filter(indicator__source=Source.ASCOF).exclude(pk__in=kept)
    counts.deleted = stale.delete()[0]
    return counts


def quarterly_fields(row: dict[str, str], where: str) -> dict:
    """The quarterly basis and first quarter of a local indicators row: both blank for a
    measure collected yearly, or a basis (snapshot, in_quarter, year_to_date) and the Q1
    period ("2024-25 Q1") it is collected by quarter from. `where` names the file and line."""
    basis, first = row.get("quarterly_basis", ""), row.get("quarterly_from", "")
    if not basis and not first:
        return {"quarterly_basis": "", "quarterly_from_id": None}
    if not basis:
        raise ReferenceDataError(
            f"{where}, column quarterly_basis: blank, but quarterly_from is {first!r}: give "
            "both, or neither for a measure collected yearly"
        )
    if not first:
        raise ReferenceDataError(
            f"{where}, column quarterly_from: blank, but quarterly_basis is {basis!r}: give the "
            "first quarter collected, such as 2024-25 Q1"
        )
    if basis not in Basis.values:
        raise ReferenceDataError(
            f"{where}, column quarterly_basis: {basis!r} is not one of "
            f"{', '.join(Basis.values)} (blank for a measure collected yearly)"
        )
    try:
        quarter = parse_period(first)[1]
    except ValueError as error:
        raise ReferenceDataError(f"{where}, column quarterly_from: {error}") from error
    if quarter != 1:
        raise ReferenceDataError(
            f"{where}, column quarterly_from: {first!r} is not the first quarter of a year, "
            "such as 2024-25 Q1"
        )
    return {
        "quarterly_basis": Basis(basis),
        "quarterly_from_id": Period.objects.for_label(first).pk,
    }


def load_local_indicators(path: Path = LOCAL_INDICATORS_CSV) -> Counts:
    """The region's own qualitative and local measures (WM-…), yearly or by quarter."""
    counts = Counts()
    for position, row in enumerate(read_csv(path), start=LOCAL_FIRST_POSITION):
        line = position - LOCAL_FIRST_POSITION + 2  # after the header
        values = {
            "slug": indicator_slug(row["code"]),
            "name": row["name"],
            "short_name": row["short_name"],
            "definition": row["definition"],
            "unit": row["unit"],
            "decimals": int(row["decimals"]),
            "polarity": Polarity(row["polarity"]),
            "kind": Kind(row["kind"]),
            "multiplier": float(row["multiplier"]),
            "source": Source.LOCAL,
            "collection": row["collection"],
            "categories": row["categories"].split("|") if row["categories"] else [],
            "scorecard_area": ScorecardArea(row["scorecard_area"]),
            **quarterly_fields(row, f"{path.name} line {line}"),
            "position": position,
        }
        sync(Indicator, {"code": row["code"]}, values, counts)
    return counts
