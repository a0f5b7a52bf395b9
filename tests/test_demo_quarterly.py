"""The region's quarterly measures in the reference data and the demo: their bases and first
quarters, the demo's quarters and counts, the period being collected, and the rows refused."""

import csv
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from councils.models import Area
from councils.reference import load_reference
from indicators.catalogue import (
    LOCAL_INDICATORS_CSV,
    ReferenceDataError,
    load_local_indicators,
)
from indicators.management.commands.load_demo import DEMO_VALUES_CSV, load_demo_values
from indicators.models import (
    TOTAL,
    Collection,
    Indicator,
    Period,
    Source,
    Value,
    period_being_collected,
)
from scorecard import freshness
from scorecard.stats import round_half_away

QUARTERLY = {
    "WM-DASS-POST": "snapshot",
    "WM-CARE-ACT": "snapshot",
    "WM-COMPLAINTS": "in_quarter",
    "WM-CQC-LOCATIONS": "snapshot",
    "WM-CQC-NON-COMPLIANT": "snapshot",
    "WM-SW-VACANCY": "snapshot",
    "WM-AGENCY-STAFF": "year_to_date",
}
YEARLY = ["WM-BCF", "WM-MH-CONCORDAT", "WM-PEER-CHALLENGE", "WM-LOCAL-ACCOUNT", "WM-MPS", "WM-MSP"]
NEW = ["WM-SW-VACANCY", "WM-AGENCY-STAFF"]
QUARTERS = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4", "2025-26 Q1", "2025-26 Q2"]
PERCENTAGES = ["WM-COMPLAINTS", "WM-CQC-NON-COMPLIANT", "WM-SW-VACANCY", "WM-AGENCY-STAFF"]
DEMO_ROWS = 14 * (11 + len(YEARLY) + len(QUARTERLY) * len(QUARTERS))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The test database comes loaded as `make demo` loads it (conftest.py): reference data, the
# shipped ASCOF files and the demo. Tests that load again say so.
pytestmark = pytest.mark.django_db


def load_demo() -> str:
    output = StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


def local_values():
    return Value.objects.filter(indicator__source=Source.LOCAL)


def in_period(code: str, label: str) -> dict[str, Value]:
    """Council name -> the value of one local measure in one period."""
    period = Period.objects.get_by_label(label)
    rows = local_values().filter(indicator__code=code, period=period).select_related("area")
    return {value.area.name: value for value in rows}


def rows_of(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


def write_rows(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


# The reference data -----------------------------------------------------------------------


def test_the_quarterly_measures_carry_their_basis_from_2024_25_q1():
    local = Indicator.objects.filter(source=Source.LOCAL).select_related("quarterly_from")
    bases = {i.code: (i.quarterly_basis, i.quarterly_from) for i in local}
    first = Period.objects.get_by_label("2024-25 Q1")
    assert {code: basis for code, (basis, _) in bases.items() if basis} == QUARTERLY
    assert {start for basis, start in bases.values() if basis} == {first}
    assert all(bases[code] == ("", None) for code in YEARLY)
    assert len(bases) == len(QUARTERLY) + len(YEARLY)


def test_the_resources_area_gains_the_two_workforce_measures():
    vacancy = Indicator.objects.get(code="WM-SW-VACANCY")
    agency = Indicator.objects.get(code="WM-AGENCY-STAFF")
    for measure in (vacancy, agency):
        assert (measure.kind, measure.polarity, measure.multiplier, measure.unit) == (
            "percentage",
            "lower_is_better",
            100,
            "%",
        )
        assert measure.scorecard_area == "resources"
        assert measure.definition and measure.short_name
    assert "vacant" in vacancy.definition and "established" in vacancy.definition
    assert "since 1 April" in agency.definition
    assert Indicator.objects.filter(source=Source.LOCAL, scorecard_area="resources").count() == 4


@pytest.mark.parametrize(
    "change, column, message",
    [
        ({"quarterly_basis": "monthly"}, "quarterly_basis", "'monthly' is not one of snapshot"),
        ({"quarterly_from": "2024-25 Q2"}, "quarterly_from", "is not the first quarter"),
        ({"quarterly_from": "2024"}, "quarterly_from", "is not a financial year"),
        ({"quarterly_from": ""}, "quarterly_from", "blank, but quarterly_basis is 'snapshot'"),
        ({"quarterly_basis": ""}, "quarterly_basis", "blank, but quarterly_from is '2024-25 Q1'"),
    ],
)
def test_a_bad_quarterly_column_is_refused_naming_file_line_and_column(
    tmp_path, change, column, message
):
    columns, rows = rows_of(LOCAL_INDICATORS_CSV)
    line = next(i for i, row in enumerate(rows, start=2) if row["code"] == "WM-CARE-ACT")
    rows[line - 2].update(change)
    path = write_rows(tmp_path / "local_indicators.csv", columns, rows)

    with pytest.raises(ReferenceDataError) as error:
        load_local_indicators(path)

    assert f"local_indicators.csv line {line}, column {column}: " in str(error.value)
    assert message in str(error.value)


def test_loading_the_reference_again_changes_no_local_measure():
    counts = load_local_indicators()
    assert (counts.changed, counts.unchanged) == (0, len(QUARTERLY) + len(YEARLY))


# The demo values --------------------------------------------------------------------------


def test_every_quarterly_measure_has_the_14_councils_in_each_quarter_and_no_year_from_2024():
    by_period = Counter(
        local_values().values_list("period__year", "period__quarter", "indicator__code")
    )
    for label in QUARTERS:
        period = Period.objects.get_by_label(label)
        for code in QUARTERLY:
            assert by_period[(period.year, period.quarter, code)] == 14, (label, code)
        for code in YEARLY:
            assert by_period[(period.year, period.quarter, code)] == 0, (label, code)
    for code in YEARLY:
        assert by_period[(2023, None, code)] == by_period[(2024, None, code)] == 14, code
    for code in QUARTERLY:
        assert by_period[(2024, None, code)] == by_period[(2025, None, code)] == 0, code
        assert by_period[(2023, None, code)] == (0 if code in NEW else 14), code
    assert local_values().count() == sum(by_period.values()) == DEMO_ROWS
    assert set(local_values().values_list("disaggregation", flat=True)) == {TOTAL}


def test_percentages_carry_counts_whose_ratio_is_the_outcome():
    percentages = local_values().filter(indicator__kind="percentage").select_related("indicator")
    assert percentages.count() == 14 * (2 + len(PERCENTAGES) * len(QUARTERS))
    for value in percentages:
        assert (value.numerator_status, value.denominator_status) == ("available", "available")
        assert 0 <= value.numerator <= value.denominator
        indicator = value.indicator
        if value.denominator == 0:
            assert (value.outcome, value.outcome_status) == (None, "not_applicable")
            continue
        ratio = value.numerator / value.denominator * indicator.multiplier
        assert value.outcome == round_half_away(ratio, indicator.decimals), value
        assert value.outcome_status == "available"
    others = local_values().exclude(indicator__kind="percentage")
    assert not others.filter(numerator__isnull=False).exists()
    assert not others.filter(denominator__isnull=False).exists()


def test_a_quarter_with_no_complaint_decided_is_not_applicable_not_zero():
    none_decided = local_values().filter(indicator__code="WM-COMPLAINTS", denominator=0)
    assert list(none_decided.values_list("area__name", "period__year", "period__quarter")) == [
        ("Herefordshire", 2025, 1)
    ]


def test_the_2024_25_quarters_end_where_the_regions_yearly_figures_stood():
    # A snapshot's year is its Q4; the complaints of the four quarters give the year's share.
    locations = {c: v.outcome for c, v in in_period("WM-CQC-LOCATIONS", "2024-25 Q4").items()}
    assert (locations["Birmingham"], locations["Telford and Wrekin"]) == (505, 88)
    assert min(locations, key=locations.get) == "Telford and Wrekin"
    care_act = Counter(v.text_value for v in in_period("WM-CARE-ACT", "2024-25 Q4").values())
    assert care_act == {"green": 2, "amber": 12}
    non_compliant = [v.outcome for v in in_period("WM-CQC-NON-COMPLIANT", "2024-25 Q4").values()]
    assert (min(non_compliant), max(non_compliant)) == (10, 53)
    for council, value in in_period("WM-CQC-NON-COMPLIANT", "2024-25 Q4").items():
        assert value.denominator == locations[council]
    upheld = Counter()
    decided = Counter()
    for label in QUARTERS[:4]:
        for council, value in in_period("WM-COMPLAINTS", label).items():
            upheld[council] += value.numerator
            decided[council] += value.denominator
    year = {c: round_half_away(100 * upheld[c] / decided[c], 0) for c in decided}
    assert (year["Solihull"], year["Herefordshire"], year["Birmingham"]) == (0, 40, 27)
    assert max(decided.values()) == decided["Birmingham"]


def test_the_workforce_measures_are_plausible_for_councils_of_very_different_sizes():
    for label in QUARTERS:
        vacancies = in_period("WM-SW-VACANCY", label)
        assert all(6 <= v.outcome <= 25 for v in vacancies.values()), label
        assert vacancies["Birmingham"].denominator > 4 * vacancies["Herefordshire"].denominator
    # Year to date: each quarter adds its days to the year's, and a new year starts again.
    for council in in_period("WM-AGENCY-STAFF", "2024-25 Q1"):
        days = [in_period("WM-AGENCY-STAFF", label)[council] for label in QUARTERS]
        all_days = [value.denominator for value in days]
        assert all_days[:4] == sorted(all_days[:4]) and all_days[4] < all_days[3], council
        agency = [value.numerator for value in days]
        assert agency[:4] == sorted(agency[:4]) and agency[4:] == sorted(agency[4:]), council


def test_ratings_and_posts_move_now_and_then():
    def moves(code):
        return sum(
            before[council].text_value != after[council].text_value
            for before, after in zip(
                [in_period(code, label) for label in QUARTERS[:-1]],
                [in_period(code, label) for label in QUARTERS[1:]],
                strict=True,
            )
            for council in before
        )

    assert 3 <= moves("WM-CARE-ACT") <= 14
    assert 3 <= moves("WM-DASS-POST") <= 14


def test_the_period_being_collected_is_2025_26_q3_and_the_demo_user_may_change_it():
    assert Collection.objects.get(pk=1).period == Period.objects.get_by_label("2025-26 Q3")
    assert period_being_collected() == (2025, 3)
    user = get_user_model().objects.get(username="demo")
    assert user.has_perm("indicators.change_collection")
    assert user.has_perm("indicators.change_value") and user.has_perm("indicators.add_value")
    assert not user.has_perm("indicators.delete_collection")


def test_loading_the_reference_and_the_demo_twice_changes_nothing():
    load_reference()
    load_demo()
    load_reference()
    output = load_demo()
    assert f"demo values: 0 created, 0 updated, 0 deleted, {DEMO_ROWS} unchanged" in output
    assert "period being collected: 2025-26 Q3 (unchanged)" in output
    assert "demo user demo (regional lead): unchanged" in output


def test_a_collection_moved_elsewhere_is_set_back_to_2025_26_q3():
    Collection.objects.filter(pk=1).update(period=Period.objects.for_label("2026-27"))
    assert "period being collected: 2025-26 Q3 (set)" in load_demo()
    assert period_being_collected() == (2025, 3)


def test_a_year_the_demo_loaded_before_its_measure_became_quarterly_is_deleted():
    old = Value.objects.create(
        area=Area.objects.get(kind="council", name="Walsall"),
        indicator=Indicator.objects.get(code="WM-CARE-ACT"),
        period=Period.objects.for_label("2024-25"),
        text_value="amber",
        outcome_status="available",
        note="Illustrative demo value",
    )
    assert f"0 created, 0 updated, 1 deleted, {DEMO_ROWS} unchanged" in load_demo()
    assert not Value.objects.filter(pk=old.pk).exists()


BAD_ROWS = [
    (
        "a percentage without counts",
        {"indicator": "WM-SW-VACANCY", "numerator": "", "denominator": "", "value": "12.5"},
        "WM-SW-VACANCY is a percentage: give its numerator and denominator",
    ),
    (
        "a percentage without its denominator",
        {"indicator": "WM-COMPLAINTS", "numerator": "2", "denominator": ""},
        "give its denominator",
    ),
    (
        "a percentage with a value as well as its counts",
        {"indicator": "WM-COMPLAINTS", "numerator": "2", "denominator": "5", "value": "40"},
        "leave value blank",
    ),
    (
        "more upheld than decided",
        {"indicator": "WM-COMPLAINTS", "numerator": "6", "denominator": "5"},
        "numerator 6 is greater than its denominator 5",
    ),
    (
        "a count that is not a number",
        {"indicator": "WM-COMPLAINTS", "numerator": "two", "denominator": "5"},
        "numerator 'two' is not a number",
    ),
    (
        "counts on a rating",
        {"indicator": "WM-CARE-ACT", "value": "green", "numerator": "1", "denominator": "2"},
        "only a percentage carries a numerator and a denominator",
    ),
    (
        "a year of a quarterly measure",
        {"indicator": "WM-CARE-ACT", "period": "2024-25", "value": "green"},
        "its value for the year is derived from its quarters",
    ),
    (
        "a quarter before the first",
        {"indicator": "WM-CARE-ACT", "period": "2023-24 Q4", "value": "green"},
        "2023-24 Q4 is before 2024-25 Q1",
    ),
    (
        "a quarter of a yearly measure",
        {"indicator": "WM-BCF", "period": "2024-25 Q2", "value": "yes"},
        "the measure is collected yearly",
    ),
    (
        "a quarter after the period being collected",
        {"indicator": "WM-CARE-ACT", "period": "2025-26 Q4", "value": "green"},
        "after the period being collected (2025-26 Q3)",
    ),
]


@pytest.mark.parametrize("change, message", [r[1:] for r in BAD_ROWS], ids=[r[0] for r in BAD_ROWS])
def test_a_bad_row_is_refused_naming_its_line_and_nothing_is_written(tmp_path, change, message):
    columns, rows = rows_of(DEMO_VALUES_CSV)
    template = next(
        row for row in rows if row["period"] == "2025-26 Q2" and row["indicator"] == "WM-COMPLAINTS"
    )
    line = 2 + len(rows) // 2
    rows[line - 2] = {**template, "value": "", **change}
    path = write_rows(tmp_path / "local_values.csv", columns, rows)
    before = list(local_values().order_by("pk").values())

    with pytest.raises(CommandError) as error, freshness.batch():
        load_demo_values(path)

    assert str(error.value).startswith(f"local_values.csv line {line}: ")
    assert message in str(error.value)
    assert list(local_values().order_by("pk").values()) == before
