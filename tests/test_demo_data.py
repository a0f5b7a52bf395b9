from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from councils.reference import load_reference
from indicators.models import Indicator, Source, Value
from indicators.periods import period_end

LATEST, PREVIOUS = 2024, 2023


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # These tests check who can log in, not how strongly passwords are hashed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    load_reference()
    output = StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


def headline(value: Value):
    if value.text_value:
        return value.text_value
    return value.date_value or value.outcome


def values_in(indicator_code: str, year: int) -> dict[str, object]:
    """Council name -> headline value of one local indicator in one year (the year's own
    value: a quarterly measure's quarters are tests/test_demo_quarterly.py's)."""
    rows = Value.objects.filter(
        indicator__code=indicator_code, period__year=year, period__quarter__isnull=True
    ).select_related("area")
    return {value.area.name: headline(value) for value in rows}


def local_values():
    """The values of the region's own indicators: the database also holds the ASCOF ones."""
    return Value.objects.filter(indicator__source=Source.LOCAL)


def test_every_local_indicator_has_a_value_for_the_14_councils_in_each_of_its_years(demo):
    # Measures quarterly from 2024-25 have quarters there instead (test_demo_quarterly.py),
    # and the two workforce measures begin then.
    local = Indicator.objects.filter(source=Source.LOCAL)
    yearly = local.filter(quarterly_basis="").count()
    in_2023 = local.exclude(code__in=["WM-SW-VACANCY", "WM-AGENCY-STAFF"]).count()
    assert (yearly, in_2023) == (6, 11)
    annual = local_values().filter(period__quarter__isnull=True)
    assert annual.filter(period__year=PREVIOUS).count() == 14 * in_2023
    assert annual.filter(period__year=LATEST).count() == 14 * yearly
    assert set(local_values().values_list("disaggregation", flat=True)) == {"Total"}


def test_care_act_readiness_is_1_green_11_amber_and_2_red_in_2023_24(demo):
    # Quarterly from 2024-25: its 2024-25 Q4 is test_demo_quarterly.py's.
    assert Counter(values_in("WM-CARE-ACT", PREVIOUS).values()) == {
        "green": 1,
        "amber": 11,
        "red": 2,
    }


def test_all_14_councils_have_bcf_approved_mh_concordat_green_and_msp_in_2024_25(demo):
    assert Counter(values_in("WM-BCF", LATEST).values()) == {"yes": 14}
    assert Counter(values_in("WM-MH-CONCORDAT", LATEST).values()) == {"green": 14}
    assert Counter(values_in("WM-MSP", LATEST).values()) == {"yes": 14}


def test_local_accounts_were_last_published_by_7_councils_in_2024_6_in_2023_1_in_2022(demo):
    assert Counter(values_in("WM-LOCAL-ACCOUNT", LATEST).values()) == {2024: 7, 2023: 6, 2022: 1}


def test_cqc_locations_range_from_91_in_telford_and_wrekin_to_498_in_birmingham(demo):
    # In 2023-24, the last year before they were counted by quarter.
    locations = values_in("WM-CQC-LOCATIONS", PREVIOUS)
    assert min(locations, key=locations.get) == "Telford and Wrekin"
    assert min(locations.values()) == 91
    assert max(locations, key=locations.get) == "Birmingham"
    assert max(locations.values()) == 498


def test_non_compliance_runs_from_13_to_49_percent_and_complaints_upheld_from_0_to_38(demo):
    non_compliant = values_in("WM-CQC-NON-COMPLIANT", PREVIOUS).values()
    assert (min(non_compliant), max(non_compliant)) == (13, 49)
    upheld = values_in("WM-COMPLAINTS", PREVIOUS).values()
    assert (min(upheld), max(upheld)) == (0, 38)


def test_dass_posts_are_7_joint_with_dcs_1_joint_with_dph_5_interim_and_1_permanent(demo):
    # In 2023-24, the last year before the post was recorded by quarter.
    posts = values_in("WM-DASS-POST", PREVIOUS)
    assert Counter(posts.values()) == {
        "joint DASS/DCS": 7,
        "joint DASS/DPH": 1,
        "interim": 5,
        "permanent": 1,
    }
    assert posts["Worcestershire"] == "joint DASS/DPH"
    interims = {council for council, post in posts.items() if post == "interim"}
    assert interims == {
        "Stoke-on-Trent",
        "Wolverhampton",
        "Solihull",
        "Warwickshire",
        "Herefordshire",
    }
    assert posts["Walsall"] == "permanent"


def test_values_move_between_2023_24_and_2024_25(demo):
    # The measures still yearly in 2024-25; the quarterly ones move by quarter.
    moved = [
        (indicator, council)
        for indicator in Indicator.objects.filter(
            source=Source.LOCAL, quarterly_basis=""
        ).values_list("code", flat=True)
        for council, value in values_in(indicator, LATEST).items()
        if values_in(indicator, PREVIOUS)[council] != value
    ]
    assert len(moved) >= 3
    care_act = values_in("WM-CARE-ACT", PREVIOUS)
    assert "red" in care_act.values()
    assert care_act["Shropshire"] == "amber"
    assert values_in("WM-DASS-POST", PREVIOUS)["Solihull"] == "interim"


def test_qualitative_values_use_their_indicators_categories(demo):
    for indicator in Indicator.objects.filter(source=Source.LOCAL).exclude(categories=[]):
        texts = set(Value.objects.filter(indicator=indicator).values_list("text_value", flat=True))
        assert texts <= set(indicator.categories), indicator.code


def test_dates_are_as_at_the_end_of_their_year(demo):
    for value in Value.objects.filter(date_value__isnull=False).select_related("period"):
        assert value.date_value <= period_end(value.period.year)


def test_demo_values_are_available_and_not_from_an_import(demo):
    # But for a percentage of none: no complaint decided in a quarter.
    not_applicable = local_values().exclude(outcome_status="available")
    assert set(not_applicable.values_list("outcome_status", "denominator")) == {
        ("not_applicable", 0)
    }
    assert local_values().filter(outcome_status="available").count() > 800
    assert not local_values().filter(import_run__isnull=False).exists()
    assert local_values().filter(note="Illustrative demo value").exists()


def test_the_demo_user_is_staff_who_can_change_values_and_log_in(demo, client):
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("indicators.change_value")
    assert user.has_perm("councils.view_area")
    assert not user.has_perm("indicators.delete_indicator")
    assert client.login(request=HttpRequest(), username="demo", password="scorecard-demo")
    assert "regional lead: demo / scorecard-demo" in demo


def test_the_demo_password_can_come_from_the_environment(demo, client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    output = StringIO()
    call_command("load_demo", stdout=output)
    assert "password set" in output.getvalue()
    assert "another-demo-password" not in output.getvalue()
    assert client.login(request=HttpRequest(), username="demo", password="another-demo-password")


def test_loading_the_demo_again_changes_nothing(demo):
    output = StringIO()
    call_command("load_demo", stdout=output)
    assert "demo values: 0 created, 0 updated, 0 deleted, 826 unchanged" in output.getvalue()
    assert "period being collected: 2025-26 Q3 (unchanged)" in output.getvalue()
    assert "demo user demo (regional lead): unchanged" in output.getvalue()


@pytest.mark.django_db
def test_the_demo_needs_the_reference_data_first():
    # The test database comes loaded: take away the reference data the demo builds on.
    local_values().delete()
    Indicator.objects.filter(source=Source.LOCAL).delete()
    values = Value.objects.count()
    with pytest.raises(CommandError, match="run load_reference first"):
        call_command("load_demo", stdout=StringIO())
    assert Value.objects.count() == values
