"""Quarterly measures through the store: each quarter's direction by the measure's basis, each
year derived from its quarters, on the demo's quarterly values (2024-25 Q1 to 2025-26 Q2)."""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest

from councils.models import ComparatorGroup
from indicators.models import Value
from scorecard import data
from scorecard.models import YEAR, Standing

pytestmark = pytest.mark.django_db


def _info(code):
    return next(info for info in data.indicators() if info.code == code)


def _row(result, name):
    return next(row for row in result.rows if row.council.name == name)


def _value(code, council, year, quarter):
    return Value.objects.get(
        indicator__code=code, area__name=council, period__year=year, period__quarter=quarter
    )


def _group():
    return ComparatorGroup.objects.get(is_default=True)


def test_an_in_quarter_year_is_its_four_quarters_counts_together():
    info = _info("WM-COMPLAINTS")
    assert info.quarterly_basis == "in_quarter"
    quarters = [_value("WM-COMPLAINTS", "Birmingham", 2024, q) for q in (1, 2, 3, 4)]
    upheld = sum(Decimal(str(v.numerator)) for v in quarters)
    decided = sum(Decimal(str(v.denominator)) for v in quarters)
    expected = float((upheld * 100 / decided).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    row = _row(data.benchmarks(2024, _group(), [info])[info.id], "Birmingham")
    assert row.cell.has_value
    assert (row.cell.outcome, row.cell.numerator, row.cell.denominator) == (
        expected,
        float(upheld),
        float(decided),
    )
    assert row.cell.derived == "Q1 to Q4 together"
    # Never stored as a year as well: the year exists only through its quarters.
    assert not Value.objects.filter(
        indicator__code="WM-COMPLAINTS", period__year=2024, period__quarter__isnull=True
    ).exists()


def test_a_snapshot_year_is_its_fourth_quarter():
    info = _info("WM-CQC-NON-COMPLIANT")
    assert info.quarterly_basis == "snapshot"
    q4 = _value("WM-CQC-NON-COMPLIANT", "Walsall", 2024, 4)
    row = _row(data.benchmarks(2024, _group(), [info])[info.id], "Walsall")
    assert (row.cell.outcome, row.cell.numerator) == (q4.outcome, q4.numerator)
    assert row.cell.derived == "Q4's value"


def test_a_year_without_its_fourth_quarter_is_incomplete_and_not_offered_as_a_year():
    info = _info("WM-CQC-NON-COMPLIANT")
    row = _row(data.benchmarks(2025, _group(), [info])[info.id], "Walsall")
    assert not row.cell.has_value
    assert row.cell.status_label == "Year incomplete: Q4 not in"
    assert row.group is None or row.group.rank is None
    periods = data.periods_with_data()
    assert (2025, 2) in periods and (2025, 1) in periods
    assert (2025, None) not in periods
    # A year follows its own Q4.
    assert periods.index((2024, 4)) < periods.index((2024, None)) < periods.index((2025, 1))


def test_a_snapshot_quarter_compares_with_the_quarter_before():
    info = _info("WM-CQC-NON-COMPLIANT")
    result = data.benchmarks(2025, _group(), [info], quarter=1)[info.id]
    assert result.period == "2025-26 Q1"
    row = _row(result, "Dudley")
    before = _value("WM-CQC-NON-COMPLIANT", "Dudley", 2024, 4).outcome
    now = _value("WM-CQC-NON-COMPLIANT", "Dudley", 2025, 1).outcome
    assert row.cell.outcome == now
    assert row.previous_period == "2024-25 Q4" and row.previous_value == before
    expected = "static" if now == before else ("improving" if now < before else "worsening")
    assert row.direction == expected  # lower is better


def test_an_in_quarter_quarter_compares_with_the_same_quarter_a_year_earlier():
    info = _info("WM-COMPLAINTS")
    row = _row(data.benchmarks(2025, _group(), [info], quarter=2)[info.id], "Coventry")
    assert row.previous_period == "2024-25 Q2"
    assert row.previous_value == _value("WM-COMPLAINTS", "Coventry", 2024, 2).outcome
    # The first year of quarters has nothing a year earlier to compare with.
    first = _row(data.benchmarks(2024, _group(), [info], quarter=2)[info.id], "Coventry")
    assert first.direction == "not_comparable" and first.previous_period == ""


def test_a_year_to_date_quarter_compares_with_the_same_quarter_a_year_earlier():
    info = _info("WM-AGENCY-STAFF")
    assert info.quarterly_basis == "year_to_date"
    row = _row(data.benchmarks(2025, _group(), [info], quarter=1)[info.id], "Solihull")
    assert row.previous_period == "2024-25 Q1"
    assert row.previous_value == _value("WM-AGENCY-STAFF", "Solihull", 2024, 1).outcome


def test_every_council_of_the_group_is_ranked_and_banded_in_a_quarter():
    info = _info("WM-SW-VACANCY")
    result = data.benchmarks(2025, _group(), [info], quarter=2)[info.id]
    ranked = [row for row in result.rows if row.group and row.group.rank]
    assert len(ranked) == 14
    assert {row.group.band for row in ranked} == {1, 2, 3, 4}
    # Quarters are stored apart from years.
    assert Standing.objects.filter(indicator_id=info.id, year=2025, quarter=2).exists()
    assert (
        not Standing.objects.filter(indicator_id=info.id, year=2025, quarter=YEAR)
        .filter(value__isnull=False)
        .exists()
    )


def test_a_corrected_fourth_quarter_changes_the_year_on_the_next_read():
    info = _info("WM-CQC-NON-COMPLIANT")
    q4 = _value("WM-CQC-NON-COMPLIANT", "Sandwell", 2024, 4)
    q4.numerator, q4.outcome = q4.denominator, 100.0
    q4.save()
    row = _row(data.benchmarks(2024, _group(), [info])[info.id], "Sandwell")
    assert row.cell.outcome == 100.0
    assert row.group.rank == 14  # every location not compliant: the worst in the group
    q4.delete()
    row = _row(data.benchmarks(2024, _group(), [info])[info.id], "Sandwell")
    assert not row.cell.has_value and "Q4" in row.cell.status_label


def test_the_demos_values_say_they_are_illustrative_on_pages_and_downloads(client):
    overview = client.get("/?period=2025-26%20Q2").content.decode()
    assert data.DEMO_CAVEAT.replace("'", "&#x27;") in overview
    info = _info("WM-COMPLAINTS")
    rows = _csv(client, f"/indicators/{info.slug}/?period=2025-26%20Q2&format=csv")
    assert len(rows) == 14
    assert {row["note"] for row in rows} == {"Illustrative demo value"}
    assert {row["period"] for row in rows} == {"2025-26 Q2"}
    # Published figures carry no such note.
    assert not any(row["note"] for row in _csv(client, "/indicators/1a/?format=csv"))


def _csv(client, url):
    text = client.get(url).content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))
