"""Entering values in the admin on the shipped data: each kind in its own terms, nothing the
validation layer refuses gets in, published values are read-only, and no change is lost."""

import re

import pytest
from django.test import Client

from councils.models import Area, ComparatorGroup
from indicators.models import Indicator, Value, ValueChange
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/indicators/value/add/"


def change_url(value: Value) -> str:
    return f"/admin/indicators/value/{value.pk}/change/"


def value_of(
    code: str, council: str = "Walsall", year: int = 2024, quarter: int | None = None
) -> Value:
    return Value.objects.get(
        indicator__code=code, area__name=council, period__year=year, period__quarter=quarter
    )


# The region's measures collected by quarter from 2024-25 have yearly values to 2023-24.
YEARLY_UNTIL = 2023


def care_act() -> Value:
    """An amber rating of a yearly period."""
    return value_of("WM-CARE-ACT", "Dudley", year=YEARLY_UNTIL)


def complaints() -> Value:
    """A percentage of the region's own: entered as its counts."""
    return value_of("WM-COMPLAINTS", year=YEARLY_UNTIL)


def locations() -> Value:
    """A count entered as a number."""
    return value_of("WM-CQC-LOCATIONS", year=YEARLY_UNTIL)


def form_of(response):
    return response.context["adminform"].form


def field_names(response) -> set[str]:
    return set(re.findall(r'name="([a-z_]+)"', response.content.decode()))


def edit(client, value: Value, **changes):
    """Open the value's change form, change some fields and post it back."""
    data = admin_form_data(client.get(change_url(value)))
    data.update(changes)
    return client.post(change_url(value), data)


def add(client, indicator: str, council: str, period: str, **fields):
    """Open the add form for the indicator (as the add page's ?indicator= link does), fill in
    the key and the fields, and post it."""
    chosen = Indicator.objects.get(code=indicator)
    data = admin_form_data(client.get(f"{ADD}?indicator={chosen.pk}"))
    data.update(
        area=Area.objects.get(kind="council", name=council).pk,
        indicator=chosen.pk,
        period=period,  # chosen by its label, whether or not its Period row exists
        disaggregation="Total",
        **fields,
    )
    return client.post(ADD, data)


def assert_refused(response, field: str, message: str):
    assert response.status_code == 200, "the form should be shown again, not saved"
    errors = form_of(response).errors
    assert any(message in error for error in errors.get(field, [])), errors
    assert any("Nothing was saved" in error for error in form_of(response).non_field_errors())
    assert "Please correct the error" in response.content.decode()


# Admin entry by kind ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Green", "green", " GREEN "])
def test_a_rating_typed_as_pages_show_it_is_stored_as_its_list_spells_it(admin_client, typed):
    value = care_act()
    assert value.text_value == "amber"
    assert edit(admin_client, value, text_value=typed).status_code == 302
    value.refresh_from_db()
    assert value.text_value == "green"
    change = ValueChange.objects.get(value=value, field="text_value")
    assert (change.old, change.new, change.changed_by.username) == ("amber", "green", "admin")
    assert admin_client.get("/?period=2024-25").status_code == 200


def test_yes_typed_with_a_capital_is_stored_as_yes(admin_client):
    value = value_of("WM-BCF", year=2023)
    value.text_value = "no"
    value.save()
    assert edit(admin_client, value, text_value="Yes").status_code == 302
    value.refresh_from_db()
    assert value.text_value == "yes"


def test_purple_is_not_a_rating(admin_client):
    value = care_act()
    response = edit(admin_client, value, text_value="Purple")
    assert_refused(response, "text_value", "'Purple' is not one of red, amber, green")
    value.refresh_from_db()
    assert value.text_value == "amber" and value.version == 1


@pytest.mark.parametrize(
    "numerator, denominator, field, message",
    [
        ("23", "10", "numerator", "is greater than its denominator"),
        ("-5", "10", "numerator", "negative"),
    ],
)
def test_counts_that_make_no_percentage_are_refused(
    admin_client, numerator, denominator, field, message
):
    value = complaints()
    before = (value.outcome, value.numerator, value.denominator)
    response = edit(admin_client, value, numerator=numerator, denominator=denominator)
    assert_refused(response, field, message)
    value.refresh_from_db()
    assert (value.outcome, value.numerator, value.denominator) == before


def test_a_percentage_of_the_regions_own_is_worked_out_from_its_counts(admin_client):
    value = complaints()
    assert edit(admin_client, value, numerator="7", denominator="16").status_code == 302
    value.refresh_from_db()
    # 7 / 16 = 43.75 %, rounded half away from zero to the measure's 0 decimals.
    assert (value.numerator, value.denominator, value.outcome) == (7, 16, 44)
    assert value.outcome_status == "available"
    logged = set(value.changes.values_list("field", "new"))
    assert {("outcome", "44"), ("numerator", "7"), ("denominator", "16")} <= logged
    assert edit(admin_client, value, numerator="0", denominator="0").status_code == 302
    value.refresh_from_db()
    assert (value.outcome, value.outcome_status) == (None, "not_applicable")


def test_a_year_with_quarters_takes_no_value_of_its_own(admin_client):
    response = add(
        admin_client, "WM-COMPLAINTS", "Walsall", "2024-25", numerator="1", denominator="4"
    )
    assert_refused(response, "period", "derived from its quarters")
    response = add(admin_client, "WM-BCF", "Walsall", "2025-26 Q1", text_value="yes")
    assert_refused(response, "period", "collected yearly")
    walsall = Value.objects.filter(area__name="Walsall")
    assert not walsall.filter(
        indicator__code="WM-COMPLAINTS", period__year=2024, period__quarter=None
    ).exists()
    assert not walsall.filter(indicator__code="WM-BCF", period__quarter__isnull=False).exists()


def test_a_date_after_the_period_being_collected_is_refused(admin_client):
    value = value_of("WM-PEER-CHALLENGE")
    before = value.date_value
    response = edit(admin_client, value, date_value="2031-05-01")
    assert_refused(response, "date_value", "01 May 2031 is not between 1 January 1990")
    value.refresh_from_db()
    assert value.date_value == before


def test_a_year_is_a_whole_number(admin_client):
    value = value_of("WM-LOCAL-ACCOUNT")
    response = edit(admin_client, value, outcome="2023.5")
    assert response.status_code == 200
    assert "Enter a whole number." in form_of(response).errors["outcome"]
    assert edit(admin_client, value, outcome="2022").status_code == 302
    value.refresh_from_db()
    assert value.outcome == 2022


def test_text_cannot_be_entered_on_a_numeric_ascof_measure(admin_client):
    indicator = Indicator.objects.get(code="1A")
    page = admin_client.get(f"{ADD}?indicator={indicator.pk}")
    assert "text_value" not in field_names(page)
    assert "Outcome (score out of 24)" in page.content.decode()
    as_number = add(admin_client, "1A", "Walsall", "2025-26", outcome="Green")
    assert "Enter a number." in form_of(as_number).errors["outcome"]
    as_text = add(admin_client, "1A", "Walsall", "2025-26", text_value="Green")
    assert_refused(as_text, "outcome", "Enter the value, or leave it blank")
    assert not Value.objects.filter(indicator=indicator, period__year=2025).exists()


def test_a_west_midlands_measure_is_refused_for_barnet(admin_client):
    response = add(admin_client, "WM-CARE-ACT", "Barnet", "2025-26", text_value="green")
    assert_refused(response, "area", "Barnet is not one of the 14 West Midlands ADASS councils")
    assert not Value.objects.filter(area__name="Barnet", indicator__source="local").exists()


def test_a_period_after_the_period_being_collected_is_refused(admin_client):
    response = add(admin_client, "WM-CARE-ACT", "Walsall", "2026-27", text_value="green")
    assert_refused(response, "period", "2026-27 is after the period being collected (2025-26 Q3)")
    assert not Value.objects.filter(period__year=2026).exists()


def test_a_new_rating_is_added_for_the_period_being_collected(admin_client):
    response = add(admin_client, "WM-CARE-ACT", "Walsall", "2025-26 Q3", text_value="Red")
    assert response.status_code == 302
    value = value_of("WM-CARE-ACT", year=2025, quarter=3)
    assert (value.text_value, value.outcome_status, value.version) == ("red", "available", 1)
    assert value.import_run is None and value.entered_by.username == "admin"


def test_a_missing_value_says_why_and_a_given_one_is_available(admin_client):
    value = locations()
    response = edit(admin_client, value, outcome="", outcome_status="")
    assert_refused(response, "outcome", "choose why it is missing")
    assert edit(admin_client, value, outcome="", outcome_status="suppressed").status_code == 302
    value.refresh_from_db()
    assert (value.outcome, value.outcome_status) == (None, "suppressed")
    assert edit(admin_client, value, outcome="12", outcome_status="").status_code == 302
    value.refresh_from_db()
    assert (value.outcome, value.outcome_status) == (12, "available")


def test_the_add_page_asks_for_the_indicator_first_then_for_its_kind(admin_client):
    first = admin_client.get(ADD)
    assert "outcome_status" not in field_names(first)
    assert "Choose the area, indicator and period" in first.content.decode()
    key_only = {
        name: value for name, value in admin_form_data(first).items() if name not in ("version",)
    }
    key_only.update(
        area=Area.objects.get(kind="council", name="Walsall").pk,
        indicator=Indicator.objects.get(code="WM-BCF").pk,
        period="2025-26",
        disaggregation="Total",
    )
    second = admin_client.post(ADD, key_only)
    assert second.status_code == 200
    assert {"text_value", "outcome_status"} <= field_names(second)
    assert "outcome" not in field_names(second)
    assert "Now enter the value" in second.content.decode()
    assert not Value.objects.filter(indicator__code="WM-BCF", period__year=2025).exists()


def test_a_rating_form_shows_the_rating_as_a_choice_and_no_numbers(admin_client):
    response = admin_client.get(change_url(care_act()))
    names = field_names(response)
    assert {"text_value", "outcome_status", "version", "seen_change"} <= names
    assert not names & {"outcome", "numerator", "denominator", "base", "date_value"}
    choices = form_of(response).fields["text_value"].choices
    assert choices[1:] == [("red", "Red"), ("amber", "Amber"), ("green", "Green")]


def test_a_percentage_form_asks_for_its_counts_and_shows_the_outcome_worked_out(admin_client):
    value = complaints()
    response = admin_client.get(change_url(value))
    assert {"numerator", "denominator"} <= field_names(response)
    assert not field_names(response) & {"outcome", "text_value", "date_value"}
    assert "worked out from them" in response.content.decode()


def test_a_count_form_shows_its_unit_and_no_rating_or_date(admin_client):
    response = admin_client.get(change_url(locations()))
    assert form_of(response).fields["outcome"].label == "Outcome (locations)"
    assert not field_names(response) & {"text_value", "date_value"}


def test_a_category_is_shown_capitalised_and_stored_as_listed(admin_client):
    value = value_of("WM-DASS-POST", "Worcestershire", year=YEARLY_UNTIL)
    response = admin_client.get(change_url(value))
    assert ("joint DASS/DCS", "Joint DASS/DCS") in form_of(response).fields["text_value"].choices
    assert edit(admin_client, value, text_value="JOINT dass/dcs").status_code == 302
    value.refresh_from_db()
    assert value.text_value == "joint DASS/DCS"


# Official values are read-only --------------------------------------------------------------


def test_a_published_value_is_shown_read_only_with_a_note_on_errata(admin_client):
    value = value_of("1A")
    assert value.import_run is not None
    response = admin_client.get(change_url(value))
    assert response.status_code == 200
    assert "outcome" not in field_names(response)
    html = response.content.decode()
    assert "changes only by import" in html and "record an erratum" in html
    assert f"{value.outcome:g}" in html


def test_a_published_value_cannot_be_changed_or_deleted_in_the_admin(admin_client):
    value = value_of("1A")
    before = value.outcome
    data = {"outcome": str(before + 1), "outcome_status": "available", "version": "1"}
    assert admin_client.post(change_url(value), data).status_code == 403
    delete = f"/admin/indicators/value/{value.pk}/delete/"
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [value.pk], "post": "yes"}
    assert admin_client.post("/admin/indicators/value/", bulk).status_code == 403
    value.refresh_from_db()
    assert value.outcome == before


# No lost update ----------------------------------------------------------------------------


@pytest.fixture
def second_editor(django_user_model):
    user = django_user_model.objects.create_superuser("bea", "bea@example.org", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_a_save_from_a_form_opened_before_anothers_save_is_refused(admin_client, second_editor):
    value = locations()
    before = value.outcome
    first = admin_form_data(admin_client.get(change_url(value)))
    second = admin_form_data(second_editor.get(change_url(value)))

    first["outcome"] = "12"
    assert admin_client.post(change_url(value), first).status_code == 302
    second["note"] = "Checked with the council"
    response = second_editor.post(change_url(value), second)

    assert response.status_code == 200
    [message] = form_of(response).non_field_errors()
    assert "changed after you opened it" in message
    assert f"outcome {before:g} → 12 by admin" in message
    value.refresh_from_db()
    assert (value.outcome, value.version) == (12, 2)
    assert value.note == "Illustrative demo value"
    assert value.entered_by.username == "admin"


def test_every_admin_save_counts_a_version(admin_client):
    value = care_act()
    for version, rating in [(2, "green"), (3, "green"), (4, "red")]:
        assert edit(admin_client, value, text_value=rating).status_code == 302
        value.refresh_from_db()
        assert value.version == version
    assert list(
        ValueChange.objects.filter(value=value).order_by("pk").values_list("old", "new")
    ) == [("amber", "green"), ("green", "red")]


def test_a_saved_value_of_a_council_that_left_the_group_is_refused_with_a_message(admin_client):
    value = (
        Value.objects.filter(indicator__source="local", import_run=None, area__name="Walsall")
        .exclude(outcome=None)
        .first()
    )
    ComparatorGroup.objects.get(is_default=True).councils.remove(value.area)
    url = f"/admin/indicators/value/{value.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "is not one of the 13 West Midlands ADASS councils" in response.content.decode()
