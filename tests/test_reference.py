import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q

from councils.models import Area, AreaKind, ComparatorGroup
from councils.reference import load_reference, parse_previous_ons_codes
from indicators.catalogue import (
    CATALOGUE_CSV,
    ReferenceDataError,
    check_no_overlaps,
    code_spans,
    indicator_slug,
    load_ascof_indicators,
    load_indicator_codes,
    start_year,
)
from indicators.models import (
    Erratum,
    ImportRun,
    Indicator,
    IndicatorCode,
    SeriesBreak,
    Source,
    Value,
    normalise_code,
)
from scorecard import freshness

WEST_MIDLANDS_CASSR = {
    "404", "406", "407", "408", "409", "410", "411", "412", "413", "414", "415", "416", "417", "418"
}  # fmt: skip


@pytest.fixture
def reference(db):
    return load_reference()


def catalogue_row(**fields) -> dict[str, str]:
    row = dict.fromkeys(
        [
            "code_2024_25",
            "code_2023_24_csv",
            "code_2014_15_to_2022_23_handbook",
            "measure_group_csv_2015_16_to_2022_23",
            "first_year",
            "last_year",
        ],
        "",
    )
    return {**row, **fields}


def code_history(code: str) -> list[tuple[str, str]]:
    return [(row.code, row.span) for row in Indicator.objects.get(code=code).codes.all()]


def indicator_meant_by(code: str, year: int) -> str:
    """The importer's question, asked inline: which indicator did `code` mean in `year`?"""
    row = IndicatorCode.objects.get(
        Q(last_year__isnull=True) | Q(last_year__gte=year),
        normalised=normalise_code(code),
        first_year__lte=year,
    )
    return row.indicator.code


def test_previous_ons_codes_read_the_code_and_the_last_year_it_was_used():
    assert parse_previous_ons_codes("E10000002 (to 2019-20)") == [
        {"code": "E10000002", "until": 2019, "note": ""}
    ]


def test_previous_ons_codes_keep_a_note_before_the_year():
    assert parse_previous_ons_codes("E10000009 (Dorset County, to 2018-19)") == [
        {"code": "E10000009", "until": 2018, "note": "Dorset County"}
    ]


def test_several_previous_ons_codes_are_separated_by_semicolons():
    codes = parse_previous_ons_codes("E10000001 (to 2010-11); E10000002 (to 2019-20)")
    assert [(code["code"], code["until"]) for code in codes] == [
        ("E10000001", 2010),
        ("E10000002", 2019),
    ]


def test_no_previous_ons_code_is_an_empty_list():
    assert parse_previous_ons_codes("") == []


def test_an_unreadable_previous_ons_code_is_an_error():
    with pytest.raises(ReferenceDataError, match="E10000002 until 2019"):
        parse_previous_ons_codes("E10000002 until 2019")


def test_catalogue_years_are_read_before_any_note_in_brackets():
    assert start_year("2014-15 (split a/b)") == 2014
    assert start_year("2013-14 (framework; first SACE data 2014-15)") == 2013
    assert start_year("") is None


def test_indicator_slugs_drop_parentheses():
    assert indicator_slug("3D(2a)") == "3d2a"
    assert indicator_slug("old-2C(1)") == "old-2c1"


def test_157_councils_9_regions_england_and_5_council_types_load(reference):
    assert Area.objects.councils().count() == 157
    assert Area.objects.regions().count() == 9
    assert Area.objects.get(kind=AreaKind.ENGLAND).ons_code == "E92000001"
    assert Area.objects.filter(kind=AreaKind.COUNCIL_TYPE).count() == 5
    assert Area.objects.regions().get(code="WM").slug == "region-west-midlands"
    assert Area.objects.get(kind=AreaKind.COUNCIL_TYPE, code="M").slug == (
        "type-metropolitan-districts"
    )


def test_current_councils_have_no_last_year_and_legacy_councils_end(reference):
    assert Area.objects.councils().filter(last_year__isnull=True).count() == 153
    ended = dict(
        Area.objects.councils().filter(last_year__isnull=False).values_list("name", "last_year")
    )
    assert ended == {"Cumbria": 2022, "Northamptonshire": 2020, "Bournemouth": 2018, "Poole": 2018}


def test_dorset_is_one_council_with_its_county_code_and_a_boundary_break(reference):
    dorset = Area.objects.councils().get(code="809")
    assert dorset.name == "Dorset"
    assert dorset.ons_code == "E06000059"
    assert dorset.previous_ons_codes == [
        {"code": "E10000009", "until": 2018, "note": "Dorset County"}
    ]
    assert dorset.ons_code_in(2018) == "E10000009"
    assert dorset.ons_code_in(2019) == "E06000059"
    assert dorset.boundary_break_year == 2019
    assert "Christchurch" in dorset.boundary_note
    assert (dorset.first_year, dorset.last_year) == (2015, None)


def test_birmingham_is_cassr_406_a_metropolitan_district_in_the_west_midlands(reference):
    birmingham = Area.objects.councils().get(code="406")
    assert birmingham.name == "Birmingham"
    assert birmingham.council_type == "M"
    assert birmingham.region.code == "WM"
    assert birmingham.slug == "birmingham"


def test_councils_take_their_plain_names(reference):
    names = dict(Area.objects.councils().values_list("code", "name"))
    assert names["415"] == "Herefordshire"
    assert names["418"] == "Telford and Wrekin"
    assert names["909"] == "Bristol"
    assert Area.objects.councils().get(code="418").slug == "telford-and-wrekin"
    assert Area.objects.councils().get(code="414").slug == "stoke-on-trent"


def test_the_west_midlands_adass_group_is_the_default_with_its_14_councils(reference):
    group = ComparatorGroup.objects.get(slug="west-midlands-adass")
    assert group.is_default
    assert group.region.code == "WM"
    assert set(group.councils.values_list("code", flat=True)) == WEST_MIDLANDS_CASSR


def test_the_catalogue_gives_34_ascof_indicators_and_the_local_ones(reference):
    assert Indicator.objects.filter(source=Source.ASCOF).count() == 34
    local = Indicator.objects.filter(source=Source.LOCAL)
    assert local.count() == 13
    assert all(code.startswith("WM-") for code in local.values_list("code", flat=True))


def test_ascof_indicators_carry_the_catalogue_fields(reference):
    direct_payments = Indicator.objects.get(code="3D(2a)")
    assert direct_payments.slug == "3d2a"
    assert direct_payments.short_name == "Direct payments (users)"
    assert (direct_payments.kind, direct_payments.multiplier) == ("percentage", 100)
    assert (direct_payments.domain, direct_payments.objective) == ("1", "3")
    assert (direct_payments.first_year, direct_payments.last_year) == (2014, None)
    assert direct_payments.scorecard_area == "outcomes"
    # The written definition comes from the workbook (`import_ascof`), not the catalogue.
    assert direct_payments.definition != direct_payments.name

    carer_quality_of_life = Indicator.objects.get(code="1C")
    assert carer_quality_of_life.is_survey and carer_quality_of_life.is_biennial
    assert carer_quality_of_life.kind == "score"

    delayed_transfers = Indicator.objects.get(code="old-2C(1)")
    assert (delayed_transfers.kind, delayed_transfers.last_year) == ("rate", 2019)
    assert delayed_transfers.slug == "old-2c1"
    assert Indicator.objects.get(code="6A").scorecard_area == "resources"


def test_the_code_history_of_3d2a_reads_1c2a_then_3d2a_then_3d2a_with_brackets(reference):
    assert code_history("3D(2a)") == [
        ("1C(2a)", "2014-15 to 2022-23"),
        ("3D2A", "in 2023-24"),
        ("3D(2a)", "from 2024-25"),
    ]


def test_a_code_used_in_every_framework_is_one_span(reference):
    assert code_history("1A") == [("1A", "from 2010-11")]


def test_a_measure_that_ended_in_2023_24_has_no_2024_25_code(reference):
    assert code_history("3D(1b)") == [("1C(1b)", "2014-15 to 2022-23"), ("3D1B", "in 2023-24")]


def test_a_measure_new_in_2023_24_has_its_code_from_2023_24(reference):
    assert code_history("4B") == [("4B", "from 2023-24")]


def test_a_reused_code_means_the_old_measure_before_2023_24_and_the_new_one_after(reference):
    assert indicator_meant_by("1E", 2022) == "old-1E"
    assert indicator_meant_by("1E", 2023) == "1E"
    assert indicator_meant_by("4B", 2022) == "old-4B"
    assert indicator_meant_by("4B", 2024) == "4B"
    assert indicator_meant_by("1B", 2022) == "3A"
    assert indicator_meant_by("1B", 2023) == "1B"
    assert indicator_meant_by("1C2A", 2020) == "3D(2a)"
    assert indicator_meant_by("2C(1)", 2019) == "old-2C(1)"
    assert not IndicatorCode.objects.filter(normalised="2C1", last_year__gt=2019).exists()


def test_no_code_names_two_indicators_in_the_same_year(reference):
    for year in range(2010, 2030):
        in_use = IndicatorCode.objects.filter(
            Q(last_year__isnull=True) | Q(last_year__gte=year), first_year__lte=year
        ).values_list("normalised", flat=True)
        assert len(in_use) == len(set(in_use)), year


def test_a_catalogue_that_gives_one_code_to_two_measures_at_once_is_refused():
    retired = catalogue_row(
        code_2014_15_to_2022_23_handbook="1E", first_year="2010-11", last_year="2022-23"
    )
    # Carers' satisfaction was 3B to 2022-23: a catalogue that said 1E would clash.
    current = catalogue_row(
        code_2024_25="1E",
        code_2023_24_csv="1E",
        code_2014_15_to_2022_23_handbook="1E",
        first_year="2012-13",
    )
    spans = code_spans(retired, Indicator(code="old-1E")) + code_spans(
        current, Indicator(code="1E")
    )
    with pytest.raises(ReferenceDataError, match="1E: 1E for old-1E .* and 1E for 1E"):
        check_no_overlaps(spans)


def catalogue_with(tmp_path, *rows: dict[str, str]):
    """A copy of the shipped measure catalogue with `rows` appended (blank where not given)."""
    path = tmp_path / "measure_catalogue.csv"
    with open(CATALOGUE_CSV, newline="", encoding="utf-8-sig") as shipped:
        text = shipped.read()
    header = next(csv.reader(StringIO(text)))
    with open(path, "w", newline="", encoding="utf-8") as copy:
        copy.write(text)
        writer = csv.DictWriter(copy, header, restval="", lineterminator="\n")
        writer.writerows(rows)
    return path


NEW_MEASURE = {
    "framework": "current",
    "code_2024_25": "7A",
    "name": "Proportion of carers supported to stay in paid work",
    "short_name": "Carers in paid work",
    "unit": "%",
    "decimals": "1",
    "polarity": "higher_is_better",
    "source": "CLD",
    "first_year": "2025-26",
    "multiplier": "100",
    "objective_2023_24_on": "6 Continuity and quality of care",
    "scorecard_area": "Outcomes",
}


def test_a_new_catalogue_row_loads_with_its_short_name_and_code_span(reference, tmp_path):
    path = catalogue_with(tmp_path, NEW_MEASURE)

    assert load_ascof_indicators(path).created == 1
    assert load_indicator_codes(path).created == 1

    carers = Indicator.objects.get(code="7A")
    assert (carers.short_name, carers.slug, carers.kind) == (
        "Carers in paid work",
        "7a",
        "percentage",
    )
    assert (carers.first_year, carers.objective, carers.position) == (2025, "6", 35)
    assert code_history("7A") == [("7A", "from 2025-26")]
    assert indicator_meant_by("7A", 2025) == "7A"
    again = [load_ascof_indicators(path), load_indicator_codes(path)]
    assert [counts.changed for counts in again] == [0, 0]


def test_a_catalogue_row_without_a_short_name_is_shown_by_its_code(reference, tmp_path):
    path = catalogue_with(tmp_path, {**NEW_MEASURE, "short_name": ""})

    load_ascof_indicators(path)

    assert Indicator.objects.get(code="7A").short_name == "7A"


def test_series_breaks_load_with_the_3d2a_break_in_2024_25(reference):
    assert SeriesBreak.objects.count() == 30
    direct_payments_break = SeriesBreak.objects.get(indicator__code="3D(2a)")
    assert (direct_payments_break.year, direct_payments_break.kind) == (2024, "break")
    assert "Client Level Data" in direct_payments_break.reason
    assert SeriesBreak.objects.filter(indicator__code="1B", kind="break").count() == 2
    old_safety = SeriesBreak.objects.get(indicator__code="old-4B")
    assert (old_safety.year, old_safety.kind) == (2020, "partial_coverage")


def test_local_indicators_carry_kind_categories_and_scorecard_area(reference):
    care_act = Indicator.objects.get(code="WM-CARE-ACT")
    assert (care_act.kind, care_act.polarity) == ("rag", "higher_is_better")
    assert care_act.categories == ["red", "amber", "green"]
    assert care_act.scorecard_area == "partnerships"
    dass = Indicator.objects.get(code="WM-DASS-POST")
    assert dass.categories == ["permanent", "interim", "joint DASS/DCS", "joint DASS/DPH"]
    assert (dass.scorecard_area, dass.polarity) == ("governance", "no_judgement")
    complaints = Indicator.objects.get(code="WM-COMPLAINTS")
    assert (complaints.kind, complaints.polarity, complaints.multiplier) == (
        "percentage",
        "lower_is_better",
        100,
    )
    local_account = Indicator.objects.get(code="WM-LOCAL-ACCOUNT")
    assert (local_account.kind, local_account.decimals) == ("year", 0)
    assert (
        min(Indicator.objects.filter(source=Source.LOCAL).values_list("position", flat=True)) > 34
    )


def empty_database():
    """Delete what the test database comes loaded with (conftest.py), in the transaction the
    test rolls back, as one change (one batch, not one recomputation per deleted row)."""
    with freshness.batch():
        Value.objects.all().delete()
        Erratum.objects.all().delete()
        ImportRun.objects.all().delete()
        ComparatorGroup.objects.all().delete()
        Area.objects.councils().delete()
        Area.objects.all().delete()
        Indicator.objects.all().delete()


@pytest.mark.django_db
def test_the_command_reports_what_it_created_and_then_that_nothing_changed():
    empty_database()
    first, second = StringIO(), StringIO()
    call_command("load_reference", stdout=first)
    call_command("load_reference", stdout=second)
    assert "councils: 157 created" in first.getvalue()
    assert "councils: 0 created, 0 updated, 0 deleted, 157 unchanged" in second.getvalue()
    assert "No changes" in second.getvalue()


def test_loading_again_changes_nothing(reference):
    again = load_reference()
    assert {name: counts.changed for name, counts in again.items()} == dict.fromkeys(again, 0)


def test_loading_again_puts_back_an_edited_council_and_says_so(reference):
    Area.objects.councils().filter(code="406").update(name="Brum")
    assert load_reference()["councils"].updated == 1
    assert Area.objects.councils().get(code="406").name == "Birmingham"


def test_loading_again_removes_a_code_the_catalogue_no_longer_gives(reference):
    IndicatorCode.objects.create(
        indicator=Indicator.objects.get(code="1A"), code="9Z", first_year=2030
    )
    assert load_reference()["indicator codes"].deleted == 1
    assert not IndicatorCode.objects.filter(code="9Z").exists()
