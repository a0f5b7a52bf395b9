"""Periods exist when needed: a value is entered for any period up to the one being collected
without anyone adding a Period first; the period being collected is changed in the admin; what
is due follows it, judged by the application's clock (frozen here through SCORECARD_CLOCK)."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from councils.models import Area
from indicators import clock
from indicators.models import (
    Collection,
    Indicator,
    Period,
    Value,
    collection_status,
    due_date,
    is_overdue,
    period_being_collected,
)
from indicators.periods import format_period, parse_period, period_end
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/indicators/value/add/"
COLLECTION = "/admin/indicators/collection/1/change/"
LONDON = ZoneInfo("Europe/London")


# The application's clock, frozen -----------------------------------------------------------

_frozen: list[datetime.datetime] = []


def frozen() -> datetime.datetime:
    """The clock SCORECARD_CLOCK names in these tests: the moment `freeze` last set."""
    return _frozen[-1]


@pytest.fixture
def freeze(settings):
    def at(moment: datetime.datetime) -> None:
        _frozen.append(moment)
        settings.SCORECARD_CLOCK = f"{__name__}.frozen"

    yield at
    _frozen.clear()


# Helpers ----------------------------------------------------------------------------------


def collect(label: str | None, due_on: datetime.date | None = None) -> None:
    """Set the period being collected (None: the default from the data) and its due date."""
    period = Period.objects.for_label(label) if label else None
    Collection.objects.update_or_create(pk=1, defaults={"period": period, "due_on": due_on})


def user_with(django_user_model, name: str, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="indicators", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def entry_client(django_user_model) -> Client:
    """Like the demo login: staff who may add, change and view values, and nothing else."""
    return user_with(django_user_model, "entry", "add_value", "change_value", "view_value")


@pytest.fixture
def lead_client(django_user_model) -> Client:
    """A regional lead who may change the period being collected."""
    return user_with(django_user_model, "lead", "change_collection", "view_value")


def period_choices(response) -> list[str]:
    return [value for value, _ in response.context["adminform"].form.fields["period"].choices]


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


# Values for periods with no Period row -------------------------------------------------------


def unmade_period_being_collected() -> tuple[tuple[int, int | None], Indicator]:
    """The default period being collected, its Period row deleted (it holds nothing yet), and
    a rating measure collected at that frequency."""
    Collection.objects.filter(pk=1).delete()  # the default: the period after the latest data
    year, quarter = period_being_collected()
    Period.objects.filter(year=year, quarter=quarter).delete()
    assert not Period.objects.filter(year=year, quarter=quarter).exists()
    ratings = Indicator.objects.filter(source="local", kind="rag")
    yearly = ratings.filter(quarterly_basis="")
    return (year, quarter), (yearly if quarter is None else ratings.exclude(pk__in=yearly))[0]


def rating_form(client, indicator: Indicator, period: str, rating: str) -> dict:
    page = client.get(f"{ADD}?indicator={indicator.pk}")
    assert page.status_code == 200
    data = admin_form_data(page)
    data.update(
        area=Area.objects.get(kind="council", name="Walsall").pk,
        indicator=indicator.pk,
        period=period,
        disaggregation="Total",
        text_value=rating,
    )
    return data


def test_a_value_is_added_for_the_period_being_collected_before_its_period_exists(entry_client):
    (year, quarter), indicator = unmade_period_being_collected()
    label = format_period(year, quarter)
    page = entry_client.get(f"{ADD}?indicator={indicator.pk}")
    assert period_choices(page)[1] == label
    assert "/admin/indicators/period/add/" not in page.content.decode()

    response = entry_client.post(ADD, rating_form(entry_client, indicator, label, "Green"))

    assert response.status_code == 302, errors_of(response)
    period = Period.objects.get(year=year, quarter=quarter)
    value = Value.objects.get(indicator=indicator, period=period, area__name="Walsall")
    assert (value.text_value, value.entered_by.username) == ("green", "entry")


def test_a_refused_value_leaves_no_period_behind(entry_client):
    (year, quarter), indicator = unmade_period_being_collected()
    label = format_period(year, quarter)
    response = entry_client.post(ADD, rating_form(entry_client, indicator, label, "Purple"))
    assert response.status_code == 200
    assert any("'Purple' is not one of" in e for e in errors_of(response)["text_value"])
    assert not Period.objects.filter(year=year, quarter=quarter).exists()


def test_a_period_that_is_not_one_is_refused_naming_the_field(entry_client):
    collect("2025-26")
    indicator = Indicator.objects.get(code="WM-MH-CONCORDAT")
    response = entry_client.post(ADD, rating_form(entry_client, indicator, "Spring 2025", "green"))
    assert response.status_code == 200
    [message] = errors_of(response)["period"]
    assert message.startswith("Enter the period the value is for as a financial year")
    assert "'Spring 2025'" in message
    assert "Nothing was saved" in " ".join(response.context["adminform"].form.non_field_errors())


def test_the_period_choices_run_back_from_the_period_being_collected(entry_client):
    collect("2025-26 Q3")
    choices = period_choices(entry_client.get(ADD))
    assert choices[0] == ""
    assert choices[1:4] == ["2025-26 Q3", "2025-26 Q2", "2025-26 Q1"]
    assert "2025-26" not in choices and "2025-26 Q4" not in choices
    assert {"2024-25", "2024-25 Q4", "2014-15"} <= set(choices)
    ends = [period_end(*parse_period(label)) for label in choices[1:]]
    assert ends == sorted(ends, reverse=True)

    collect("2025-26")
    choices = period_choices(entry_client.get(ADD))
    assert choices[1:3] == ["2025-26", "2025-26 Q4"]
    assert "2026-27 Q1" not in choices


def test_the_add_page_starts_at_the_period_being_collected(entry_client):
    collect("2025-26 Q2")
    form = entry_client.get(ADD).context["adminform"].form
    assert form["period"].value() == "2025-26 Q2"


def test_nobody_adds_a_period_by_hand(admin_client):
    assert admin_client.get("/admin/indicators/period/add/").status_code == 403
    assert admin_client.get("/admin/indicators/period/").status_code == 200


# The period being collected in the admin ---------------------------------------------------


def test_a_regional_lead_changes_the_period_being_collected(lead_client):
    collect("2024-25")
    Period.objects.filter(year=2025, quarter=3, values__isnull=True).delete()
    page = lead_client.get(COLLECTION)
    assert page.status_code == 200
    data = admin_form_data(page)
    data["period"] = "2025-26 Q3"
    response = lead_client.post(COLLECTION, data)
    assert response.status_code == 302, errors_of(response)
    assert period_being_collected() == (2025, 3)
    assert Period.objects.filter(year=2025, quarter=3).exists()
    # What is due follows it.
    assert due_date() == datetime.date(2026, 1, 30)


def test_the_collection_list_goes_straight_to_its_one_row(lead_client):
    Collection.objects.filter(pk=1).delete()
    response = lead_client.get("/admin/indicators/collection/")
    assert response.status_code == 302 and response["Location"] == COLLECTION
    page = lead_client.get(COLLECTION)
    assert page.status_code == 200
    assert "Collecting " in page.content.decode()
    assert not Collection.objects.exists()  # made by its first save, not by looking
    assert lead_client.get("/admin/indicators/collection/add/").status_code == 403
    assert lead_client.get("/admin/indicators/collection/1/delete/").status_code == 403
    response = lead_client.post(COLLECTION, {"period": "2026/27", "due_on": ""})
    assert response.status_code == 302, errors_of(response)
    assert period_being_collected() == (2026, None)


@pytest.mark.parametrize("typed", ["2025-26 Q5", "next quarter", "2025-27"])
def test_a_label_that_is_not_a_period_is_refused_naming_the_field(lead_client, typed):
    collect("2024-25")
    response = lead_client.post(COLLECTION, {"period": typed, "due_on": ""})
    assert response.status_code == 200
    [message] = errors_of(response)["period"]
    assert message.startswith(
        "Enter the period being collected as a financial year, like 2025-26, or a quarter, "
        "like 2025-26 Q3"
    )
    assert "Please correct the error" in response.content.decode()
    assert period_being_collected() == (2024, None)


def test_a_due_date_before_the_period_ends_is_refused(lead_client):
    collect("2024-25")
    response = lead_client.post(COLLECTION, {"period": "2025-26 Q3", "due_on": "2025-12-01"})
    assert response.status_code == 200
    assert errors_of(response)["due_on"] == [
        "Due date must be after 31 December 2025, when 2025-26 Q3 ends"
    ]
    assert period_being_collected() == (2024, None)


def test_a_due_date_set_for_one_period_does_not_follow_the_next(lead_client):
    collect("2025-26 Q2", due_on=datetime.date(2025, 11, 14))
    assert due_date() == datetime.date(2025, 11, 14)
    data = admin_form_data(lead_client.get(COLLECTION))
    assert data["due_on"] == datetime.date(2025, 11, 14)
    data["period"] = "2025-26 Q3"
    assert lead_client.post(COLLECTION, data).status_code == 302
    assert Collection.objects.get().due_on is None
    assert due_date() == datetime.date(2026, 1, 30)
    response = lead_client.post(COLLECTION, {"period": "2025-26 Q3", "due_on": "2026-02-06"})
    assert response.status_code == 302
    assert due_date() == datetime.date(2026, 2, 6)


def test_without_the_permission_the_collection_page_is_forbidden(entry_client, django_user_model):
    collect("2024-25")
    assert entry_client.get(COLLECTION).status_code == 403
    assert entry_client.get("/admin/indicators/collection/").status_code == 403
    assert entry_client.post(COLLECTION, {"period": "2025-26 Q3"}).status_code == 403
    viewer = user_with(django_user_model, "collection-viewer", "view_collection")
    assert viewer.get(COLLECTION).status_code == 200
    assert viewer.post(COLLECTION, {"period": "2025-26 Q3"}).status_code == 403
    assert period_being_collected() == (2024, None)


# Due dates on the application's clock --------------------------------------------------------


def test_the_clock_is_the_one_the_setting_names(freeze):
    freeze(datetime.datetime(2026, 1, 30, 23, 30, tzinfo=LONDON))
    assert clock.today() == datetime.date(2026, 1, 30)
    assert clock.now() == datetime.datetime(2026, 1, 30, 23, 30, tzinfo=LONDON)


def test_returns_are_due_30_days_after_the_period_ends_and_overdue_the_day_after(freeze):
    collect("2025-26 Q3")
    assert due_date() == datetime.date(2026, 1, 30)
    assert due_date("2025-26") == datetime.date(2026, 4, 30)

    freeze(datetime.datetime(2026, 1, 30, 23, 59, tzinfo=LONDON))
    assert not is_overdue()
    assert collection_status() == "Collecting 2025-26 Q3, due 30 January 2026"
    assert str(Collection.objects.get()) == "Collecting 2025-26 Q3, due 30 January 2026"

    freeze(datetime.datetime(2026, 1, 31, 0, 1, tzinfo=LONDON))
    assert is_overdue()
    assert str(Collection.objects.get()) == "Collecting 2025-26 Q3, due 30 January 2026, overdue"
    assert not is_overdue(today=datetime.date(2026, 1, 2))


def test_the_collections_own_due_date_decides_for_its_period_only(freeze):
    collect("2025-26 Q3", due_on=datetime.date(2026, 2, 13))
    assert due_date() == datetime.date(2026, 2, 13)
    assert due_date(Period.objects.for_label("2025-26 Q2")) == datetime.date(2025, 10, 30)
    freeze(datetime.datetime(2026, 2, 10, 12, tzinfo=LONDON))
    assert not is_overdue()  # 30 January has passed, but the collection says 13 February
    assert is_overdue("2025-26 Q2")


def test_the_days_allowed_are_a_setting(settings):
    collect("2025-26 Q3")
    settings.RETURNS_DUE_DAYS = 45
    assert due_date() == datetime.date(2026, 2, 14)


def test_the_collection_page_says_what_is_due_and_when_it_is_overdue(lead_client, freeze):
    collect("2025-26 Q3")
    freeze(datetime.datetime(2026, 1, 15, 9, tzinfo=LONDON))
    html = lead_client.get(COLLECTION).content.decode()
    assert "Collecting 2025-26 Q3, due 30 January 2026" in html
    assert "overdue" not in html
    freeze(datetime.datetime(2026, 2, 2, 9, tzinfo=LONDON))
    html = lead_client.get(COLLECTION).content.decode()
    assert re.search(r"Collecting 2025-26 Q3, due 30 January 2026, overdue", html)


# An indicator's first quarter --------------------------------------------------------------


def test_an_indicators_first_quarter_is_typed_and_created_on_save(admin_client):
    indicator = Indicator.objects.get(code="WM-MSP")
    url = f"/admin/indicators/indicator/{indicator.pk}/change/"
    Period.objects.filter(year=2031, quarter=1).delete()
    data = admin_form_data(admin_client.get(url))
    data.update(quarterly_basis="snapshot", quarterly_from="2031-32 Q2")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "is not a Q1" in " ".join(errors_of(response)["quarterly_from"])
    data["quarterly_from"] = "2031-32 Q1"
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    indicator.refresh_from_db()
    assert (indicator.quarterly_from.label, indicator.quarterly_basis) == ("2031-32 Q1", "snapshot")
