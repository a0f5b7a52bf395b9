"""Reference data: areas, councils, the West Midlands comparator group, and the indicators with
the codes publications gave them over the years and their series breaks.

Everything comes from the CSV files in data/ascof/ and data/reference/. Each loader compares a row
with what is stored before it writes, so loading twice changes nothing and its counts say so.
"""

import csv
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils.text import slugify

from councils.models import Area, AreaKind, ComparatorGroup, CouncilType
from indicators.models import (
    BreakKind,
    Domain,
    Indicator,
    IndicatorCode,
    Kind,
    Objective,
    Polarity,
    ScorecardArea,
    SeriesBreak,
    Source,
    normalise_code,
)
from indicators.periods import parse_period

ASCOF_DIR = Path(settings.ASCOF_DATA_DIR)
REFERENCE_DIR = Path(settings.BASE_DIR) / "data" / "reference"

AREAS_CSV = REFERENCE_DIR / "areas.csv"
LOCAL_INDICATORS_CSV = REFERENCE_DIR / "local_indicators.csv"
COUNCILS_CSV = ASCOF_DIR / "councils_cassr_2015-16_to_2024-25.csv"
WEST_MIDLANDS_CSV = ASCOF_DIR / "west_midlands_councils.csv"
CATALOGUE_CSV = ASCOF_DIR / "measure_catalogue.csv"
SERIES_BREAKS_CSV = ASCOF_DIR / "series_breaks.csv"

AGGREGATE_SLUG_PREFIX = {
    AreaKind.ENGLAND: "",
    AreaKind.REGION: "region-",
    AreaKind.COUNCIL_TYPE: "type-",
}
COUNCIL_TYPES = {label: value for value, label in CouncilType.choices}
SCORECARD_AREAS = {label: value for value, label in ScorecardArea.choices}

# Councils that kept their CASSR code through a boundary change: its start year and what changed.
BOUNDARY_CHANGES = {
    "809": (
        2019,
        "Dorset County became Dorset Council in 2019-20, without Christchurch, which joined "
        "Bournemouth, Christchurch and Poole.",
    ),
}

WEST_MIDLANDS_ADASS = {
    "slug": "west-midlands-adass",
    "name": "West Midlands ADASS",
    "description": "The 14 councils of the West Midlands ADASS branch: the ASCOF West Midlands "
    "region.",
}

# The 2014-15 to 2022-23 handbook codes, the 2023-24 file codes and the codes from 2024-25.
HANDBOOK_YEARS = (2010, 2022)
FIRST_NEW_FRAMEWORK_YEAR = 2023
CURRENT_CODES_FROM = 2024
# Local indicators sort after the ASCOF measures.
LOCAL_FIRST_POSITION = 101

ASCOF_SHORT_NAMES = {
    "1A": "Quality of life score",
    "1B": "Quality of life impact of care",
    "1C": "Carer quality of life score",
    "1D": "Satisfaction with care (users)",
    "1E": "Satisfaction with services (carers)",
    "2A": "Reablement: no further support",
    "2B": "Admissions 18-64",
    "2C": "Admissions 65+",
    "2D(1)": "At home after reablement 65+",
    "2D(2)": "Reablement after hospital 65+",
    "2E(1)": "Learning disability: living at home",
    "2E(2a)": "Living at home 18-64",
    "2E(2b)": "Living at home 65+",
    "3A": "Control over daily life",
    "3B": "Carers included or consulted",
    "3C(1)": "Easy to find information (users)",
    "3C(2)": "Easy to find information (carers)",
    "3D(1a)": "Self-directed support (users)",
    "3D(1b)": "Self-directed support (carers)",
    "3D(2a)": "Direct payments (users)",
    "3D(2b)": "Direct payments (carers)",
    "4A": "Feel safe",
    "4B": "Safeguarding risk reduced or removed",
    "5A(1)": "Social contact (users)",
    "5A(2)": "Social contact (carers)",
    "6A": "Care staff turnover",
    "6B": "Providers rated good or outstanding",
    "old-1E": "Learning disability: in paid work",
    "old-1F": "Mental health: in paid work",
    "old-1H": "Mental health: living independently",
    "old-2C(1)": "Delayed transfers of care",
    "old-2C(2)": "Delayed transfers: social care",
    "old-2C(3)": "Delayed transfers: NHS and social care",
    "old-4B": "Services made people feel safe",
}


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


_PREVIOUS_ONS_CODE = re.compile(
    r"(?P<code>[EWSN]\d{8})\s*\((?:(?P<note>[^,()]+),\s*)?to\s+(?P<until>[^()]+)\)"
)


def parse_previous_ons_codes(text: str) -> list[dict]:
    """The free-text previous ONS codes of the councils file as the model stores them:
    "E10000002 (to 2019-20)" -> [{"code": "E10000002", "until": 2019, "note": ""}], and
    "E10000009 (Dorset County, to 2018-19)" gives the note "Dorset County". Several codes are
    separated by ";"."""
    codes = []
    for part in filter(None, (part.strip() for part in text.split(";"))):
        match = _PREVIOUS_ONS_CODE.fullmatch(part)
        if not match:
            raise ReferenceDataError(
                f"{part!r} is not a previous ONS code such as 'E10000002 (to 2019-20)'"
            )
        until = parse_period(match["until"])[0]
        codes.append({"code": match["code"], "until": until, "note": (match["note"] or "").strip()})
    return codes


def council_name(row: dict[str, str]) -> str:
    # The 2023-24 list has the official names but garbles a few ("Bristol, City of River Avon").
    listed = row["name_in_2023_24_list"]
    return listed if listed and "," not in listed else row["name_in_ascof_timeseries"]


def load_areas(path: Path = AREAS_CSV) -> Counts:
    """England, the regions and the council types: the published aggregates."""
    counts = Counts()
    for row in read_csv(path):
        kind = AreaKind(row["kind"])
        values = {
            "name": row["name"],
            "slug": AGGREGATE_SLUG_PREFIX[kind] + slugify(row["name"]),
            "ons_code": row["ons_code"],
        }
        sync(Area, {"kind": kind, "code": row["code"]}, values, counts)
    return counts


def load_councils(path: Path = COUNCILS_CSV) -> Counts:
    """One council per CASSR code, with its ONS code history; needs the regions loaded."""
    regions = {region.ons_code: region for region in Area.objects.regions()}
    rows_by_cassr: dict[str, list[dict]] = {}
    for row in read_csv(path):
        rows_by_cassr.setdefault(row["cassr_code"], []).append(row)
    counts = Counts()
    for cassr, rows in rows_by_cassr.items():
        values = _council_values(cassr, rows, regions)
        sync(Area, {"kind": AreaKind.COUNCIL, "code": cassr}, values, counts)
    return counts


def _council_values(cassr: str, rows: list[dict], regions: dict[str, Area]) -> dict:
    current = [row for row in rows if row["current_2024_25"] == "True"]
    if len(rows) > 1 and (len(current) != 1 or cassr not in BOUNDARY_CHANGES):
        raise ReferenceDataError(
            f"CASSR {cassr} has {len(rows)} rows: only a council with one current row and a "
            "known boundary change may share its code with a legacy row"
        )
    main = current[0] if current else rows[0]
    if main["region_ons_code"] not in regions:
        raise ReferenceDataError(f"CASSR {cassr}: no region {main['region_ons_code']}")
    name = council_name(main)
    break_year, boundary_note = BOUNDARY_CHANGES.get(cassr, (None, ""))
    return {
        "name": name,
        "slug": slugify(name),
        "ons_code": main["ons_code"],
        "previous_ons_codes": parse_previous_ons_codes(main["previous_ons_codes"]),
        "council_type": COUNCIL_TYPES[main["council_type"]],
        "region_id": regions[main["region_ons_code"]].pk,
        # A legacy row sharing the code is the same council before its boundary change.
        "first_year": min(start_year(row["first_year_with_data"]) for row in rows),
        "last_year": None if current else start_year(main["last_year_with_data"]),
        "boundary_break_year": break_year,
        "boundary_note": boundary_note,
    }


def load_comparator_group(path: Path = WEST_MIDLANDS_CSV) -> Counts:
    """The default comparator group: the West Midlands ADASS councils; needs the councils."""
    rows = read_csv(path)
    region_codes = {row["region_ons_code"] for row in rows}
    if len(region_codes) != 1:
        raise ReferenceDataError(f"{path.name} spans regions {sorted(region_codes)}")
    region = Area.objects.regions().get(ons_code=region_codes.pop())
    cassr_codes = {row["cassr_code"] for row in rows}
    members = set(Area.objects.councils().filter(code__in=cassr_codes).values_list("pk", flat=True))
    if len(members) != len(cassr_codes):
        raise ReferenceDataError(f"{path.name} names councils that are not loaded")

    counts = Counts()
    # Only one group can be the default; saved one by one so that save signals fire.
    for other in ComparatorGroup.objects.filter(is_default=True).exclude(
        slug=WEST_MIDLANDS_ADASS["slug"]
    ):
        other.is_default = False
        other.save(update_fields=["is_default"])
        counts.updated += 1
    group = sync(
        ComparatorGroup,
        {"slug": WEST_MIDLANDS_ADASS["slug"]},
        {
            "name": WEST_MIDLANDS_ADASS["name"],
            "description": WEST_MIDLANDS_ADASS["description"],
            "region_id": region.pk,
            "is_default": True,
        },
        counts,
    )
    if set(group.councils.values_list("pk", flat=True)) != members:
        group.councils.set(members)
        # A change of members is a change of the group.
        if counts.unchanged:
            counts.unchanged -= 1
            counts.updated += 1
    return counts


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
    """The Indicator fields of one measure catalogue row."""
    code = ascof_code(row)
    collection = row["source"]
    domain = row["domain_2014_15_to_2022_23"][:1]
    objective = row["objective_2023_24_on"][:1]
    return {
        "slug": indicator_slug(code),
        "name": row["name"],
        "short_name": ASCOF_SHORT_NAMES[code],
        "definition": f"{row['name']}.\n\nNotes: {row['notes']}" if row["notes"] else row["name"],
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


def load_local_indicators(path: Path = LOCAL_INDICATORS_CSV) -> Counts:
    """The region's own qualitative and local measures (WM-…)."""
    counts = Counts()
    for position, row in enumerate(read_csv(path), start=LOCAL_FIRST_POSITION):
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
            "position": position,
        }
        sync(Indicator, {"code": row["code"]}, values, counts)
    return counts


@transaction.atomic
def load_reference() -> dict[str, Counts]:
    """Load every reference file, in dependency order, all or nothing."""
    return {
        "areas": load_areas(),
        "councils": load_councils(),
        "comparator groups": load_comparator_group(),
        "ASCOF indicators": load_ascof_indicators(),
        "indicator codes": load_indicator_codes(),
        "series breaks": load_series_breaks(),
        "local indicators": load_local_indicators(),
    }
