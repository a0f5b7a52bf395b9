"""Reference data: areas, councils and the West Midlands comparator group, then, through
`indicators.catalogue`, the indicators with the codes publications gave them over the years and
their series breaks.

Everything comes from the CSV files in data/ascof/ and data/reference/. Each loader compares a row
with what is stored before it writes, so loading twice changes nothing and its counts say so.
"""

import re
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from councils.models import Area, AreaKind, ComparatorGroup, CouncilType
from indicators import errata
from indicators.catalogue import (
    ASCOF_DIR,
    REFERENCE_DIR,
    Counts,
    ReferenceDataError,
    load_ascof_indicators,
    load_indicator_codes,
    load_local_indicators,
    load_series_breaks,
    read_csv,
    start_year,
    sync,
)
from indicators.periods import parse_period

AREAS_CSV = REFERENCE_DIR / "areas.csv"
COUNCILS_CSV = ASCOF_DIR / "councils_cassr_2015-16_to_2024-25.csv"
WEST_MIDLANDS_CSV = ASCOF_DIR / "west_midlands_councils.csv"

AGGREGATE_SLUG_PREFIX = {
    AreaKind.ENGLAND: "",
    AreaKind.REGION: "region-",
    AreaKind.COUNCIL_TYPE: "type-",
}
COUNCIL_TYPES = {label: value for value, label in CouncilType.choices}

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
        "errata": errata.load(),
    }
