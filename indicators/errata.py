"""Errata: the one way to correct a published figure.

An `Erratum` names one field of one value (outcome, numerator, denominator, base or margin of
error), the figure as published and the corrected figure, with the reason and the evidence.
Published values are read-only in the admin: a regional lead records an erratum instead, and
the errata found so far ship as reference data (data/reference/errata.csv, loaded by
`manage.py load_reference`).

- Recording an erratum (`apply`) writes the corrected figure into the value, audited as a
  `ValueChange` with the reason. The value's save reaches `scorecard.freshness` like every
  write, so the statistics use the corrected figure and stored results are recomputed.
- Every import keeps it (`indicators.importing`): a field with an erratum takes the corrected
  figure whatever the file says, so it survives re-imports in any order. A file that gives a
  figure that is neither the one recorded as published nor the correction flags the erratum
  for review (`needs_review`, with the publisher's new figure) and the import's report says so.
- Withdrawing one (`withdraw`, when it is deleted in the admin) puts the published figure back.

Pages learn which values carry an erratum with `Value.objects.with_errata()` (an EXISTS per
value, in the same query) or `corrected_fields` (which fields, one query).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from councils.models import Area

from . import validation
from .catalogue import REFERENCE_DIR, Counts, read_csv, sync
from .models import (
    PUBLISHED_FIELDS,
    VALUE_KEY,
    Availability,
    Erratum,
    Indicator,
    Period,
    Value,
    ValueChange,
)
from .periods import parse_period

ERRATA_CSV = REFERENCE_DIR / "errata.csv"
LOOKUP = ("area", "indicator", "period", "disaggregation", "field")


def problems(indicator: Indicator, field: str, published, corrected) -> list[str]:
    """What is wrong with a correction, as entered data: the validation layer's rules for
    the indicator's kind, implausible figures refused too; a correction must change the
    figure."""
    found = []
    if field not in PUBLISHED_FIELDS:
        found.append(f"{field!r} is not a published figure ({', '.join(PUBLISHED_FIELDS)})")
        return found
    if corrected is not None:
        for problem in validation.check_numbers(indicator.kind, {field: [corrected]})[0]:
            found.append(f"The corrected {problem.message}")
    if published is not None and corrected is not None and published == corrected:
        found.append("The corrected figure is the figure as published: there is nothing to correct")
    return found


def _shown(status: str, number: float | None) -> str:
    return f"{number:g}" if status == Availability.AVAILABLE else (status or "(none)")


def audit_reason(erratum: Erratum) -> str:
    return f"Erratum: {erratum.reason}"[:300]


def apply(erratum: Erratum, user=None) -> bool:
    """Write the corrected figure into the value, if it is stored and differs; audited with
    the erratum's reason. True if the value changed."""
    value = _value(erratum)
    if value is None:
        return False
    return _write(value, erratum.field, erratum.corrected, audit_reason(erratum), user)


def withdraw(erratum: Erratum, user=None) -> bool:
    """Put the figure as published back into the value (the erratum is being deleted)."""
    value = _value(erratum)
    if value is None:
        return False
    reason = f"Erratum withdrawn: {erratum.reason}"[:300]
    return _write(value, erratum.field, erratum.published, reason, user)


def _value(erratum: Erratum) -> Value | None:
    return (
        Value.objects.select_for_update()
        .filter(
            area_id=erratum.area_id,
            indicator_id=erratum.indicator_id,
            period_id=erratum.period_id,
            disaggregation=erratum.disaggregation,
        )
        .first()
    )


def _write(value: Value, field: str, number: float, reason: str, user) -> bool:
    old = (getattr(value, f"{field}_status"), getattr(value, field))
    if old == (Availability.AVAILABLE, number):
        return False
    setattr(value, field, number)
    setattr(value, f"{field}_status", Availability.AVAILABLE)
    value.version += 1  # an admin form opened before the correction is refused
    value.save(update_fields=[field, f"{field}_status", "version", "updated_at"])
    ValueChange.objects.create(
        value=value,
        field=field,
        old=_shown(*old),
        new=_shown(Availability.AVAILABLE, number),
        changed_by=user,
        reason=reason,
        via=ValueChange.Via.ERRATUM,
    )
    return True


def by_key(indicators: Iterable[int], periods: Iterable[int]) -> dict[tuple, dict[str, Erratum]]:
    """The errata of these indicators and periods, by value key (as VALUE_KEY orders it) and
    field: one query."""
    found = defaultdict(dict)
    errata = Erratum.objects.filter(indicator_id__in=set(indicators), period_id__in=set(periods))
    for erratum in errata.select_related("area", "indicator", "period"):
        found[erratum.key][erratum.field] = erratum
    return dict(found)


def corrected_fields(values: Iterable[Value]) -> dict[tuple, dict[str, Erratum]]:
    """For the values given, which of their fields an erratum corrects, by value key
    ((indicator id, period id, area id, disaggregation)) and field: one query whatever the
    number of values. A value without an erratum is not in the result."""
    keys = {tuple(getattr(value, name) for name in VALUE_KEY) for value in values}
    if not keys:
        return {}
    found = by_key({key[0] for key in keys}, {key[1] for key in keys})
    return {key: fields for key, fields in found.items() if key in keys}


# Reference data ---------------------------------------------------------------------------


def load(path: Path = ERRATA_CSV) -> Counts:
    """Load the shipped errata (one row per corrected field) and apply them to the values
    already stored; all rows are checked before anything is written."""
    counts = Counts()
    if not path.exists():
        return counts
    rows, errors = [], []
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    areas = defaultdict(list)
    for area in Area.objects.all():
        areas[area.code].append(area)
    for number, row in enumerate(read_csv(path), start=2):
        where = f"{path.name}, row {number}"
        indicator = indicators.get(row["indicator"])
        found = areas.get(row["area"], [])
        try:
            year, quarter = parse_period(row["period"])
            published, corrected = float(row["published"]), float(row["corrected"])
            recorded = datetime.fromisoformat(row["recorded_on"]).replace(tzinfo=UTC)
        except ValueError as error:
            errors.append(f"{where}: {error}")
            continue
        if indicator is None:
            errors.append(f"{where}: unknown indicator {row['indicator']!r}")
            continue
        if len(found) != 1:
            errors.append(f"{where}: area code {row['area']!r} names {len(found)} areas, not one")
            continue
        if not row["reason"] or not row["evidence"]:
            errors.append(f"{where}: an erratum needs its reason and its evidence")
        errors += [
            f"{where}: {problem}"
            for problem in problems(indicator, row["field"], published, corrected)
        ]
        lookup = {"area": found[0], "indicator": indicator, "field": row["field"]}
        lookup["disaggregation"] = row["disaggregation"] or "Total"
        values = {
            "published": published,
            "corrected": corrected,
            "reason": row["reason"],
            "evidence": row["evidence"],
            "recorded_at": recorded,
        }
        rows.append((lookup, (year, quarter), values))
    if errors:
        raise ValueError("; ".join(errors))
    for lookup, (year, quarter), values in rows:
        lookup["period"] = Period.objects.get_or_create(year=year, quarter=quarter)[0]
        erratum = sync(Erratum, lookup, values, counts)
        apply(erratum)
    return counts
